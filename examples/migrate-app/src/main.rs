//! An app that brings its database to the newest schema at start-up, from revision files
//! embedded at compile time (`examples/migrations`), then reads the version it is at:
//! `migrate-app dqlite://HOST:PORT[,HOST:PORT...]/DATABASE`. It depends on `dqmig` without
//! default features: the client and the migrator, no embedded node (no libdqlite) and none
//! of the CLI's crates.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: migrate-app dqlite://HOST:PORT[,HOST:PORT...]/DATABASE");
        return ExitCode::from(2);
    };
    match run(&url) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    let migrator = dqmig::embed_migrations!("../migrations/migrations")?;
    let mut db = dqmig::open::open_str(url)?;
    let report = migrator.upgrade(&mut db, "head")?;
    println!("applied {} revision(s)", report.applied.len());
    for head in migrator.current(&mut db)? {
        println!("at {head}");
    }
    Ok(())
}
