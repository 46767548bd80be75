//! The `dqmig` command line: clap definitions, the global options of DESIGN §3.7, and
//! dispatch to one file per command. The binary (`src/main.rs`) only parses, calls [`run`]
//! and maps the result to an exit code; everything else lives here so it is testable.

mod error;
pub mod output;
mod sql;
mod style;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use error::CliError;
pub use sql::SqlArgs;
pub use style::Style;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
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
    /// Configuration file (dqmig.toml; not read yet: configuration files arrive with `dqmig init`).
    #[arg(short = 'c', long = "config", global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Database URL: dqlite:///ADDRESS/DATA_DIR/DATABASE (embedded node) or
    /// dqlite://HOST:PORT[,HOST:PORT...]/DATABASE (existing cluster).
    #[arg(long, global = true, env = URL_ENV, value_name = "URL")]
    pub url: Option<String>,

    /// Print fewer messages on stderr (repeatable).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "verbose")]
    pub quiet: u8,

    /// Print more messages on stderr (repeatable).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// When to color messages; NO_COLOR in the environment means never unless "always".
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The commands that exist so far. Others (init, revision, upgrade, ...) arrive with their
/// issues; none is declared before it works.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one SQL statement and print its rows (or the number of rows it changed).
    Sql(SqlArgs),
}

impl GlobalArgs {
    /// Message level: 0 quiet, 1 normal, 2+ verbose.
    pub fn level(&self) -> i16 {
        1 + i16::from(self.verbose) - i16::from(self.quiet)
    }

    /// The database URL from `--url` or `DQMIG_URL`, or an error saying how to give one.
    pub fn require_url(&self) -> Result<&str, CliError> {
        match self.url.as_deref().map(str::trim) {
            Some(url) if !url.is_empty() => Ok(url),
            _ => Err(CliError::NoUrl {
                config: self.config.clone(),
            }),
        }
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

/// Run a parsed command line.
pub fn run(cli: &Cli, io: &mut Io<'_>) -> Result<(), CliError> {
    match &cli.command {
        Command::Sql(args) => sql::run(&cli.global, args, io),
    }
}
