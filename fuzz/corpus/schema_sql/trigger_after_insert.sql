CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE item_log (id INTEGER PRIMARY KEY, item_id INTEGER, action TEXT);
CREATE TRIGGER log_insert AFTER INSERT ON items BEGIN INSERT INTO item_log (item_id, action) VALUES (NEW.id, 'insert'); END;
