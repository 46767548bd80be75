CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT '0');
CREATE UNIQUE INDEX live_email ON accounts (email) WHERE deleted = 0;
