CREATE TABLE "order items" (
  "item id" INTEGER PRIMARY KEY,
  "unit price" NUMERIC(8,2) NOT NULL,
  "product name" TEXT
);
CREATE INDEX "by product name" ON "order items" ("product name");
