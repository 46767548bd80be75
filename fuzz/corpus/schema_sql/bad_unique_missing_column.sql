-- expect: 2:36: unique constraint of table `t` names column `b`
CREATE TABLE t (a INTEGER, UNIQUE (b));
