-- revision: 3c5a7e9b2f03
-- revises: 2b8e4d6c1a02
-- message: Add is_active and created_at to users
-- created: 2026-11-21T10:00:00Z
-- branch-labels: accounts

-- migrate:up
-- dqmig:rebuild "users": column "created_at" has a non-constant default
-- create the new shape of "users" as "_dqmig_new_users"
CREATE TABLE "_dqmig_new_users" (
  "id" INTEGER PRIMARY KEY,
  "name" VARCHAR(100) NOT NULL,
  "email" VARCHAR(255) NOT NULL,
  "is_active" INTEGER DEFAULT 1,
  "created_at" TEXT DEFAULT CURRENT_TIMESTAMP,
  UNIQUE ("email")
);

-- copy the rows of "users" into "_dqmig_new_users"
INSERT INTO "_dqmig_new_users" ("id", "name", "email") SELECT "id", "name", "email" FROM "users";

-- drop the old "users"
DROP TABLE "users";

-- rename "_dqmig_new_users" to "users"
ALTER TABLE "_dqmig_new_users" RENAME TO "users";

-- migrate:down
-- WARNING: drops column "users"."created_at" and its values
-- drop column "users"."created_at"
ALTER TABLE "users" DROP COLUMN "created_at";

-- WARNING: drops column "users"."is_active" and its values
-- drop column "users"."is_active"
ALTER TABLE "users" DROP COLUMN "is_active";
