-- expect: 3:30: foreign key of table `posts` references table `users`, which is not defined; expected one of: posts
CREATE TABLE posts (id INTEGER PRIMARY KEY,
  user_id INTEGER REFERENCES users (id));
