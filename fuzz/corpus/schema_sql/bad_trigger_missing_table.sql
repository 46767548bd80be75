-- expect: 3:16: trigger `tr` is on `nope`, which is not a defined table or view
CREATE TABLE t (a INTEGER);
CREATE TRIGGER tr AFTER DELETE ON nope BEGIN SELECT 1; END;
