-- expect: 2:1: CREATE TEMP TABLE is not supported in schema.sql
CREATE TEMP TABLE t (a INTEGER);
