CREATE TABLE sessions (
  id TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(data)),
  expires TEXT NOT NULL,
  PRIMARY KEY (id)
);
