-- expect: 3:21: index `i` names column `b`, which table `t` does not have; expected one of: `a`
CREATE TABLE t (a INTEGER);
CREATE UNIQUE INDEX i ON t (b);
