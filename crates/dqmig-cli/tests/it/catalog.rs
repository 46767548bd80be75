//! The bad-input catalog: over 150 mistakes a new user makes, each run through the built
//! binary and held to one rule: exit 2 (or the documented non-error code: 1 for `check`
//! drift and `current --check-heads` off head, 0 with a message for a no-op), a message on
//! stderr that names the input and says what to do, no panic or backtrace, an answer within
//! the documented timeouts plus 5 s, and no change to the database (its schema through
//! `dqmig inspect --format sql` and `sqlite_master`, a checksum of every table's rows, both
//! taken before and after the case).
//!
//! Cases are grouped by what they need so that expensive setups are shared: the offline
//! cases (arguments, URLs, dqmig.toml, revision files read without a database) run in
//! parallel threads on copies of `examples/migrations`; the database cases share one
//! in-process node holding a database at head with rows (`cat.db`) and an empty one
//! (`fresh.db`); the server-side faults (no node, a non-dqlite peer, a frozen or killed node,
//! another application's database, a read-only or full data dir) each build their own.
//! Every case runs, and the test fails listing every case that broke the rule.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use dqmig::client::Connection;

use crate::cli_run::{copy_example, R1, R6};
use crate::support::{self, dqmig_bin};

/// The default leader search bound (`--timeout`, 10 s) and the handshake bound of the
/// probe in flight when it runs out (2 s): what a command may take when nothing answers.
const DEFAULT_TIMEOUT_S: u64 = 10;
const HANDSHAKE_S: u64 = 2;
/// The slack the acceptance allows over the documented timeout.
const SLACK: Duration = Duration::from_secs(5);

/// Words of which an error message must hold one: it says what to do.
const HINTS: &[&str] = &[
    "expected",
    "use ",
    "run ",
    "check",
    "fix",
    "remove",
    "pass ",
    "add ",
    "try",
    "e.g.",
    "possible values",
    "must",
    "set ",
    "give",
    "start",
    "write",
    "choose",
    "list",
    "is one of",
    "did you mean",
    "rename",
    "free",
    "make",
    "define",
    "keep",
    "put ",
    "name a",
    "name only",
    "restore",
    "known:",
    "the keys are",
    "the sections are",
    "a range is",
    "a file has",
    "`dqmig ",
];

/// Text no output may hold.
const PANIC_MARKS: &[&str] = &["panicked", "RUST_BACKTRACE", "stack backtrace"];

/// Where a case runs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Setup {
    /// A copy of the example project whose dqmig.toml points at a port where nothing
    /// listens; the command must not need a database.
    Offline,
    /// `{url}` is a database at head holding rows (shared by every `Db` case).
    Db,
    /// `{url}` is an empty database (shared by every `Fresh` case).
    Fresh,
}

/// One bad input.
struct Case {
    name: &'static str,
    setup: Setup,
    /// Changes the fresh copy of the project before the run.
    prepare: fn(&Path),
    /// The command line; `{url}` is the group's URL, `{dir}` the project folder.
    args: &'static [&'static str],
    code: i32,
    /// Each must appear in stderr (`{dir}` replaced).
    expect: &'static [&'static str],
}

const fn case(
    name: &'static str,
    setup: Setup,
    prepare: fn(&Path),
    args: &'static [&'static str],
    code: i32,
    expect: &'static [&'static str],
) -> Case {
    Case {
        name,
        setup,
        prepare,
        args,
        code,
        expect,
    }
}

fn nothing(_: &Path) {}

fn write(p: &Path, rel: &str, text: &str) {
    let path = p.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn config(p: &Path, text: &str) {
    write(p, "dqmig.toml", text);
}

fn models(p: &Path, text: &str) {
    write(p, "models.toml", text);
}

/// A revision file after the example's head (`badbadbad001`), up and down given.
fn after_head(p: &Path, up: &str, down: &str) {
    write(
        p,
        "migrations/versions/badbadbad001_bad.sql",
        &format!(
            "-- revision: badbadbad001\n-- revises: {R6}\n-- message: bad\n-- created: 2026-11-30T00:00:00Z\n\n-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"
        ),
    );
}

/// A whole revision file named `badbadbad001_bad.sql`.
fn rev_file(p: &Path, text: &str) {
    write(p, "migrations/versions/badbadbad001_bad.sql", text);
}

/// Replaces `from` with `to` in the example's first revision file.
fn edit_rev(p: &Path, id: &str, from: &str, to: &str) {
    let dir = p.join("migrations/versions");
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|f| f.file_name().unwrap().to_string_lossy().starts_with(id))
        .unwrap();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(from), "{} lacks {from:?}", file.display());
    std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
}

const DEAD: &str = "dqlite://127.0.0.1:1/app.db";

const MODELS_OK: &str = r#"
[tables.users]
columns = [
  { name = "id", type = "integer", primary_key = true },
  { name = "name", type = "string(100)" },
]
"#;

fn schema(p: &Path, sql: &str) {
    config(p, &format!("url = \"{DEAD}\"\nschema = \"schema.sql\"\n"));
    write(p, "schema.sql", sql);
}

use Setup::{Db, Fresh, Offline};

/// The catalog (server-side faults are in [`server_faults`]).
fn cases() -> Vec<Case> {
    vec![
        // --- command line: arguments and options ---
        case("no command", Offline, nothing, &[], 2, &["Usage: dqmig"]),
        case(
            "unknown command",
            Offline,
            nothing,
            &["frobnicate"],
            2,
            &["frobnicate"],
        ),
        case(
            "unknown option",
            Offline,
            nothing,
            &["upgrade", "--bogus"],
            2,
            &["--bogus"],
        ),
        case(
            "bad --color",
            Offline,
            nothing,
            &["--color", "purple", "heads"],
            2,
            &["purple", "possible values"],
        ),
        case(
            "--timeout not a number",
            Offline,
            nothing,
            &["--timeout", "abc", "heads"],
            2,
            &["abc"],
        ),
        case(
            "--timeout zero",
            Offline,
            nothing,
            &["--timeout", "0", "heads"],
            2,
            &["0 is not in 1..=3600"],
        ),
        case(
            "--timeout too big",
            Offline,
            nothing,
            &["--timeout", "99999", "heads"],
            2,
            &["99999"],
        ),
        case(
            "--timeout negative",
            Offline,
            nothing,
            &["--timeout", "-1", "heads"],
            2,
            &["-1"],
        ),
        case(
            "revision without -m",
            Offline,
            nothing,
            &["revision"],
            2,
            &["--message"],
        ),
        case(
            "revision with an empty message",
            Offline,
            nothing,
            &["revision", "-m", ""],
            2,
            &["message is empty", "-m"],
        ),
        case(
            "revision with a blank message",
            Offline,
            nothing,
            &["revision", "-m", "   "],
            2,
            &["message is empty", "-m"],
        ),
        case(
            "--rename without --autogenerate",
            Offline,
            nothing,
            &["revision", "-m", "x", "--rename", "a.b=c"],
            2,
            &["--rename", "--autogenerate"],
        ),
        case(
            "--no-prompt without --autogenerate",
            Offline,
            nothing,
            &["revision", "-m", "x", "--no-prompt"],
            2,
            &["--no-prompt", "--autogenerate"],
        ),
        case(
            "revision --rev-id not hex",
            Offline,
            nothing,
            &["revision", "-m", "x", "--rev-id", "NOT-HEX!"],
            2,
            &["NOT-HEX!"],
        ),
        case(
            "revision --rev-id taken",
            Offline,
            nothing,
            &["revision", "-m", "x", "--rev-id", R1],
            2,
            &[R1],
        ),
        case(
            "revision --head unknown",
            Offline,
            nothing,
            &["revision", "-m", "x", "--head", "nosuch"],
            2,
            &["nosuch"],
        ),
        case(
            "revision --head not a head",
            Offline,
            nothing,
            &["revision", "-m", "x", "--head", R1],
            2,
            &[R1, "--splice"],
        ),
        case(
            "revision --branch-label reserved",
            Offline,
            nothing,
            &["revision", "-m", "x", "--branch-label", "head"],
            2,
            &["head"],
        ),
        case(
            "revision --depends-on unknown",
            Offline,
            nothing,
            &["revision", "-m", "x", "--depends-on", "nosuch"],
            2,
            &["nosuch"],
        ),
        case(
            "show unknown revision",
            Offline,
            nothing,
            &["show", "nosuch"],
            2,
            &["nosuch", "dqmig history"],
        ),
        case(
            "show without a revision",
            Offline,
            nothing,
            &["show"],
            2,
            &["<REV"],
        ),
        case(
            "history bad range",
            Offline,
            nothing,
            &["history", "-r", "foo"],
            2,
            &["foo", "a range is"],
        ),
        case(
            "history range of unknown ids",
            Offline,
            nothing,
            &["history", "-r", "nosuch:"],
            2,
            &["nosuch"],
        ),
        case(
            "upgrade --sql backwards",
            Offline,
            nothing,
            &["upgrade", "--sql", "head:base"],
            2,
            &["dqmig downgrade --sql head:base"],
        ),
        case(
            "downgrade --sql forwards",
            Offline,
            nothing,
            &["downgrade", "--sql", "base:head"],
            2,
            &["dqmig upgrade --sql base:head"],
        ),
        case(
            "upgrade --sql unknown target",
            Offline,
            nothing,
            &["upgrade", "--sql", "nosuch"],
            2,
            &["nosuch"],
        ),
        case(
            "upgrade bad --transaction",
            Offline,
            nothing,
            &["upgrade", "head", "--transaction", "sometimes"],
            2,
            &["sometimes", "possible values"],
        ),
        case(
            "upgrade two targets",
            Offline,
            nothing,
            &["upgrade", "head", "extra"],
            2,
            &["extra"],
        ),
        case(
            "downgrade without target",
            Offline,
            nothing,
            &["downgrade"],
            2,
            &["<TARGET"],
        ),
        case(
            "stamp without target",
            Offline,
            nothing,
            &["stamp"],
            2,
            &["<TARGET"],
        ),
        case(
            "inspect bad --format",
            Offline,
            nothing,
            &["inspect", "--format", "xml"],
            2,
            &["xml", "possible values"],
        ),
        case(
            "completions for an unknown shell",
            Offline,
            nothing,
            &["completions", "tcsh"],
            2,
            &["tcsh", "possible values"],
        ),
        case(
            "edit unknown revision",
            Offline,
            nothing,
            &["edit", "nosuch"],
            2,
            &["nosuch"],
        ),
        case(
            "merge with one head",
            Offline,
            nothing,
            &["merge", "-m", "m", "heads"],
            2,
            &["merge"],
        ),
        case(
            "init into a project folder",
            Offline,
            nothing,
            &["init", "{dir}"],
            2,
            &["{dir}"],
        ),
        case(
            "init with an unknown template",
            Offline,
            nothing,
            &["init", "--template", "nosuch", "{dir}/new"],
            2,
            &["nosuch", "list-templates"],
        ),
        case(
            "--config missing",
            Offline,
            nothing,
            &["--config", "{dir}/nope.toml", "heads"],
            2,
            &["{dir}/nope.toml"],
        ),
        case(
            "--config a folder",
            Offline,
            nothing,
            &["--config", "{dir}/migrations", "heads"],
            2,
            &["{dir}/migrations"],
        ),
        case(
            "node start without --id",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--address",
                "127.0.0.1:1",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["--id"],
        ),
        case(
            "node start bad address",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "nowhere",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["nowhere"],
        ),
        case(
            "node start port out of range",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "127.0.0.1:99999",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["99999"],
        ),
        case(
            "node start id zero",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "0",
                "--address",
                "127.0.0.1:1",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["invalid node id \"0\"", "non-zero"],
        ),
        case(
            "node start wildcard IPv4 address",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "0.0.0.0:1",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["0.0.0.0:1", "peers and clients reach"],
        ),
        case(
            "node start wildcard IPv6 address",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "[::]:1",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["[::]:1", "peers and clients reach"],
        ),
        case(
            "node start IPv6 without port",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "[::1]",
                "--data-dir",
                "{dir}/n",
            ],
            2,
            &["[::1]", "the port is missing"],
        ),
        case(
            "node start data dir is a file",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "127.0.0.1:1",
                "--data-dir",
                "{dir}/dqmig.toml",
            ],
            2,
            &["dqmig.toml", "is not one"],
        ),
        case(
            "sql without a statement",
            Offline,
            nothing,
            &["sql"],
            2,
            &["<STATEMENT>"],
        ),
        case(
            "sql empty",
            Offline,
            nothing,
            &["sql", ""],
            2,
            &["the statement is empty", "dqmig sql \"SELECT 1\""],
        ),
        case(
            "sql blank",
            Offline,
            nothing,
            &["sql", "   \n "],
            2,
            &["the statement is empty"],
        ),
        case(
            "sql only a comment",
            Offline,
            nothing,
            &["sql", "/* nothing */"],
            2,
            &["the statement is empty"],
        ),
        case(
            "sql two statements",
            Db,
            nothing,
            &[
                "sql",
                "INSERT INTO users (name, email) VALUES ('a', 'b'); SELECT 1",
                "--url",
                "{url}",
            ],
            2,
            &["holds 2", "nothing was run"],
        ),
        case(
            "sql BEGIN",
            Offline,
            nothing,
            &["sql", "BEGIN"],
            2,
            &["`BEGIN`", "one at a time"],
        ),
        case(
            "sql COMMIT",
            Offline,
            nothing,
            &["sql", "commit"],
            2,
            &["`COMMIT`"],
        ),
        case(
            "sql SAVEPOINT",
            Offline,
            nothing,
            &["sql", "SAVEPOINT s"],
            2,
            &["`SAVEPOINT`"],
        ),
        // The pragmas and statements a revision may not contain: some crash a 1.11 node
        // (journal_mode, page_size, locking_mode). The Db cases prove the node lives on (the
        // catalog reads the database after each case).
        case(
            "sql PRAGMA journal_mode=DELETE",
            Db,
            nothing,
            &["sql", "PRAGMA journal_mode=DELETE", "--url", "{url}"],
            2,
            &["`PRAGMA journal_mode`", "crash the node", "nothing was run"],
        ),
        // Found by a fresh-user pass: each of these took down the node.
        case(
            "sql EXPLAIN PRAGMA journal_mode=DELETE",
            Db,
            nothing,
            &[
                "sql",
                "EXPLAIN PRAGMA journal_mode=DELETE",
                "--url",
                "{url}",
            ],
            2,
            &["`EXPLAIN PRAGMA journal_mode`", "remove the statement"],
        ),
        case(
            "sql EXPLAIN QUERY PLAN PRAGMA page_size=8192",
            Db,
            nothing,
            &[
                "sql",
                "explain query plan pragma page_size=8192",
                "--url",
                "{url}",
            ],
            2,
            &["`EXPLAIN PRAGMA page_size`"],
        ),
        case(
            "URL database :memory:",
            Offline,
            nothing,
            &["sql", "SELECT 1", "--url", "dqlite://127.0.0.1:1/:memory:"],
            2,
            &["\":memory:\"", "is not a file name", "app.db"],
        ),
        case(
            "URL database file::memory:",
            Offline,
            nothing,
            &[
                "current",
                "--url",
                "dqlite:///127.0.0.1:1/tmp/x/file::memory:",
            ],
            2,
            &["\"file::memory:\"", "is not a file name"],
        ),
        case(
            "node start --id 1 --role spare",
            Offline,
            nothing,
            &[
                "node",
                "start",
                "--id",
                "1",
                "--address",
                "127.0.0.1:1",
                "--data-dir",
                "{dir}/nd",
                "--role",
                "spare",
            ],
            2,
            &["--role spare", "drop --role"],
        ),
        case(
            "sql PRAGMA main.journal_mode quoted, any case",
            Db,
            nothing,
            &[
                "sql",
                "pragma main.JOURNAL_MODE = 'delete'",
                "--url",
                "{url}",
            ],
            2,
            &["`PRAGMA journal_mode`", "dqlite manages the storage"],
        ),
        case(
            "sql PRAGMA page_size",
            Db,
            nothing,
            &["sql", "PRAGMA page_size=8192", "--url", "{url}"],
            2,
            &["`PRAGMA page_size`"],
        ),
        case(
            "sql PRAGMA locking_mode",
            Offline,
            nothing,
            &["sql", "PRAGMA locking_mode=EXCLUSIVE"],
            2,
            &["`PRAGMA locking_mode`"],
        ),
        case(
            "sql PRAGMA synchronous",
            Offline,
            nothing,
            &["sql", "PRAGMA synchronous=FULL"],
            2,
            &["`PRAGMA synchronous`"],
        ),
        case(
            "sql PRAGMA wal_checkpoint(TRUNCATE)",
            Offline,
            nothing,
            &["sql", "PRAGMA wal_checkpoint(TRUNCATE)"],
            2,
            &["`PRAGMA wal_checkpoint`"],
        ),
        case(
            "sql PRAGMA writable_schema",
            Offline,
            nothing,
            &["sql", "PRAGMA writable_schema=1"],
            2,
            &["`PRAGMA writable_schema`", "corrupt"],
        ),
        case(
            "sql PRAGMA recursive_triggers (a connection setting)",
            Offline,
            nothing,
            &["sql", "PRAGMA recursive_triggers = 1"],
            2,
            &["`PRAGMA recursive_triggers`", "would do nothing"],
        ),
        case(
            "sql VACUUM",
            Db,
            nothing,
            &["sql", "VACUUM", "--url", "{url}"],
            2,
            &["`VACUUM`"],
        ),
        // --- database URLs ---
        case(
            "URL with another scheme",
            Offline,
            nothing,
            &["current", "--url", "http://x/y"],
            2,
            &["\"http://x/y\"", "expected dqlite://"],
        ),
        case(
            "URL postgres",
            Offline,
            nothing,
            &["current", "--url", "postgres://h/db"],
            2,
            &["postgres://h/db"],
        ),
        case(
            "URL without database",
            Offline,
            nothing,
            &["current", "--url", "dqlite://127.0.0.1:9001/"],
            2,
            &["has no database name"],
        ),
        case(
            "URL empty",
            Offline,
            nothing,
            &["current", "--url", ""],
            2,
            &["--url is empty", "leave --url out"],
        ),
        case(
            "URL scheme only",
            Offline,
            nothing,
            &["current", "--url", "dqlite://"],
            2,
            &["dqlite://"],
        ),
        case(
            "URL port not a number",
            Offline,
            nothing,
            &["current", "--url", "dqlite://127.0.0.1:port/app.db"],
            2,
            &["127.0.0.1:port"],
        ),
        case(
            "URL port out of range",
            Offline,
            nothing,
            &["current", "--url", "dqlite://127.0.0.1:70000/app.db"],
            2,
            &["70000"],
        ),
        case(
            "URL without port",
            Offline,
            nothing,
            &["current", "--url", "dqlite://127.0.0.1/app.db"],
            2,
            &["127.0.0.1"],
        ),
        case(
            "URL empty seed",
            Offline,
            nothing,
            &["current", "--url", "dqlite://127.0.0.1:9001,/app.db"],
            2,
            &["dqlite://127.0.0.1:9001,/app.db"],
        ),
        case(
            "URL broken IPv6",
            Offline,
            nothing,
            &["current", "--url", "dqlite://[::1/app.db"],
            2,
            &["[::1"],
        ),
        case(
            "URL without slashes",
            Offline,
            nothing,
            &["current", "--url", "dqlite:127.0.0.1:9001/app.db"],
            2,
            &["dqlite:127.0.0.1:9001/app.db"],
        ),
        case(
            "embedded URL without data dir",
            Offline,
            nothing,
            &["current", "--url", "dqlite:///127.0.0.1:9001"],
            2,
            &["dqlite:///127.0.0.1:9001"],
        ),
        case(
            "embedded URL without address",
            Offline,
            nothing,
            &["current", "--url", "dqlite:///tmp/x/app.db"],
            2,
            &["dqlite:///tmp/x/app.db"],
        ),
        case(
            "URL from dqmig.toml bad",
            Offline,
            |p| config(p, "url = \"mysql://x/y\"\n"),
            &["current"],
            2,
            &["dqmig.toml", "mysql://x/y"],
        ),
        case(
            "URL from dqmig.toml not a string",
            Offline,
            |p| config(p, "url = 5\n"),
            &["current"],
            2,
            &["dqmig.toml", "dqmig.toml:1:7", "expected a string"],
        ),
        case(
            "no URL anywhere",
            Offline,
            |p| config(p, "migrations = \"migrations\"\n"),
            &["current"],
            2,
            &["--url", "DQMIG_URL"],
        ),
        // --- dqmig.toml ---
        case(
            "config not TOML",
            Offline,
            |p| config(p, "url = \n"),
            &["heads"],
            2,
            &["dqmig.toml", "dqmig.toml:1:7"],
        ),
        case(
            "config unknown key",
            Offline,
            |p| config(p, &format!("url = \"{DEAD}\"\nurll = \"x\"\n")),
            &["heads"],
            2,
            &["dqmig.toml", "urll"],
        ),
        case(
            "config wrong type",
            Offline,
            |p| config(p, "migrations = 5\n"),
            &["heads"],
            2,
            &["dqmig.toml", "dqmig.toml:1:14", "expected a string"],
        ),
        case(
            "config bad transaction",
            Offline,
            |p| config(p, "transaction = \"sometimes\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "sometimes"],
        ),
        case(
            "config empty version_table",
            Offline,
            |p| config(p, "version_table = \"\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "version_table"],
        ),
        case(
            "config include_tables not a list",
            Offline,
            |p| config(p, "include_tables = \"x\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "dqmig.toml:1:18", "expected a sequence"],
        ),
        case(
            "config bad file_template",
            Offline,
            |p| config(p, "file_template = \"%(nope)s\"\n"),
            &["revision", "-m", "x"],
            2,
            &["nope"],
        ),
        case(
            "config migrations folder missing",
            Offline,
            |p| config(p, "migrations = \"nowhere\"\n"),
            &["heads"],
            2,
            &["nowhere"],
        ),
        case(
            "config duplicate key",
            Offline,
            |p| config(p, "url = \"a\"\nurl = \"b\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "dqmig.toml:2:1", "duplicate key"],
        ),
        case(
            "config not UTF-8",
            Offline,
            |p| std::fs::write(p.join("dqmig.toml"), b"url = \"\xff\"\n").unwrap(),
            &["heads"],
            2,
            &["dqmig.toml"],
        ),
        case(
            "config models and models_command",
            Offline,
            |p| config(p, "models = \"models.toml\"\nmodels_command = \"true\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "models_command"],
        ),
        case(
            "config models and schema",
            Offline,
            |p| config(p, "models = \"models.toml\"\nschema = \"schema.sql\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "schema"],
        ),
        case(
            "config unknown key history_table",
            Offline,
            |p| config(p, "version_table = \"x\"\nhistory_table = \"x\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "history_table", "remove or rename the key"],
        ),
        case(
            "config version_table reserved name",
            Offline,
            |p| config(p, "version_table = \"sqlite_master\"\n"),
            &["heads"],
            2,
            &["dqmig.toml", "sqlite_master"],
        ),
        case(
            "config migrations is a file",
            Offline,
            |p| config(p, "migrations = \"models.toml\"\n"),
            &["heads"],
            2,
            &["models.toml"],
        ),
        // --- revision files (read without a database) ---
        case(
            "revision file without header",
            Offline,
            |p| rev_file(p, "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 1;\n"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "revision"],
        ),
        case(
            "revision file bad id",
            Offline,
            |p| {
                rev_file(p, "-- revision: xyz!\n-- revises:\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n")
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "xyz!"],
        ),
        case(
            "revision file without up section",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: m\n\n-- migrate:down\nSELECT 1;\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "migrate:up"],
        ),
        case(
            "revision file without down section",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: m\n\n-- migrate:up\nSELECT 1;\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "migrate:down"],
        ),
        case(
            "revision file with two up sections",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: m\n\n-- migrate:up\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "migrate:up"],
        ),
        case(
            "revision file sections reversed",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: m\n\n-- migrate:down\n\n-- migrate:up\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql"],
        ),
        case(
            "revision file unknown section",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: m\n\n-- migrate:up\n\n-- migrate:sideways\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "sideways"],
        ),
        case(
            "revision file unknown parent",
            Offline,
            |p| {
                rev_file(p, "-- revision: badbadbad001\n-- revises: deadbeef0000\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n")
            },
            &["heads"],
            2,
            &["badbadbad001", "deadbeef0000"],
        ),
        case(
            "revision file duplicate id",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: {R6}\n-- revises: {R1}\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &[R6],
        ),
        case(
            "revision files in a cycle",
            Offline,
            |p| edit_rev(p, R1, "-- revises:\n", &format!("-- revises: {R6}\n")),
            &["heads"],
            2,
            &["cycle"],
        ),
        case(
            "revision file is its own parent",
            Offline,
            |p| {
                rev_file(p, "-- revision: badbadbad001\n-- revises: badbadbad001\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n")
            },
            &["heads"],
            2,
            &["badbadbad001"],
        ),
        case(
            "revision file BEGIN",
            Offline,
            |p| after_head(p, "BEGIN;\nCREATE TABLE t (x);\nCOMMIT;", "DROP TABLE t;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7", "`BEGIN`", "remove the statement"],
        ),
        case(
            "revision file COMMIT",
            Offline,
            |p| after_head(p, "CREATE TABLE t (x);\nCOMMIT;", "DROP TABLE t;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:8", "`COMMIT`"],
        ),
        case(
            "revision file ROLLBACK",
            Offline,
            |p| after_head(p, "CREATE TABLE t (x);", "ROLLBACK;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:10", "`ROLLBACK`"],
        ),
        case(
            "revision file END TRANSACTION",
            Offline,
            |p| after_head(p, "END TRANSACTION;", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7", "`END TRANSACTION`"],
        ),
        case(
            "revision file SAVEPOINT",
            Offline,
            |p| after_head(p, "SAVEPOINT a;\nRELEASE a;", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7", "`SAVEPOINT"],
        ),
        case(
            "revision file VACUUM",
            Offline,
            |p| after_head(p, "VACUUM;", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7", "VACUUM"],
        ),
        case(
            "revision file ATTACH",
            Offline,
            |p| after_head(p, "ATTACH 'x.db' AS x;", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7", "ATTACH"],
        ),
        case(
            "revision file PRAGMA journal_mode",
            Offline,
            |p| after_head(p, "PRAGMA journal_mode=DELETE;", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7", "journal_mode"],
        ),
        case(
            "revision file RETURNING",
            Offline,
            |p| after_head(p, "DELETE FROM users RETURNING id;", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "RETURNING"],
        ),
        case(
            "revision file unterminated string",
            Offline,
            |p| after_head(p, "INSERT INTO users (name) VALUES ('oops);", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:7"],
        ),
        case(
            "revision file unterminated comment",
            Offline,
            |p| after_head(p, "/* never closed\nCREATE TABLE t (x);", "SELECT 1;"),
            &["heads"],
            2,
            &["badbadbad001_bad.sql:11", "migrate:down"],
        ),
        case(
            "revision file not UTF-8",
            Offline,
            |p| {
                let mut b = format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: ")
                    .into_bytes();
                b.extend_from_slice(b"\xff\n");
                std::fs::write(p.join("migrations/versions/badbadbad001_bad.sql"), b).unwrap()
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql:3", "not UTF-8"],
        ),
        case(
            "revision file empty",
            Offline,
            |p| rev_file(p, ""),
            &["heads"],
            2,
            &["badbadbad001_bad.sql"],
        ),
        case(
            "revision file bad branch label",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- message: m\n-- branch_labels: he ad\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql"],
        ),
        case(
            "revision file misspelled header key depends_on",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- depends_on: feedfeedfeed\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["depends_on", "the keys are"],
        ),
        case(
            "revision file unknown depends-on",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- depends-on: feedfeedfeed\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["feedfeedfeed"],
        ),
        case(
            "URL blank",
            Offline,
            nothing,
            &["current", "--url", "  "],
            2,
            &["--url is empty"],
        ),
        case(
            "sql RELEASE without savepoint",
            Db,
            nothing,
            &["sql", "RELEASE nosuch", "--url", "{url}"],
            2,
            &["no such savepoint: nosuch"],
        ),
        case(
            "sql ATTACH",
            Db,
            nothing,
            &["sql", "ATTACH DATABASE 'x.db' AS x", "--url", "{url}"],
            2,
            &["ATTACH"],
        ),
        case(
            "merge with an empty message",
            Offline,
            nothing,
            &["merge", "-m", "", "heads"],
            2,
            &["message is empty"],
        ),
        case(
            "revision file unknown header key",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- mesage: m\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "mesage"],
        ),
        case(
            "revision file header key twice",
            Offline,
            |p| {
                rev_file(p, &format!("-- revision: badbadbad001\n-- revises: {R6}\n-- revises: {R1}\n-- message: m\n\n-- migrate:up\n\n-- migrate:down\n"))
            },
            &["heads"],
            2,
            &["badbadbad001_bad.sql", "revises"],
        ),
        case(
            "revision file breaks upgrade --sql",
            Offline,
            |p| after_head(p, "COMMIT;", "SELECT 1;"),
            &["upgrade", "--sql", "head"],
            2,
            &["badbadbad001_bad.sql:7", "`COMMIT`"],
        ),
        case(
            "revision template broken",
            Offline,
            |p| write(p, "migrations/script.sql.tmpl", "no placeholders here\n"),
            &["revision", "-m", "x"],
            2,
            &["script.sql.tmpl"],
        ),
        // --- model files and schema.sql (loaded before the database is opened) ---
        case(
            "models not TOML",
            Db,
            |p| models(p, "[tables.users\n"),
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "models.toml:1:14"],
        ),
        case(
            "models unknown type",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"x\", type = \"blobby\" } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "blobby"],
        ),
        case(
            "models column without name",
            Db,
            |p| {
                models(
                    p,
                    "[tables.t]\ncolumns = [ { type = \"integer\", primary_key = true } ]\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "name"],
        ),
        case(
            "models column without type",
            Db,
            |p| {
                models(
                    p,
                    "[tables.t]\ncolumns = [ { name = \"id\", primary_key = true } ]\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "type"],
        ),
        case(
            "models table without columns",
            Db,
            |p| models(p, "[tables.t]\n"),
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "`t`"],
        ),
        case(
            "models duplicate column",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"id\", type = \"text\" } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "`id`"],
        ),
        case(
            "models unknown column key",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true, nulable = true } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "nulable"],
        ),
        case(
            "models reference to a missing table",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"u\", type = \"integer\", references = \"nosuch.id\" } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "nosuch"],
        ),
        case(
            "models reference without column",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"u\", type = \"integer\", references = \"t\" } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "references"],
        ),
        case(
            "models index on a missing column",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true } ]\nindexes = [ { name = \"ix\", columns = [\"nope\"] } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "nope"],
        ),
        case(
            "models bad string length",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"s\", type = \"string(abc)\" } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "string(abc)"],
        ),
        case(
            "models table named like dqmig's",
            Db,
            |p| {
                models(p, "[tables.dqmig_version]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["`dqmig_version`", "rename the table"],
        ),
        case(
            "models table named sqlite_",
            Db,
            |p| {
                models(p, "[tables.sqlite_x]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "sqlite_x"],
        ),
        case(
            "models file missing",
            Db,
            |p| std::fs::remove_file(p.join("models.toml")).unwrap(),
            &["check", "--url", "{url}"],
            2,
            &["models.toml"],
        ),
        case(
            "models not UTF-8",
            Db,
            |p| std::fs::write(p.join("models.toml"), b"[tables.\xff]\n").unwrap(),
            &["check", "--url", "{url}"],
            2,
            &["models.toml"],
        ),
        case(
            "models bad default",
            Db,
            |p| {
                models(p, "[tables.t]\ncolumns = [ { name = \"id\", type = \"integer\", primary_key = true }, { name = \"n\", type = \"integer\", default = [1] } ]\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["models.toml", "default"],
        ),
        case(
            "models for autogenerate bad",
            Db,
            |p| {
                models(
                    p,
                    "[tables.t]\ncolumns = [ { name = \"x\", type = \"blobby\" } ]\n",
                )
            },
            &["revision", "--autogenerate", "-m", "x", "--url", "{url}"],
            2,
            &["models.toml", "blobby"],
        ),
        case(
            "models_command fails",
            Db,
            |p| config(p, "models_command = \"false\"\n"),
            &["check", "--url", "{url}"],
            2,
            &["`false`", "it wrote nothing on stderr"],
        ),
        case(
            "models_command never ends",
            Db,
            |p| {
                config(
                    p,
                    "models_command = \"sleep 100\"\nmodels_command_timeout = 1\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &[
                "`sleep 100`",
                "did not finish within 1 s",
                "models_command_timeout",
            ],
        ),
        case(
            "config models_command_timeout zero",
            Offline,
            |p| config(p, "models_command = \"true\"\nmodels_command_timeout = 0\n"),
            &["heads"],
            2,
            &["dqmig.toml", "models_command_timeout = 0", "1 to 86400"],
        ),
        case(
            "models_command missing program",
            Db,
            |p| config(p, "models_command = \"no-such-program-xyz\"\n"),
            &["check", "--url", "{url}"],
            2,
            &["no-such-program-xyz"],
        ),
        case(
            "models_command prints garbage",
            Db,
            |p| config(p, "models_command = \"echo not toml [\"\n"),
            &["check", "--url", "{url}"],
            2,
            &["echo not toml ["],
        ),
        case(
            "schema.sql syntax error",
            Db,
            |p| {
                schema(
                    p,
                    "CREATE TABLE t (\n  id INTEGER PRIMARY KEY,\n  x INTEGR NOT NUL\n;\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql"],
        ),
        case(
            "schema.sql INSERT",
            Db,
            |p| {
                schema(
                    p,
                    "CREATE TABLE t (id INTEGER PRIMARY KEY);\nINSERT INTO t VALUES (1);\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql:2"],
        ),
        case(
            "schema.sql DROP",
            Db,
            |p| schema(p, "DROP TABLE users;\n"),
            &["check", "--url", "{url}"],
            2,
            &["schema.sql:1"],
        ),
        case(
            "schema.sql duplicate table",
            Db,
            |p| {
                schema(p, "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE TABLE t (id INTEGER PRIMARY KEY);\n")
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql:2", "`t`"],
        ),
        case(
            "schema.sql reference to a missing table",
            Db,
            |p| {
                schema(
                    p,
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, u INTEGER REFERENCES nosuch (id));\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql", "nosuch"],
        ),
        case(
            "schema.sql index on a missing table",
            Db,
            |p| schema(p, "CREATE INDEX ix ON nosuch (x);\n"),
            &["check", "--url", "{url}"],
            2,
            &["schema.sql:1", "nosuch"],
        ),
        case(
            "schema.sql missing",
            Db,
            |p| config(p, "schema = \"schema.sql\"\n"),
            &["check", "--url", "{url}"],
            2,
            &["schema.sql"],
        ),
        case(
            "schema.sql not UTF-8",
            Db,
            |p| {
                config(p, "schema = \"schema.sql\"\n");
                std::fs::write(p.join("schema.sql"), b"CREATE TABLE \xff (x);\n").unwrap()
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql"],
        ),
        case(
            "schema.sql transaction statement",
            Db,
            |p| {
                schema(
                    p,
                    "BEGIN;\nCREATE TABLE t (id INTEGER PRIMARY KEY);\nCOMMIT;\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql:1"],
        ),
        case(
            "schema.sql unterminated",
            Db,
            |p| {
                schema(
                    p,
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, s TEXT DEFAULT 'x);\n",
                )
            },
            &["check", "--url", "{url}"],
            2,
            &["schema.sql:1"],
        ),
        // --- runs on a database at head ---
        case(
            "SQL error at line N",
            Db,
            |p| {
                after_head(
                    p,
                    "CREATE TABLE ok_part (x INTEGER);\nSELECT * FROM no_such_table;",
                    "DROP TABLE ok_part;",
                )
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &[
                "badbadbad001_bad.sql:8",
                "no such table: no_such_table",
                "rolled back",
            ],
        ),
        case(
            "SQL syntax error",
            Db,
            |p| {
                after_head(
                    p,
                    "CREATE TABLE ok_part (x INTEGER);\n\nCREAT TABLE t (x);",
                    "DROP TABLE ok_part;",
                )
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["badbadbad001_bad.sql:9", "syntax error"],
        ),
        case(
            "constraint violation in a step",
            Db,
            |p| {
                after_head(
                    p,
                    "INSERT INTO users (id, name, email) VALUES (1, 'dup', 'dup@example.org');",
                    "SELECT 1;",
                )
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["badbadbad001_bad.sql:7", "UNIQUE constraint failed"],
        ),
        case(
            "step creating an existing table",
            Db,
            |p| after_head(p, "CREATE TABLE users (x);", "SELECT 1;"),
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["badbadbad001_bad.sql:7", "already exists"],
        ),
        case(
            "step with many statements failing late",
            Db,
            |p| {
                after_head(p, "CREATE TABLE a1 (x);\nCREATE TABLE a2 (x);\nINSERT INTO a1 VALUES (1);\nUPDATE users SET nope = 1;", "SELECT 1;")
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["badbadbad001_bad.sql:10", "nope"],
        ),
        case(
            "rows-returning step failing",
            Db,
            |p| {
                after_head(
                    p,
                    "CREATE TABLE b1 (x);\nSELECT nope FROM users;",
                    "SELECT 1;",
                )
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["badbadbad001_bad.sql:8", "nope"],
        ),
        case(
            "step failing under --transaction all",
            Db,
            |p| {
                after_head(
                    p,
                    "CREATE TABLE c1 (x);\nSELECT * FROM no_such_table;",
                    "SELECT 1;",
                )
            },
            &["upgrade", "head", "--transaction", "all", "--url", "{url}"],
            2,
            &["badbadbad001_bad.sql:8"],
        ),
        case(
            "foreign key check failing",
            Db,
            |p| {
                after_head(p, "PRAGMA foreign_keys=OFF;\nINSERT INTO posts (user_id, title) VALUES (424242, 'orphan');", "SELECT 1;")
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["badbadbad001", "foreign key"],
        ),
        case(
            "down section failing at line N",
            Db,
            |p| edit_rev(p, R6, "DROP INDEX", "DROP INDEX no_such_index;\nDROP INDEX"),
            &["downgrade", "-1", "--allow-edited", "--url", "{url}"],
            2,
            &["6a8d0b2e5c06_index_users_by_name.sql", "no such index"],
        ),
        case(
            "applied file edited",
            Db,
            |p| edit_rev(p, R1, "\"name\" VARCHAR(100)", "\"name\" VARCHAR(101)"),
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["1f0c2b7a9d01_create_users.sql", "accept-edits"],
        ),
        case(
            "downgrade with an applied file edited",
            Db,
            |p| edit_rev(p, R6, "CREATE INDEX", "CREATE  INDEX"),
            &["downgrade", "-1", "--url", "{url}"],
            2,
            &["6a8d0b2e5c06", "accept-edits"],
        ),
        case(
            "applied file deleted",
            Db,
            |p| {
                let d = p.join("migrations/versions");
                for e in std::fs::read_dir(&d).unwrap() {
                    let f = e.unwrap().path();
                    if f.file_name().unwrap().to_string_lossy().starts_with(R6) {
                        std::fs::remove_file(f).unwrap();
                    }
                }
            },
            &["upgrade", "head", "--url", "{url}"],
            2,
            &[R6, "stamp --purge"],
        ),
        case(
            "upgrade unknown target",
            Db,
            nothing,
            &["upgrade", "nosuch", "--url", "{url}"],
            2,
            &["nosuch", "dqmig history"],
        ),
        case(
            "upgrade too far",
            Db,
            nothing,
            &["upgrade", "+5", "--url", "{url}"],
            2,
            &["+5", "is a head"],
        ),
        case(
            "upgrade to an older revision",
            Db,
            nothing,
            &["upgrade", R1, "--url", "{url}"],
            0,
            &["Nothing to upgrade", "dqmig downgrade 1f0c2b7a9d01"],
        ),
        case(
            "upgrade negative",
            Db,
            nothing,
            &["upgrade", "-1", "--url", "{url}"],
            2,
            &["-1", "-- -1"],
        ),
        case(
            "upgrade from unknown rev",
            Db,
            nothing,
            &["upgrade", "nosuch+1", "--url", "{url}"],
            2,
            &["nosuch"],
        ),
        case(
            "upgrade online range",
            Db,
            nothing,
            &["upgrade", "base:head", "--url", "{url}"],
            2,
            &["base:head", "give a single target"],
        ),
        case(
            "downgrade positive",
            Db,
            nothing,
            &["downgrade", "+1", "--url", "{url}"],
            2,
            &["+1", "dqmig upgrade"],
        ),
        case(
            "downgrade unknown target",
            Db,
            nothing,
            &["downgrade", "nosuch", "--url", "{url}"],
            2,
            &["nosuch", "dqmig history"],
        ),
        case(
            "downgrade too far",
            Db,
            nothing,
            &["downgrade", "-99", "--url", "{url}"],
            2,
            &["-99"],
        ),
        case(
            "downgrade to head",
            Db,
            nothing,
            &["downgrade", "head", "--url", "{url}"],
            0,
            &["Nothing to downgrade"],
        ),
        case(
            "stamp unknown target",
            Db,
            nothing,
            &["stamp", "zzz", "--url", "{url}"],
            2,
            &["zzz", "dqmig history"],
        ),
        case(
            "stamp --purge unknown target",
            Db,
            nothing,
            &["stamp", "--purge", "zzz", "--url", "{url}"],
            2,
            &["zzz"],
        ),
        case(
            "accept-edits of an unedited revision",
            Db,
            nothing,
            &["accept-edits", R1, "--url", "{url}"],
            2,
            &[R1],
        ),
        case(
            "accept-edits unknown revision",
            Db,
            nothing,
            &["accept-edits", "nosuch", "--url", "{url}"],
            2,
            &["nosuch"],
        ),
        case(
            "check with drifted models",
            Db,
            |p| models(p, MODELS_OK),
            &["check", "--url", "{url}"],
            1,
            &[],
        ),
        case(
            "sql syntax error",
            Db,
            nothing,
            &["sql", "SELEC 1", "--url", "{url}"],
            2,
            &["SELEC 1", "syntax error"],
        ),
        case(
            "sql unknown table",
            Db,
            nothing,
            &["sql", "SELECT * FROM nosuch", "--url", "{url}"],
            2,
            &["no such table: nosuch"],
        ),
        case(
            "sql unknown column",
            Db,
            nothing,
            &["sql", "UPDATE users SET nope = 1", "--url", "{url}"],
            2,
            &["no such column: nope"],
        ),
        case(
            "sql constraint violation",
            Db,
            nothing,
            &[
                "sql",
                "INSERT INTO users (id, name, email) VALUES (1, 'x', 'y')",
                "--url",
                "{url}",
            ],
            2,
            &["UNIQUE constraint failed"],
        ),
        case(
            "sql NOT NULL violation",
            Db,
            nothing,
            &[
                "sql",
                "INSERT INTO users (name) VALUES ('x')",
                "--url",
                "{url}",
            ],
            2,
            &["NOT NULL constraint failed"],
        ),
        case(
            "sql RETURNING",
            Db,
            nothing,
            &["sql", "DELETE FROM users RETURNING id", "--url", "{url}"],
            2,
            &["RETURNING"],
        ),
        case(
            "sql statement and a half",
            Db,
            nothing,
            &["sql", "DELETE FROM posts; DELETE", "--url", "{url}"],
            2,
            &["holds 2", "nothing was run"],
        ),
        case(
            "sql ROLLBACK",
            Db,
            nothing,
            &["sql", "ROLLBACK", "--url", "{url}"],
            2,
            &["`ROLLBACK`"],
        ),
        case(
            "sql on a wrong database name",
            Db,
            nothing,
            &["sql", "SELECT * FROM users", "--url", "{url}x"],
            2,
            &["no such table: users"],
        ),
        case(
            "autogenerate with an unknown rename",
            Db,
            |p| models(p, MODELS_OK),
            &[
                "revision",
                "--autogenerate",
                "-m",
                "x",
                "--rename",
                "nosuch.a=b",
                "--url",
                "{url}",
            ],
            2,
            &["nosuch.a=b"],
        ),
        case(
            "autogenerate with a malformed rename",
            Db,
            nothing,
            &[
                "revision",
                "--autogenerate",
                "-m",
                "x",
                "--rename",
                "garbage",
                "--url",
                "{url}",
            ],
            2,
            &["garbage"],
        ),
        // --- runs on an empty database: nothing may be created ---
        case(
            "downgrade on an empty database",
            Fresh,
            nothing,
            &["downgrade", "-1", "--url", "{url}"],
            2,
            &["nothing is applied"],
        ),
        case(
            "upgrade unknown target on an empty database",
            Fresh,
            nothing,
            &["upgrade", "nosuch", "--url", "{url}"],
            2,
            &["nosuch"],
        ),
        case(
            "upgrade too far on an empty database",
            Fresh,
            nothing,
            &["upgrade", "+7", "--url", "{url}"],
            2,
            &["+7"],
        ),
        case(
            "first step failing on an empty database",
            Fresh,
            |p| edit_rev(p, R1, "UNIQUE (\"email\")", "UNIQUE (\"nope\")"),
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["1f0c2b7a9d01_create_users.sql:8", "rolled back"],
        ),
        case(
            "first step with a transaction statement",
            Fresh,
            |p| edit_rev(p, R1, "-- create table", "COMMIT;\n-- create table"),
            &["upgrade", "head", "--url", "{url}"],
            2,
            &["1f0c2b7a9d01_create_users.sql:7", "`COMMIT`"],
        ),
        case(
            "stamp unknown target on an empty database",
            Fresh,
            nothing,
            &["stamp", "nosuch", "--url", "{url}"],
            2,
            &["nosuch"],
        ),
        case(
            "check on an empty database",
            Fresh,
            nothing,
            &["check", "--url", "{url}"],
            1,
            &["not at head", "dqmig upgrade heads"],
        ),
        case(
            "current --check-heads on an empty database",
            Fresh,
            nothing,
            &["current", "--check-heads", "--url", "{url}"],
            1,
            &[],
        ),
        case(
            "autogenerate on an empty database",
            Fresh,
            nothing,
            &["revision", "--autogenerate", "-m", "x", "--url", "{url}"],
            2,
            &["not at head", "dqmig upgrade"],
        ),
        case(
            "downgrade base on an empty database",
            Fresh,
            nothing,
            &["downgrade", "base", "--url", "{url}"],
            0,
            &["Nothing to downgrade"],
        ),
        case(
            "accept-edits on an empty database",
            Fresh,
            nothing,
            &["accept-edits", R1, "--url", "{url}"],
            2,
            &[R1],
        ),
    ]
}

/// What a command printed and how it ended.
pub(crate) struct Ran {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

/// Runs dqmig with `args` in `dir`, killing it (by its pid) if it outlives `limit` + 10 s.
fn run_bounded(dir: &Path, args: &[String], limit: Duration) -> Result<Ran, String> {
    let mut child = dqmig_bin()
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawning dqmig");
    wait_child(&mut child, limit + Duration::from_secs(10))
}

/// Waits for `child` at most `hard`, reading its stdout and stderr when they are piped (and
/// not taken yet); kills it by its pid and returns Err if it is still running then.
pub(crate) fn wait_child(child: &mut Child, hard: Duration) -> Result<Ran, String> {
    let start = Instant::now();
    let out = child.stdout.take();
    let err = child.stderr.take();
    let read_all = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut s);
            }
            String::from_utf8_lossy(&s).into_owned()
        })
    };
    let reader = read_all(out.map(|p| Box::new(p) as Box<dyn Read + Send>));
    let err_reader = read_all(err.map(|p| Box::new(p) as Box<dyn Read + Send>));
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let took = start.elapsed();
            return Ok(Ran {
                code: status.code().unwrap_or(-1),
                stdout: reader.join().unwrap(),
                stderr: err_reader.join().unwrap(),
                took,
            });
        }
        if start.elapsed() > hard {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("still running after {hard:?}: it hangs"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The documented bound of a command line: its `--timeout` (default 10 s) plus the
/// handshake probe in flight (2 s), plus its `--read-timeout` when it sets one.
fn documented(args: &[String]) -> Duration {
    let timeout = args
        .iter()
        .position(|a| a == "--timeout")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| (1..=3600).contains(v))
        .unwrap_or(DEFAULT_TIMEOUT_S);
    // A reply awaited from a node that stopped answering adds the read timeout, where the
    // case sets one (the default, 30 s, is not waited for by any case).
    let read = args
        .iter()
        .position(|a| a == "--read-timeout")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    Duration::from_secs(read + timeout + HANDSHAKE_S)
}

/// Checks one finished run against the rule; returns what broke it.
fn judge(
    name: &str,
    args: &[String],
    code: i32,
    expect: &[String],
    ran: Result<Ran, String>,
) -> Vec<String> {
    let mut bad = Vec::new();
    let ran = match ran {
        Ok(r) => r,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let shown = format!(
        "{name}: dqmig {args:?} exited {} after {:?}\n  stdout: {}\n  stderr: {}",
        ran.code,
        ran.took,
        ran.stdout.trim_end(),
        ran.stderr.trim_end()
    );
    if ran.code != code {
        bad.push(format!("expected exit {code}; {shown}"));
    }
    for e in expect {
        if !ran.stderr.contains(e.as_str()) {
            bad.push(format!("stderr lacks {e:?}; {shown}"));
        }
    }
    if code == 2 {
        let lower = ran.stderr.to_lowercase();
        if !HINTS.iter().any(|h| lower.contains(h)) {
            bad.push(format!("the message says nothing of what to do; {shown}"));
        }
        if !ran.stderr.contains("error") && !ran.stderr.contains("Usage:") {
            bad.push(format!("no error message; {shown}"));
        }
    }
    if code == 0 && ran.stderr.trim().is_empty() {
        bad.push(format!("a no-op without a word; {shown}"));
    }
    for mark in PANIC_MARKS {
        if ran.stderr.contains(mark) || ran.stdout.contains(mark) {
            bad.push(format!("output holds {mark:?}; {shown}"));
        }
    }
    let limit = documented(args) + SLACK;
    if ran.took > limit {
        bad.push(format!("took longer than {limit:?}; {shown}"));
    }
    bad
}

/// Everything a case could change in a database: its schema (`sqlite_master`) and a
/// checksum of each table's rows (rowid order).
pub(crate) fn fingerprint(address: &str, db: &str) -> String {
    let mut conn = Connection::open(address, db).unwrap();
    let master = conn
        .query(
            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master ORDER BY type, name",
            &[],
        )
        .unwrap();
    let mut out = String::new();
    let mut tables = Vec::new();
    for r in master.iter() {
        let (kind, name, sql): (String, String, String) =
            (r.get(0).unwrap(), r.get(1).unwrap(), r.get(3).unwrap());
        out.push_str(&format!("{kind} {name}: {sql}\n"));
        if kind == "table" && !name.starts_with("sqlite_") {
            tables.push(name);
        }
    }
    for t in tables {
        let quoted = format!("\"{}\"", t.replace('"', "\"\""));
        let rows = conn
            .query(&format!("SELECT * FROM {quoted} ORDER BY rowid"), &[])
            .or_else(|_| conn.query(&format!("SELECT * FROM {quoted}"), &[]))
            .unwrap();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        let mut n = 0;
        for r in rows.iter() {
            std::hash::Hash::hash(&format!("{:?}", r.values()), &mut h);
            n += 1;
        }
        out.push_str(&format!(
            "rows of {t}: {n}, checksum {:016x}\n",
            std::hash::Hasher::finish(&h)
        ));
    }
    out
}

/// The schema as `dqmig inspect --format sql` prints it.
fn inspected(dir: &Path, url: &str) -> String {
    let out = dqmig_bin()
        .current_dir(dir)
        .args(["inspect", "--format", "sql", "--url", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "inspect: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn fill(text: &str, url: &str, dir: &Path) -> String {
    text.replace("{url}", url)
        .replace("{dir}", &dir.display().to_string())
}

/// Runs one table case in a fresh copy of the example project.
fn run_case(c: &Case, url: &str) -> Vec<String> {
    let project = copy_example();
    let dir = project.path();
    if c.setup == Offline {
        config(
            dir,
            &format!("url = \"{DEAD}\"\nmigrations = \"migrations\"\n"),
        );
    }
    (c.prepare)(dir);
    let args: Vec<String> = c.args.iter().map(|a| fill(a, url, dir)).collect();
    let expect: Vec<String> = c.expect.iter().map(|e| fill(e, url, dir)).collect();
    let ran = run_bounded(dir, &args, documented(&args) + SLACK);
    judge(c.name, &args, c.code, &expect, ran)
}

/// A database at head holding rows in every table of the example.
fn migrated(node: &support::TestNode, dir: &Path, db: &str) -> String {
    let url = format!("dqlite://{}/{db}", node.address);
    let out = dqmig_bin()
        .current_dir(dir)
        .args(["upgrade", "head", "--url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut conn = Connection::open(&node.address, db).unwrap();
    conn.execute_batch(
        "INSERT INTO users (id, name, email) VALUES (1, 'ada', 'ada@example.org'), (2, 'bob', 'bob@example.org');\
         INSERT INTO posts (id, user_id, title) VALUES (1, 1, 'hello'), (2, 2, 'world')",
    )
    .unwrap();
    url
}

#[test]
fn every_bad_input_is_refused_clearly_quickly_and_without_a_trace() {
    let all = cases();
    let mut failures: Vec<String> = Vec::new();
    let mut count = 0;

    // Offline cases: four threads.
    let offline: Vec<&Case> = all.iter().filter(|c| c.setup == Offline).collect();
    let found = Mutex::new(Vec::new());
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(c) = offline.get(i) else { break };
                let bad = run_case(c, DEAD);
                found.lock().unwrap().extend(bad);
            });
        }
    });
    failures.extend(found.into_inner().unwrap());
    count += offline.len();

    // Database cases: one node, sequential, the database compared before and after each.
    let node = support::start_node();
    let base = copy_example();
    let db_url = migrated(&node, base.path(), "cat.db");
    let fresh_url = format!("dqlite://{}/fresh.db", node.address);
    // Open the empty database once so that it exists (dqlite creates it on open).
    drop(Connection::open(&node.address, "fresh.db").unwrap());
    for c in all.iter().filter(|c| c.setup != Offline) {
        let (url, db) = match c.setup {
            Db => (&db_url, "cat.db"),
            _ => (&fresh_url, "fresh.db"),
        };
        let before = (fingerprint(&node.address, db), inspected(base.path(), url));
        let mut bad = run_case(c, url);
        let after = (fingerprint(&node.address, db), inspected(base.path(), url));
        if before != after {
            bad.push(format!(
                "{}: the database changed:\nbefore:\n{}{}\nafter:\n{}{}",
                c.name, before.0, before.1, after.0, after.1
            ));
        }
        failures.extend(bad);
        count += 1;
    }

    // Server-side faults.
    count += server_faults(&mut failures);

    eprintln!("catalog: {count} cases, {} failures", failures.len());
    assert!(
        count >= 150,
        "the catalog holds {count} cases, fewer than 150"
    );
    assert!(
        failures.is_empty(),
        "{} of {count} cases broke the rule:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

/// A `dqmig` run in a copy of the example project, judged like a table case.
fn fault(
    failures: &mut Vec<String>,
    name: &str,
    dir: &Path,
    args: &[String],
    code: i32,
    expect: &[String],
) -> Ran {
    let ran = run_bounded(dir, args, documented(args) + SLACK);
    if let Ok(r) = &ran {
        eprintln!(
            "catalog: {name}: exit {} after {:?} (bound {:?}): {}",
            r.code,
            r.took,
            documented(args) + SLACK,
            r.stderr.lines().last().unwrap_or_default()
        );
    }
    let kept = ran.as_ref().ok().map(|r| Ran {
        code: r.code,
        stdout: r.stdout.clone(),
        stderr: r.stderr.clone(),
        took: r.took,
    });
    failures.extend(judge(name, args, code, expect, ran));
    kept.unwrap_or(Ran {
        code: -1,
        stdout: String::new(),
        stderr: String::new(),
        took: Duration::ZERO,
    })
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The server-side faults; returns how many cases ran (skipped ones say why on stderr).
fn server_faults(failures: &mut Vec<String>) -> usize {
    let mut n = 0;
    let project = copy_example();
    let dir = project.path();

    // No node at the address.
    let free = format!("127.0.0.1:{}", support::free_port());
    let url = format!("dqlite://{free}/app.db");
    fault(
        failures,
        "no node",
        dir,
        &strings(&["current", "--url", &url]),
        2,
        &strings(&[&free, "Connection refused", "Check that a dqlite node runs"]),
    );
    n += 1;
    let other = format!("127.0.0.1:{}", support::free_port());
    let url = format!("dqlite://{free},{other}/app.db");
    fault(
        failures,
        "no node at any seed",
        dir,
        &strings(&["--timeout", "1", "upgrade", "head", "--url", &url]),
        2,
        &strings(&[&free, &other, "no dqlite leader"]),
    );
    n += 1;

    // Peers that are not dqlite nodes.
    let http = crate::hostile::Peer::start(crate::hostile::http);
    let url = format!("dqlite://{}/app.db", http.address);
    fault(
        failures,
        "an HTTP server",
        dir,
        &strings(&["current", "--url", &url]),
        2,
        &strings(&[&format!("{} is not a dqlite node", http.address)]),
    );
    n += 1;
    let quiet = crate::hostile::Peer::start(crate::hostile::silent);
    let url = format!("dqlite://{}/app.db", quiet.address);
    fault(
        failures,
        "a silent listener",
        dir,
        &strings(&["--timeout", "1", "upgrade", "head", "--url", &url]),
        2,
        &strings(&[&format!("{} gave no answer within 2000 ms", quiet.address)]),
    );
    n += 1;
    let url = format!(
        "dqlite:///{}{}/app.db",
        http.address,
        dir.join("data").display()
    );
    fault(
        failures,
        "embedded URL on a port held by an HTTP server",
        dir,
        &strings(&["current", "--url", &url]),
        2,
        &strings(&[&http.address]),
    );
    n += 1;

    // A node process: frozen (SIGSTOP), another application's database, killed mid-run.
    let mut cluster = crate::harness::Cluster::start(1);
    let address = cluster.nodes[0].address.clone();
    cluster.nodes[0].freeze();
    let url = format!("dqlite://{address}/app.db");
    fault(
        failures,
        "a frozen node",
        dir,
        &strings(&["--timeout", "1", "current", "--url", &url]),
        2,
        &strings(&[&address, "gave no answer"]),
    );
    cluster.nodes[0].thaw();
    n += 1;

    let mut conn = crate::harness::open(&address, "other.db");
    conn.execute_batch("CREATE TABLE users (x INTEGER); INSERT INTO users VALUES (1), (2)")
        .unwrap();
    let before = fingerprint(&address, "other.db");
    let url = format!("dqlite://{address}/other.db");
    fault(
        failures,
        "another application's database",
        dir,
        &strings(&["upgrade", "head", "--url", &url]),
        2,
        &strings(&[
            "1f0c2b7a9d01_create_users.sql:8",
            "table \"users\" already exists",
        ]),
    );
    if fingerprint(&address, "other.db") != before {
        failures.push(format!(
            "another application's database: changed:\nbefore:\n{before}\nafter:\n{}",
            fingerprint(&address, "other.db")
        ));
    }
    n += 1;
    let url = format!(
        "dqlite:///{address}{}/app.db",
        dir.join("not-its-dir").display()
    );
    fault(
        failures,
        "embedded URL at a node that does not own the data dir",
        dir,
        &strings(&["current", "--url", &url]),
        2,
        &strings(&[&address, "not-its-dir"]),
    );
    n += 1;

    // The node killed, then stopped (SIGSTOP), while a slow step runs: the run fails within
    // its timeouts naming the node, and once the node is back the database is at a step
    // boundary.
    mid_run(
        failures,
        &mut cluster,
        "a node killed mid-run",
        ("killed.db", 300_000),
        &["--timeout", "2"],
        |c| c.nodes[0].kill(),
        |c| c.restart(0),
    );
    n += 1;
    mid_run(
        failures,
        &mut cluster,
        "a node stopped mid-run",
        ("stopped.db", 1_000_000),
        &["--read-timeout", "3", "--timeout", "2"],
        |c| c.nodes[0].freeze(),
        |c| c.nodes[0].thaw(),
    );
    n += 1;
    drop(cluster);

    // Data dirs that cannot be written: a read-only mount and a full tmpfs (root only).
    n += disk_faults(failures, dir);
    n
}

/// Runs `dqmig OPTS upgrade head` on `db` (the example plus a slow revision of `rows` rows)
/// against the cluster's node, `strike`s the node once the slow step runs, and judges the
/// run (exit 2 naming the node, within `OPTS`' bounds); after `recover` the database must be
/// at a step boundary.
fn mid_run(
    failures: &mut Vec<String>,
    cluster: &mut crate::harness::Cluster,
    name: &str,
    (db, rows): (&str, usize),
    opts: &[&str],
    strike: fn(&mut crate::harness::Cluster),
    recover: fn(&mut crate::harness::Cluster),
) {
    let address = cluster.nodes[0].address.clone();
    let slow = copy_example();
    crate::crash::slow_revision(slow.path(), R6, "badbadbad001", rows);
    let url = format!("dqlite://{address}/{db}");
    let mut args = strings(opts);
    args.extend(strings(&["upgrade", "head", "--url", &url]));
    let mut child = dqmig_bin()
        .current_dir(slow.path())
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Strike once the run is past the example's six steps.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut probe = crate::harness::open(&address, db);
    loop {
        let done = probe
            .query_row("SELECT count(*) FROM dqmig_history", &[])
            .ok()
            .and_then(|r| r.get::<i64>(0).ok())
            .unwrap_or(0);
        if done >= 6 || Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    drop(probe);
    strike(cluster);
    let ran = wait_child(
        &mut child,
        documented(&args) + SLACK + Duration::from_secs(10),
    );
    if let Ok(r) = &ran {
        eprintln!(
            "catalog: {name}: exit {} after {:?} (bound {:?}): {}",
            r.code,
            r.took,
            documented(&args) + SLACK,
            r.stderr.lines().last().unwrap_or_default()
        );
    }
    failures.extend(judge(name, &args, 2, &strings(&[&address]), ran));
    recover(cluster);
    let mut conn = crate::harness::open(&address, db);
    if let Err(e) = crate::crash::check_boundary(&mut conn, rows) {
        failures.push(format!("{name}: once the node is back: {e}"));
    }
}

/// A read-only data dir and a full disk, on tmpfs mounts; skipped (with the reason on
/// stderr) where this process may not mount.
fn disk_faults(failures: &mut Vec<String>, dir: &Path) -> usize {
    let Some(ro) = crate::crash::Tmpfs::mount("64m") else {
        eprintln!("catalog: skipping the read-only and full data dir cases: mounting a tmpfs needs root (CAP_SYS_ADMIN)");
        return 0;
    };
    let mut n = 0;
    // Read-only: a database made while writable, then the mount made read-only.
    let data = ro.path().join("data");
    let port = support::free_port();
    let url = format!("dqlite:///127.0.0.1:{port}{}/app.db", data.display());
    let ok = dqmig_bin()
        .current_dir(dir)
        .args(["upgrade", "head", "--url", &url])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    ro.remount_read_only();
    fault(
        failures,
        "read-only data dir",
        dir,
        &strings(&["current", "--url", &url]),
        2,
        &strings(&[&data.display().to_string(), "Read-only file system"]),
    );
    n += 1;
    fault(
        failures,
        "read-only data dir, downgrade",
        dir,
        &strings(&["downgrade", "-1", "--url", &url]),
        2,
        &strings(&[&data.display().to_string()]),
    );
    n += 1;
    drop(ro);

    // Full: a tmpfs too small for a node's files.
    if let Some(tiny) = crate::crash::Tmpfs::mount("256k") {
        let data = tiny.path().join("data");
        let port = support::free_port();
        let url = format!("dqlite:///127.0.0.1:{port}{}/app.db", data.display());
        fault(
            failures,
            "full disk",
            dir,
            &strings(&["upgrade", "head", "--url", &url]),
            2,
            &strings(&["could not write its data", "not full"]),
        );
        n += 1;
    }
    n
}
