//! Logging: `dqmig -vv` shows each statement sent on stderr, the normal level
//! shows no log line, `-v` shows INFO events; and a library user's own subscriber receives
//! the client's "statement" event with its structured fields.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use dqmig::client::Connection;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

use crate::support::{dqmig_bin, start_node, RunOk};

/// Whether a stderr line is a log event of the fmt subscriber (`<time> LEVEL target: ...`).
fn is_log_line(line: &str) -> bool {
    ["TRACE ", "DEBUG ", " INFO ", " WARN ", "ERROR "]
        .iter()
        .any(|l| line.contains(l))
        && line.contains("dqmig")
}

fn sql_stderr(verbosity: &[&str], url: &str) -> String {
    let out = dqmig_bin()
        .args(verbosity)
        .args(["sql", "SELECT 1", "--url", url])
        .run_ok();
    assert!(String::from_utf8_lossy(&out.stdout).contains('1'));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn vv_shows_the_sql_sent_and_normal_level_no_log_lines() {
    let n = start_node();
    let url = format!("dqlite://{}/app.db", n.address);

    let quiet = sql_stderr(&[], &url);
    assert!(
        !quiet.lines().any(is_log_line),
        "log lines at normal level:\n{quiet}"
    );
    assert!(!quiet.contains("SELECT 1"), "{quiet}");

    let v = sql_stderr(&["-v"], &url);
    assert!(v.contains("INFO dqmig::open: connected"), "{v}");
    assert!(!v.contains("DEBUG"), "-v shows DEBUG events:\n{v}");

    let vv = sql_stderr(&["-vv"], &url);
    let line = vv
        .lines()
        .find(|l| {
            l.contains("DEBUG dqmig_client::conn: statement") && l.contains("sql=\"SELECT 1\"")
        })
        .unwrap_or_else(|| panic!("no statement event for SELECT 1 in:\n{vv}"));
    for field in [
        "params=0",
        "elapsed_ms=",
        &format!("address=\"{}\"", n.address),
        "ok=true",
    ] {
        assert!(line.contains(field), "{field} missing in {line}");
    }
    assert!(vv.contains("dqmig_client::leader: leader found"), "{vv}");
}

#[test]
fn rust_log_overrides_the_verbosity() {
    let n = start_node();
    let url = format!("dqlite://{}/app.db", n.address);
    let out = dqmig_bin()
        .env("RUST_LOG", "dqmig_client::leader=debug")
        .args(["sql", "SELECT 1", "--url", &url])
        .run_ok();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("leader found"), "{err}");
    assert!(!err.contains("statement"), "{err}");
}

/// One event as a library user's layer saw it.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
}

/// A minimal layer that keeps every event with its fields as text.
struct Capture(Arc<Mutex<Vec<Seen>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let seen = Seen {
            target: event.metadata().target().to_string(),
            level: *event.metadata().level(),
            fields,
        };
        if let Ok(mut v) = self.0.lock() {
            v.push(seen);
        }
    }
}

#[test]
fn a_library_subscriber_gets_the_statement_event_with_its_fields() {
    let n = start_node();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::registry().with(Capture(Arc::clone(&seen)));
    tracing::subscriber::with_default(subscriber, || {
        let mut conn = Connection::open(&n.address, "app.db").expect("opening app.db");
        conn.execute("CREATE TABLE IF NOT EXISTS t (a INTEGER, b TEXT)", &[])
            .expect("creating t");
        conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", &[&1_i64, &"x"])
            .expect("inserting");
    });
    let seen = seen.lock().expect("the capture lock").clone();
    let insert = seen
        .iter()
        .find(|e| {
            e.fields.get("sql").map(String::as_str) == Some("INSERT INTO t (a, b) VALUES (?, ?)")
        })
        .unwrap_or_else(|| panic!("no event for the INSERT in {seen:#?}"));
    assert_eq!(insert.target, "dqmig_client::conn");
    assert_eq!(insert.level, tracing::Level::DEBUG);
    assert_eq!(
        insert.fields.get("message").map(String::as_str),
        Some("statement")
    );
    assert_eq!(insert.fields.get("params").map(String::as_str), Some("2"));
    assert_eq!(insert.fields.get("kind").map(String::as_str), Some("exec"));
    assert_eq!(insert.fields.get("ok").map(String::as_str), Some("true"));
    assert_eq!(insert.fields.get("address"), Some(&n.address));
    let ms: f64 = insert
        .fields
        .get("elapsed_ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1.0);
    assert!(ms >= 0.0, "elapsed_ms: {insert:?}");
    assert!(
        seen.iter().any(|e| e.target == "dqmig_client::leader"
            && e.fields.get("message").map(String::as_str) == Some("leader found")),
        "{seen:#?}"
    );
}
