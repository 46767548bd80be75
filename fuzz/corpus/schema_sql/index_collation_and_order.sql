CREATE TABLE words (id INTEGER PRIMARY KEY, word TEXT COLLATE nocase, score INTEGER);
CREATE INDEX by_word_binary ON words (word COLLATE binary);
CREATE INDEX by_score_desc ON words (score DESC, word COLLATE rtrim ASC);
