//! The `dqmig` command line: clap definitions, the global options of DESIGN §3.7, and
//! dispatch to one file per command. The binary (`src/main.rs`) only parses, calls [`run`]
//! and maps the result to an exit code; everything else lives here so it is testable.

mod accept_edits;
mod branches;
mod check;
pub mod cluster;
mod completions;
mod current;
mod downgrade;
mod edit;
mod error;
mod heads;
mod history;
mod init;
mod inspect;
mod list_templates;
mod merge;
pub mod node;
pub mod output;
pub mod progress;
pub mod project;
pub mod prompt;
mod revision;
mod show;
mod sql;
mod stamp;
mod style;
pub mod upgrade;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use accept_edits::AcceptEditsArgs;
pub use branches::BranchesArgs;
pub use check::CheckArgs;
pub use completions::CompletionsArgs;
pub use current::CurrentArgs;
pub use downgrade::DowngradeArgs;
pub use edit::EditArgs;
pub use error::CliError;
pub use heads::HeadsArgs;
pub use history::HistoryArgs;
pub use init::InitArgs;
pub use inspect::InspectArgs;
pub use list_templates::ListTemplatesArgs;
pub use merge::MergeArgs;
pub use revision::RevisionArgs;
pub use show::ShowArgs;
pub use sql::SqlArgs;
pub use stamp::StampArgs;
pub use style::Style;
pub use upgrade::UpgradeArgs;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code when a check found a difference (`current --check-heads` not at head,
/// `check` found drift).
pub const EXIT_DRIFT: u8 = 1;
/// Exit code for any error, including command-line usage errors.
pub const EXIT_ERROR: u8 = 2;

/// Environment variable that gives the database URL when `--url` is absent.
pub const URL_ENV: &str = "DQMIG_URL";

/// dqmig: schema migrations for dqlite.
#[derive(Debug, Parser)]
#[command(name = "dqmig", version, about, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts (DESIGN §3.7).
#[derive(Debug, clap::Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./dqmig.toml when it exists).
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Database URL: dqlite:///ADDRESS/DATA_DIR/DATABASE (embedded node) or
    /// dqlite://HOST:PORT[,HOST:PORT...]/DATABASE (existing cluster).
    #[arg(long, global = true, env = URL_ENV, value_name = "URL")]
    pub url: Option<String>,

    /// Print fewer messages on stderr (repeatable).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Print more messages on stderr: -v the steps and dqmig's INFO log events, -vv also
    /// DEBUG events such as each SQL statement sent (RUST_LOG, when set, picks the events).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to color messages; NO_COLOR in the environment means never unless "always".
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// How long to look for a dqlite leader when connecting (and on each reconnect after a
    /// leader change), in seconds; env DQMIG_TIMEOUT. While waiting, dqmig says so on
    /// stderr every few seconds.
    #[arg(long, global = true, env = "DQMIG_TIMEOUT", value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,

    /// How long to wait for each reply of a dqlite node, in seconds; env DQMIG_READ_TIMEOUT.
    /// A node that stops answering mid-command (frozen, partitioned) is given up after it,
    /// then a leader is looked for again within --timeout. Raise it for statements that run
    /// longer on the node.
    #[arg(long, global = true, env = "DQMIG_READ_TIMEOUT", value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub read_timeout: u64,

    /// TLS: the cluster's CA certificate (PEM) the nodes' certificates are verified
    /// against; env DQMIG_TLS_CA. Overrides the URL's ?tls-ca= and dqmig.toml's [tls] ca.
    #[arg(long, global = true, env = "DQMIG_TLS_CA", value_name = "PEM")]
    pub tls_ca: Option<PathBuf>,

    /// TLS: our certificate (PEM, signed by the CA), presented to the nodes (and served by
    /// `node start`); env DQMIG_TLS_CERT.
    #[arg(long, global = true, env = "DQMIG_TLS_CERT", value_name = "PEM")]
    pub tls_cert: Option<PathBuf>,

    /// TLS: the private key (PEM) of --tls-cert; env DQMIG_TLS_KEY.
    #[arg(long, global = true, env = "DQMIG_TLS_KEY", value_name = "PEM")]
    pub tls_key: Option<PathBuf>,

    /// TLS: the name to verify in the nodes' certificates instead of the host dialled;
    /// env DQMIG_TLS_SERVER_NAME.
    #[arg(
        long,
        global = true,
        env = "DQMIG_TLS_SERVER_NAME",
        value_name = "NAME"
    )]
    pub tls_server_name: Option<String>,
}

impl GlobalArgs {
    /// The `--tls-*` settings (relative paths against the current folder).
    pub fn tls(&self) -> dqmig::tls::TlsPaths {
        let mut t = dqmig::tls::TlsPaths::default();
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
        for (key, value) in [
            ("tls-ca", path(&self.tls_ca)),
            ("tls-cert", path(&self.tls_cert)),
            ("tls-key", path(&self.tls_key)),
            ("tls-server-name", self.tls_server_name.clone()),
        ] {
            if let Some(v) = value {
                t.set(key, &v);
            }
        }
        match std::env::current_dir() {
            Ok(cwd) => t.resolve_relative(&cwd),
            Err(_) => t,
        }
    }
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The commands that exist so far; none is declared before it works.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a new project: dqmig.toml, models.toml and the migrations folder.
    Init(InitArgs),
    /// List the project templates `dqmig init --template` accepts.
    ListTemplates(ListTemplatesArgs),
    /// Print the shell completion script (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(CompletionsArgs),
    /// Write a new revision file (empty, or --autogenerate from the models vs. the database).
    Revision(RevisionArgs),
    /// Exit 0 when the models and the database agree, 1 with a diff when they do not.
    Check(CheckArgs),
    /// Print the live schema as models TOML or SQL.
    Inspect(InspectArgs),
    /// Write a revision that merges two or more heads.
    Merge(MergeArgs),
    /// Open a revision file in $EDITOR.
    Edit(EditArgs),
    /// Run one SQL statement and print its rows (or the number of rows it changed).
    Sql(SqlArgs),
    /// Apply revisions up to TARGET (default: head), one transaction per revision.
    Upgrade(UpgradeArgs),
    /// Undo revisions down to TARGET (-1, base, a revision id, ...).
    Downgrade(DowngradeArgs),
    /// Show the revision(s) the database is at.
    Current(CurrentArgs),
    /// List the revisions (newest first), or with --applied what ran on the database.
    History(HistoryArgs),
    /// List the heads of the revision graph.
    Heads(HeadsArgs),
    /// List the branch points of the revision graph.
    Branches(BranchesArgs),
    /// Show one revision in full.
    Show(ShowArgs),
    /// Set the version table to TARGET without running migrations.
    Stamp(StampArgs),
    /// Record the current checksums of applied revision files edited since (after a review).
    AcceptEdits(AcceptEditsArgs),
    /// Run a dqlite node in the foreground (bootstrap with id 1, or join a cluster).
    Node(node::NodeArgs),
    /// Show and change the membership of a running cluster.
    Cluster(cluster::ClusterArgs),
}

impl GlobalArgs {
    /// Message level: 0 quiet, 1 normal, 2+ verbose.
    pub fn level(&self) -> i16 {
        1 + i16::from(self.verbose) - i16::from(self.quiet)
    }
}

/// Where a command writes: data to `out`, messages to `err`.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
    pub style: Style,
    pub level: i16,
}

impl Io<'_> {
    /// Print an informational message on stderr unless quiet.
    pub fn info(&mut self, msg: impl std::fmt::Display) {
        if self.level >= 1 {
            // A failing stderr has nowhere left to be reported.
            let _ = writeln!(self.err, "{msg}");
        }
    }

    /// Print a message on stderr only with -v.
    pub fn debug(&mut self, msg: impl std::fmt::Display) {
        if self.level >= 2 {
            let _ = writeln!(self.err, "{msg}");
        }
    }
}

/// Run a parsed command line; returns the exit code ([`EXIT_OK`], or [`EXIT_DRIFT`] for a
/// check that found a difference). Errors exit [`EXIT_ERROR`].
pub fn run(cli: &Cli, io: &mut Io<'_>) -> Result<u8, CliError> {
    let g = &cli.global;
    project::set_leader_timeout(std::time::Duration::from_secs(g.timeout));
    project::set_read_timeout(std::time::Duration::from_secs(g.read_timeout));
    let ok = |r: Result<(), CliError>| r.map(|()| EXIT_OK);
    match &cli.command {
        Command::Init(args) => ok(init::run(args, io)),
        Command::ListTemplates(args) => ok(list_templates::run(args, io)),
        Command::Completions(args) => ok(completions::run(args, io)),
        Command::Revision(args) => ok(revision::run(g, args, io)),
        Command::Check(args) => check::run(g, args, io),
        Command::Inspect(args) => ok(inspect::run(g, args, io)),
        Command::Merge(args) => ok(merge::run(g, args, io)),
        Command::Edit(args) => ok(edit::run(g, args, io)),
        Command::Sql(args) => ok(sql::run(g, args, io)),
        Command::Upgrade(args) => ok(upgrade::run(g, args, io)),
        Command::Downgrade(args) => ok(downgrade::run(g, args, io)),
        Command::Current(args) => current::run(g, args, io),
        Command::History(args) => ok(history::run(g, args, io)),
        Command::Heads(args) => ok(heads::run(g, args, io)),
        Command::Branches(args) => ok(branches::run(g, args, io)),
        Command::Show(args) => ok(show::run(g, args, io)),
        Command::Stamp(args) => ok(stamp::run(g, args, io)),
        Command::AcceptEdits(args) => ok(accept_edits::run(g, args, io)),
        Command::Node(args) => ok(node::run(g, args, io)),
        Command::Cluster(args) => ok(cluster::run(g, args, io)),
    }
}
