CREATE TABLE jobs (id INTEGER PRIMARY KEY, queue VARCHAR(30) NOT NULL, finished_at TEXT);
CREATE INDEX pending_by_queue ON jobs (queue) WHERE "finished_at" IS NULL;
