-- revision: 3c4d5e6f7081
-- revises: 2b3c4d5e6f70
-- message: Users get an email
-- created: 2026-11-24T22:32:00Z

-- migrate:up
ALTER TABLE "users" ADD COLUMN "email" TEXT;

-- migrate:down
ALTER TABLE "users" DROP COLUMN "email";
