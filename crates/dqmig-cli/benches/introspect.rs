//! Introspection benchmark: an in-process node holds databases of 1, 100 and 500 tables
//! (each table with five columns, an index and a foreign key to the previous one); each
//! case introspects its database N times on one connection and reports the median, min and
//! max time and the requests sent per introspection (constant: the introspector issues a
//! fixed number of queries whatever the number of tables).
//!
//! Run: `cargo bench --bench introspect` (a filter argument selects cases by table count,
//! e.g. `cargo bench --bench introspect -- 500`). Environment: `DQMIG_BENCH_RUNS` (default 21)
//! introspections per case.

use std::time::{Duration, Instant};

use dqmig::client::Connection;
use dqmig::introspect::{introspect, IntrospectOptions};
use dqmig::node::{self, NodeConfig};

const CASES: [usize; 3] = [1, 100, 500];

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binding 127.0.0.1:0 to find a free port");
    l.local_addr()
        .expect("local address of a bound listener")
        .port()
}

fn schema_sql(n: usize) -> String {
    let mut ddl = String::from("BEGIN;\n");
    for i in 0..n {
        let fk = if i == 0 {
            String::new()
        } else {
            format!(
                ", prev_id INTEGER REFERENCES t{} (id) ON DELETE CASCADE",
                i - 1
            )
        };
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL, score REAL DEFAULT 0, \
             created TEXT DEFAULT CURRENT_TIMESTAMP, note TEXT CHECK (length(note) < 1000){fk});\n\
             CREATE INDEX t{i}_name ON t{i} (name);\n"
        ));
    }
    ddl.push_str("COMMIT;");
    ddl
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let runs: usize = match std::env::var("DQMIG_BENCH_RUNS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("DQMIG_BENCH_RUNS={v} is not a number of runs")),
        Err(_) => 21,
    }
    .max(1);
    let dir = tempfile::tempdir().expect("creating a temp dir for the embedded node");
    let addr = format!("127.0.0.1:{}", free_port());
    let _node = node::start(NodeConfig::new(1, addr.clone(), dir.path()))
        .unwrap_or_else(|e| panic!("starting the embedded node: {e}"));
    println!(
        "{:>7} {:>6} {:>12} {:>10} {:>10} {:>9}",
        "tables", "runs", "median ms", "min ms", "max ms", "requests"
    );
    for n in CASES {
        if filter.as_ref().is_some_and(|f| f != &n.to_string()) {
            continue;
        }
        let db = format!("introspect{n}");
        let mut conn = Connection::open(&addr, &db).unwrap_or_else(|e| panic!("opening {db}: {e}"));
        conn.execute_batch(&schema_sql(n))
            .unwrap_or_else(|e| panic!("creating {n} tables: {e}"));
        let opts = IntrospectOptions::default();
        // One warm-up: prepares the cached statements.
        let schema = introspect(&mut conn, &opts)
            .unwrap_or_else(|e| panic!("introspecting {n} tables: {e}"));
        assert_eq!(schema.tables.len(), n, "introspected table count");
        let mut times = Vec::with_capacity(runs);
        let mut requests = 0;
        for _ in 0..runs {
            let before = conn.requests_sent();
            let start = Instant::now();
            let schema = introspect(&mut conn, &opts)
                .unwrap_or_else(|e| panic!("introspecting {n} tables: {e}"));
            times.push(start.elapsed());
            requests = conn.requests_sent() - before;
            std::hint::black_box(schema);
        }
        times.sort();
        println!(
            "{n:>7} {runs:>6} {:>12.2} {:>10.2} {:>10.2} {requests:>9}",
            ms(times[times.len() / 2]),
            ms(times[0]),
            ms(times[times.len() - 1])
        );
    }
}
