-- expect: 2:14: WITHOUT ROWID table `t` has no primary key
CREATE TABLE t (a INTEGER) WITHOUT ROWID;
