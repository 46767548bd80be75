-- leading comment
CREATE TABLE notes ( /* block comment */
  id INTEGER PRIMARY KEY, -- trailing comment
  body TEXT DEFAULT '-- not a comment; /* nor this */'
);;
