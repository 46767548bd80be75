//! `dqmig downgrade TARGET`: undo revisions down to TARGET (`-1`, `base`, an id, `X@base`,
//! ...), newest first, through the same run loop as `upgrade`. `--sql` needs a range
//! FROM:TO because without a database there is nothing to start from.

use dqmig::script::Direction;

use super::upgrade::{migrate, RunArgs};
use super::{CliError, GlobalArgs, Io};

/// Arguments of `dqmig downgrade`.
#[derive(Debug, clap::Args)]
pub struct DowngradeArgs {
    /// Where to go: -N, base, a revision id or unique prefix, REV-N, LABEL@base. With --sql
    /// a range FROM:TO (e.g. head:base).
    #[arg(value_name = "TARGET", allow_hyphen_values = true)]
    pub target: String,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Run the command.
pub fn run(global: &GlobalArgs, args: &DowngradeArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    migrate(global, &args.target, &args.run, Direction::Down, io)
}
