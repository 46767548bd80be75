-- revision: 1a2b3c4d5e6f
-- revises:
-- message: Add users
-- created: 2026-11-24T22:30:00Z

-- migrate:up
CREATE TABLE "users" ("id" INTEGER PRIMARY KEY, "name" TEXT NOT NULL);

-- migrate:down
DROP TABLE "users";
