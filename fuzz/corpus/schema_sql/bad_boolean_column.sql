-- expect: 2:46: column `flag` of table `t` is declared BOOLEAN
CREATE TABLE t (id INTEGER PRIMARY KEY, flag BOOLEAN);
