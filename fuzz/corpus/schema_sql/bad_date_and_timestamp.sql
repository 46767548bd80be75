-- expect: 2:19: column `d` of table `t` is declared DATE
CREATE TABLE t (d date, ts TIMESTAMP);
