//! `dqmig list-templates`: the project templates `dqmig init --template` accepts, one per
//! line on stdout (`name  description`).

use super::init::TEMPLATES;
use super::{CliError, Io};

/// Arguments of `dqmig list-templates` (none).
#[derive(Debug, clap::Args)]
pub struct ListTemplatesArgs {}

/// Run the command.
pub fn run(_args: &ListTemplatesArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let width = TEMPLATES.iter().map(|t| t.name.len()).max().unwrap_or(0);
    for t in TEMPLATES {
        writeln!(io.out, "{:width$}  {}", t.name, t.description).map_err(CliError::Output)?;
    }
    Ok(())
}
