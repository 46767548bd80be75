-- expect: 3:14: index `i` is on table `nope`, which is not defined
CREATE TABLE t (a INTEGER);
CREATE INDEX i ON nope (a);
