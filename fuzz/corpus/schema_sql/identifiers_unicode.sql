CREATE TABLE "café" (
  id INTEGER PRIMARY KEY,
  "naïve" INTEGER DEFAULT TRUE,
  "名前" VARCHAR(40) NOT NULL,
  "prix_€" REAL
);
CREATE UNIQUE INDEX "idx_名前" ON "café" ("名前");
