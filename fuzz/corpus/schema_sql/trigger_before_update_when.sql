CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT, version INTEGER NOT NULL DEFAULT 1, locked INTEGER NOT NULL DEFAULT 0);
CREATE TRIGGER no_edit_when_locked BEFORE UPDATE OF body ON docs FOR EACH ROW WHEN old.locked = 1
BEGIN SELECT RAISE(ABORT, 'document is locked'); END;
CREATE TRIGGER bump_version AFTER UPDATE OF body ON docs
BEGIN
  UPDATE docs SET version = version + 1 WHERE id = NEW.id;
END;
