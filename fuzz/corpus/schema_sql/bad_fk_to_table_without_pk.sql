-- expect: 3:38: references table `p` without naming columns, but that table has no primary key
CREATE TABLE p (a INTEGER);
CREATE TABLE c (x INTEGER REFERENCES p);
