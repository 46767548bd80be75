CREATE TABLE rectangles (
  id INTEGER PRIMARY KEY,
  w REAL NOT NULL,
  h REAL NOT NULL CHECK (h > 0),
  CHECK (w > 0),
  CONSTRAINT not_too_thin CHECK (w / h < 100 AND h / w < 100),
  CHECK (w * h <= 1e6)
);
