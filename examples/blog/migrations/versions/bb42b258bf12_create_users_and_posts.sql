-- revision: bb42b258bf12
-- revises:
-- message: create users and posts
-- created: 2026-11-30T09:49:53Z

-- migrate:up
-- create table "users"
CREATE TABLE "users" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(100) NOT NULL,
  "email" VARCHAR(255) NOT NULL,
  "is_active" INTEGER NOT NULL DEFAULT 1,
  "created_at" TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE ("email")
);

-- create table "posts"
CREATE TABLE "posts" (
  "id" INTEGER PRIMARY KEY,
  "title" VARCHAR(200) NOT NULL,
  "content" TEXT,
  "user_id" INTEGER NOT NULL,
  "published" INTEGER NOT NULL DEFAULT 0,
  "created_at" TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,
  FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

-- create index "ix_posts_user_id" on "posts"
CREATE INDEX "ix_posts_user_id" ON "posts" ("user_id");

-- migrate:down
-- WARNING: drops table "posts" and every row in it
-- drop table "posts" with its indexes and triggers
DROP TABLE "posts";

-- WARNING: drops table "users" and every row in it
-- drop table "users" with its indexes and triggers
DROP TABLE "users";
