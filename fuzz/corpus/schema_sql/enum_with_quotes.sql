CREATE TABLE tickets (
  id INTEGER PRIMARY KEY,
  state TEXT NOT NULL DEFAULT 'open',
  CHECK ("state" IN ('open', 'in review', 'won''t fix'))
);
