-- expect: 4:30: foreign key of table `c` references column `p.pid`, which does not exist; expected one of: `id`
CREATE TABLE p (id INTEGER PRIMARY KEY);
CREATE TABLE c (x INTEGER,
  FOREIGN KEY (x) REFERENCES p (pid));
