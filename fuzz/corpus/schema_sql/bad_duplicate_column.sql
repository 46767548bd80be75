-- expect: 2:28: duplicate column `A` in table `t` (first defined at 2:17)
CREATE TABLE t (a INTEGER, "A" TEXT);
