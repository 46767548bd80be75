CREATE TABLE countries (id INTEGER PRIMARY KEY, iso VARCHAR(2) NOT NULL, UNIQUE (iso));
CREATE TABLE cities (id INTEGER PRIMARY KEY, country_iso VARCHAR(2), FOREIGN KEY (country_iso) REFERENCES countries (iso));
