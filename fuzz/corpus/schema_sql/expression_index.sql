CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT NOT NULL, first TEXT, last TEXT);
CREATE UNIQUE INDEX email_lower ON people (lower(email));
CREATE INDEX full_name ON people ((first || ' ' || last), id);
