//! A ten-line app on the pure-Rust client alone: `kv-client ADDRESS[,ADDRESS...] KEY VALUE`
//! finds the leader through the listed members, stores KEY=VALUE in database `kv` and prints
//! every pair. It builds without libdqlite installed (the client links no C library).

use std::process::ExitCode;

use dqmig_client::{params, Connection};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [members, key, value] = args.as_slice() else {
        eprintln!("usage: kv-client ADDRESS[,ADDRESS...] KEY VALUE");
        return ExitCode::from(2);
    };
    match run(members, key, value) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(members: &str, key: &str, value: &str) -> Result<(), dqmig_client::Error> {
    let mut conn = Connection::open(members, "kv")?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)",
        params![],
    )?;
    conn.execute(
        "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)",
        params![key, value],
    )?;
    for row in conn.query_iter("SELECT k, v FROM kv ORDER BY k", params![])? {
        let row = row?;
        println!("{}={}", row.get::<String>(0)?, row.get::<String>(1)?);
    }
    Ok(())
}
