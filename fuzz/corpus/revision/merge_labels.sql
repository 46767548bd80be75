-- revision: 7a1b2c3d4e5f
-- revises: 1f0c2b7a9d01, 2b8e4d6c1a02
-- message: Merge with */ and -- inside
-- created: 2026-01-01T00:00:00Z
-- branch-labels: shop, shop.v2
-- depends-on: 3c5a7e9b2f03

-- migrate:up
-- dqmig:rebuild
CREATE TABLE "we;ird" ("a" INTEGER);
CREATE TRIGGER tr AFTER INSERT ON "we;ird" BEGIN
  SELECT 1;
END;

-- migrate:down
DROP TABLE "we;ird";
