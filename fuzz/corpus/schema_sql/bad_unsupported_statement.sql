-- expect: 3:1: the statement `INSERT INTO t ...` is not supported in schema.sql
CREATE TABLE t (a INTEGER);
INSERT INTO t VALUES (1);
