-- expect: 2:64: table `t` has more than one PRIMARY KEY
CREATE TABLE t (a INTEGER PRIMARY KEY, b INTEGER, PRIMARY KEY (b));
