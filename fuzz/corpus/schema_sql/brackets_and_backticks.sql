CREATE TABLE [My Table] ([Key Col] INTEGER PRIMARY KEY, `Other` TEXT CHECK (length([other]) < 10));
