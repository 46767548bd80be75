//! Model loaders: the fixture corpus (models.toml and schema.sql of the same schema load
//! to equal `Schema`s, and the rendered DDL loads back to the same `Schema`), the bad-file
//! corpus (every message names file:line:column and the problem), and the command source.

use dqmig::models::{load_command, load_file, load_sql_str, load_toml_str, to_toml, LoadError};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../dqmig/tests/fixtures")
}

fn schema_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(fixtures().join("schemas"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

#[test]
fn corpus_is_large_enough() {
    let n = schema_dirs().len();
    assert!(
        n >= 40,
        "the fixture corpus has {n} schemas; it needs at least 40"
    );
}

#[test]
fn toml_and_sql_forms_load_equal() {
    let mut failures = Vec::new();
    for dir in schema_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let from_toml = load_file(&dir.join("models.toml"));
        let from_sql = load_file(&dir.join("schema.sql"));
        match (from_toml, from_sql) {
            (Ok(a), Ok(b)) => {
                if a != b {
                    failures.push(format!("{name}: models.toml and schema.sql differ:\n--- toml ---\n{}\n--- sql ---\n{}\n{a:#?}\n{b:#?}", a.to_sql(), b.to_sql()));
                    continue;
                }
                // The TOML writer's output loads back to the same schema.
                let toml = to_toml(&a);
                match load_toml_str("<written>", &toml) {
                    Ok(c) if c == a => {}
                    Ok(c) => failures.push(format!(
                        "{name}: written TOML loads back different:\n{toml}\n{a:#?}\n{c:#?}"
                    )),
                    Err(e) => {
                        failures.push(format!("{name}: written TOML does not load: {e}\n{toml}"))
                    }
                }
                // What the renderer writes loads back to the same schema, and renders
                // the same text again (a fixed point).
                let sql = a.to_sql();
                match load_sql_str("<rendered>", &sql) {
                    Ok(c) if c == a => {
                        assert_eq!(c.to_sql(), sql, "{name}: rendering is not a fixed point");
                    }
                    Ok(c) => failures.push(format!(
                        "{name}: rendered DDL loads back different:\n{sql}\n{a:#?}\n{c:#?}"
                    )),
                    Err(e) => {
                        failures.push(format!("{name}: rendered DDL does not load: {e}\n{sql}"))
                    }
                }
            }
            (Err(e), _) => failures.push(format!("{name}: models.toml: {e}")),
            (_, Err(e)) => failures.push(format!("{name}: schema.sql: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Each bad file starts with `# expect: LINE:COL: text` (TOML) or `-- expect: LINE:COL: text`
/// (SQL): the error must name the file at that place and contain the text.
#[test]
fn bad_files_name_the_place_and_the_problem() {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(fixtures().join("bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(
        entries.len() >= 25,
        "only {} bad model files; need at least 25",
        entries.len()
    );
    let mut failures = Vec::new();
    for path in entries {
        let text = std::fs::read_to_string(&path).unwrap();
        let first = text.lines().next().unwrap_or("");
        let expect = first
            .strip_prefix("# expect: ")
            .or_else(|| first.strip_prefix("-- expect: "))
            .unwrap_or_else(|| panic!("{} lacks an `expect:` first line", path.display()));
        let (place, want) = {
            let mut it = expect.splitn(3, ':');
            let (l, c, rest) = (it.next().unwrap(), it.next().unwrap(), it.next().unwrap());
            (
                format!("{}:{}:{}:", path.display(), l.trim(), c.trim()),
                rest.trim().to_string(),
            )
        };
        match load_file(&path) {
            Ok(_) => failures.push(format!("{}: loaded without error", path.display())),
            Err(e @ LoadError::Invalid { .. }) => {
                let msg = e.to_string();
                if !msg.starts_with(&place) || !msg.contains(&want) {
                    failures.push(format!(
                        "{}:\n  got:  {msg}\n  want: {place} ... {want}",
                        path.display()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: wrong error kind: {e}", path.display())),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn command_source_reads_stdout_and_reports_failures() {
    let dir = fixtures().join("schemas/users_posts");
    let from_cmd = load_command("cat models.toml", &dir).unwrap();
    let from_file = load_file(&dir.join("models.toml")).unwrap();
    assert_eq!(from_cmd, from_file);

    let err = load_command("echo oops >&2; exit 3", &dir)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("exit status: 3") && err.contains("oops"),
        "{err}"
    );

    let err = load_command("false", &dir).unwrap_err().to_string();
    assert!(err.contains("it wrote nothing on stderr"), "{err}");

    // A command that never ends is killed (with what it started) after the bound.
    let err = dqmig::models::load_command_within(
        "sleep 100 & sleep 100",
        &dir,
        std::time::Duration::from_secs(1),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("`sleep 100 & sleep 100`") && err.contains("did not finish within 1 s"),
        "{err}"
    );

    // A command that exits but leaves a background process holding its stdout: the output
    // ends when the group is stopped (it waited for the 100 s sleep; fresh-user pass).
    let started = std::time::Instant::now();
    let from_cmd = dqmig::models::load_command_within(
        "(sleep 100 &) ; cat models.toml",
        &dir,
        std::time::Duration::from_secs(30),
    )
    .unwrap();
    assert_eq!(from_cmd, from_file);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "the load waited for the background process: {:?}",
        started.elapsed()
    );

    let err = load_command(
        "printf '[tables.t]\\ncolumns = [ { name = \"a\", type = \"nope\" } ]\\n'",
        &dir,
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("<output of `printf"), "{err}");
    assert!(err.contains(":2:34: unknown type `nope`"), "{err}");
}

#[test]
fn missing_file_is_a_read_error() {
    let err = load_file(Path::new("/nonexistent/models.toml")).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/models.toml"));
}

#[test]
fn spellings_sqlite_treats_alike_compare_equal() {
    let load = |sql: &str| load_sql_str("t.sql", sql).unwrap_or_else(|e| panic!("{e}"));
    let same = [
        ("CREATE TABLE T (ID INTEGER PRIMARY KEY)", "create table \"t\" (\"id\" integer not null, primary key (id))"),
        ("CREATE TABLE t (a TEXT UNIQUE)", "CREATE TABLE t (a TEXT, UNIQUE (a))"),
        ("CREATE TABLE t (a INTEGER DEFAULT '1')", "CREATE TABLE t (a INTEGER DEFAULT 1)"),
        ("CREATE TABLE t (a TEXT DEFAULT 1)", "CREATE TABLE t (a TEXT DEFAULT '1')"),
        ("CREATE TABLE t (a TEXT COLLATE binary)", "CREATE TABLE t (a TEXT)"),
        ("CREATE TABLE t (a INT CHECK (a > 0))", "CREATE TABLE t (a INT, CHECK (\"A\">0))"),
        ("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INT REFERENCES p)", "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INT, FOREIGN KEY (p) REFERENCES p (id))"),
        ("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INT REFERENCES p (id) DEFERRABLE INITIALLY IMMEDIATE)", "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INT REFERENCES p (id) NOT DEFERRABLE)"),
        ("CREATE TABLE t (a TEXT PRIMARY KEY) WITHOUT ROWID", "CREATE TABLE t (a TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID"),
        ("CREATE TABLE t (a TEXT COLLATE NOCASE); CREATE INDEX i ON t (a COLLATE nocase ASC)", "CREATE TABLE t (a TEXT COLLATE NOCASE); CREATE INDEX i ON t (a)"),
        ("CREATE TABLE t (a VARCHAR ( 10 ))", "CREATE TABLE t (a varchar(10))"),
        ("CREATE TABLE t (a TEXT); CREATE INDEX i ON t (((a)))", "CREATE TABLE t (a TEXT); CREATE INDEX i ON t (A)"),
        ("CREATE TABLE t (a TEXT); CREATE INDEX i ON t (lower(a))", "CREATE TABLE t (a TEXT); CREATE INDEX i ON t ((LOWER(\"A\")))"),
        ("CREATE TABLE t (a TEXT); CREATE VIEW v AS SELECT a FROM t", "CREATE TABLE t (a TEXT); CREATE VIEW \"V\" AS select \"a\"  from T"),
    ];
    for (a, b) in same {
        assert_eq!(load(a), load(b), "\n{a}\n{b}");
    }
    let different = [
        ("CREATE TABLE t (a INT PRIMARY KEY)", "CREATE TABLE t (a INTEGER PRIMARY KEY)"),
        ("CREATE TABLE t (a TEXT PRIMARY KEY)", "CREATE TABLE t (a TEXT NOT NULL PRIMARY KEY)"),
        ("CREATE TABLE t (a BLOB DEFAULT '1')", "CREATE TABLE t (a BLOB DEFAULT 1)"),
        ("CREATE TABLE t (a TEXT DEFAULT 'x')", "CREATE TABLE t (a TEXT DEFAULT 'X')"),
        ("CREATE TABLE t (a TEXT UNIQUE)", "CREATE TABLE t (a TEXT); CREATE UNIQUE INDEX u ON t (a)"),
        ("CREATE TABLE t (a TEXT, b TEXT)", "CREATE TABLE t (b TEXT, a TEXT)"),
        ("CREATE TABLE t (a TEXT); CREATE INDEX i ON t (a)", "CREATE TABLE t (a TEXT); CREATE INDEX i ON t (a DESC)"),
        ("CREATE TABLE t (a TEXT); CREATE INDEX i ON t (a)", "CREATE TABLE t (a TEXT); CREATE INDEX i ON t (a COLLATE NOCASE)"),
        ("CREATE TABLE t (a TEXT); CREATE INDEX i ON t (a)", "CREATE TABLE t (a TEXT); CREATE INDEX i ON t (a) WHERE a IS NOT NULL"),
        ("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INT REFERENCES p (id))", "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INT REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)"),
        ("CREATE TABLE t (a TEXT, CONSTRAINT u1 UNIQUE (a))", "CREATE TABLE t (a TEXT, CONSTRAINT u2 UNIQUE (a))"),
        ("CREATE TABLE t (a TEXT)", "CREATE TABLE t (a TEXT) STRICT"),
        ("CREATE TABLE \"a b\" (x TEXT)", "CREATE TABLE ab (x TEXT)"),
    ];
    for (a, b) in different {
        assert_ne!(load(a), load(b), "\n{a}\n{b}");
    }
}

#[test]
fn toml_string_defaults_are_literals() {
    let a = load_toml_str("m.toml", "[tables.t]\ncolumns = [ { name = \"s\", type = \"text\", default = \"draft\" }, { name = \"n\", type = \"integer\", default = \"1\" } ]\n").unwrap();
    let b = load_sql_str(
        "s.sql",
        "CREATE TABLE t (s TEXT DEFAULT 'draft', n INTEGER DEFAULT 1)",
    )
    .unwrap();
    assert_eq!(a, b);
}

/// Truncating every fixture at many places (and splicing junk in) gives errors, never panics.
#[test]
fn damaged_files_never_panic() {
    for dir in schema_dirs() {
        for file in ["models.toml", "schema.sql"] {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            let mut cut = 0;
            while cut < text.len() {
                if text.is_char_boundary(cut) {
                    let head = &text[..cut];
                    let spliced = format!("{head}\"'([{{;{}", &text[cut..]);
                    for input in [head, spliced.as_str()] {
                        let _ = if file.ends_with(".sql") {
                            load_sql_str(file, input)
                        } else {
                            load_toml_str(file, input)
                        };
                    }
                }
                cut += 7;
            }
        }
    }
}

mod no_panic {
    use dqmig::models::{load_sql_str, load_toml_str};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn arbitrary_sql_never_panics(s in "(CREATE|TABLE|INDEX|VIEW|TRIGGER|ON|t|a|\\(|\\)|,|;|INTEGER|PRIMARY|KEY|REFERENCES|DEFAULT|'x'|1|-|CHECK|UNIQUE|AS|SELECT| ){0,40}") {
            let _ = load_sql_str("p.sql", &s);
        }

        #[test]
        fn arbitrary_toml_never_panics(s in "(\\[tables\\.t\\]|columns|=|\\[|\\]|\\{|\\}|name|type|\"a\"|\"integer\"|\"enum\\(\"|references|\"t\\.a\"|primary_key|true|,|\n| ){0,40}") {
            let _ = load_toml_str("p.toml", &s);
        }
    }
}

#[test]
fn remapped_types_load_only_when_reading_an_existing_database() {
    use dqmig::models::{load_sql_str_with, SqlOptions};
    let ddl = "CREATE TABLE t (at DATETIME, ok BOOLEAN)";
    assert!(load_sql_str("s.sql", ddl).is_err());
    let s = load_sql_str_with(
        "<database>",
        ddl,
        SqlOptions {
            allow_remapped_types: true,
        },
    )
    .unwrap();
    let t = s.tables.values().next().unwrap();
    assert_eq!(t.columns[0].sql_type.as_str(), "DATETIME");
    assert!(t.columns[1].sql_type.is_remapped_by_dqlite());
}

#[test]
fn written_toml_keeps_awkward_values() {
    let sql = "CREATE TABLE \"tab\tle\" (\"new\nline\" TEXT DEFAULT 'NULL', b TEXT DEFAULT 'current_date', \
               c TEXT DEFAULT NULL, d INTEGER DEFAULT ((1) + (2)), e REAL DEFAULT 1e100, f TEXT DEFAULT 'back\\slash \"q\"')";
    let schema = load_sql_str("s.sql", sql).unwrap();
    let toml = to_toml(&schema);
    assert!(toml.contains("default_expr = \"'NULL'\""), "{toml}");
    assert!(toml.contains("default_expr = \"'current_date'\""), "{toml}");
    assert!(toml.contains("default = \"NULL\""), "{toml}");
    assert_eq!(load_toml_str("w.toml", &toml).unwrap(), schema, "{toml}");
}
