//! Unit tests of diff, inverse and render: the fixture corpus (diff of a schema with itself
//! is empty; over every pair, up then down round-trips through `Op::apply`), inverse of
//! inverse, determinism, and insta snapshots of the SQL for every op kind and every cause
//! of a rebuild.

use super::*;
use crate::models::{load_file, load_sql_str};
use crate::schema::Schema;
use std::path::{Path, PathBuf};

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schemas");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn fixtures() -> Vec<(String, Schema)> {
    fixture_dirs()
        .into_iter()
        .map(|d| {
            (
                d.file_name().unwrap().to_string_lossy().to_string(),
                load_file(&d.join("models.toml")).unwrap(),
            )
        })
        .collect()
}

fn sql(text: &str) -> Schema {
    load_sql_str("<test>", text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn diff_of_a_schema_with_itself_is_empty() {
    let all = fixtures();
    assert!(all.len() >= 40);
    for (name, s) in &all {
        assert_eq!(diff(s, s, &RenameHints::default()), vec![], "{name}");
        // The SQL form of the same fixture too.
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/schemas")
            .join(name);
        let from_sql = load_file(&dir.join("schema.sql")).unwrap();
        assert_eq!(
            diff(s, &from_sql, &RenameHints::default()),
            vec![],
            "{name} (toml vs sql)"
        );
    }
}

/// Over every ordered pair of fixtures: applying the diff gives the target, applying the
/// inverses gives the start back, both directions render, and the inverse of every op's
/// inverse is the op.
#[test]
fn every_fixture_pair_round_trips_through_apply_and_renders() {
    let all = fixtures();
    let mut n_ops = 0;
    for (an, a) in &all {
        for (bn, b) in &all {
            let ops = diff(a, b, &RenameHints::default());
            let up = apply_all(a, &ops).unwrap_or_else(|e| panic!("{an} -> {bn}: {e}\n{ops:#?}"));
            assert_eq!(
                &up, b,
                "{an} -> {bn}: up does not give the target\n{ops:#?}"
            );
            let down =
                apply_all(&up, &invert(&ops)).unwrap_or_else(|e| panic!("{an} -> {bn} down: {e}"));
            assert_eq!(&down, a, "{an} -> {bn}: down does not give the start back");
            for op in &ops {
                assert_eq!(&op.inverse().inverse(), op);
            }
            render(&ops, a).unwrap_or_else(|e| panic!("{an} -> {bn}: render: {e}"));
            n_ops += ops.len();
        }
    }
    assert!(n_ops > 1000, "only {n_ops} ops over all pairs");
}

#[test]
fn diff_order_is_deterministic_and_fk_ordered() {
    let a = sql("CREATE TABLE keep (x INTEGER);");
    let b = sql("CREATE TABLE keep (x INTEGER);
         CREATE TABLE c (id INTEGER PRIMARY KEY, b_id INTEGER REFERENCES b(id));
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id));
         CREATE TABLE a (id INTEGER PRIMARY KEY);");
    let ops = diff(&a, &b, &RenameHints::default());
    assert_eq!(ops, diff(&a.clone(), &b.clone(), &RenameHints::default()));
    let names: Vec<String> = ops.iter().map(Op::describe).collect();
    assert_eq!(
        names,
        [
            r#"create table "a""#,
            r#"create table "b""#,
            r#"create table "c""#
        ]
    );
    let back = diff(&b, &a, &RenameHints::default());
    let names: Vec<String> = back.iter().map(Op::describe).collect();
    assert_eq!(
        names,
        [
            r#"drop table "c""#,
            r#"drop table "b""#,
            r#"drop table "a""#
        ]
    );
}

#[test]
fn rename_hints_and_candidates() {
    let a = sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);");
    let b = sql("CREATE TABLE people (id INTEGER PRIMARY KEY, full_name TEXT, age INTEGER);");
    // Without hints: drop + create, and both renames are offered.
    let plain = diff(&a, &b, &RenameHints::default());
    assert!(
        matches!(plain.as_slice(), [Op::DropTable(_), Op::CreateTable(_)]),
        "{plain:#?}"
    );
    let cands = rename_candidates(&a, &b, &RenameHints::default());
    assert_eq!(
        cands,
        vec![RenameCandidate::Table {
            from: "users".into(),
            to: "people".into()
        }]
    );
    let mut hints = RenameHints::default();
    hints.accept(&cands[0]);
    let cands = rename_candidates(&a, &b, &hints);
    assert_eq!(
        cands,
        vec![RenameCandidate::Column {
            table: "people".into(),
            from: "name".into(),
            to: "full_name".into()
        }]
    );
    assert_eq!(cands[0].flag(), "people.name=full_name");
    hints.add_flag(&cands[0].flag()).unwrap();
    let ops = diff(&a, &b, &hints);
    assert_eq!(
        ops,
        vec![
            Op::RenameTable {
                from: "users".into(),
                to: "people".into()
            },
            Op::RenameColumn {
                table: "people".into(),
                from: "name".into(),
                to: "full_name".into()
            },
        ]
    );
    assert!(rename_candidates(&a, &b, &hints).is_empty());
    assert!(hints.unused(&a, &b).is_empty());
    hints.add_flag("nosuch=x").unwrap();
    assert_eq!(hints.unused(&a, &b), vec!["nosuch=x".to_string()]);
    assert!(matches!(
        hints.add_flag("x"),
        Err(AutogenError::BadRenameFlag { .. })
    ));
    assert!(matches!(
        hints.add_flag(".a=b"),
        Err(AutogenError::BadRenameFlag { .. })
    ));
}

#[test]
fn renamed_from_in_models_becomes_a_rename() {
    let (b, renames) = crate::models::load_toml_with_renames(
        "m.toml",
        r#"
[tables.people]
renamed_from = "users"
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "full_name", type = "text", renamed_from = "name" },
]
"#,
    )
    .unwrap();
    let a = sql("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);");
    let mut hints = RenameHints::default();
    hints.add_models(&renames);
    let ops = diff(&a, &b, &hints);
    assert_eq!(
        ops,
        vec![
            Op::RenameTable {
                from: "users".into(),
                to: "people".into()
            },
            Op::RenameColumn {
                table: "people".into(),
                from: "name".into(),
                to: "full_name".into()
            },
        ]
    );
    let err = crate::models::load_toml_str(
        "m.toml",
        "[tables.t]\nrenamed_from = \"t\"\ncolumns = [{ name = \"a\", type = \"text\" }]\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("m.toml:2:") && err.contains("the name itself"),
        "{err}"
    );
}

#[test]
fn rebuild_marker_is_a_runner_directive() {
    let a = sql("CREATE TABLE t (a INTEGER);");
    let b = sql("CREATE TABLE t (a TEXT);");
    let r = render(&diff(&a, &b, &RenameHints::default()), &a).unwrap();
    assert!(r.up.needs_fk_off);
    let text = format!(
        "-- revision: 0123456789ab\n-- revises:\n-- message: m\n\n-- migrate:up\n{}\n-- migrate:down\n{}",
        r.up.to_text(),
        r.down.to_text()
    );
    let rev = crate::script::parse_revision("f.sql", &text).unwrap();
    assert!(
        rev.up.statements[0]
            .directives
            .contains(&crate::script::Directive::Rebuild),
        "{text}"
    );
    assert_eq!(rev.up.statements.len(), r.up.stmts.len());
}

/// The snapshot text of one case: ops, up SQL, down SQL, flags and lint queries; also
/// checks that the ops lead from `a` to `b` and back.
fn case(a: &str, b: &str, renames: &[&str]) -> String {
    let (a, b) = (sql(a), sql(b));
    let mut hints = RenameHints::default();
    for r in renames {
        hints.add_flag(r).unwrap();
    }
    let ops = diff(&a, &b, &hints);
    assert_eq!(apply_all(&a, &ops).unwrap(), b, "up model");
    assert_eq!(apply_all(&b, &invert(&ops)).unwrap(), a, "down model");
    let r = render(&ops, &a).unwrap();
    let mut out = String::from("# ops\n");
    for op in &ops {
        out.push_str(&format!("- {}\n", op.describe()));
    }
    for (label, s) in [("up", &r.up), ("down", &r.down)] {
        out.push_str(&format!("\n# {label} (needs_fk_off: {})\n", s.needs_fk_off));
        out.push_str(&s.to_text());
        for q in s.lint_queries() {
            out.push_str(&format!("# lint {}: {}\n", q.what, q.sql));
        }
    }
    out
}

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER);";

macro_rules! snap {
    ($name:ident, $a:expr, $b:expr) => {
        snap!($name, $a, $b, &[]);
    };
    ($name:ident, $a:expr, $b:expr, $renames:expr) => {
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), case($a, $b, $renames));
        }
    };
}

// Every op kind.
snap!(op_create_table, "", "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL); CREATE INDEX users_name ON users (name);");
snap!(op_drop_table, USERS, "");
snap!(
    op_rename_table,
    USERS,
    "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER);",
    &["users=people"]
);
snap!(
    op_add_column,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER, active INTEGER NOT NULL DEFAULT 1);"
);
snap!(op_add_column_with_foreign_key_and_check,
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY);",
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER CONSTRAINT to_p REFERENCES p(id) ON DELETE SET NULL CHECK (p_id > 0));");
snap!(
    op_drop_column,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100));"
);
snap!(
    op_rename_column,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email VARCHAR(100), age INTEGER);",
    &["users.name=full_name"]
);
snap!(op_alter_column_type, USERS, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age TEXT);");
snap!(op_alter_column_narrow, USERS, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(50), age INTEGER);");
snap!(
    op_alter_column_not_null_with_default,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER NOT NULL DEFAULT 0);"
);
snap!(
    op_alter_column_not_null_without_default,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100) NOT NULL, age INTEGER);"
);
snap!(
    op_alter_column_default,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'x', email VARCHAR(100), age INTEGER);"
);
snap!(
    op_alter_column_collation,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE, email VARCHAR(100), age INTEGER);"
);
snap!(
    op_alter_column_generated,
    "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a + 1) VIRTUAL);",
    "CREATE TABLE t (a INTEGER, b INTEGER GENERATED ALWAYS AS (a * 2) VIRTUAL);"
);
snap!(op_reorder_columns, USERS, "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100), name TEXT NOT NULL, age INTEGER);");
snap!(
    op_set_primary_key,
    "CREATE TABLE t (a TEXT NOT NULL, b TEXT NOT NULL);",
    "CREATE TABLE t (a TEXT NOT NULL, b TEXT NOT NULL, PRIMARY KEY (a, b));"
);
snap!(op_add_unique, USERS, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100) UNIQUE, age INTEGER);");
snap!(
    op_drop_unique,
    "CREATE TABLE t (a TEXT, CONSTRAINT u UNIQUE (a));",
    "CREATE TABLE t (a TEXT);"
);
snap!(
    op_add_foreign_key,
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER);",
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);"
);
snap!(
    op_drop_foreign_key,
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id));",
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER);"
);
snap!(
    op_add_check,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER CHECK (age >= 0));"
);
snap!(
    op_drop_check,
    "CREATE TABLE t (a INTEGER, CONSTRAINT pos CHECK (a > 0));",
    "CREATE TABLE t (a INTEGER);"
);
snap!(
    op_table_strict,
    "CREATE TABLE t (a INTEGER, b TEXT);",
    "CREATE TABLE t (a INTEGER, b TEXT) STRICT;"
);
snap!(
    op_table_without_rowid,
    "CREATE TABLE t (a TEXT PRIMARY KEY, b TEXT);",
    "CREATE TABLE t (a TEXT NOT NULL PRIMARY KEY, b TEXT) WITHOUT ROWID;"
);
snap!(
    op_create_index,
    USERS,
    &format!(
        "{USERS} CREATE UNIQUE INDEX users_email ON users (lower(email)) WHERE email IS NOT NULL;"
    )
);
snap!(
    op_drop_index,
    &format!("{USERS} CREATE INDEX users_age ON users (age DESC);"),
    USERS
);
snap!(
    op_change_index,
    &format!("{USERS} CREATE INDEX users_age ON users (age);"),
    &format!("{USERS} CREATE INDEX users_age ON users (age, name);")
);
snap!(
    op_create_view,
    USERS,
    &format!("{USERS} CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;")
);
snap!(
    op_drop_view,
    &format!("{USERS} CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18;"),
    USERS
);
snap!(
    op_change_view,
    &format!(
        "{USERS} CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 18; CREATE VIEW adult_names AS SELECT name FROM adults;"
    ),
    &format!(
        "{USERS} CREATE VIEW adults AS SELECT id, name FROM users WHERE age >= 21; CREATE VIEW adult_names AS SELECT name FROM adults;"
    )
);
snap!(
    op_create_trigger,
    USERS,
    &format!("{USERS} CREATE TRIGGER users_age AFTER UPDATE OF age ON users BEGIN UPDATE users SET name = name WHERE id = NEW.id; END;")
);
snap!(
    op_drop_trigger,
    &format!("{USERS} CREATE TRIGGER users_age AFTER UPDATE OF age ON users BEGIN UPDATE users SET name = name WHERE id = NEW.id; END;"),
    USERS
);

// Every cause of a rebuild (ALTER is used otherwise; see the op_* cases).
snap!(
    rebuild_add_column_not_last,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT, name TEXT NOT NULL, email VARCHAR(100), age INTEGER);"
);
snap!(rebuild_add_column_stored_generated, USERS, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER, age2 INTEGER GENERATED ALWAYS AS (age * 2) STORED);");
snap!(rebuild_add_column_non_constant_default, USERS, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER, created TEXT DEFAULT CURRENT_TIMESTAMP);");
snap!(
    rebuild_add_column_not_null_without_default,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100), age INTEGER, code TEXT NOT NULL);"
);
snap!(
    rebuild_drop_column_in_primary_key,
    "CREATE TABLE t (a TEXT, b TEXT, c TEXT, PRIMARY KEY (a, b));",
    "CREATE TABLE t (a TEXT NOT NULL PRIMARY KEY, c TEXT);"
);
snap!(
    rebuild_drop_column_in_unique,
    "CREATE TABLE t (a TEXT, b TEXT, UNIQUE (a, b));",
    "CREATE TABLE t (a TEXT);"
);
snap!(
    rebuild_drop_column_in_foreign_key,
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id), x TEXT);",
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, x TEXT);"
);
snap!(
    rebuild_drop_column_referenced,
    "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE); CREATE TABLE c (id INTEGER PRIMARY KEY, p_code TEXT REFERENCES p(code));",
    "CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (id INTEGER PRIMARY KEY, p_code TEXT);"
);
snap!(
    rebuild_drop_column_indexed,
    &format!("{USERS} CREATE INDEX users_ea ON users (email, age);"),
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(100)); CREATE INDEX users_ea ON users (email);"
);
snap!(
    rebuild_drop_column_in_check,
    "CREATE TABLE t (a INTEGER, b INTEGER, CHECK (a < b));",
    "CREATE TABLE t (a INTEGER);"
);
snap!(
    rebuild_drop_column_in_generated,
    "CREATE TABLE t (a INTEGER, b INTEGER, g INTEGER GENERATED ALWAYS AS (a + b));",
    "CREATE TABLE t (a INTEGER, g INTEGER GENERATED ALWAYS AS (a));"
);
snap!(
    rebuild_drop_only_column_and_add_another,
    "CREATE TABLE t (a INTEGER);",
    "CREATE TABLE t (b TEXT);"
);
snap!(
    rebuild_keeps_views_triggers_checks_and_children,
    "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT, CHECK (length(name) > 0));
     CREATE INDEX p_name ON p (name);
     CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);
     CREATE VIEW pv AS SELECT name FROM p;
     CREATE TABLE log (msg TEXT);
     CREATE TRIGGER p_ins AFTER INSERT ON p BEGIN INSERT INTO log (msg) VALUES (NEW.name); END;",
    "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT 'n/a', CHECK (length(name) > 0));
     CREATE INDEX p_name ON p (name);
     CREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p(id) ON DELETE CASCADE);
     CREATE VIEW pv AS SELECT name FROM p;
     CREATE TABLE log (msg TEXT);
     CREATE TRIGGER p_ins AFTER INSERT ON p BEGIN INSERT INTO log (msg) VALUES (NEW.name); END;"
);
snap!(
    rebuild_rename_and_retype_column,
    USERS,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, full_name VARCHAR(200) NOT NULL, email VARCHAR(100), age INTEGER);",
    &["users.name=full_name"]
);
snap!(rename_table_with_dependent_view_and_child,
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id)); CREATE VIEW names AS SELECT name FROM users;",
    "CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT); CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES people(id)); CREATE VIEW names AS SELECT name FROM people;",
    &["users=people"]);
snap!(
    rebuild_autoincrement_keeps_its_sequence,
    "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);",
    "CREATE TABLE seq (id INTEGER PRIMARY KEY AUTOINCREMENT, w INTEGER DEFAULT 0, v TEXT);"
);
snap!(
    identifiers_are_quoted,
    "CREATE TABLE \"we\"\"ird\" (\"a b\" TEXT, \"select\" INTEGER);",
    "CREATE TABLE \"we\"\"ird\" (\"a b\" TEXT NOT NULL DEFAULT '', \"select\" INTEGER);"
);

/// The last DROP COLUMN blocker: a view or trigger that uses the column. `diff` never
/// leaves one in place (it drops and recreates dependents of a table losing a column), so
/// this renders a hand-built op against a schema that still has the view.
#[test]
fn rebuild_drop_column_used_by_a_view() {
    let a = sql(&format!(
        "{USERS} CREATE VIEW ages AS SELECT age FROM users;"
    ));
    let age = a.tables[&crate::schema::Ident::new("users")].columns[3].clone();
    let ops = vec![Op::DropColumn {
        table: "users".into(),
        column: age,
        position: 3,
    }];
    let (up, _) = render_script(&ops, &a).unwrap();
    insta::assert_snapshot!("rebuild_drop_column_used_by_a_view", up.to_text());
}
