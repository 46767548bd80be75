-- expect: 3:1: expected `;` after the statement, found `CREATE`
CREATE TABLE a (x INTEGER)
CREATE TABLE b (y INTEGER);
