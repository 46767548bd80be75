-- revision: 6a8d0b2e5c06
-- revises: 5e7c9a1d4b05
-- message: Index users by name
-- created: 2026-11-23T08:00:00Z

-- migrate:up
-- create index "idx_users_name" on "users"
CREATE INDEX "idx_users_name" ON "users" ("name");

-- migrate:down
-- drop index "idx_users_name" on "users"
DROP INDEX "idx_users_name";
