-- expect: 3:14: duplicate name `T`: a table with this name is already defined at 2:14
CREATE TABLE t (a INTEGER);
CREATE TABLE T (b INTEGER);
