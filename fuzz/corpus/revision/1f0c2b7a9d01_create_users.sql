-- revision: 1f0c2b7a9d01
-- revises:
-- message: Create users
-- created: 2026-11-20T09:00:00Z

-- migrate:up
-- create table "users"
CREATE TABLE "users" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(100) NOT NULL,
  "email" VARCHAR(255) NOT NULL,
  UNIQUE ("email")
);

-- migrate:down
-- WARNING: drops table "users" and every row in it
-- drop table "users" with its indexes and triggers
DROP TABLE "users";
