CREATE TABLE settings (
  id INTEGER PRIMARY KEY,
  count INTEGER DEFAULT '0',
  negative INTEGER DEFAULT -5,
  ratio REAL DEFAULT '0.5',
  whole_ratio REAL DEFAULT 2.0,
  label TEXT DEFAULT 'it''s',
  empty TEXT DEFAULT '',
  numeric_text VARCHAR(10) DEFAULT '42',
  nada TEXT DEFAULT NULL,
  blobby BLOB DEFAULT x'cafe'
);
