-- revision: 4d6b8f0c3e04
-- revises: 2b8e4d6c1a02
-- message: Widen posts.title to 200
-- created: 2026-11-21T11:00:00Z
-- branch-labels: content

-- migrate:up
-- dqmig:rebuild "posts": column "title" changes (type VARCHAR(100) -> VARCHAR(200))
-- create the new shape of "posts" as "_dqmig_new_posts"
CREATE TABLE "_dqmig_new_posts" (
  "id" INTEGER PRIMARY KEY,
  "user_id" INTEGER NOT NULL,
  "title" VARCHAR(200) NOT NULL,
  FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

-- copy the rows of "posts" into "_dqmig_new_posts"
INSERT INTO "_dqmig_new_posts" ("id", "user_id", "title") SELECT "id", "user_id", "title" FROM "posts";

-- drop the old "posts"
DROP TABLE "posts";

-- rename "_dqmig_new_posts" to "posts"
ALTER TABLE "_dqmig_new_posts" RENAME TO "posts";

-- migrate:down
-- WARNING: narrows "posts"."title" (VARCHAR(200) -> VARCHAR(100)): values may change or be refused
-- dqmig:rebuild "posts": column "title" changes (type VARCHAR(200) -> VARCHAR(100))
-- create the new shape of "posts" as "_dqmig_new_posts"
CREATE TABLE "_dqmig_new_posts" (
  "id" INTEGER PRIMARY KEY,
  "user_id" INTEGER NOT NULL,
  "title" VARCHAR(100) NOT NULL,
  FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE
);

-- copy the rows of "posts" into "_dqmig_new_posts"
INSERT INTO "_dqmig_new_posts" ("id", "user_id", "title") SELECT "id", "user_id", "title" FROM "posts";

-- drop the old "posts"
DROP TABLE "posts";

-- rename "_dqmig_new_posts" to "posts"
ALTER TABLE "_dqmig_new_posts" RENAME TO "posts";
