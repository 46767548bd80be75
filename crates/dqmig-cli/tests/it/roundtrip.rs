//! The round-trip acceptance on a real node: for every schema of the fixture corpus, load →
//! render DDL → apply (one fresh database per fixture on one shared node) → introspect →
//! equal to the loaded schema; then the introspected schema written as models TOML and as
//! SQL loads back equal.

use crate::support;
use dqmig::client::Connection;
use dqmig::introspect::{introspect, IntrospectOptions};
use dqmig::models::{load_file, load_sql_str, load_toml_str, to_toml};
use dqmig::schema::Schema;
use std::path::{Path, PathBuf};

fn schema_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../dqmig/tests/fixtures/schemas");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// A readable account of how two schemas differ: the objects that differ, each side's DDL
/// and model.
pub fn diff(want: &Schema, got: &Schema) -> String {
    let mut out = Vec::new();
    let names: std::collections::BTreeSet<_> =
        want.tables.keys().chain(got.tables.keys()).collect();
    for name in names {
        let (a, b) = (want.tables.get(name), got.tables.get(name));
        if a != b {
            out.push(format!(
                "table `{name}` differs\n  want: {}\n  got:  {}\n  want: {a:?}\n  got:  {b:?}",
                a.map(|t| t.create_table_sql())
                    .unwrap_or_else(|| "(missing)".into()),
                b.map(|t| t.create_table_sql())
                    .unwrap_or_else(|| "(missing)".into()),
            ));
        }
    }
    if want.views != got.views {
        out.push(format!(
            "views differ\n  want: {:?}\n  got:  {:?}",
            want.views, got.views
        ));
    }
    if want.triggers != got.triggers {
        out.push(format!(
            "triggers differ\n  want: {:?}\n  got:  {:?}",
            want.triggers, got.triggers
        ));
    }
    out.join("\n")
}

#[test]
fn every_fixture_round_trips_through_a_live_node() {
    let node = support::start_node();
    let dirs = schema_dirs();
    assert!(
        dirs.len() >= 40,
        "the corpus has {} schemas; the acceptance needs at least 40",
        dirs.len()
    );
    let mut failures = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        if let Err(e) = round_trip(&node.address, &name, dir) {
            failures.push(format!("== {name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n\n")
    );
}

fn round_trip(address: &str, name: &str, dir: &Path) -> Result<(), String> {
    for file in ["models.toml", "schema.sql"] {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let loaded = load_file(&path).map_err(|e| format!("loading {file}: {e}"))?;
        let ddl = loaded.to_sql();
        let mut conn = Connection::open(address, &format!("{name}-{file}"))
            .map_err(|e| format!("opening: {e}"))?;
        conn.execute_batch(&ddl)
            .map_err(|e| format!("applying the DDL of {file}: {e}\n{ddl}"))?;
        let got = introspect(&mut conn, &IntrospectOptions::default())
            .map_err(|e| format!("introspecting ({file}): {e}\n{ddl}"))?;
        if got != loaded {
            return Err(format!(
                "introspected schema differs from {file}:\n{}",
                diff(&loaded, &got)
            ));
        }
        let toml = to_toml(&got);
        match load_toml_str("<inspect --format toml>", &toml) {
            Ok(back) if back == got => {}
            Ok(back) => {
                return Err(format!(
                "the TOML written from the introspected schema loads back different:\n{toml}\n{}",
                diff(&got, &back)
            ))
            }
            Err(e) => {
                return Err(format!(
                    "the TOML written from the introspected schema does not load: {e}\n{toml}"
                ))
            }
        }
        let sql = got.to_sql();
        match load_sql_str("<inspect --format sql>", &sql) {
            Ok(back) if back == got => {}
            Ok(back) => {
                return Err(format!(
                    "the SQL written from the introspected schema loads back different:\n{sql}\n{}",
                    diff(&got, &back)
                ))
            }
            Err(e) => {
                return Err(format!(
                    "the SQL written from the introspected schema does not load: {e}\n{sql}"
                ))
            }
        }
    }
    Ok(())
}
