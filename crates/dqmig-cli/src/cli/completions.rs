//! `dqmig completions bash|zsh|fish|elvish|powershell`: the shell completion script for the
//! command line, printed on stdout (clap_complete), e.g.
//! `dqmig completions bash > ~/.local/share/bash-completion/completions/dqmig`.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, CliError, Io};

/// Arguments of `dqmig completions`.
#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Run the command.
pub fn run(args: &CompletionsArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let mut cmd = Cli::command();
    // Into memory first: clap_complete panics when its writer fails (e.g. a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "dqmig", &mut script);
    io.out.write_all(&script).map_err(CliError::Output)?;
    io.out.flush().map_err(CliError::Output)
}
