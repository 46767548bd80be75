CREATE TABLE measurements (
  id INTEGER PRIMARY KEY,
  sensor TEXT NOT NULL,
  value REAL,
  raw BLOB,
  anything ANY
) STRICT;
