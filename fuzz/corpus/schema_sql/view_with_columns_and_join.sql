CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES authors (id), title TEXT);
CREATE VIEW book_list (book, author) AS
  SELECT b.title, a.name FROM books AS b JOIN authors AS a ON a.id = b.author_id ORDER BY a.name, b.title;
