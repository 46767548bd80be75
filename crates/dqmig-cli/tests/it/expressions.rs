//! SQL expressions mean what the user wrote, everywhere dqmig writes them back: a corpus of SQLite expressions loaded through every loader path and
//! rendered back returns the same value and type on a real node as the original; hex
//! integer literals stay integers in CHECKs through the binary (from models.toml, and in an
//! adopted table rebuilt for an unrelated change); and syntax sqlparser cannot read (`NOT
//! GLOB`, `ISNULL`, ...) does not stop `inspect`, `check` or `revision --autogenerate`.

use dqmig::client::{Connection, Value};
use dqmig::models::{load_sql_str, load_toml_str, to_toml};
use dqmig::schema::{quote_ident, DefaultValue, Ident, IndexTarget};

use crate::cli_author::Project;
use crate::support;

/// SQLite expressions: literals of every kind, operators, COLLATE, CASE, CAST, functions,
/// LIKE/GLOB/REGEXP/MATCH with ESCAPE, IS [NOT] [DISTINCT FROM], IN lists and subqueries,
/// JSON operators. Some are errors in SQLite 3.40 (REGEXP and MATCH have no function, hex
/// literals too big): the rendered text must then be an error too. Subqueries read the
/// table `corpus (x)` holding 1, 2, 3.
const CORPUS: &[&str] = &[
    // integers, hex, large
    "0",
    "1",
    "-1",
    "+1",
    "00012",
    "42",
    "- 7",
    "0x10",
    "0X10",
    "0xfF",
    "0XFF",
    "0x0",
    "-0x1",
    "- 0x1",
    "+0x1",
    "0x7FFFFFFFFFFFFFFF",
    "0x7fffffffffffffff + 0",
    "0xFFFFFFFFFFFFFFFF",
    "-0xFFFFFFFFFFFFFFFF",
    "0x8000000000000000",
    "-0x8000000000000000",
    "0x10000000000000000",
    "0x00000000000000001",
    "(0x10)",
    "((-0x10))",
    "-(0x10)",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "-(9223372036854775808)",
    "- -1",
    "(-1)",
    // reals and exponents
    "1.0",
    "1.5",
    "-2.5",
    ".5",
    "5.",
    "1e3",
    "1E3",
    "1e+3",
    "1E-3",
    "2.5e-3",
    ".5e1",
    "5.e1",
    "0e0",
    "1e308",
    "1e309",
    "-1e309",
    "1e-400",
    "-0.0",
    "0.1 + 0.2",
    "1e308 * 10",
    // strings and blobs
    "''",
    "'a'",
    "'it''s'",
    "'é'",
    "'日本' || 'x'",
    "'0x10'",
    "'X''10'''",
    "X''",
    "x'00ff'",
    "X'CAFE'",
    "X'10'",
    "\"abc\" = 'abc'",
    "'a' 'b'",
    // NULL and booleans
    "NULL",
    "null",
    "TRUE",
    "FALSE",
    "true + 1",
    // arithmetic and bit operators
    "1 + 2 * 3",
    "(1 + 2) * 3",
    "7 / 2",
    "7.0 / 2",
    "7 % 3",
    "-7 % 3",
    "1 << 62",
    "1 << 63",
    "1 << 64",
    "256 >> 4",
    "0x10 >> 2",
    "6 & 3",
    "6 | 3",
    "~5",
    "~0x10",
    "16 & 0x10",
    "16 & X'10'",
    "0x10 & 0x10 = 0",
    "flags_like & 0x10 = 0",
    "'3' + 4",
    "'abc' + 1",
    "X'31' + 1",
    "1 + NULL",
    "- '5'",
    // comparison
    "1 = 1",
    "1 == 1",
    "1 != 2",
    "1 <> 2",
    "1 < 2",
    "2 <= 2",
    "3 > 2",
    "2 >= 3",
    "'a' < 'b'",
    "1 < '1'",
    "NULL = NULL",
    "0x10 = 16",
    "0x10 = X'10'",
    "1 = 1.0",
    // logic
    "NOT 0",
    "NOT NULL",
    "1 AND NULL",
    "0 AND NULL",
    "0 OR NULL",
    "1 OR NULL",
    "NOT (1 AND 0)",
    // BETWEEN, IN, EXISTS, subqueries
    "1 BETWEEN 0 AND 2",
    "1 NOT BETWEEN 2 AND 3",
    "0x10 BETWEEN 15 AND 17",
    "1 IN (1, 2, 3)",
    "4 NOT IN (1, 2)",
    "1 IN ()",
    "NULL IN (1)",
    "1 IN (NULL, 1)",
    "2 IN (SELECT x FROM corpus)",
    "5 NOT IN (SELECT x FROM corpus)",
    "EXISTS (SELECT 1 FROM corpus)",
    "NOT EXISTS (SELECT 1 FROM corpus WHERE x > 100)",
    "(SELECT max(x) FROM corpus)",
    "(SELECT count(*) FROM corpus WHERE x & 0x2)",
    "(SELECT group_concat(x, '-') FROM corpus)",
    // IS, ISNULL, NOTNULL, DISTINCT FROM
    "NULL IS NULL",
    "1 IS NOT NULL",
    "1 IS 1",
    "NULL IS NOT 1",
    "NULL ISNULL",
    "1 ISNULL",
    "1 NOTNULL",
    "NULL NOTNULL",
    "1 NOT NULL",
    "NULL NOT NULL",
    "1 IS DISTINCT FROM NULL",
    "NULL IS NOT DISTINCT FROM NULL",
    "1 IS DISTINCT FROM 1",
    "0x10 IS NOT DISTINCT FROM 16",
    // LIKE, GLOB, REGEXP, MATCH, ESCAPE
    "'abc' LIKE 'A%'",
    "'abc' NOT LIKE 'a_'",
    "'a_c' LIKE 'a\\_c' ESCAPE '\\'",
    "'abc' NOT LIKE 'a\\_c' ESCAPE '\\'",
    "'abc' GLOB 'a*'",
    "'abc' GLOB 'A*'",
    "'123' NOT GLOB '*[^0-9]*'",
    "'12a' NOT GLOB '*[^0-9]*'",
    "'a' REGEXP 'a'",
    "'a' NOT REGEXP 'b'",
    "'a' MATCH 'a'",
    "'a' NOT MATCH 'b'",
    "like('a%', 'abc')",
    "glob('a*', 'abc')",
    // COLLATE
    "'A' = 'a' COLLATE NOCASE",
    "'a ' = 'a' COLLATE RTRIM",
    "'B' < 'a' COLLATE BINARY",
    "'a' COLLATE nocase",
    // CASE and CAST
    "CASE WHEN 1 THEN 'a' ELSE 'b' END",
    "CASE 2 WHEN 1 THEN 'a' WHEN 2 THEN 'b' END",
    "CASE WHEN 0 THEN 1 END",
    "CASE 0x10 WHEN 16 THEN 'int' WHEN X'10' THEN 'blob' END",
    "CAST('12abc' AS INTEGER)",
    "CAST(0x10 AS TEXT)",
    "CAST(X'3132' AS INTEGER)",
    "CAST(1 AS REAL)",
    "CAST('1e3' AS NUMERIC)",
    "CAST(3.0 AS NUMERIC)",
    "CAST('x' AS BLOB)",
    "CAST(1.9 AS INT)",
    "CAST(9223372036854775808 AS INTEGER)",
    // functions
    "abs(-0x10)",
    "hex(0x10)",
    "hex(X'10')",
    "length(X'0102')",
    "typeof(0x10)",
    "typeof(X'10')",
    "typeof(1e3)",
    "typeof(9223372036854775808)",
    "coalesce(NULL, 0x1)",
    "ifnull(NULL, 'x')",
    "nullif(1, 1)",
    "iif(1, 'y', 'n')",
    "instr('abc', 'c')",
    "lower('AB')",
    "upper('ab')",
    "substr('abcdef', 2, 3)",
    "substring('abc', 2)",
    "replace('aXb', 'X', '-')",
    "trim('  a ')",
    "ltrim('xxa', 'x')",
    "round(2.5)",
    "round(-2.5)",
    "round(1.2345, 2)",
    "max(1, 0x2, 3.0)",
    "min('a', 'b')",
    "printf('%d-%s', 0x10, 'x')",
    "format('%05.1f', 3.14159)",
    "quote('it''s')",
    "quote(X'00')",
    "quote(0x10)",
    "unicode('é')",
    "char(72, 105)",
    "zeroblob(2)",
    "length('é')",
    "unhex('10')",
    "sign(-3)",
    "likelihood(1, 0.5)",
    "likely(1)",
    "unlikely(0)",
    "count(*)",
    "total(1)",
    "group_concat('a')",
    "date('2024-01-31', '+1 month')",
    "strftime('%Y', '2024-05-06')",
    "julianday('2000-01-01')",
    "unixepoch('1970-01-02')",
    "time('12:34:56')",
    "datetime(0, 'unixepoch')",
    // JSON
    "json('{\"a\":1}')",
    "json_extract('{\"a\":[1,2]}', '$.a[1]')",
    "'{\"a\":1}' -> '$.a'",
    "'{\"a\":1}' ->> '$.a'",
    "'{\"a\":\"x\"}' ->> 'a'",
    "'{\"a\":\"x\"}' -> 'a'",
    "'[1,2,3]' -> 2",
    "'[1,2,3]' ->> -1",
    "json_array(1, 'a', NULL)",
    "json_object('k', 0x10)",
    "json_type('{\"a\":1.5}', '$.a')",
    "json_valid('{')",
    "json_array_length('[1,2]')",
    // whitespace and comments
    "1 /* c */ + 2",
    "1 -- c\n + 2",
    "1\n+\t2",
    "  ( 1 )  ",
];

/// The value and storage class SQLite gives `sql` (as one column), or its error.
fn eval(conn: &mut Connection, sql: &str) -> Result<(Value, String), String> {
    let row = conn
        .query_row(&format!("SELECT x, typeof(x) FROM ({sql})"), &[])
        .map_err(|e| e.to_string())?;
    let v = row.values().to_vec();
    match v.as_slice() {
        [x, Value::Text(t)] => Ok((x.clone(), t.clone())),
        other => Err(format!("unexpected row {other:?}")),
    }
}

fn same(a: &Result<(Value, String), String>, b: &Result<(Value, String), String>) -> bool {
    match (a, b) {
        (Ok((Value::Float(x), t)), Ok((Value::Float(y), u))) => {
            x.to_bits() == y.to_bits() && t == u
        }
        (Ok(x), Ok(y)) => x == y,
        (Err(_), Err(_)) => true,
        _ => false,
    }
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Every way dqmig reads an expression and writes it back, as `(how, SELECT-able text)`.
fn renderings(e: &str) -> Vec<(&'static str, String)> {
    let t = Ident::new("t");
    let mut out = Vec::new();
    let toml = format!(
        "[tables.t]\ncolumns = [ {{ name = \"a\", type = \"integer\", check = {} }} ]\n",
        toml_string(e)
    );
    let s = load_toml_str("models.toml", &toml)
        .unwrap_or_else(|err| panic!("models.toml check `{e}`: {err}"));
    out.push((
        "models.toml check",
        s.tables[&t].checks[0].expr.text().to_string(),
    ));

    let sql = format!("CREATE TABLE t (a INTEGER, b AS ({e}), CHECK ({e}));\nCREATE INDEX i ON t (({e})) WHERE {e};\nCREATE VIEW v AS SELECT ({e}) AS x;\nCREATE TRIGGER tr AFTER INSERT ON t WHEN {e} BEGIN SELECT {e}; END");
    let s = load_sql_str("schema.sql", &sql)
        .unwrap_or_else(|err| panic!("schema.sql with `{e}`: {err}"));
    let table = &s.tables[&t];
    out.push(("schema.sql check", table.checks[0].expr.text().to_string()));
    let generated = table.columns[1]
        .generated
        .as_ref()
        .map(|g| g.expr.text().to_string())
        .unwrap_or_default();
    out.push(("schema.sql generated", generated));
    let index = &table.indexes[&Ident::new("i")];
    out.push((
        "schema.sql index WHERE",
        index
            .predicate
            .as_ref()
            .map(|p| p.text().to_string())
            .unwrap_or_default(),
    ));
    match &index.parts[0].target {
        IndexTarget::Expr(x) => out.push(("schema.sql index expression", x.text().to_string())),
        IndexTarget::Column(c) => out.push(("schema.sql index column", quote_ident(c.as_str()))),
    }
    out.push((
        "schema.sql view",
        format!(
            "(SELECT x FROM ({}))",
            s.views[&Ident::new("v")].query.text()
        ),
    ));
    // Schema::to_sql (inspect --format sql) reads back to the same schema.
    let again = load_sql_str("rendered.sql", &s.to_sql())
        .unwrap_or_else(|err| panic!("rendered schema of `{e}`: {err}\n{}", s.to_sql()));
    assert_eq!(
        again,
        s,
        "`{e}`: the rendered schema reads back different:\n{}",
        s.to_sql()
    );
    // to_toml (inspect --format toml) too.
    let again = load_toml_str("rendered.toml", &to_toml(&s))
        .unwrap_or_else(|err| panic!("rendered TOML of `{e}`: {err}\n{}", to_toml(&s)));
    assert_eq!(
        again,
        s,
        "`{e}`: the rendered TOML reads back different:\n{}",
        to_toml(&s)
    );

    let d = load_sql_str("schema.sql", &format!("CREATE TABLE t (a DEFAULT ({e}))"))
        .unwrap_or_else(|err| panic!("DEFAULT ({e}): {err}"));
    let default = d.tables[&t].columns[0]
        .default
        .clone()
        .unwrap_or(DefaultValue::Null);
    assert_eq!(
        DefaultValue::from_sql(&default.to_sql()),
        default,
        "DEFAULT ({e}) renders as {}",
        default.to_sql()
    );
    out.push(("DEFAULT", default.to_sql()));
    out
}

#[test]
fn every_rendered_expression_means_what_was_written() {
    assert!(CORPUS.len() >= 150, "only {} expressions", CORPUS.len());
    let node = support::start_node();
    let mut conn = Connection::open(&node.address, "corpus.db").unwrap();
    conn.execute_batch("CREATE TABLE corpus (x); INSERT INTO corpus VALUES (1), (2), (3)")
        .unwrap();
    let mut failures = Vec::new();
    for e in CORPUS {
        let want = eval(&mut conn, &format!("SELECT ({e}) AS x"));
        let renderings = renderings(e);
        // One query for every rendering; one by one only when it fails.
        let batch: Vec<String> = renderings
            .iter()
            .map(|(_, r)| format!("SELECT ({r}) AS x"))
            .collect();
        let columns: Vec<String> = batch
            .iter()
            .map(|b| format!("(SELECT x FROM ({b})), (SELECT typeof(x) FROM ({b}))"))
            .collect();
        let all = conn.query(&format!("SELECT ({e}), {}", columns.join(", ")), &[]);
        let batched_ok = match (&want, &all) {
            (Ok(_), Ok(rows)) => rows.rows.first().is_some_and(|row| {
                let v = row.values();
                renderings.iter().enumerate().all(|(i, _)| {
                    let got = match (&v[1 + 2 * i], &v[2 + 2 * i]) {
                        (x, Value::Text(t)) => Ok((x.clone(), t.clone())),
                        other => Err(format!("{other:?}")),
                    };
                    same(&want, &got)
                })
            }),
            _ => false,
        };
        if batched_ok {
            continue;
        }
        for ((how, r), select) in renderings.iter().zip(&batch) {
            let got = eval(&mut conn, select);
            if !same(&want, &got) {
                failures.push(format!("{how}: `{e}` -> `{r}`: {want:?} vs {got:?}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} renderings differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Fault 3 through the binary: a hex CHECK from models.toml refuses the rows it should after
/// `upgrade head`, hex defaults keep their value, and `check` agrees with the models.
#[test]
fn hex_literals_in_models_stay_integers_through_upgrade() {
    let p = Project::new();
    p.set_models(
        r#"[tables.flagged]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "flags", type = "integer", nullable = false, check = "flags & 0x10 = 0" },
  { name = "mask", type = "integer", default_expr = "0XfF" },
  { name = "minus", type = "integer", default_expr = "-0x1" },
  { name = "low", type = "integer", generated = "flags & 0xF" },
]
indexes = [ { name = "flagged_bit", columns = ["flags"], where = "flags & 0x1 = 0x1" } ]
"#,
    );
    let (_, text, _) = p.autogenerate("flags", &[]);
    assert!(
        text.contains("flags & 0x10 = 0")
            && text.contains("flags & 0xF")
            && text.contains("0x1 = 0x1"),
        "{text}"
    );
    assert!(!text.contains("X'"), "a hex integer became a blob:\n{text}");
    p.ok(&["upgrade", "head"]);

    let r = p.run(&["sql", "INSERT INTO flagged (flags) VALUES (16)"]);
    assert_eq!(
        r.code, 2,
        "flags = 16 was accepted: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stderr.contains("CHECK constraint failed"), "{}", r.stderr);
    p.ok(&["sql", "INSERT INTO flagged (flags) VALUES (47)"]);
    let r = p.ok(&["sql", "--json", "SELECT mask, minus, low FROM flagged"]);
    assert!(
        r.stdout.contains("\"mask\":255")
            && r.stdout.contains("\"minus\":-1")
            && r.stdout.contains("\"low\":15"),
        "{}",
        r.stdout
    );
    let r = p.ok(&[
        "sql",
        "--json",
        "SELECT count(*) AS n FROM flagged INDEXED BY flagged_bit WHERE flags & 0x1 = 0x1",
    ]);
    assert!(r.stdout.contains("\"n\":1"), "{}", r.stdout);

    let r = p.ok(&["check"]);
    assert!(r.stderr.contains("agree"), "{}", r.stderr);
    let r = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
}

const LEGACY: &str = "CREATE TABLE legacy (id INTEGER PRIMARY KEY, code TEXT CHECK (code NOT GLOB '*[^0-9]*'), \
                      note TEXT CHECK (note ISNULL OR length(note) > 0), tag TEXT CHECK (tag NOTNULL), \
                      alt TEXT CHECK (alt NOT NULL OR alt IS NOT DISTINCT FROM NULL), mask INTEGER DEFAULT 0XfF, \
                      low INTEGER AS (mask & 0XF))";

/// Fault 4 through the binary: a table whose CHECKs use syntax sqlparser cannot read loads in
/// `inspect`, `check` and `revision --autogenerate`, and round-trips through models.toml.
#[test]
fn legacy_sqlite_syntax_does_not_block_the_database() {
    let p = Project::new();
    p.ok(&["sql", LEGACY]);
    p.ok(&[
        "sql",
        "CREATE INDEX legacy_code ON legacy (code) WHERE code NOTNULL AND code NOT GLOB '9*'",
    ]);
    p.ok(&["sql", "CREATE VIEW legacy_numbers AS SELECT id FROM legacy WHERE code IS NOT DISTINCT FROM '1' OR note ISNULL"]);
    p.ok(&[
        "sql",
        "CREATE TRIGGER legacy_guard BEFORE INSERT ON legacy WHEN new.code NOT GLOB '[0-9]*' \
                   BEGIN SELECT RAISE(ABORT, 'code') WHERE new.note ISNULL; END",
    ]);

    let r = p.ok(&["inspect"]);
    assert!(
        r.stdout.contains("code NOT GLOB '*[^0-9]*'") && r.stdout.contains("note ISNULL OR"),
        "{}",
        r.stdout
    );
    // The models (users, posts) differ from the database: drift, not an error.
    let r = p.run(&["check"]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let (_, text, _) = p.autogenerate("adopt", &[]);
    assert!(text.contains("DROP TABLE \"legacy\""), "{text}");
    assert!(
        text.contains("code NOT GLOB '*[^0-9]*'") && text.contains("alt IS NOT DISTINCT FROM NULL"),
        "{text}"
    );
    std::fs::remove_file(p.revisions().remove(0)).unwrap();

    // Adopted as the models: they agree, and nothing is to be generated.
    let toml = p.ok(&["inspect", "--format", "toml"]).stdout;
    p.set_models(&toml);
    let r = p.ok(&["check"]);
    assert!(r.stderr.contains("agree"), "{}\n{toml}", r.stderr);
    let r = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert!(r.stderr.contains("no changes"), "{}", r.stderr);
    let sql = p.ok(&["inspect", "--format", "sql"]).stdout;
    let s = load_sql_str("inspect.sql", &sql).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    assert_eq!(s, load_toml_str("models.toml", &toml).unwrap());
}

/// A hand-made table with a hex CHECK, adopted into the models, then rebuilt for an
/// unrelated change (a NOT NULL column made nullable): the CHECK still refuses its rows.
#[test]
fn hex_check_survives_a_rebuild_for_an_unrelated_column() {
    let p = Project::new();
    p.ok(&["sql", "CREATE TABLE adopted (id INTEGER PRIMARY KEY, flags INTEGER CHECK (flags & 0x10 = 0), note TEXT NOT NULL)"]);
    let toml = p.ok(&["inspect", "--format", "toml"]).stdout;
    let line = toml
        .lines()
        .find(|l| l.contains("\"note\""))
        .unwrap_or_else(|| panic!("no note column in\n{toml}"));
    assert!(line.contains("nullable = false"), "{line}");
    p.set_models(&toml.replace(line, &line.replace(", nullable = false", "")));
    let (_, text, _) = p.autogenerate("note optional", &[]);
    assert!(text.contains("INSERT INTO"), "expected a rebuild:\n{text}");
    assert!(
        text.contains("flags & 0x10 = 0") && !text.contains("X'10'"),
        "{text}"
    );
    p.ok(&["upgrade", "head"]);

    p.ok(&["sql", "INSERT INTO adopted (flags, note) VALUES (1, NULL)"]);
    let r = p.run(&["sql", "INSERT INTO adopted (flags, note) VALUES (16, NULL)"]);
    assert_eq!(
        r.code, 2,
        "flags = 16 was accepted after the rebuild: {}{}",
        r.stdout, r.stderr
    );
    assert!(r.stderr.contains("CHECK constraint failed"), "{}", r.stderr);
    let r = p.ok(&["check"]);
    assert!(r.stderr.contains("agree"), "{}", r.stderr);
}
