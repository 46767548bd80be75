//! Migration benchmark: the built `dqmig` binary (bench profile) against a running node,
//! one process per command as a user runs it, measuring wall time and the process's peak
//! resident memory (`wait4` rusage of that one child, so no extra tools are needed):
//!
//! - `dqmig upgrade head` over 20 and over 50 revisions (each creates a table with five
//!   columns and an index), every run on a fresh database;
//! - `dqmig current` on the upgraded database;
//! - `dqmig revision --autogenerate` against an empty database with 50 tables in
//!   models.toml (the written file is removed after each run).
//!
//! Peer: Alembic `upgrade head` over the same 20 and 50 revisions on a SQLite file, when a
//! Python venv with alembic and sqlalchemy exists or can be made with pip (cached under the
//! target dir; `DQMIG_BENCH_ALEMBIC=0` skips it). When it cannot run, the reference
//! figure is printed, labelled as not measured here.
//!
//! Big rebuild (last section): a project on an EMBEDDED url
//! (`dqlite:///127.0.0.1:PORT/TMP/data/app.db`), so the node runs inside the measured `dqmig`
//! process and its peak RSS is the node's memory too. A table `big` (integer key, indexed
//! text column, a real and a NOT NULL text column) is filled with N rows by one
//! `dqmig sql` INSERT ... SELECT over a recursive CTE (not measured); then the models make
//! the NOT NULL column nullable, `dqmig revision --autogenerate` writes the table rebuild,
//! and `dqmig upgrade head` is measured (wall time, peak RSS, success, then the row count
//! is checked). N starts at 1,000,000 and doubles until a rebuild fails, N would pass the
//! cap, or the next size would not finish within the section's time budget; the largest N
//! that passed and the first line of a failure's error are printed, with the node's peak
//! RSS per million rows. Knobs: `DQMIG_BENCH_REBUILD_ROWS` (first N, default 1000000),
//! `DQMIG_BENCH_REBUILD_MAX_ROWS` (cap, default 16000000; `0` skips the section),
//! `DQMIG_BENCH_REBUILD_SECS` (default 360: a size predicted, at twice the previous size's
//! time, to end the section later than this is not started),
//! `DQMIG_BENCH_REBUILD_ONLY=1` (run only this section). Sizes of 1,000,000 rows or more
//! are run once; smaller ones `DQMIG_BENCH_RUNS` times (a downgrade in between).
//!
//! Run: `cargo bench --bench migrate` (or `make bench`). `DQMIG_BENCH_RUNS` (default 5)
//! runs per case; the median, min and max wall time and the largest peak RSS are reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dqmig::node::{self, NodeConfig};

const DQMIG: &str = env!("CARGO_BIN_EXE_dqmig");
/// Alembic's figure from the issue (not measured here): upgrade head over 20 revisions.
const ALEMBIC_REFERENCE: &str = "about 1.0 s and 48 MiB for `upgrade head` over 20 revisions";

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binding 127.0.0.1:0 to find a free port");
    l.local_addr()
        .expect("local address of a bound listener")
        .port()
}

/// One finished process.
struct Sample {
    wall: Duration,
    /// Peak resident set size in KiB (Linux `ru_maxrss`).
    max_rss_kib: i64,
    ok: bool,
    stderr: String,
}

/// Runs `cmd` to completion through the launcher, timing it and reading its own rusage.
fn measure(cmd: &mut Command) -> Sample {
    LAUNCHER.with(|l| l.borrow_mut().run(cmd))
}

thread_local! {
    static LAUNCHER: std::cell::RefCell<Launcher> = std::cell::RefCell::new(Launcher::start());
}

/// A small helper process (this bench binary re-executed with [`LAUNCHER_ENV`]) that
/// spawns each measured command and reports its wall time and `wait4` rusage. Needed
/// because Linux counts a parent's memory high-water mark at fork/exec into the child's
/// `ru_maxrss`: spawned from this process (which holds a node and grows) the figures would
/// be the bench's, not dqmig's. The launcher stays a few MiB, below anything measured; its
/// floor is printed (a run of `true`).
struct Launcher {
    child: std::process::Child,
    to: std::process::ChildStdin,
    from: std::io::BufReader<std::process::ChildStdout>,
}

const LAUNCHER_ENV: &str = "DQMIG_BENCH_LAUNCHER";

impl Launcher {
    fn start() -> Launcher {
        let exe = std::env::current_exe().expect("the bench binary's path");
        let mut child = Command::new(exe)
            .env(LAUNCHER_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting the launcher");
        let to = child.stdin.take().expect("launcher stdin");
        let from = std::io::BufReader::new(child.stdout.take().expect("launcher stdout"));
        Launcher { child, to, from }
    }

    /// One request line: cwd, stderr file, program, args (tab-separated), and the
    /// environment changes the bench makes (DQMIG_URL removed, NO_COLOR set) applied there.
    fn run(&mut self, cmd: &Command) -> Sample {
        use std::io::{BufRead, Write};
        let stderr_file = tempfile::NamedTempFile::new().expect("a temp file for stderr");
        let mut fields = vec![
            cmd.get_current_dir()
                .unwrap_or(Path::new("."))
                .display()
                .to_string(),
            stderr_file.path().display().to_string(),
            cmd.get_program().to_string_lossy().into_owned(),
        ];
        fields.extend(cmd.get_args().map(|a| a.to_string_lossy().into_owned()));
        writeln!(self.to, "{}", fields.join("\t")).expect("writing to the launcher");
        self.to.flush().expect("writing to the launcher");
        let mut line = String::new();
        self.from
            .read_line(&mut line)
            .expect("reading from the launcher");
        let parts: Vec<&str> = line.split_whitespace().collect();
        let [ns, rss, code] = parts.as_slice() else {
            panic!("the launcher answered {line:?}");
        };
        Sample {
            wall: Duration::from_nanos(ns.parse().expect("launcher wall time")),
            max_rss_kib: rss.parse().expect("launcher rss"),
            ok: *code == "0",
            stderr: std::fs::read_to_string(stderr_file.path()).unwrap_or_default(),
        }
    }
}

impl Drop for Launcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Launcher mode: for each request line, spawn, `wait4`, answer `wall_ns maxrss_kib code`.
fn launcher_main() {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    let mut out = std::io::stdout();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { return };
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() < 3 {
            return;
        }
        let err = std::fs::File::create(f[1]).expect("creating the stderr file");
        let started = Instant::now();
        let child = Command::new(f[2])
            .args(&f[3..])
            .current_dir(f[0])
            .env_remove("DQMIG_URL")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(err)
            .spawn();
        let Ok(child) = child else {
            let _ = writeln!(out, "0 0 127");
            let _ = out.flush();
            continue;
        };
        let pid = child.id() as libc::pid_t;
        let mut status: libc::c_int = 0;
        // SAFETY: rusage is plain old data; zeroed is a valid value for wait4 to overwrite.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: pid is our own child, not yet waited for; both pointers are to live locals.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let wall = started.elapsed();
        std::mem::forget(child); // reaped by wait4
        let code = if r == pid && libc::WIFEXITED(status) {
            libc::WEXITSTATUS(status)
        } else {
            255
        };
        let _ = writeln!(out, "{} {} {}", wall.as_nanos(), usage.ru_maxrss, code);
        let _ = out.flush();
    }
}

struct Case {
    name: String,
    samples: Vec<Sample>,
}

impl Case {
    fn median_ms(&self) -> f64 {
        let mut v: Vec<f64> = self
            .samples
            .iter()
            .map(|s| s.wall.as_secs_f64() * 1000.0)
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    }
    fn min_ms(&self) -> f64 {
        self.samples
            .iter()
            .map(|s| s.wall.as_secs_f64() * 1000.0)
            .fold(f64::INFINITY, f64::min)
    }
    fn max_ms(&self) -> f64 {
        self.samples
            .iter()
            .map(|s| s.wall.as_secs_f64() * 1000.0)
            .fold(0.0, f64::max)
    }
    fn peak_mib(&self) -> f64 {
        self.samples
            .iter()
            .map(|s| s.max_rss_kib)
            .max()
            .unwrap_or(0) as f64
            / 1024.0
    }
    fn print(&self) {
        println!(
            "{:<52} {:>4} {:>10.1} {:>9.1} {:>9.1} {:>9.1}",
            self.name,
            self.samples.len(),
            self.median_ms(),
            self.min_ms(),
            self.max_ms(),
            self.peak_mib()
        );
    }
}

fn table_columns(i: usize) -> String {
    format!(
        "\"id\" INTEGER PRIMARY KEY, \"name\" VARCHAR(50) NOT NULL, \"score\" REAL DEFAULT 0, \"note\" TEXT, \"created\" TEXT DEFAULT CURRENT_TIMESTAMP{}",
        if i == 0 { String::new() } else { format!(", \"prev_id\" INTEGER REFERENCES \"t{:03}\" (\"id\") ON DELETE CASCADE", i - 1) }
    )
}

/// A dqmig project with `n` revisions, each creating one table and its index.
fn dqmig_project(dir: &Path, n: usize, url: &str) {
    let versions = dir.join("migrations/versions");
    std::fs::create_dir_all(&versions).expect("creating the versions folder");
    std::fs::write(
        dir.join("dqmig.toml"),
        format!("url = \"{url}\"\nmodels = \"models.toml\"\n"),
    )
    .expect("writing dqmig.toml");
    for i in 0..n {
        let revises = if i == 0 {
            String::new()
        } else {
            format!("r{:03}", i - 1)
        };
        let text = format!(
            "-- revision: r{i:03}\n-- revises: {revises}\n-- message: Create t{i:03}\n-- created: 2026-11-24T00:00:00Z\n\n\
             -- migrate:up\nCREATE TABLE \"t{i:03}\" ({});\nCREATE INDEX \"t{i:03}_name\" ON \"t{i:03}\" (\"name\");\n\n\
             -- migrate:down\nDROP TABLE \"t{i:03}\";\n",
            table_columns(i)
        );
        std::fs::write(versions.join(format!("r{i:03}_create_t{i:03}.sql")), text)
            .expect("writing a revision file");
    }
}

/// models.toml with `n` tables like the revisions create.
fn models_toml(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        s.push_str(&format!(
            "[tables.t{i:03}]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  \
             {{ name = \"name\", type = \"string(50)\", nullable = false }},\n  {{ name = \"score\", type = \"float\", default = \"0\" }},\n  \
             {{ name = \"note\", type = \"text\" }},\n  {{ name = \"created\", type = \"datetime\", default = \"CURRENT_TIMESTAMP\" }},\n"
        ));
        if i > 0 {
            s.push_str(&format!(
                "  {{ name = \"prev_id\", type = \"integer\", references = \"t{:03}.id\", on_delete = \"cascade\" }},\n",
                i - 1
            ));
        }
        s.push_str(&format!(
            "]\nindexes = [ {{ name = \"t{i:03}_name\", columns = [\"name\"] }} ]\n\n"
        ));
    }
    s
}

fn dqmig(project: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(DQMIG);
    cmd.args(args)
        .current_dir(project)
        .env_remove("DQMIG_URL")
        .env("NO_COLOR", "1");
    cmd
}

fn require_ok(case: &str, s: &Sample) {
    assert!(s.ok, "{case} failed: {}", s.stderr);
}

fn runs() -> usize {
    match std::env::var("DQMIG_BENCH_RUNS") {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("DQMIG_BENCH_RUNS={v} is not a number of runs")),
        Err(_) => 5,
    }
    .max(1)
}

fn main() {
    if std::env::var_os(LAUNCHER_ENV).is_some() {
        return launcher_main();
    }
    let runs = runs();
    if std::env::var("DQMIG_BENCH_REBUILD_ONLY").is_ok_and(|v| v == "1") {
        return big_rebuild(runs);
    }
    let node_dir = tempfile::tempdir().expect("a temp dir for the node");
    let addr = format!("127.0.0.1:{}", free_port());
    let _node = node::start(NodeConfig::new(1, addr.clone(), node_dir.path()))
        .unwrap_or_else(|e| panic!("starting the node: {e}"));
    let work = tempfile::tempdir().expect("a temp dir for the projects");
    let mut cases = Vec::new();
    println!(
        "dqmig {} (bench profile) against a node at {addr}; {runs} runs per case",
        env!("CARGO_PKG_VERSION")
    );
    println!(
        "{:<52} {:>4} {:>10} {:>9} {:>9} {:>9}",
        "case", "runs", "median ms", "min ms", "max ms", "peak MiB"
    );
    let mut floor = Case {
        name: "(floor: the launcher spawning `true`)".into(),
        samples: Vec::new(),
    };
    for _ in 0..runs {
        floor
            .samples
            .push(measure(Command::new("true").current_dir(work.path())));
    }
    floor.print();

    for n in [20, 50] {
        let project = work.path().join(format!("up{n}"));
        dqmig_project(&project, n, &format!("dqlite://{addr}/unused.db"));
        let name = format!("dqmig upgrade head ({n} revisions)");
        let mut case = Case {
            name: name.clone(),
            samples: Vec::new(),
        };
        // One warm-up run (page cache, first connection), not counted.
        require_ok(
            &name,
            &measure(&mut dqmig(
                &project,
                &[
                    "upgrade",
                    "head",
                    "-q",
                    "--url",
                    &format!("dqlite://{addr}/up{n}_warm.db"),
                ],
            )),
        );
        for k in 0..runs {
            let url = format!("dqlite://{addr}/up{n}_{k}.db");
            let s = measure(&mut dqmig(
                &project,
                &["upgrade", "head", "-q", "--url", &url],
            ));
            require_ok(&name, &s);
            case.samples.push(s);
        }
        case.print();
        cases.push(case);
        if n == 50 {
            let name = "dqmig current (50 revisions applied)".to_string();
            let mut case = Case {
                name: name.clone(),
                samples: Vec::new(),
            };
            let url = format!("dqlite://{addr}/up50_0.db");
            for _ in 0..runs {
                let s = measure(&mut dqmig(&project, &["current", "--url", &url]));
                require_ok(&name, &s);
                case.samples.push(s);
            }
            case.print();
            cases.push(case);
        }
    }

    // revision --autogenerate: 50 tables in models.toml, empty database.
    let project = work.path().join("autogen50");
    dqmig_project(&project, 0, &format!("dqlite://{addr}/autogen.db"));
    std::fs::write(project.join("models.toml"), models_toml(50)).expect("writing models.toml");
    let name = "dqmig revision --autogenerate (50 tables)".to_string();
    let mut case = Case {
        name: name.clone(),
        samples: Vec::new(),
    };
    let versions = project.join("migrations/versions");
    for _ in 0..runs {
        let s = measure(&mut dqmig(
            &project,
            &["revision", "--autogenerate", "-m", "bench"],
        ));
        if !s.ok {
            println!(
                "{name:<52} not run: {}",
                s.stderr.lines().next().unwrap_or("failed")
            );
            break;
        }
        let written: Vec<PathBuf> = std::fs::read_dir(&versions)
            .expect("reading versions")
            .flatten()
            .map(|e| e.path())
            .collect();
        assert_eq!(
            written.len(),
            1,
            "revision --autogenerate wrote {written:?}"
        );
        let text = std::fs::read_to_string(&written[0]).expect("reading the written revision");
        assert_eq!(text.matches("CREATE TABLE").count(), 50, "{text}");
        std::fs::remove_file(&written[0]).expect("removing the written revision");
        case.samples.push(s);
    }
    if !case.samples.is_empty() {
        case.print();
        cases.push(case);
    }

    alembic_peer(work.path(), runs, &cases);
    big_rebuild(runs);
}

/// Alembic `upgrade head` over the same revisions, when it can run here.
fn alembic_peer(work: &Path, runs: usize, ours: &[Case]) {
    println!();
    if std::env::var("DQMIG_BENCH_ALEMBIC").is_ok_and(|v| v == "0") {
        println!("Alembic peer skipped (DQMIG_BENCH_ALEMBIC=0). Reference from the issue, NOT measured here: {ALEMBIC_REFERENCE}.");
        return;
    }
    let Some(alembic) = alembic_venv() else {
        println!("Alembic peer not available (no python3 venv with alembic, and pip could not install it).");
        println!("Reference from the issue, NOT measured here: {ALEMBIC_REFERENCE}.");
        return;
    };
    for n in [20, 50] {
        let project = work.join(format!("alembic{n}"));
        alembic_project(&project, n);
        let name = format!("alembic upgrade head ({n} revisions, SQLite file)");
        let mut case = Case {
            name: name.clone(),
            samples: Vec::new(),
        };
        // k = 0 is a warm-up (Python compiles the revision files to bytecode), not counted.
        for k in 0..=runs {
            let db = project.join(format!("a{k}.db"));
            let mut cmd = Command::new(&alembic);
            cmd.args([
                "-c",
                "alembic.ini",
                "-x",
                &format!("db={}", db.display()),
                "upgrade",
                "head",
            ])
            .current_dir(&project);
            let s = measure(&mut cmd);
            require_ok(&name, &s);
            if k > 0 {
                case.samples.push(s);
            }
        }
        case.print();
        if let Some(our) = ours
            .iter()
            .find(|c| c.name == format!("dqmig upgrade head ({n} revisions)"))
        {
            println!(
                "  -> dqmig is {:.1}x faster (median wall) and uses {:.1}x less peak memory",
                case.median_ms() / our.median_ms(),
                case.peak_mib() / our.peak_mib().max(0.001)
            );
        }
    }
}

/// The `alembic` script of a venv under the target dir, made (once) with pip if needed.
fn alembic_venv() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("alembic-venv");
    let alembic = venv.join("bin/alembic");
    if alembic.is_file() {
        return Some(alembic);
    }
    let quiet = |c: &mut Command| {
        c.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprintln!(
        "(making a Python venv with alembic and sqlalchemy in {} for the peer run)",
        venv.display()
    );
    if !quiet(Command::new("python3").arg("-m").arg("venv").arg(&venv)) {
        return None;
    }
    let pip = venv.join("bin/pip");
    if !quiet(Command::new("timeout").arg("300").arg(&pip).args([
        "install",
        "--quiet",
        "alembic",
        "sqlalchemy",
    ])) {
        return None;
    }
    alembic.is_file().then_some(alembic)
}

fn alembic_project(dir: &Path, n: usize) {
    let versions = dir.join("alembic/versions");
    std::fs::create_dir_all(&versions).expect("creating the alembic versions folder");
    std::fs::write(
        dir.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/alembic\n",
    )
    .expect("writing alembic.ini");
    std::fs::write(
        dir.join("alembic/env.py"),
        "from alembic import context\nfrom sqlalchemy import create_engine\n\n\
         db = context.get_x_argument(as_dictionary=True)[\"db\"]\n\
         engine = create_engine(\"sqlite:///\" + db)\n\
         with engine.connect() as connection:\n    context.configure(connection=connection, target_metadata=None)\n    \
         with context.begin_transaction():\n        context.run_migrations()\n",
    )
    .expect("writing env.py");
    for i in 0..n {
        let down = if i == 0 {
            "None".to_string()
        } else {
            format!("\"r{:03}\"", i - 1)
        };
        let fk = if i == 0 {
            String::new()
        } else {
            format!("        sa.Column(\"prev_id\", sa.Integer, sa.ForeignKey(\"t{:03}.id\", ondelete=\"CASCADE\")),\n", i - 1)
        };
        let text = format!(
            "\"\"\"Create t{i:03}\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\n\
             revision = \"r{i:03}\"\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\n\
             def upgrade():\n    op.create_table(\n        \"t{i:03}\",\n        sa.Column(\"id\", sa.Integer, primary_key=True),\n        \
             sa.Column(\"name\", sa.String(50), nullable=False),\n        sa.Column(\"score\", sa.Float, server_default=\"0\"),\n        \
             sa.Column(\"note\", sa.Text),\n        sa.Column(\"created\", sa.Text, server_default=sa.text(\"CURRENT_TIMESTAMP\")),\n{fk}    )\n    \
             op.create_index(\"t{i:03}_name\", \"t{i:03}\", [\"name\"])\n\n\ndef downgrade():\n    op.drop_table(\"t{i:03}\")\n"
        );
        std::fs::write(versions.join(format!("r{i:03}_create_t{i:03}.py")), text)
            .expect("writing an alembic revision");
    }
}

/// A numeric knob of the big-rebuild section, or its default.
fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .replace(['_', ','], "")
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

/// models.toml of the big-rebuild table; `note_nullable` is the change the rebuild makes.
fn big_models(note_nullable: bool) -> String {
    format!(
        "[tables.big]\ncolumns = [\n  {{ name = \"id\", type = \"integer\", primary_key = true }},\n  \
         {{ name = \"name\", type = \"string(40)\", nullable = false }},\n  {{ name = \"score\", type = \"float\" }},\n  \
         {{ name = \"note\", type = \"text\", nullable = {note_nullable} }},\n]\n\
         indexes = [ {{ name = \"big_name\", columns = [\"name\"] }} ]\n"
    )
}

/// The line of a failed command's stderr that says what went wrong.
fn first_error_line(s: &Sample) -> String {
    let lines = || s.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    lines()
        .find(|l| l.to_lowercase().contains("error"))
        .or_else(|| lines().next())
        .unwrap_or("failed with no message")
        .to_string()
}

/// How one size of the big rebuild ended.
enum Rebuild {
    /// The rebuild passed (every run), with its samples.
    Passed(Case),
    /// A step failed: which one, and the first line of its error.
    Failed(String, String),
}

/// Big rebuild: see the file's header.
fn big_rebuild(runs: usize) {
    println!();
    let max_rows = env_number("DQMIG_BENCH_REBUILD_MAX_ROWS", 16_000_000);
    if max_rows == 0 {
        println!("Big rebuild skipped (DQMIG_BENCH_REBUILD_MAX_ROWS=0).");
        return;
    }
    let first = env_number("DQMIG_BENCH_REBUILD_ROWS", 1_000_000).max(1);
    let budget = Duration::from_secs(env_number("DQMIG_BENCH_REBUILD_SECS", 360));
    println!(
        "Big rebuild: `dqmig upgrade head` of a revision that drops NOT NULL from a column of an N-row table \
         (embedded node in the measured process); N from {first} doubling up to {max_rows}, within {} s",
        budget.as_secs()
    );
    println!(
        "{:<52} {:>4} {:>10} {:>9} {:>9} {:>9}",
        "case", "runs", "median ms", "min ms", "max ms", "peak MiB"
    );
    let work = match tempfile::tempdir() {
        Ok(w) => w,
        Err(e) => {
            println!("Big rebuild not run: no temp dir ({e})");
            return;
        }
    };
    let started = Instant::now();
    let mut passed: Vec<(u64, Case)> = Vec::new();
    let mut failure = None;
    let mut stopped = String::new();
    let mut n = first;
    loop {
        let size_started = Instant::now();
        let runs = if n >= 1_000_000 { 1 } else { runs };
        match rebuild_once(work.path(), n, runs) {
            Rebuild::Passed(case) => {
                case.print();
                // The slope between sizes leaves out the fixed part (binary, node, caches).
                let slope = passed.last().map_or(String::new(), |(m, c): &(u64, Case)| {
                    format!(
                        "; {:.1} MiB per million rows more than at {m} rows",
                        (case.peak_mib() - c.peak_mib()) / ((n - m) as f64 / 1e6)
                    )
                });
                println!(
                    "  -> node peak RSS {:.1} MiB per million rows{slope}",
                    case.peak_mib() / (n as f64 / 1e6)
                );
                passed.push((n, case));
            }
            Rebuild::Failed(step, error) => {
                println!(
                    "{:<52} FAILED at {step} (the error is below)",
                    format!("dqmig upgrade head (rebuild, {n} rows)")
                );
                failure = Some((n, step, error));
                break;
            }
        }
        // Filling and rebuilding scale with N: the next size takes about twice this one.
        let next_takes = size_started.elapsed() * 2;
        if n.saturating_mul(2) > max_rows {
            stopped = format!(
                "cap: the next size, {} rows, is over {max_rows}",
                n.saturating_mul(2)
            );
            break;
        }
        if started.elapsed() + next_takes > budget {
            stopped = format!(
                "time budget: the next size, {} rows, would take about {:.0} s more (over {} s in all)",
                n * 2,
                next_takes.as_secs_f64(),
                budget.as_secs()
            );
            break;
        }
        n *= 2;
    }
    match passed.last() {
        Some((rows, case)) => println!(
            "  -> largest rebuild that passed: {rows} rows ({:.1} s, {:.1} MiB peak)",
            case.median_ms() / 1000.0,
            case.peak_mib()
        ),
        None => println!("  -> no rebuild passed"),
    }
    match failure {
        Some((rows, step, error)) => println!("  -> first failure: {rows} rows, {step}: {error}"),
        None => println!("  -> no rebuild failed; stopped by the {stopped}"),
    }
    println!("  (section took {:.0} s)", started.elapsed().as_secs_f64());
}

/// One size of the big rebuild on a fresh project and data dir (removed afterwards).
fn rebuild_once(work: &Path, n: u64, runs: usize) -> Rebuild {
    let project = work.join(format!("rebuild{n}"));
    let result = rebuild_in(&project, n, runs);
    let _ = std::fs::remove_dir_all(&project);
    result
}

fn rebuild_in(project: &Path, n: u64, runs: usize) -> Rebuild {
    let name = format!("dqmig upgrade head (rebuild, {n} rows)");
    let failed = |step: &str, e: String| Rebuild::Failed(step.to_string(), e);
    let url = format!(
        "dqlite:///127.0.0.1:{}/{}/app.db",
        free_port(),
        project.join("data").display()
    );
    let setup = std::fs::create_dir_all(project.join("migrations/versions"))
        .and_then(|_| {
            std::fs::write(
                project.join("dqmig.toml"),
                format!("url = \"{url}\"\nmodels = \"models.toml\"\n"),
            )
        })
        .and_then(|_| std::fs::write(project.join("models.toml"), big_models(false)));
    if let Err(e) = setup {
        return failed("writing the project", e.to_string());
    }
    let fill = format!(
        "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {n}) \
         INSERT INTO big (id, name, score, note) SELECT i, 'name-' || i, i * 0.5, 'note ' || i FROM s"
    );
    let steps: [(&str, Vec<&str>); 3] = [
        (
            "revision creating the table",
            vec!["revision", "--autogenerate", "-m", "create big"],
        ),
        ("upgrade creating the table", vec!["upgrade", "head", "-q"]),
        ("filling with dqmig sql", vec!["sql", &fill]),
    ];
    for (step, args) in &steps {
        let s = measure(&mut dqmig(project, args));
        if !s.ok {
            return failed(step, first_error_line(&s));
        }
    }
    if let Err(e) = std::fs::write(project.join("models.toml"), big_models(true)) {
        return failed("writing models.toml", e.to_string());
    }
    let s = measure(&mut dqmig(
        project,
        &["revision", "--autogenerate", "-m", "note nullable"],
    ));
    if !s.ok {
        return failed("revision --autogenerate", first_error_line(&s));
    }
    let rebuilds = std::fs::read_dir(project.join("migrations/versions"))
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read_to_string(e.path())
                        .is_ok_and(|t| t.contains("-- dqmig:rebuild \"big\""))
                })
                .count()
        })
        .unwrap_or(0);
    if rebuilds != 1 {
        return failed(
            "revision --autogenerate",
            "wrote no revision rebuilding \"big\"".to_string(),
        );
    }
    let mut case = Case {
        name,
        samples: Vec::new(),
    };
    for k in 0..runs {
        if k > 0 {
            let s = measure(&mut dqmig(project, &["downgrade", "-1", "-q"]));
            if !s.ok {
                return failed("downgrade between runs", first_error_line(&s));
            }
        }
        let s = measure(&mut dqmig(project, &["upgrade", "head", "-q"]));
        if !s.ok {
            return failed("upgrade head", first_error_line(&s));
        }
        case.samples.push(s);
    }
    // The rebuild kept every row (not measured; stdout is read here, not by the launcher).
    let count = dqmig(project, &["sql", "--json", "SELECT count(*) AS n FROM big"]).output();
    let want = format!("\"n\":{n}");
    match count {
        Ok(o)
            if o.status.success()
                && String::from_utf8_lossy(&o.stdout)
                    .replace(' ', "")
                    .contains(&want) =>
        {
            Rebuild::Passed(case)
        }
        Ok(o) => failed(
            "counting the rows after the rebuild",
            format!(
                "expected {n}, got {}{}",
                String::from_utf8_lossy(&o.stdout).trim(),
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            ),
        ),
        Err(e) => failed("counting the rows after the rebuild", e.to_string()),
    }
}
