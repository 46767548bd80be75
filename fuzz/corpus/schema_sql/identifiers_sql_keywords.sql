CREATE TABLE "order" (
  "select" INTEGER PRIMARY KEY,
  "from" TEXT,
  "group" INTEGER,
  "where" TEXT UNIQUE
);
CREATE INDEX "index" ON "order" ("from", "group");
CREATE TABLE "table" (
  "key" INTEGER PRIMARY KEY,
  "order" INTEGER REFERENCES "order" ("select")
);
