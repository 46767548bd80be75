CREATE TABLE events (id INTEGER PRIMARY KEY, kind VARCHAR(16) NOT NULL, at TEXT NOT NULL);
CREATE INDEX at_only ON events (at);
CREATE INDEX kind_at ON events (kind, at);
