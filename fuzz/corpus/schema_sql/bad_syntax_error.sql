-- expect: 3:13: SQL syntax error
CREATE TABLE t (
  a INTEGER,,
  b TEXT
);
