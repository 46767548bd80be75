CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  created TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  secret BLOB DEFAULT (randomblob(16)),
  answer INTEGER DEFAULT (6 * 7)
);
