-- revision: 2b3c4d5e6f70
-- revises: 1a2b3c4d5e6f
-- message: Add posts
-- created: 2026-11-24T22:31:00Z

-- migrate:up
CREATE TABLE "posts" (
  "id" INTEGER PRIMARY KEY,
  "user_id" INTEGER NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE,
  "title" TEXT NOT NULL
);
CREATE INDEX "idx_posts_user" ON "posts" ("user_id");

-- migrate:down
DROP INDEX "idx_posts_user";
DROP TABLE "posts";
