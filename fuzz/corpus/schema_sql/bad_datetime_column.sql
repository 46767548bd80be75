-- expect: 4:11: column `created` of table `t` is declared DATETIME; dqlite 1.11 rewrites values
CREATE TABLE t (
  id INTEGER PRIMARY KEY,
  created DATETIME DEFAULT CURRENT_TIMESTAMP
);
