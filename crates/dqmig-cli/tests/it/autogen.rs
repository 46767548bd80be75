//! Autogenerate on a real node: for many pairs (a, b) of schemas, a database holding `a`
//! with rows, the rendered up SQL (foreign keys off around rebuilds, then
//! `PRAGMA foreign_key_check`) gives `b` as the introspector reads it, down gives `a` back,
//! and every row of every column both keep is unchanged. Plus rebuild safety (cascading
//! children, triggers/views/unnamed CHECKs, a rebuild failing midway) and renames.

use dqmig::autogen::{diff, render, RenameHints, Script};
use dqmig::client::{Connection, Value};
use dqmig::introspect::{introspect, IntrospectOptions};
use dqmig::models::load_sql_str;
use dqmig::params;
use dqmig::schema::{Ident, Schema};

use crate::support::{start_node, TestNode};

fn open(t: &TestNode, db: &str) -> Connection {
    Connection::open(&t.address, db).expect("opening a database on the test node")
}

fn schema(sql: &str) -> Schema {
    load_sql_str("<test>", sql).unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

fn live(c: &mut Connection) -> Schema {
    introspect(c, &IntrospectOptions::default()).expect("introspecting the test database")
}

/// Runs a script as the runner will: foreign keys off around a step that
/// needs it, one transaction, `foreign_key_check` before COMMIT. Rolls back on error.
fn run(c: &mut Connection, s: &Script, fk_off: bool) -> Result<(), String> {
    let off = s.needs_fk_off && fk_off;
    if off {
        c.execute("PRAGMA foreign_keys=OFF", params![]).unwrap();
    }
    c.execute("BEGIN", params![]).unwrap();
    let mut result = Ok(());
    for stmt in &s.stmts {
        if let Err(e) = c.execute(&stmt.sql, params![]) {
            result = Err(format!("{e}\n  in: {}", stmt.sql));
            break;
        }
    }
    if result.is_ok() && off {
        let rows = c.query("PRAGMA foreign_key_check", params![]).unwrap();
        if !rows.is_empty() {
            result = Err(format!("{} foreign key violations", rows.len()));
        }
    }
    match &result {
        Ok(()) => {
            c.execute("COMMIT", params![]).unwrap();
        }
        Err(_) => {
            c.execute("ROLLBACK", params![]).unwrap();
        }
    }
    if off {
        c.execute("PRAGMA foreign_keys=ON", params![]).unwrap();
    }
    result
}

fn create(c: &mut Connection, s: &Schema) {
    for stmt in s.to_sql().split(";\n").filter(|x| !x.trim().is_empty()) {
        c.execute(stmt, params![])
            .unwrap_or_else(|e| panic!("{e}\n{stmt}"));
    }
}

/// A value for a column by its name (the pair schemas below use these names).
fn value_for(col: &str, i: i64) -> Value {
    match col {
        "id" => Value::Integer(i),
        "p_id" => Value::Integer(i % 5 + 1),
        "name" => Value::Text(format!("n{i}")),
        "title" if i % 3 == 0 => Value::Null,
        "title" => Value::Text(format!("t{i}")),
        "score" => Value::Integer(i * 10),
        "note" => Value::Text(format!("note {i}")),
        "flag" => Value::Integer(i % 2),
        _ => Value::Null,
    }
}

/// 5 rows in `p`, 12 in `c`, none in other tables (parents first).
fn fill(c: &mut Connection, s: &Schema) {
    for (table, n) in [("p", 5), ("c", 12)] {
        let Some(t) = s.tables.get(&Ident::new(table)) else {
            continue;
        };
        let cols: Vec<&dqmig::schema::Column> =
            t.columns.iter().filter(|c| c.generated.is_none()).collect();
        let marks = vec!["?"; cols.len()].join(", ");
        let quoted: Vec<String> = cols.iter().map(|c| c.name.quoted()).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            dqmig::schema::quote_ident(table),
            quoted.join(", ")
        );
        for i in 1..=n {
            let values: Vec<Value> = cols
                .iter()
                .map(|c| match value_for(c.name.as_str(), i) {
                    Value::Null if !c.nullable => Value::Text(String::new()),
                    v => v,
                })
                .collect();
            let refs: Vec<&dyn dqmig::client::ToValue> = values
                .iter()
                .map(|v| v as &dyn dqmig::client::ToValue)
                .collect();
            c.execute(&sql, &refs)
                .unwrap_or_else(|e| panic!("{e}\n{sql}"));
        }
    }
}

/// Rows (ordered by rowid) of the columns that `a` and `b` define identically, per table.
fn kept_rows(c: &mut Connection, a: &Schema, b: &Schema) -> Vec<(String, Vec<Vec<Value>>)> {
    let mut out = Vec::new();
    for ta in a.tables.values() {
        let Some(tb) = b.tables.get(&ta.name) else {
            continue;
        };
        let cols: Vec<String> = ta
            .columns
            .iter()
            .filter(|ca| tb.column(&ca.name) == Some(*ca))
            .map(|c| c.name.quoted())
            .collect();
        let count = c
            .query_row(
                &format!("SELECT count(*) FROM {}", ta.name.quoted()),
                params![],
            )
            .unwrap()
            .get::<i64>(0)
            .unwrap();
        let rows = if cols.is_empty() {
            Vec::new()
        } else {
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                cols.join(", "),
                ta.name.quoted(),
                cols.join(", ")
            );
            c.query(&sql, params![])
                .unwrap()
                .into_iter()
                .map(|r| r.into_values())
                .collect()
        };
        out.push((
            format!("{} ({count} rows; {})", ta.name, cols.join(", ")),
            rows,
        ));
    }
    out
}

/// Every lint query of a script runs and counts (a non-negative integer).
fn lint_counts(c: &mut Connection, s: &Script) {
    for q in s.lint_queries() {
        let n = c
            .query_row(&q.sql, params![])
            .unwrap_or_else(|e| panic!("{e}\n{}", q.sql))
            .get::<i64>(0)
            .unwrap();
        assert!(n >= 0, "{}: {n}", q.what);
    }
}

const P: &str = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";

/// Schemas over the same two tables, each a small step from the first: together their
/// pairs exercise every ALTER and most rebuild causes.
fn variants() -> Vec<(&'static str, String)> {
    let c0 = "CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT, score INTEGER);";
    vec![
        ("base", format!("{P} {c0}")),
        ("add_note", format!("{P} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT, score INTEGER, note TEXT DEFAULT 'x');")),
        ("drop_score", format!("{P} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT);")),
        ("score_real", format!("{P} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT, score REAL);")),
        ("title_not_null", format!("{P} CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT NOT NULL DEFAULT '', score INTEGER);")),
        ("view_trigger_index", format!(
            "{P} {c0} CREATE INDEX c_title ON c (title); CREATE VIEW titles AS SELECT title FROM c WHERE title IS NOT NULL;
             CREATE TABLE log (msg TEXT); CREATE TRIGGER c_ins AFTER INSERT ON c BEGIN INSERT INTO log (msg) VALUES (NEW.title); END;"
        )),
        ("parent_changes", "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, flag INTEGER NOT NULL DEFAULT 0, CHECK (length(name) > 0));
             CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT, score INTEGER);".to_string()),
        ("reordered_strict", format!("{P} CREATE TABLE c (id INTEGER PRIMARY KEY, score INTEGER, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT) STRICT;")),
        ("new_table_fk", format!(
            "{P} CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT);
             CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE, title TEXT, score INTEGER, tag_id INTEGER REFERENCES tags(id));"
        )),
        ("no_fk_text_pk", "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
             CREATE TABLE c (id INTEGER NOT NULL, p_id INTEGER, title TEXT, score INTEGER, PRIMARY KEY (id, p_id)) WITHOUT ROWID;".to_string()),
    ]
}

#[test]
fn up_gives_b_down_gives_a_and_kept_rows_stay() {
    let t = start_node();
    let vs = variants();
    let mut failures = Vec::new();
    let mut n = 0;
    for (ai, (an, a_sql)) in vs.iter().enumerate() {
        for (bi, (bn, b_sql)) in vs.iter().enumerate() {
            if ai == bi {
                continue;
            }
            n += 1;
            let (a, b) = (schema(a_sql), schema(b_sql));
            let mut c = open(&t, &format!("pair_{ai}_{bi}"));
            create(&mut c, &a);
            fill(&mut c, &a);
            assert_eq!(
                live(&mut c),
                a,
                "{an}: the created database does not read back as a"
            );
            let ops = diff(&a, &b, &RenameHints::default());
            let r = render(&ops, &a).unwrap();
            let before = kept_rows(&mut c, &a, &b);
            lint_counts(&mut c, &r.up);
            if let Err(e) = run(&mut c, &r.up, true) {
                failures.push(format!("{an} -> {bn}: up failed: {e}\n{}", r.up.to_text()));
                continue;
            }
            let after_up = live(&mut c);
            if after_up != b {
                failures.push(format!(
                    "{an} -> {bn}: up gives\n{}\nnot\n{}",
                    after_up.to_sql(),
                    b.to_sql()
                ));
                continue;
            }
            assert_eq!(
                diff(&after_up, &b, &RenameHints::default()),
                vec![],
                "{an} -> {bn}: check is not clean"
            );
            if kept_rows(&mut c, &a, &b) != before {
                failures.push(format!(
                    "{an} -> {bn}: kept rows changed by up\n{}",
                    r.up.to_text()
                ));
            }
            lint_counts(&mut c, &r.down);
            if let Err(e) = run(&mut c, &r.down, true) {
                failures.push(format!(
                    "{an} -> {bn}: down failed: {e}\n{}",
                    r.down.to_text()
                ));
                continue;
            }
            let after_down = live(&mut c);
            if after_down != a {
                failures.push(format!(
                    "{an} -> {bn}: down gives\n{}\nnot\n{}",
                    after_down.to_sql(),
                    a.to_sql()
                ));
                continue;
            }
            if kept_rows(&mut c, &a, &b) != before {
                failures.push(format!(
                    "{an} -> {bn}: kept rows changed by down\n{}",
                    r.down.to_text()
                ));
            }
        }
    }
    assert_eq!(n, vs.len() * (vs.len() - 1));
    assert!(
        failures.is_empty(),
        "{} of {n} pairs failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

const FAMILY: &str = "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER NOT NULL REFERENCES p(id) ON DELETE CASCADE, title TEXT);";

fn values(c: &mut Connection, sql: &str) -> Vec<Vec<Value>> {
    c.query(sql, params![])
        .unwrap()
        .into_iter()
        .map(|r| r.into_values())
        .collect()
}

fn count(c: &mut Connection, table: &str) -> i64 {
    c.query_row(&format!("SELECT count(*) FROM {table}"), params![])
        .unwrap()
        .get::<i64>(0)
        .unwrap()
}

#[test]
fn rebuilding_a_parent_keeps_every_cascading_child_row() {
    let t = start_node();
    let a = schema(FAMILY);
    // Changing the parent's column type forces a rebuild of `p`.
    let b = schema(&FAMILY.replace(
        "name TEXT NOT NULL",
        "name VARCHAR(50) NOT NULL COLLATE NOCASE",
    ));
    let r = render(&diff(&a, &b, &RenameHints::default()), &a).unwrap();
    assert!(
        r.up.needs_fk_off && r.up.to_text().contains("DROP TABLE \"p\""),
        "{}",
        r.up.to_text()
    );

    // What the foreign-key handling prevents: with foreign keys on, the same statements
    // cascade the drop of the old parent into the children (rolled back here).
    let mut c = open(&t, "cascade_on");
    create(&mut c, &a);
    fill(&mut c, &a);
    assert_eq!(count(&mut c, "c"), 12);
    c.execute("BEGIN", params![]).unwrap();
    for s in &r.up.stmts {
        c.execute(&s.sql, params![]).unwrap();
    }
    assert_eq!(
        count(&mut c, "c"),
        0,
        "with foreign keys on, the rebuild deletes the children"
    );
    c.execute("ROLLBACK", params![]).unwrap();
    assert_eq!(count(&mut c, "c"), 12);

    // As the runner does it: every child row survives up and down.
    let mut c = open(&t, "cascade_off");
    create(&mut c, &a);
    fill(&mut c, &a);
    let children = c
        .query("SELECT id, p_id, title FROM c ORDER BY id", params![])
        .unwrap();
    run(&mut c, &r.up, true).unwrap();
    assert_eq!(live(&mut c), b);
    assert_eq!(
        c.query("SELECT id, p_id, title FROM c ORDER BY id", params![])
            .unwrap()
            .rows,
        children.rows
    );
    run(&mut c, &r.down, true).unwrap();
    assert_eq!(live(&mut c), a);
    assert_eq!(
        c.query("SELECT id, p_id, title FROM c ORDER BY id", params![])
            .unwrap()
            .rows,
        children.rows
    );
    // The cascade still works after the rebuilds.
    c.execute("DELETE FROM p WHERE id = 1", params![]).unwrap();
    assert_eq!(count(&mut c, "c"), 10); // the rows with p_id = 1 (i = 5, 10) went with it
}

#[test]
fn a_rebuild_keeps_the_trigger_the_view_and_the_unnamed_check() {
    let t = start_node();
    let base =
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL, CHECK (length(name) > 1));
        CREATE TABLE log (msg TEXT);
        CREATE VIEW names AS SELECT name FROM p;
        CREATE TRIGGER p_log AFTER INSERT ON p BEGIN INSERT INTO log (msg) VALUES (NEW.name); END;";
    let a = schema(base);
    let b = schema(&base.replace(
        "id INTEGER PRIMARY KEY, name",
        "id INTEGER PRIMARY KEY, score REAL NOT NULL DEFAULT 0.5, name",
    ));
    let r = render(&diff(&a, &b, &RenameHints::default()), &a).unwrap();
    assert!(
        r.up.to_text().contains("dqmig:rebuild"),
        "adding a column in the middle rebuilds:\n{}",
        r.up.to_text()
    );
    let mut c = open(&t, "keep_all");
    create(&mut c, &a);
    c.execute("INSERT INTO p (name) VALUES ('ab'), ('cd')", params![])
        .unwrap();
    run(&mut c, &r.up, true).unwrap();
    let got = live(&mut c);
    assert_eq!(got, b);
    let p = &got.tables[&Ident::new("p")];
    assert_eq!(p.checks.len(), 1, "the unnamed CHECK is kept");
    assert!(
        got.views.contains_key(&Ident::new("names"))
            && got.triggers.contains_key(&Ident::new("p_log"))
    );
    // ... and they still work.
    assert!(
        c.execute("INSERT INTO p (name) VALUES ('x')", params![])
            .is_err(),
        "the CHECK is enforced"
    );
    c.execute("INSERT INTO p (name) VALUES ('ef')", params![])
        .unwrap();
    assert_eq!(
        count(&mut c, "log"),
        3,
        "the trigger fired for the new row (and for the two before)"
    );
    assert_eq!(count(&mut c, "names"), 3);
    run(&mut c, &r.down, true).unwrap();
    assert_eq!(live(&mut c), a);
}

#[test]
fn a_rebuild_failing_midway_leaves_nothing_behind() {
    let t = start_node();
    let a = schema(FAMILY);
    let b = schema(&FAMILY.replace("title TEXT", "title TEXT, code TEXT NOT NULL"));
    let ops = diff(&a, &b, &RenameHints::default());
    let r = render(&ops, &a).unwrap();
    assert!(
        r.up.warnings.iter().any(|w| w.message.contains("NOT NULL")),
        "{:?}",
        r.up.warnings
    );
    let q = r.up.lint_queries();
    let mut c = open(&t, "fail_midway");
    create(&mut c, &a);
    fill(&mut c, &a);
    assert_eq!(q.len(), 1);
    assert_eq!(
        c.query_row(&q[0].sql, params![])
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        12,
        "{}",
        q[0].what
    );
    let before = c.query("SELECT * FROM c ORDER BY id", params![]).unwrap();
    let err = run(&mut c, &r.up, true).unwrap_err();
    assert!(err.contains("NOT NULL"), "{err}");
    let temps = c
        .query(
            "SELECT name FROM sqlite_master WHERE name LIKE '%dqmig%'",
            params![],
        )
        .unwrap();
    assert!(temps.is_empty(), "a temp table was left behind");
    assert_eq!(live(&mut c), a);
    assert_eq!(
        c.query("SELECT * FROM c ORDER BY id", params![])
            .unwrap()
            .rows,
        before.rows
    );
    let fk = c
        .query("SELECT * FROM pragma_foreign_keys", params![])
        .unwrap();
    assert_eq!(
        fk.rows[0].get::<i64>(0).unwrap(),
        1,
        "foreign keys are back on"
    );
}

#[test]
fn renamed_columns_and_tables_keep_their_data_through_up_and_down() {
    let t = start_node();
    let a = schema(FAMILY);
    let cases = [
        // ALTER TABLE ... RENAME COLUMN / RENAME TO, from flags.
        (
            FAMILY.replace("title TEXT", "heading TEXT"),
            vec!["c.title=heading"],
        ),
        (
            FAMILY
                .replace("TABLE p ", "TABLE parent ")
                .replace("REFERENCES p(id)", "REFERENCES parent(id)"),
            vec!["p=parent"],
        ),
        // A rename plus a type change: the rebuild copies through the column map.
        (
            FAMILY.replace("title TEXT", "heading VARCHAR(80) NOT NULL DEFAULT ''"),
            vec!["c.title=heading"],
        ),
    ];
    for (i, (b_sql, flags)) in cases.iter().enumerate() {
        let b = schema(b_sql);
        let mut hints = RenameHints::default();
        for f in flags {
            hints.add_flag(f).unwrap();
        }
        let ops = diff(&a, &b, &hints);
        assert!(
            ops.iter().all(|o| !matches!(
                o,
                dqmig::autogen::Op::DropColumn { .. } | dqmig::autogen::Op::DropTable(_)
            )),
            "{ops:#?}"
        );
        let r = render(&ops, &a).unwrap();
        let mut c = open(&t, &format!("rename_{i}"));
        create(&mut c, &a);
        fill(&mut c, &a);
        let before = values(
            &mut c,
            "SELECT id, p_id, coalesce(title, '') FROM c ORDER BY id",
        );
        run(&mut c, &r.up, true).unwrap();
        assert_eq!(live(&mut c), b, "{}", r.up.to_text());
        let col = if b_sql.contains("heading") {
            "heading"
        } else {
            "title"
        };
        let after = values(
            &mut c,
            &format!("SELECT id, p_id, coalesce({col}, '') FROM c ORDER BY id"),
        );
        assert_eq!(after, before, "{}", r.up.to_text());
        assert_eq!(
            count(
                &mut c,
                if b_sql.contains("parent") {
                    "parent"
                } else {
                    "p"
                }
            ),
            5
        );
        run(&mut c, &r.down, true).unwrap();
        assert_eq!(live(&mut c), a);
        let back = values(
            &mut c,
            "SELECT id, p_id, coalesce(title, '') FROM c ORDER BY id",
        );
        assert_eq!(back, before);
    }
    // The models hint (renamed_from) gives the same ops as the flag.
    let (b, renames) = dqmig::models::load_toml_with_renames(
        "m.toml",
        r#"
[tables.p]
columns = [ { name = "id", type = "integer", primary_key = true }, { name = "name", type = "text", nullable = false } ]
[tables.c]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "p_id", type = "integer", nullable = false, references = "p.id", on_delete = "cascade" },
  { name = "heading", type = "text", renamed_from = "title" },
]
"#,
    )
    .unwrap();
    let mut from_models = RenameHints::default();
    from_models.add_models(&renames);
    let mut from_flag = RenameHints::default();
    from_flag.add_flag("c.title=heading").unwrap();
    assert_eq!(diff(&a, &b, &from_models), diff(&a, &b, &from_flag));
}

/// Every fixture of the corpus: from an empty database, up creates it exactly (as the
/// introspector reads it back) and down empties the database again; then from the previous
/// fixture to this one and back (mostly drops and creates of whole objects).
#[test]
fn every_fixture_is_created_from_empty_and_dropped_again() {
    let t = start_node();
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../dqmig/tests/fixtures/schemas");
    let mut dirs: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 40);
    let empty = Schema::default();
    let mut failures = Vec::new();
    let mut previous: Option<Schema> = None;
    for (i, dir) in dirs.iter().enumerate() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let f = dqmig::models::load_file(&dir.join("models.toml")).unwrap();
        let mut c = open(&t, &format!("fixture_{i}"));
        let r = render(&diff(&empty, &f, &RenameHints::default()), &empty).unwrap();
        if let Err(e) = run(&mut c, &r.up, true) {
            failures.push(format!("{name}: up failed: {e}"));
            continue;
        }
        let got = live(&mut c);
        if got != f {
            failures.push(format!(
                "{name}: up gives\n{}\nnot\n{}",
                got.to_sql(),
                f.to_sql()
            ));
            continue;
        }
        if let Some(prev) = &previous {
            let there = render(&diff(&f, prev, &RenameHints::default()), &f).unwrap();
            match run(&mut c, &there.up, true).map(|_| live(&mut c)) {
                Ok(s) if &s == prev => {}
                Ok(s) => failures.push(format!("{name} -> previous: gives\n{}", s.to_sql())),
                Err(e) => failures.push(format!("{name} -> previous: {e}\n{}", there.up.to_text())),
            }
            match run(&mut c, &there.down, true).map(|_| live(&mut c)) {
                Ok(s) if s == f => {}
                Ok(s) => failures.push(format!("previous -> {name}: gives\n{}", s.to_sql())),
                Err(e) => {
                    failures.push(format!("previous -> {name}: {e}\n{}", there.down.to_text()))
                }
            }
        }
        if let Err(e) = run(&mut c, &r.down, true) {
            failures.push(format!("{name}: down failed: {e}"));
            continue;
        }
        if live(&mut c) != empty {
            failures.push(format!("{name}: down leaves objects behind"));
        }
        previous = Some(f);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Rebuilds in awkward places: a self-referencing table, a renamed parent whose child is
/// rebuilt in the same migration, an AUTOINCREMENT table (its sequence survives), a table
/// with an expression index and a partial index.
#[test]
fn awkward_rebuilds_keep_rows_and_shape() {
    let t = start_node();
    let cases: [(&str, &str, &str, &[&str]); 4] = [
        (
            "CREATE TABLE node (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node(id) ON DELETE CASCADE, label TEXT);",
            "CREATE TABLE node (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES node(id) ON DELETE CASCADE, label VARCHAR(20) NOT NULL DEFAULT '?');",
            "INSERT INTO node VALUES (1, NULL, 'root'), (2, 1, 'a'), (3, 2, NULL), (4, 2, 'c');",
            &[],
        ),
        (
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body TEXT);",
            "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT, user_id INTEGER REFERENCES people(id) ON DELETE CASCADE, body TEXT);",
            "INSERT INTO users VALUES (1, 'a'), (2, 'b'); INSERT INTO posts VALUES (1, 1, 'x'), (2, 2, 'y'), (3, 1, 'z');",
            &["users=people"],
        ),
        (
            "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);",
            "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, w INTEGER DEFAULT 0, v TEXT);",
            "INSERT INTO seq (v) VALUES ('a'), ('b'), ('c'); DELETE FROM seq WHERE id = 3;",
            &[],
        ),
        (
            "CREATE TABLE e (id INTEGER PRIMARY KEY, email TEXT, gone INTEGER); CREATE UNIQUE INDEX e_lower ON e (lower(email)) WHERE email IS NOT NULL; CREATE INDEX e_gone ON e (id) WHERE gone IS NULL;",
            "CREATE TABLE e (id INTEGER PRIMARY KEY, email TEXT COLLATE NOCASE); CREATE UNIQUE INDEX e_lower ON e (lower(email)) WHERE email IS NOT NULL;",
            "INSERT INTO e VALUES (1, 'A@x', NULL), (2, NULL, 1), (3, 'b@x', 2);",
            &[],
        ),
    ];
    for (i, (a_sql, b_sql, rows, flags)) in cases.iter().enumerate() {
        let (a, b) = (schema(a_sql), schema(b_sql));
        let mut hints = RenameHints::default();
        for f in *flags {
            hints.add_flag(f).unwrap();
        }
        let r = render(&diff(&a, &b, &hints), &a).unwrap();
        let mut c = open(&t, &format!("awkward_{i}"));
        create(&mut c, &a);
        c.execute_batch(rows).unwrap();
        let counts: Vec<i64> = a
            .tables
            .keys()
            .map(|n| count(&mut c, &n.quoted()))
            .collect();
        run(&mut c, &r.up, true).unwrap_or_else(|e| panic!("case {i} up: {e}\n{}", r.up.to_text()));
        assert_eq!(live(&mut c), b, "case {i}\n{}", r.up.to_text());
        let up_counts: Vec<i64> = b
            .tables
            .keys()
            .map(|n| count(&mut c, &n.quoted()))
            .collect();
        assert_eq!(
            up_counts.iter().sum::<i64>(),
            counts.iter().sum::<i64>(),
            "case {i}: rows lost by up"
        );
        run(&mut c, &r.down, true)
            .unwrap_or_else(|e| panic!("case {i} down: {e}\n{}", r.down.to_text()));
        assert_eq!(live(&mut c), a, "case {i}\n{}", r.down.to_text());
        let down_counts: Vec<i64> = a
            .tables
            .keys()
            .map(|n| count(&mut c, &n.quoted()))
            .collect();
        assert_eq!(down_counts, counts, "case {i}: rows lost by down");
    }
    // AUTOINCREMENT: the next id continues after the highest ever used (3, deleted), not 3.
    let mut c = open(&t, "awkward_2");
    c.execute("INSERT INTO seq (v) VALUES ('d')", params![])
        .unwrap();
    let id = c
        .query_row("SELECT max(id) FROM seq", params![])
        .unwrap()
        .get::<i64>(0)
        .unwrap();
    assert_eq!(
        id, 4,
        "AUTOINCREMENT must not reuse id 3 after the rebuilds"
    );
}
