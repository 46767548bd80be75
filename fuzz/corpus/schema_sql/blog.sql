CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  handle VARCHAR(30) NOT NULL UNIQUE,
  bio TEXT
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  slug VARCHAR(120) NOT NULL,
  state TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
  published_at TEXT,
  UNIQUE (author_id, slug)
);
CREATE INDEX posts_published ON posts (published_at DESC) WHERE state = 'published';
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
  reply_to INTEGER REFERENCES comments (id) ON DELETE SET NULL,
  body TEXT NOT NULL CHECK (length(body) > 0)
);
CREATE INDEX comments_post ON comments (post_id);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL UNIQUE COLLATE NOCASE);
CREATE TABLE post_tags (
  post_id INTEGER REFERENCES posts (id) ON DELETE CASCADE,
  tag_id INTEGER REFERENCES tags (id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE VIEW published_posts AS
  SELECT p.id, p.slug, u.handle FROM posts p JOIN users u ON u.id = p.author_id WHERE p.state = 'published';
