//! ORM benchmark, in one run against one in-process node (so both sides see the same
//! machine load):
//!
//! 1. get by primary key: `Session::get::<Item>(id)` with an empty identity map every time
//!    (`Session::clear` before each get; the session's transaction is opened by the first
//!    statement, as SQLAlchemy's autobegin does, and stays open) against the raw client's
//!    `query` of the same SQL text with the same bound id, inside a read transaction too.
//!    Rounds alternate between the two sides; the ratio is ORM ops/s over raw ops/s
//!    (target: at least 0.9).
//! 2. loading 10,000 rows: into `Vec<Item>` (`select::<Item>().all`) against into the
//!    client's `Rows` (`query`): the time (median of the
//!    runs) and the heap each holds at its peak, measured by a counting global allocator in
//!    this binary (the embedded node allocates with C malloc, not counted; the counters are
//!    on only while a load runs). The ratio is
//!    structs over raw rows (target: at most 1.5).
//!
//! 3. the seed's "Performance Characteristics" on users and posts: a bulk insert of 100,000
//!    posts in one `insert_many` call (rows/s; target at least 50,000), then 1,000 users with
//!    10 posts each loaded by select-in (queries issued, counted by the client; target at
//!    most 1 + ceil(1000 / 250)) and joined (one query), each the median of the runs.
//! 4. the peer: SQLAlchemy 2.x's ORM through the `sqlalchemy-dqlite` dialect on Python 3.13
//!    (`benches/peer/sqlalchemy_orm.py`), doing the same work on the same node (its own
//!    database), when Python 3.13 and pip can install it into `target/bench-venv`
//!    (otherwise the reason is printed and the peer skipped); then the ratio of every
//!    figure, ours over theirs (target: at least 5x).
//!
//! Run: `cargo bench --bench orm`. Environment: `DQMIG_BENCH_GETS` (default 20000) point
//! reads per side, `DQMIG_BENCH_RUNS` (default 7) loads per side, `DQMIG_BENCH_PEER=0`
//! skips the SQLAlchemy peer.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use dqmig::client::Connection;
use dqmig::node::{self, NodeConfig};
use dqmig::orm::{insert_many, select, MetaData, Model, Relation, Session};
use dqmig::params;

/// Counts the bytes the Rust allocator hands out, and their high-water mark.
struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// Counting is on only inside `measured` (the loads): the point reads run without the
/// counters' atomic operations, which would tax the side that allocates more.
static COUNTING: AtomicBool = AtomicBool::new(false);

fn grew(by: usize) {
    if !COUNTING.load(Ordering::Relaxed) {
        return;
    }
    let now = CURRENT.fetch_add(by, Ordering::Relaxed) + by;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are updated.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        if COUNTING.load(Ordering::Relaxed) {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() && COUNTING.load(Ordering::Relaxed) {
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
            grew(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const ROWS: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "items")]
struct Item {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(sql_type = "string(50)")]
    name: String,
    #[dqmig(sql_type = "string(100)")]
    email: String,
    score: f64,
    active: bool,
    created: NaiveDateTime,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binding 127.0.0.1:0 to find a free port");
    l.local_addr()
        .expect("local address of a bound listener")
        .port()
}

fn env_count(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a count")),
        Err(_) => default,
    }
    .max(1)
}

/// xorshift64*: the ids to read, the same sequence for both sides.
fn ids(n: usize, seed: u64) -> Vec<i64> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            (s.wrapping_mul(0x2545_F491_4F6C_DD1D) % ROWS as u64) as i64 + 1
        })
        .collect()
}

/// Heap bytes at the peak of `f` (above what was held before it), the bytes its result
/// keeps, the time it took, and its result.
/// Memory freed while counting is off is never subtracted, and memory allocated then is
/// freed uncounted: `CURRENT` is only meaningful as a difference within one `measured`, and
/// its result is dropped with counting off after it.
fn measured<T>(f: impl FnOnce() -> T) -> (usize, usize, Duration, T) {
    COUNTING.store(true, Ordering::SeqCst);
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    let kept = CURRENT.load(Ordering::Relaxed).saturating_sub(base);
    COUNTING.store(false, Ordering::SeqCst);
    (peak, kept, took, out)
}

/// CPU time of the calling thread (the client side; the node runs on its own threads).
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-pointer to a timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let gets = env_count("DQMIG_BENCH_GETS", 20_000);
    let runs = env_count("DQMIG_BENCH_RUNS", 7);
    let dir = tempfile::tempdir().expect("creating a temp dir for the embedded node");
    let addr = format!("127.0.0.1:{}", free_port());
    let _node = node::start(NodeConfig::new(1, addr.clone(), dir.path()))
        .unwrap_or_else(|e| panic!("starting the embedded node: {e}"));
    let mut conn = Connection::open(&addr, "orm").unwrap_or_else(|e| panic!("opening orm: {e}"));
    MetaData::new()
        .model::<Item>()
        .create_all(&mut conn)
        .unwrap_or_else(|e| panic!("creating the items table: {e}"));
    conn.execute_batch(&format!(
        "INSERT INTO items (id, name, email, score, active, created) \
         WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {ROWS}) \
         SELECT x, 'user-' || x, 'user' || x || '@example.com', x * 0.5, x % 2, \
         '2026-01-01 00:00:00' FROM c"
    ))
    .unwrap_or_else(|e| panic!("filling items: {e}"));

    // ---- 1. get by primary key
    // The SQL the session sends, for the raw side.
    let sql = {
        let mut s = Session::new(&mut conn);
        let item = s.get::<Item>(1).unwrap().expect("item 1").get();
        assert_eq!(item.email, "user1@example.com");
        let sent = s.take_statements();
        sent.last().expect("the SELECT").sql.clone()
    };
    let order = ids(gets, 7);
    let rounds = 10;
    let per = gets.div_ceil(rounds);
    let (mut raw_time, mut orm_time) = (Duration::ZERO, Duration::ZERO);
    let (mut raw_ops, mut orm_ops) = (0usize, 0usize);
    let (mut raw_reqs, mut orm_reqs) = (0u64, 0u64);
    let (mut raw_cpu, mut orm_cpu) = (Duration::ZERO, Duration::ZERO);
    let mut session = Session::new(&mut conn);
    // Warm-up of both paths (statement cache, first BEGIN).
    session.get::<Item>(2).unwrap();
    for chunk in order.chunks(per) {
        session.clear();
        let before = session.connection().requests_sent();
        let cpu = thread_cpu();
        let start = Instant::now();
        for id in chunk {
            session.clear();
            let item = session.get::<Item>(*id).unwrap().expect("an item");
            std::hint::black_box(&item);
        }
        orm_time += start.elapsed();
        orm_cpu += thread_cpu() - cpu;
        orm_ops += chunk.len();
        orm_reqs += session.connection().requests_sent() - before;
        let raw = session.connection();
        let before = raw.requests_sent();
        let cpu = thread_cpu();
        let start = Instant::now();
        for id in chunk {
            let rows = raw.query(&sql, params![*id]).unwrap();
            assert_eq!(rows.len(), 1);
            std::hint::black_box(&rows);
        }
        raw_time += start.elapsed();
        raw_cpu += thread_cpu() - cpu;
        raw_ops += chunk.len();
        raw_reqs += raw.requests_sent() - before;
    }
    session.rollback().unwrap();
    drop(session);
    let raw_rate = raw_ops as f64 / raw_time.as_secs_f64();
    let orm_rate = orm_ops as f64 / orm_time.as_secs_f64();
    println!(
        "get by primary key ({gets} reads per side, {rounds} alternating rounds, one connection):"
    );
    println!(
        "  raw client query      {raw_rate:>10.0} ops/s  {:.2} requests/op  client CPU {:.1} us/op",
        raw_reqs as f64 / raw_ops as f64,
        raw_cpu.as_secs_f64() * 1e6 / raw_ops as f64
    );
    println!(
        "  ORM Session::get      {orm_rate:>10.0} ops/s  {:.2} requests/op  client CPU {:.1} us/op",
        orm_reqs as f64 / orm_ops as f64,
        orm_cpu.as_secs_f64() * 1e6 / orm_ops as f64
    );
    println!(
        "  ratio ORM/raw          {:>9.3}  (target >= 0.9)",
        orm_rate / raw_rate
    );

    // ---- 2. loading 10,000 rows
    let all_sql = format!(
        "SELECT {} FROM \"items\"",
        Item::TABLE
            .columns
            .iter()
            .map(|c| format!("\"{}\"", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (mut raw_times, mut orm_times) = (Vec::new(), Vec::new());
    let (mut raw_peak, mut raw_kept, mut orm_peak, mut orm_kept) = (0, 0, 0, 0);
    for _ in 0..runs {
        let (peak, kept, took, rows) = measured(|| conn.query(&all_sql, params![]).unwrap());
        assert_eq!(rows.len(), ROWS as usize);
        (raw_peak, raw_kept) = (raw_peak.max(peak), raw_kept.max(kept));
        raw_times.push(took);
        drop(rows);
        let (peak, kept, took, items) = measured(|| select::<Item>().all(&mut conn).unwrap());
        assert_eq!(items.len(), ROWS as usize);
        assert_eq!(items[9].email, "user10@example.com");
        (orm_peak, orm_kept) = (orm_peak.max(peak), orm_kept.max(kept));
        orm_times.push(took);
        drop(items);
    }
    let (raw_t, orm_t) = (median(raw_times), median(orm_times));
    println!("loading {ROWS} rows ({runs} runs per side; time: median; heap: largest peak and what the result keeps):");
    println!(
        "  raw Rows              {:>8.1} ms  peak {:>6.2} MiB  kept {:>6.2} MiB",
        raw_t.as_secs_f64() * 1000.0,
        mib(raw_peak),
        mib(raw_kept)
    );
    println!(
        "  Vec<Item> (structs)   {:>8.1} ms  peak {:>6.2} MiB  kept {:>6.2} MiB",
        orm_t.as_secs_f64() * 1000.0,
        mib(orm_peak),
        mib(orm_kept)
    );
    println!(
        "  ratio structs/raw     time {:>5.2}  peak memory {:>5.2}  (target <= 1.5)",
        orm_t.as_secs_f64() / raw_t.as_secs_f64(),
        orm_peak as f64 / raw_peak as f64
    );

    let ours = seed_figures(&mut conn, runs, orm_rate, orm_t, orm_peak);
    peer(&addr, &ours);
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "users")]
struct BUser {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(sql_type = "string(100)")]
    name: String,
    #[dqmig(sql_type = "string(255)", unique)]
    email: String,
}

#[derive(Debug, Clone, PartialEq, Model)]
#[dqmig(table = "posts")]
struct BPost {
    #[dqmig(primary_key)]
    id: i64,
    #[dqmig(index)]
    user_id: i64,
    #[dqmig(sql_type = "string(200)")]
    title: String,
    body: String,
}

impl BUser {
    const POSTS: Relation<BUser, BPost> = Relation::has_many(BUser::ID, BPost::USER_ID);
}

const BULK_ROWS: usize = 100_000;
const USERS: usize = 1_000;
const PER_USER: usize = 10;

/// Our side's figures, by the peer's names.
struct Figures {
    bulk_rows_per_s: f64,
    select_in_s: f64,
    select_in_queries: u64,
    joined_s: f64,
    joined_queries: u64,
    structs_s: f64,
    structs_peak: usize,
    point_reads_per_s: f64,
}

fn post(i: usize) -> BPost {
    BPost {
        id: 0,
        user_id: 1 + (i % USERS) as i64,
        title: format!("post {i}"),
        body: "lorem ipsum ".repeat(4),
    }
}

/// Database `database` with USERS users, then `posts` posts inserted in one `insert_many`
/// (timed).
fn seeded(
    addr: &str,
    database: &str,
    posts: usize,
) -> (Connection, Duration, dqmig::orm::BulkResult) {
    let mut conn =
        Connection::open(addr, database).unwrap_or_else(|e| panic!("opening {database}: {e}"));
    MetaData::new()
        .model::<BUser>()
        .model::<BPost>()
        .relation(BUser::POSTS)
        .create_all(&mut conn)
        .unwrap_or_else(|e| panic!("creating users and posts: {e}"));
    let mut users: Vec<BUser> = (1..=USERS)
        .map(|i| BUser {
            id: 0,
            name: format!("user {i}"),
            email: format!("u{i}@example.com"),
        })
        .collect();
    insert_many(&mut conn, &mut users).unwrap();
    let mut rows: Vec<BPost> = (0..posts).map(post).collect();
    let start = Instant::now();
    let done = insert_many(&mut conn, &mut rows).unwrap();
    (conn, start.elapsed(), done)
}

/// Part 3 on databases `orm_seed` (the bulk insert) and `orm_load` of the same node.
fn seed_figures(
    items: &mut Connection,
    runs: usize,
    point_reads_per_s: f64,
    structs_t: Duration,
    structs_peak: usize,
) -> Figures {
    let addr = items.address().to_string();
    let mut conn =
        Connection::open(&addr, "orm_seed").unwrap_or_else(|e| panic!("opening orm_seed: {e}"));
    MetaData::new()
        .model::<BUser>()
        .model::<BPost>()
        .relation(BUser::POSTS)
        .create_all(&mut conn)
        .unwrap_or_else(|e| panic!("creating users and posts: {e}"));
    let mut users: Vec<BUser> = (1..=USERS)
        .map(|i| BUser {
            id: 0,
            name: format!("user {i}"),
            email: format!("u{i}@example.com"),
        })
        .collect();
    insert_many(&mut conn, &mut users).unwrap();

    let mut posts: Vec<BPost> = (0..BULK_ROWS).map(post).collect();
    let start = Instant::now();
    let done = insert_many(&mut conn, &mut posts).unwrap();
    let bulk = start.elapsed();
    assert_eq!(done.rows as usize, BULK_ROWS);
    let bulk_rows_per_s = BULK_ROWS as f64 / bulk.as_secs_f64();
    println!("seed workloads (users and posts, database orm_seed):");
    println!(
        "  bulk insert           {BULK_ROWS} rows in {:.2} s: {bulk_rows_per_s:>9.0} rows/s in {} statements  (target >= 50,000)",
        bulk.as_secs_f64(),
        done.statements
    );
    // The loading measurements on database orm_load: the same users with exactly PER_USER
    // posts each (emptying orm_seed's posts instead overflows libdqlite 1.11.1's page cache:
    // 522).
    let mut conn = seeded(&addr, "orm_load", USERS * PER_USER).0;
    let parents = select::<BUser>().order_by(BUser::ID.asc());
    let (mut sel, mut joined) = (Vec::new(), Vec::new());
    let (mut sel_q, mut joined_q) = (0, 0);
    for _ in 0..runs {
        let before = conn.requests_sent();
        let start = Instant::now();
        let users = parents.all(&mut conn).unwrap();
        let loaded = BUser::POSTS.select_in(&mut conn, &users, |q| q).unwrap();
        sel.push(start.elapsed());
        sel_q = conn.requests_sent() - before;
        assert_eq!(loaded.iter().map(Vec::len).sum::<usize>(), USERS * PER_USER);
        let before = conn.requests_sent();
        let start = Instant::now();
        let pairs = BUser::POSTS.load_joined(&mut conn, &parents).unwrap();
        joined.push(start.elapsed());
        joined_q = conn.requests_sent() - before;
        assert_eq!(pairs.len(), USERS);
        assert_eq!(
            pairs.iter().map(|(_, p)| p.len()).sum::<usize>(),
            USERS * PER_USER
        );
    }
    let (sel, joined) = (median(sel), median(joined));
    println!(
        "  select-in loading     {USERS} users x {PER_USER} posts: {:>7.1} ms, {sel_q} queries  (target <= {})",
        sel.as_secs_f64() * 1000.0,
        1 + USERS.div_ceil(250)
    );
    println!(
        "  joined loading        {USERS} users x {PER_USER} posts: {:>7.1} ms, {joined_q} query",
        joined.as_secs_f64() * 1000.0
    );
    Figures {
        bulk_rows_per_s,
        select_in_s: sel.as_secs_f64(),
        select_in_queries: sel_q,
        joined_s: joined.as_secs_f64(),
        joined_queries: joined_q,
        structs_s: structs_t.as_secs_f64(),
        structs_peak,
        point_reads_per_s,
    }
}

/// A Python 3.13 interpreter: `python3.13` on PATH, else pyenv's.
fn python313() -> Option<std::path::PathBuf> {
    let on_path = std::process::Command::new("python3.13")
        .arg("--version")
        .output();
    if on_path.is_ok_and(|o| o.status.success()) {
        return Some("python3.13".into());
    }
    let home = std::env::var("HOME").ok()?;
    let versions = std::path::Path::new(&home).join(".pyenv/versions");
    let mut found: Vec<_> = std::fs::read_dir(versions)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("3.13"))
        .map(|e| e.path().join("bin/python3"))
        .filter(|p| p.exists())
        .collect();
    found.sort();
    found.pop()
}

/// `target/bench-venv` with SQLAlchemy and the dqlite dialect, or why not.
fn peer_python() -> Result<std::path::PathBuf, String> {
    let python =
        python313().ok_or("no Python 3.13 (python3.13 on PATH or ~/.pyenv/versions/3.13*)")?;
    let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-venv");
    let bin = venv.join("bin/python");
    let ready = std::process::Command::new(&bin)
        .args(["-c", "import sqlalchemy, sqlalchemydqlite"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ready {
        return Ok(bin);
    }
    let run = |cmd: &mut std::process::Command, what: &str| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{what}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{what}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    };
    run(
        std::process::Command::new(&python)
            .args(["-m", "venv"])
            .arg(&venv),
        "creating target/bench-venv",
    )?;
    run(
        std::process::Command::new(&bin).args([
            "-m",
            "pip",
            "install",
            "-q",
            "sqlalchemy>=2,<3",
            "sqlalchemy-dqlite==0.8.0",
        ]),
        "pip install sqlalchemy-dqlite",
    )?;
    Ok(bin)
}

/// Part 4: the SQLAlchemy peer on database `orm_peer` of the same node, and the ratios.
fn peer(addr: &str, ours: &Figures) {
    if std::env::var("DQMIG_BENCH_PEER").is_ok_and(|v| v == "0") {
        println!("peer: skipped (DQMIG_BENCH_PEER=0)");
        return;
    }
    let python = match peer_python() {
        Ok(p) => p,
        Err(why) => {
            println!("peer: SQLAlchemy skipped: {why}");
            return;
        }
    };
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer/sqlalchemy_orm.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args([addr, "orm_peer"])
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}", script.display()));
    if !out.status.success() {
        println!(
            "peer: SQLAlchemy failed, skipped: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return;
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "reading the peer's JSON: {e}: {}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let f = |a: &str, b: &str| v[a][b].as_f64().unwrap_or(f64::NAN);
    println!("peer: SQLAlchemy {} ORM, same node, same run (ratio = ours / theirs, higher is better; target >= 5):", v["version"].as_str().unwrap_or("?"));
    let rows = [
        (
            "bulk insert rows/s",
            ours.bulk_rows_per_s,
            f("bulk_insert", "rows_per_s"),
            false,
        ),
        (
            "select-in load s",
            ours.select_in_s,
            f("select_in", "seconds"),
            true,
        ),
        ("joined load s", ours.joined_s, f("joined", "seconds"), true),
        (
            "10,000 structs s",
            ours.structs_s,
            f("structs", "seconds"),
            true,
        ),
        (
            "10,000 structs peak MiB",
            mib(ours.structs_peak),
            f("structs", "peak_bytes") / (1024.0 * 1024.0),
            true,
        ),
        (
            "point reads/s",
            ours.point_reads_per_s,
            f("point_reads", "reads_per_s"),
            false,
        ),
    ];
    for (name, us, them, lower_is_better) in rows {
        let ratio = if lower_is_better {
            them / us
        } else {
            us / them
        };
        println!("  {name:<24} ours {us:>12.3}  SQLAlchemy {them:>12.3}  ratio {ratio:>7.1}x");
    }
    println!(
        "  queries: select-in ours {} / SQLAlchemy {}, joined ours {} / SQLAlchemy {} (SQLAlchemy's heap is tracemalloc's count, ours the Rust allocator's)",
        ours.select_in_queries,
        v["select_in"]["queries"],
        ours.joined_queries,
        v["joined"]["queries"]
    );
}
