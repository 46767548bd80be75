//! Property tests of autogenerate over generated schema pairs (a, b) of one family (a
//! parent `p`, a child `c` with columns drawn from a pool of types, nullability, defaults,
//! collations and generated expressions in random order, optional foreign key, UNIQUE,
//! CHECK, index, view, trigger, STRICT / WITHOUT ROWID, and an optional third table):
//! - pure: up leads from a to b and down back (through `Op::apply`), the inverse of the
//!   inverse is the op, and diff and render are deterministic;
//! - on a real node: a database holding `a` with rows, after up, introspects as `b` with a
//!   clean check; after down, as `a`; rows in every column both keep are unchanged.

use dqmig::autogen::{apply_all, diff, invert, render, RenameHints, Script};
use dqmig::client::{Connection, ToValue, Value};
use dqmig::introspect::{introspect, IntrospectOptions};
use dqmig::models::load_sql_str;
use dqmig::params;
use dqmig::schema::{Ident, Schema};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use crate::support::start_node;

/// The knobs of one generated schema (module docs).
#[derive(Debug, Clone)]
struct Params {
    title: Option<&'static str>,
    score: Option<&'static str>,
    note: Option<&'static str>,
    generated: Option<&'static str>,
    fk: &'static str,
    has_p_id: bool,
    unique: bool,
    check: bool,
    index: bool,
    view: bool,
    trigger: bool,
    p_flag: bool,
    options: u8,
    t3: bool,
    shuffle: u64,
}

fn params() -> impl Strategy<Value = Params> {
    let title = prop_oneof![
        Just("TEXT"),
        Just("VARCHAR(40)"),
        Just("TEXT NOT NULL DEFAULT ''"),
        Just("TEXT COLLATE NOCASE")
    ];
    let score = prop_oneof![
        Just("INTEGER"),
        Just("REAL"),
        Just("INTEGER NOT NULL DEFAULT 0"),
        Just("NUMERIC"),
        Just("INTEGER DEFAULT 7")
    ];
    let note = prop_oneof![Just("TEXT DEFAULT 'x'"), Just("TEXT")];
    let generated = prop_oneof![
        Just("INTEGER GENERATED ALWAYS AS (id * 2) VIRTUAL"),
        Just("INTEGER GENERATED ALWAYS AS (id * 2) STORED")
    ];
    let fk = prop_oneof![
        Just(""),
        Just("REFERENCES p(id) ON DELETE CASCADE"),
        Just("REFERENCES p(id)")
    ];
    (
        (
            proptest::option::of(title),
            proptest::option::of(score),
            proptest::option::of(note),
            proptest::option::of(generated),
        ),
        (
            fk,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        (
            any::<bool>(),
            0u8..3,
            any::<bool>(),
            any::<u64>(),
            proptest::bool::weighted(0.8),
        ),
    )
        .prop_map(
            |(
                (title, score, note, generated),
                (fk, unique, check, index, view, trigger),
                (p_flag, options, t3, shuffle, has_p_id),
            )| {
                Params {
                    title,
                    score,
                    note,
                    generated,
                    fk,
                    has_p_id,
                    unique,
                    check,
                    index,
                    view,
                    trigger,
                    p_flag,
                    options,
                    t3,
                    shuffle,
                }
            },
        )
}

/// `a`, and `b` that takes each knob from a second draw with probability 1/4 (so pairs
/// are a few steps apart, as real migrations are).
fn pair() -> impl Strategy<Value = (String, String)> {
    (params(), params(), any::<u32>(), any::<u32>()).prop_map(|(a, o, m1, m2)| {
        let m = m1 & m2;
        let bit = |i: u32| m & (1 << i) != 0;
        let b = Params {
            title: if bit(0) { o.title } else { a.title },
            score: if bit(1) { o.score } else { a.score },
            note: if bit(2) { o.note } else { a.note },
            generated: if bit(3) { o.generated } else { a.generated },
            fk: if bit(4) { o.fk } else { a.fk },
            has_p_id: if bit(14) { o.has_p_id } else { a.has_p_id },
            unique: if bit(5) { o.unique } else { a.unique },
            check: if bit(6) { o.check } else { a.check },
            index: if bit(7) { o.index } else { a.index },
            view: if bit(8) { o.view } else { a.view },
            trigger: if bit(9) { o.trigger } else { a.trigger },
            p_flag: if bit(10) { o.p_flag } else { a.p_flag },
            options: if bit(11) { o.options } else { a.options },
            t3: if bit(12) { o.t3 } else { a.t3 },
            shuffle: if bit(13) { o.shuffle } else { a.shuffle },
        };
        (schema_sql(&a), schema_sql(&b))
    })
}

/// The DDL of one generated schema.
fn schema_sql(p: &Params) -> String {
    let mut cols: Vec<String> = Vec::new();
    if p.has_p_id {
        cols.push(format!("p_id INTEGER {}", p.fk));
    }
    for (name, def) in [
        ("title", p.title),
        ("score", p.score),
        ("note", p.note),
        ("g", p.generated),
    ] {
        if let Some(d) = def {
            cols.push(format!("{name} {d}"));
        }
    }
    // A deterministic shuffle from the drawn number.
    let mut order: Vec<(u64, String)> = cols
        .into_iter()
        .enumerate()
        .map(|(i, c)| ((p.shuffle >> (i * 8)) & 0xff, c))
        .collect();
    order.sort();
    let mut defs: Vec<String> = vec!["id INTEGER NOT NULL PRIMARY KEY".to_string()];
    defs.extend(order.into_iter().map(|(_, c)| c));
    let strict_ok = !defs
        .iter()
        .any(|d| d.contains("VARCHAR") || d.contains("NUMERIC"));
    if p.unique && p.has_p_id {
        defs.push("UNIQUE (id, p_id)".to_string());
    }
    if p.check {
        defs.push("CHECK (id > 0)".to_string());
    }
    let opts = match p.options {
        1 if strict_ok => " STRICT",
        2 => " WITHOUT ROWID",
        _ => "",
    };
    let mut sql = format!(
        "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT NOT NULL{});\nCREATE TABLE c ({}){opts};\n",
        if p.p_flag { ", flag INTEGER NOT NULL DEFAULT 1" } else { "" },
        defs.join(", ")
    );
    if p.index && p.has_p_id {
        sql.push_str("CREATE INDEX c_p ON c (p_id DESC);\n");
    }
    if p.view {
        sql.push_str(if p.has_p_id {
            "CREATE VIEW cv AS SELECT id, p_id FROM c;\n"
        } else {
            "CREATE VIEW cv AS SELECT id FROM c;\n"
        });
    }
    if p.trigger {
        sql.push_str("CREATE TRIGGER c_ins AFTER INSERT ON c BEGIN UPDATE p SET name = name WHERE id = NEW.id; END;\n");
    }
    if p.t3 {
        sql.push_str("CREATE TABLE t3 (k TEXT PRIMARY KEY, v BLOB);\n");
    }
    sql
}

fn parse(sql: &str) -> Schema {
    load_sql_str("<generated>", sql).unwrap_or_else(|e| panic!("{e}\n{sql}"))
}

#[test]
fn generated_pairs_round_trip_in_the_model() {
    let mut runner = TestRunner::new(Config {
        cases: 300,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&pair(), |(a_sql, b_sql)| {
            let (a, b) = (parse(&a_sql), parse(&b_sql));
            let ops = diff(&a, &b, &RenameHints::default());
            prop_assert_eq!(&ops, &diff(&a, &b, &RenameHints::default()));
            prop_assert_eq!(
                apply_all(&a, &ops).map_err(|e| TestCaseError::fail(e.to_string()))?,
                b.clone()
            );
            prop_assert_eq!(
                apply_all(&b, &invert(&ops)).map_err(|e| TestCaseError::fail(e.to_string()))?,
                a.clone()
            );
            for op in &ops {
                prop_assert_eq!(&op.inverse().inverse(), op);
            }
            let r = render(&ops, &a).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&r, &render(&ops, &a).unwrap());
            prop_assert_eq!(ops.is_empty(), a == b);
            Ok(())
        })
        .unwrap();
}

fn value_for(col: &str, i: i64, nullable: bool) -> Value {
    match col {
        "id" => Value::Integer(i),
        "p_id" => Value::Integer(i % 5 + 1),
        "name" => Value::Text(format!("n{i}")),
        "title" if i % 3 == 0 && nullable => Value::Null,
        "title" => Value::Text(format!("t{i}")),
        "score" => Value::Integer(i * 10),
        "note" if i % 4 == 0 && nullable => Value::Null,
        "note" => Value::Text(format!("note {i}")),
        "flag" => Value::Integer(i % 2),
        "k" => Value::Text(format!("k{i}")),
        "v" => Value::Blob(vec![i as u8, 0, 255]),
        _ => Value::Null,
    }
}

fn fill(c: &mut Connection, s: &Schema) -> Result<(), String> {
    for (table, n) in [("p", 5), ("c", 9), ("t3", 3)] {
        let Some(t) = s.tables.get(&Ident::new(table)) else {
            continue;
        };
        let cols: Vec<_> = t.columns.iter().filter(|c| c.generated.is_none()).collect();
        let sql = format!(
            "INSERT INTO {} ({}) VALUES ({})",
            t.name.quoted(),
            cols.iter()
                .map(|c| c.name.quoted())
                .collect::<Vec<_>>()
                .join(", "),
            vec!["?"; cols.len()].join(", ")
        );
        for i in 1..=n {
            let values: Vec<Value> = cols
                .iter()
                .map(|c| value_for(c.name.as_str(), i, c.nullable))
                .collect();
            let refs: Vec<&dyn ToValue> = values.iter().map(|v| v as &dyn ToValue).collect();
            c.execute(&sql, &refs).map_err(|e| format!("{e}"))?;
        }
    }
    Ok(())
}

fn kept_rows(c: &mut Connection, a: &Schema, b: &Schema) -> Result<Vec<Vec<Vec<Value>>>, String> {
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
        let mut sql = format!("SELECT count(*) FROM {}", ta.name.quoted());
        if !cols.is_empty() {
            sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                cols.join(", "),
                ta.name.quoted(),
                cols.join(", ")
            );
        }
        let rows = c.query(&sql, params![]).map_err(|e| e.to_string())?;
        out.push(rows.into_iter().map(|r| r.into_values()).collect());
    }
    Ok(out)
}

fn run(c: &mut Connection, s: &Script) -> Result<(), String> {
    if s.needs_fk_off {
        c.execute("PRAGMA foreign_keys=OFF", params![])
            .map_err(|e| e.to_string())?;
    }
    c.execute("BEGIN", params![]).map_err(|e| e.to_string())?;
    let mut result = s.stmts.iter().try_for_each(|st| {
        c.execute(&st.sql, params![])
            .map(|_| ())
            .map_err(|e| format!("{e}\n  in: {}", st.sql))
    });
    if result.is_ok() && s.needs_fk_off {
        let v = c
            .query("PRAGMA foreign_key_check", params![])
            .map_err(|e| e.to_string())?;
        if !v.is_empty() {
            result = Err(format!("{} foreign key violations", v.len()));
        }
    }
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    c.execute(end, params![]).map_err(|e| e.to_string())?;
    if s.needs_fk_off {
        c.execute("PRAGMA foreign_keys=ON", params![])
            .map_err(|e| e.to_string())?;
    }
    result
}

#[test]
fn generated_pairs_migrate_up_and_down_on_a_real_node() {
    let t = start_node();
    let n = std::cell::Cell::new(0u32);
    let rebuilds = std::cell::Cell::new(0u32);
    let alters_only = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(Config {
        cases: 128,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&pair(), |(a_sql, b_sql)| {
            n.set(n.get() + 1);
            let fail = |what: &str, detail: String| {
                TestCaseError::fail(format!(
                    "{what}: {detail}\n--- a ---\n{a_sql}--- b ---\n{b_sql}"
                ))
            };
            let (a, b) = (parse(&a_sql), parse(&b_sql));
            let mut c = Connection::open(&t.address, &format!("prop_{}", n.get()))
                .map_err(|e| fail("open", e.to_string()))?;
            for stmt in a.to_sql().split(";\n").filter(|s| !s.trim().is_empty()) {
                c.execute(stmt, params![])
                    .map_err(|e| fail("creating a", e.to_string()))?;
            }
            fill(&mut c, &a).map_err(|e| fail("filling a", e))?;
            let ops = diff(&a, &b, &RenameHints::default());
            let r = render(&ops, &a).map_err(|e| fail("render", e.to_string()))?;
            if r.up.needs_fk_off {
                rebuilds.set(rebuilds.get() + 1);
            } else if r.up.stmts.iter().any(|s| s.sql.starts_with("ALTER TABLE")) {
                alters_only.set(alters_only.get() + 1);
            }
            let before = kept_rows(&mut c, &a, &b).map_err(|e| fail("reading rows", e))?;
            run(&mut c, &r.up).map_err(|e| fail("up", format!("{e}\n{}", r.up.to_text())))?;
            let up = introspect(&mut c, &IntrospectOptions::default())
                .map_err(|e| fail("introspect after up", e.to_string()))?;
            prop_assert_eq!(&up, &b, "up\n{}", r.up.to_text());
            prop_assert!(diff(&up, &b, &RenameHints::default()).is_empty());
            prop_assert_eq!(
                &kept_rows(&mut c, &a, &b).map_err(|e| fail("rows after up", e))?,
                &before,
                "rows after up\n{}",
                r.up.to_text()
            );
            run(&mut c, &r.down).map_err(|e| fail("down", format!("{e}\n{}", r.down.to_text())))?;
            let down = introspect(&mut c, &IntrospectOptions::default())
                .map_err(|e| fail("introspect after down", e.to_string()))?;
            prop_assert_eq!(&down, &a, "down\n{}", r.down.to_text());
            prop_assert_eq!(
                &kept_rows(&mut c, &a, &b).map_err(|e| fail("rows after down", e))?,
                &before,
                "rows after down\n{}",
                r.down.to_text()
            );
            Ok(())
        })
        .unwrap();
    assert!(n.get() >= 128);
    // The family is meant to exercise both ways of changing a table.
    assert!(
        rebuilds.get() >= 10 && alters_only.get() >= 1,
        "{} rebuilds, {} ALTER-only of {}",
        rebuilds.get(),
        alters_only.get(),
        n.get()
    );
    eprintln!(
        "{} rebuilds, {} ALTER-only of {}",
        rebuilds.get(),
        alters_only.get(),
        n.get()
    );
}
