-- revision: 2b8e4d6c1a02
-- revises: 1f0c2b7a9d01
-- message: Create posts
-- created: 2026-11-20T09:10:00Z

-- migrate:up
-- create table "posts"
CREATE TABLE "posts" (
  "id" INTEGER PRIMARY KEY,
  "user_id" INTEGER NOT NULL,
  "title" VARCHAR(100) NOT NULL,
  FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

-- migrate:down
-- WARNING: drops table "posts" and every row in it
-- drop table "posts" with its indexes and triggers
DROP TABLE "posts";
