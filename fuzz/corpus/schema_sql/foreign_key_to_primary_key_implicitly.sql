CREATE TABLE accounts (bank TEXT NOT NULL, number TEXT NOT NULL, PRIMARY KEY (bank, number));
CREATE TABLE cards (
  pan TEXT NOT NULL PRIMARY KEY,
  bank TEXT,
  number TEXT,
  FOREIGN KEY (bank, number) REFERENCES accounts
);
