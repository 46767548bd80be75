-- expect: 2:41: primary key of table `t` names column `b`, which the table does not have
CREATE TABLE t (a INTEGER, PRIMARY KEY (b));
