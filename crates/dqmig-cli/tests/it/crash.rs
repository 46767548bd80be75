//! Crash safety, randomized and counted: `dqmig upgrade head` and `dqmig downgrade base`
//! SIGKILLed at random points (a seeded RNG; the seed is printed, `DQMIG_CRASH_SEED`
//! replays it), on an embedded node (`dqlite:///ADDRESS/DATA_DIR/DB`: the kill takes the
//! node down with it) and against a separate `dqmig node` process. After each kill the
//! database must be at a step boundary (each step's table present with all its rows and
//! its log row, or absent with neither), the version table must name the last step whose
//! table is present, the history must agree, and the next run must finish the rest.
//! `DQMIG_KILL_POINTS` (default 20) sets the kill points per command and node kind;
//! `make soak` runs 200; `DQMIG_CRASH_TRACE=1` prints each kill point and where it left the
//! database.
//!
//! Then a 3-node cluster under a running migration: the leader SIGKILLed and restarted,
//! a follower likewise, and the whole cluster killed and restarted; every revision ends up
//! applied exactly once (the history and the log table prove it).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dqmig::client::Connection;
use dqmig::node::{self, NodeConfig};
use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use crate::harness::Cluster;
use crate::support;

/// Steps in the crash project.
const STEPS: usize = 6;
/// Rows each step inserts (enough that a kill often lands inside a step).
const ROWS: usize = 5_000;

fn rev_id(i: usize) -> String {
    format!("{:012x}", 0xc0a5_0000_0000u64 + i as u64)
}

/// A small seeded generator (xorshift64*): reproducible kill points without a dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}

fn seed() -> u64 {
    std::env::var("DQMIG_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
}

fn kill_points() -> usize {
    std::env::var("DQMIG_KILL_POINTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20)
}

/// Text of step `i` of a chain after `parent` (`""` for a base): creates `t{i}` with `rows`
/// rows and logs itself in `log` (created by the chain's first step).
fn step_text(id: &str, parent: &str, i: usize, rows: usize, first: bool) -> String {
    let create_log = if first {
        "CREATE TABLE \"log\" (\"rev\" INTEGER NOT NULL);\n"
    } else {
        ""
    };
    format!(
        "-- revision: {id}\n-- revises: {parent}\n-- message: step {i}\n-- created: 2026-11-30T00:00:00Z\n\n\
         -- migrate:up\n{create_log}CREATE TABLE \"t{i}\" (\"n\" INTEGER NOT NULL, \"pad\" TEXT NOT NULL);\n\
         INSERT INTO \"t{i}\" (\"n\", \"pad\") WITH RECURSIVE c(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM c WHERE k < {rows}) SELECT k, printf('%040d', k) FROM c;\n\
         INSERT INTO \"log\" (\"rev\") VALUES ({i});\n\n\
         -- migrate:down\nDROP TABLE \"t{i}\";\nDELETE FROM \"log\" WHERE \"rev\" = {i};{drop_log}\n",
        drop_log = if first { "\nDROP TABLE \"log\";" } else { "" }
    )
}

/// Writes the crash project: `STEPS` linear revisions of `ROWS` rows each.
fn write_project(dir: &Path) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    for i in 1..=STEPS {
        let parent = if i == 1 { String::new() } else { rev_id(i - 1) };
        std::fs::write(
            versions.join(format!("{}_step_{i}.sql", rev_id(i))),
            step_text(&rev_id(i), &parent, i, ROWS, i == 1),
        )
        .unwrap();
    }
}

/// Adds to a project one slow revision `id` after `parent` (a table of `rows` rows, logged
/// as step 7 in a log table of its own making).
pub(crate) fn slow_revision(project: &Path, parent: &str, id: &str, rows: usize) {
    let text = step_text(id, parent, 7, rows, true);
    std::fs::write(
        project.join(format!("migrations/versions/{id}_slow.sql")),
        text,
    )
    .unwrap();
}

/// Checks that the database is at a step boundary of a linear chain whose step `i` makes
/// table `t{i}` and logs `i` (steps `first..=last`; `log` exists while step `first` is
/// applied): the version table names the last applied step, every applied step's table has
/// all its rows and one log row, no other step left a trace, and the history's last entry
/// per revision agrees. Returns the number of applied steps.
fn boundary(conn: &mut Connection, ids: &[(usize, String, usize)]) -> Result<usize, String> {
    // One read transaction: every query sees the same snapshot, even if a COMMIT the killed
    // process sent lands on the node meanwhile.
    conn.execute_batch("BEGIN").map_err(|e| e.to_string())?;
    let found = boundary_in(conn, ids);
    let _ = conn.execute_batch("ROLLBACK");
    found
}

fn boundary_in(conn: &mut Connection, ids: &[(usize, String, usize)]) -> Result<usize, String> {
    let tables: Vec<String> = conn
        .query("SELECT name FROM sqlite_master WHERE type = 'table'", &[])
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| r.get::<String>(0).unwrap())
        .collect();
    let has = |t: &str| tables.iter().any(|n| n == t);
    let version: Vec<String> = if has("dqmig_version") {
        conn.query("SELECT version_num FROM dqmig_version", &[])
            .map_err(|e| e.to_string())?
            .iter()
            .map(|r| r.get::<String>(0).unwrap())
            .collect()
    } else {
        Vec::new()
    };
    if version.len() > 1 {
        return Err(format!("the version table holds {version:?}"));
    }
    let applied = match version.first() {
        None => 0,
        Some(v) => {
            ids.iter()
                .position(|(_, id, _)| id == v)
                .ok_or(format!("the version table names {v}, no step of the chain"))?
                + 1
        }
    };
    let history: Vec<(String, String)> = if has("dqmig_history") {
        conn.query(
            "SELECT revision, direction FROM dqmig_history ORDER BY id",
            &[],
        )
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap()))
        .collect()
    } else {
        Vec::new()
    };
    for (k, (i, id, rows)) in ids.iter().enumerate() {
        let should = k < applied;
        let table = format!("t{i}");
        if has(&table) != should {
            return Err(format!(
                "at {version:?}: table {table} {} (a partly applied step)",
                if should { "is missing" } else { "is there" }
            ));
        }
        if should {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{table}\""), &[])
                .and_then(|r| r.get(0))
                .map_err(|e| e.to_string())?;
            if n != *rows as i64 {
                return Err(format!("table {table} holds {n} rows of {rows}"));
            }
        }
        let logged: i64 = if has("log") {
            conn.query_row(&format!("SELECT count(*) FROM log WHERE rev = {i}"), &[])
                .and_then(|r| r.get(0))
                .map_err(|e| e.to_string())?
        } else {
            0
        };
        if logged != should as i64 {
            return Err(format!(
                "at {version:?}: step {i} logged {logged} times (applied: {should})"
            ));
        }
        let last = history
            .iter()
            .rev()
            .find(|(r, d)| r == id && (d == "up" || d == "down"))
            .map(|(_, d)| d.as_str());
        let agrees = match last {
            Some("up") => should,
            Some(_) | None => !should,
        };
        if !agrees {
            return Err(format!(
                "at {version:?}: the history's last entry for {id} is {last:?}, but the step is {}applied",
                if should { "" } else { "not " }
            ));
        }
    }
    Ok(applied)
}

fn chain() -> Vec<(usize, String, usize)> {
    (1..=STEPS).map(|i| (i, rev_id(i), ROWS)).collect()
}

/// The catalog's check after a node was killed or stopped under the example project plus one
/// slow revision (step 7, `badbadbad001`, `rows` rows): the version table is at the example's
/// head or at step 7, and step 7 is applied with all its rows or left no trace.
pub(crate) fn check_boundary(conn: &mut Connection, rows: usize) -> Result<(), String> {
    let version: Vec<String> = conn
        .query("SELECT version_num FROM dqmig_version", &[])
        .map_err(|e| e.to_string())?
        .iter()
        .map(|r| r.get::<String>(0).unwrap())
        .collect();
    let slow = vec![(7, "badbadbad001".to_string(), rows)];
    if version == ["badbadbad001"] {
        boundary(conn, &slow).map(|_| ())
    } else if version == [crate::cli_run::R6] {
        // Step 7 not applied: its table and log must be absent (boundary() reads the
        // version as "none of the slow chain").
        let n: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('t7', 'log')",
                &[],
            )
            .and_then(|r| r.get(0))
            .map_err(|e| e.to_string())?;
        if n != 0 {
            return Err("step 7 left tables behind without being recorded".into());
        }
        Ok(())
    } else {
        Err(format!("the version table holds {version:?}"))
    }
}

/// How one kill trial reaches the database.
enum Kind {
    /// `dqlite:///ADDRESS/DATA_DIR/crash.db`: each command starts its own node.
    Embedded { address: String, data_dir: PathBuf },
    /// A `dqmig node` process (boxed: a cluster is much bigger than the other variant).
    Process { cluster: Box<Cluster> },
}

impl Kind {
    fn url(&self) -> String {
        match self {
            Kind::Embedded { address, data_dir } => {
                format!("dqlite:///{address}{}/crash.db", data_dir.display())
            }
            Kind::Process { cluster } => cluster.url("crash.db"),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Kind::Embedded { .. } => "embedded",
            Kind::Process { .. } => "node process",
        }
    }

    /// Runs `check` on a connection to the database (starting the embedded node on its
    /// data dir for the time of the check).
    fn with_conn<T>(&self, check: impl FnOnce(&mut Connection) -> T) -> T {
        match self {
            Kind::Embedded { address, data_dir } => {
                let deadline = Instant::now() + Duration::from_secs(30);
                let node = loop {
                    match node::start(NodeConfig::new(1, address.clone(), data_dir)) {
                        Ok(n) => break n,
                        // The killed command's port or data dir lock may linger a moment.
                        Err(_) if Instant::now() < deadline => {
                            std::thread::sleep(Duration::from_millis(50));
                        }
                        Err(e) => panic!("restarting the embedded node on {address}: {e}"),
                    }
                };
                let mut conn = Connection::open(address, "crash.db").unwrap();
                let out = check(&mut conn);
                drop(conn);
                drop(node);
                support::wait_port_free(address, "the check's node stopped");
                out
            }
            Kind::Process { cluster } => {
                let mut conn = crate::harness::open(&cluster.seeds(), "crash.db");
                check(&mut conn)
            }
        }
    }
}

fn spawn(project: &Path, url: &str, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_dqmig"))
        .current_dir(project)
        .env_remove("DQMIG_URL")
        .env("NO_COLOR", "1")
        .args(args)
        .args(["--url", url])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning dqmig")
}

/// Runs to the end (bounded), requiring success. Returns the span, from the process start,
/// in which its steps ran: from the first step's announcement ("Running ..." on stderr; the
/// process start and the node's come before it) to about one step after the last one.
fn finish(project: &Path, url: &str, args: &[&str], what: &str) -> (Duration, Duration) {
    let start = Instant::now();
    let mut child = spawn(project, url, args);
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut announced = Vec::new();
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("Running ") {
                announced.push(start.elapsed());
            }
            text.push_str(&line);
            text.push('\n');
        }
        (announced, text)
    });
    let ran = crate::catalog::wait_child(&mut child, crate::failover_migrate::RUN_BOUND)
        .unwrap_or_else(|e| panic!("{what}: dqmig {args:?}: {e}"));
    let (announced, text) = reader.join().unwrap();
    assert_eq!(ran.code, 0, "{what}: dqmig {args:?} failed: {text}");
    // The steps run from the first announcement to about one step after the last one
    // (then the process closes the connection and, when embedded, stops its node).
    let first = announced.first().copied().unwrap_or_default();
    let last = announced.last().copied().unwrap_or_default();
    let step = (last - first) / (announced.len().max(2) as u32 - 1);
    (first, (last + step).min(start.elapsed()))
}

/// Kill trials of one node kind: `points` kills of `upgrade head`, each followed by the
/// boundary check and an `upgrade head` that must finish, alternating with as many kills of
/// `downgrade base`.
fn kill_trials(kind: &Kind, points: usize, rng: &mut Rng) -> (usize, usize) {
    let project = tempfile::tempdir().unwrap();
    write_project(project.path());
    let url = kind.url();
    let ids = chain();
    // A full run each way, timed: the kill points are drawn from these spans.
    // A full run each way, timed on a warm data dir (the first run also creates it and, when
    // embedded, bootstraps the node): the kill points are drawn from these spans.
    finish(project.path(), &url, &["upgrade", "head"], "first upgrade");
    finish(
        project.path(),
        &url,
        &["downgrade", "base"],
        "first downgrade",
    );
    let up = finish(project.path(), &url, &["upgrade", "head"], "timed upgrade");
    let down = finish(
        project.path(),
        &url,
        &["downgrade", "base"],
        "timed downgrade",
    );
    let mut mid_run = 0;
    let mut landed_before = 0;
    for point in 0..points {
        for (args, span, target) in [
            (["upgrade", "head"], up, STEPS),
            (["downgrade", "base"], down, 0),
        ] {
            // A random point of the span in which a full run's steps ran, counted from this
            // run's first step announcement (process and node start times vary too much to
            // count from the spawn): the kill lands while steps run, or just after the last.
            let (from, to) = span;
            let delay = Duration::from_micros(rng.below((to - from).as_micros() as u64));
            let mut child = spawn(project.path(), &url, &args);
            let stderr = child.stderr.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if line.starts_with("Running ") {
                        let _ = tx.send(());
                    }
                }
            });
            // Err: the run ended (or hung) without announcing a step; killed all the same.
            let _ = rx.recv_timeout(crate::failover_migrate::RUN_BOUND);
            std::thread::sleep(delay);
            let ended_first = child.try_wait().unwrap().is_some();
            let _ = kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.wait();
            let at = kind
                .with_conn(|c| boundary(c, &ids))
                .unwrap_or_else(|e| {
                    panic!(
                        "{} kill point {point} ({args:?} killed {delay:?} after its first step began): not at a step boundary: {e}",
                        kind.name()
                    )
                });
            if std::env::var("DQMIG_CRASH_TRACE").is_ok() {
                eprintln!(
                    "crash: {} {args:?} killed {delay:?} after its first step began (a full run's steps took {:?}): at step {at}",
                    kind.name(),
                    to - from
                );
            }
            if ended_first {
                landed_before += 1;
            } else if at != target && at != STEPS - target {
                mid_run += 1;
            }
            finish(project.path(), &url, &args, "the run after a kill");
            let at = kind.with_conn(|c| boundary(c, &ids)).unwrap();
            assert_eq!(at, target, "{args:?} after a kill did not finish the rest");
        }
    }
    (mid_run, landed_before)
}

#[test]
fn upgrade_and_downgrade_killed_at_random_points_stay_at_step_boundaries() {
    let seed = seed();
    let points = kill_points();
    eprintln!("crash: seed {seed} (DQMIG_CRASH_SEED={seed} replays it), {points} kill points per command and node kind");
    let mut rng = Rng::new(seed);

    let dir = tempfile::tempdir().unwrap();
    let embedded = Kind::Embedded {
        address: format!("127.0.0.1:{}", support::free_port()),
        data_dir: dir.path().join("data"),
    };
    let (mid, early) = kill_trials(&embedded, points, &mut rng);
    eprintln!("crash: embedded: {} kills, {mid} between the first and the last step, {early} after the run ended", 2 * points);

    let process = Kind::Process {
        cluster: Box::new(Cluster::start(1)),
    };
    let (mid2, early2) = kill_trials(&process, points, &mut rng);
    eprintln!("crash: node process: {} kills, {mid2} between the first and the last step, {early2} after the run ended", 2 * points);
    assert!(
        mid + mid2 > 0,
        "no kill landed mid-run (seed {seed}): the kill points do not test anything"
    );
}

/// A mounted tmpfs (unmounted on drop): only root may mount one.
pub(crate) struct Tmpfs {
    dir: tempfile::TempDir,
    mounted: bool,
}

impl Tmpfs {
    /// Mounts a tmpfs of `size` (e.g. "64m") on a temp dir; `None` where mounting is not
    /// allowed (not root, or no CAP_SYS_ADMIN in a container).
    pub(crate) fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(Tmpfs { dir, mounted: true })
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Remounts read-only (panics if that fails: the mount is ours).
    pub(crate) fn remount_read_only(&self) {
        let ok = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(self.dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "remounting {} read-only", self.dir.path().display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg(self.dir.path()).status();
        }
    }
}

/// What happens to the cluster while the migration runs.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Leader,
    Follower,
    WholeCluster,
}

#[test]
fn a_migration_survives_leader_follower_and_whole_cluster_restarts() {
    let project = tempfile::tempdir().unwrap();
    crate::failover_migrate::write_project(project.path());
    let mut c = Cluster::start(3);
    c.wait_leader();
    let seeds = c.seeds();
    let mut mid_run = 0;
    for (trial, fault) in [Fault::Leader, Fault::Follower, Fault::WholeCluster]
        .into_iter()
        .enumerate()
    {
        let db = format!("restart{trial}");
        let url = c.url(&db);
        let log = project.path().join(format!("restart{trial}.log"));
        let mut child = crate::failover_migrate::spawn_upgrade(project.path(), &url, &log);
        // Strike once a third of the revisions are in.
        let mut monitor = None;
        let deadline = Instant::now() + crate::harness::WAIT;
        while crate::failover_migrate::applied_so_far(&mut monitor, &seeds, &db) < 10
            && child.try_wait().unwrap().is_none()
        {
            assert!(Instant::now() < deadline, "{fault:?}: no progress");
            std::thread::sleep(Duration::from_millis(2));
        }
        let struck_at = crate::failover_migrate::applied_so_far(&mut monitor, &seeds, &db);
        let running = child.try_wait().unwrap().is_none();
        mid_run += usize::from(running);
        drop(monitor);
        let leader = c.wait_leader();
        let victims: Vec<usize> = match fault {
            Fault::Leader => vec![leader],
            Fault::Follower => vec![(leader + 1) % 3],
            Fault::WholeCluster => vec![0, 1, 2],
        };
        for &v in &victims {
            c.nodes[v].kill();
        }
        std::thread::sleep(Duration::from_millis(300));
        for &v in &victims {
            c.restart(v);
        }
        c.wait_leader();
        let status = crate::failover_migrate::wait_exit(&mut child, &log);
        if !status.success() {
            let first = std::fs::read_to_string(&log).unwrap_or_default();
            assert!(
                first.contains("error: "),
                "{fault:?}: {status} without an error message:\n{first}"
            );
            let rerun = log.with_extension("rerun");
            let mut again = crate::failover_migrate::spawn_upgrade(project.path(), &url, &rerun);
            let status = crate::failover_migrate::wait_exit(&mut again, &rerun);
            assert!(
                status.success(),
                "{fault:?}: the re-run failed:\n{}\nfirst run:\n{first}",
                std::fs::read_to_string(&rerun).unwrap_or_default()
            );
        }
        crate::failover_migrate::check_exactly_once(&seeds, &db, trial);
        eprintln!("crash: {fault:?} killed after {struck_at} of 30 revisions (run still going: {running}) and restarted: finished, each revision once (first run {status})");
    }
    assert!(
        mid_run > 0,
        "every run had ended before its fault: nothing was tested"
    );
}
