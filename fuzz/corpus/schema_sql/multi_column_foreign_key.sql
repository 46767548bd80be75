CREATE TABLE accounts (
  bank VARCHAR(8) NOT NULL,
  number VARCHAR(20) NOT NULL,
  PRIMARY KEY (bank, number)
);
CREATE TABLE transfers (
  id INTEGER PRIMARY KEY,
  bank VARCHAR(8) NOT NULL,
  number VARCHAR(20) NOT NULL,
  amount NUMERIC(12,2) NOT NULL,
  FOREIGN KEY (bank, number) REFERENCES accounts (bank, number) ON DELETE RESTRICT
);
