CREATE TABLE legacy (id INTEGER PRIMARY KEY, anything, ch CHAR(10), dbl DOUBLE, dec DECIMAL(5, 1));
