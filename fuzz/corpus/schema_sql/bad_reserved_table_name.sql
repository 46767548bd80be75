-- expect: 3:14: table name `sqlite_sequence` starts with `sqlite_`, which SQLite reserves for internal objects
CREATE TABLE invoices (id INTEGER PRIMARY KEY AUTOINCREMENT);
CREATE TABLE sqlite_sequence (name, seq);
