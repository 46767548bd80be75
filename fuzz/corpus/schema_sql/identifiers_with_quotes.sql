CREATE TABLE "say ""hi""" (
  "it's" INTEGER PRIMARY KEY,
  "a""b" TEXT CHECK ("a""b" <> '')
);
