//! The `dqmig` binary: parse the command line, run it through [`cli`], print any error
//! as `error: <what was being done>: <cause>` and exit 0 on success, 1 when a check found a difference, 2 on any error
//! (clap's usage errors also exit 2).

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

mod cli;
mod logging;

use cli::{Cli, Io, Style};

fn main() -> ExitCode {
    // Help and version exit 0, usage errors exit 2 (clap's convention matches ours).
    let cli = Cli::parse();
    let stderr = std::io::stderr();
    let no_color = std::env::var("NO_COLOR").ok();
    let style = Style::decide(cli.global.color, stderr.is_terminal(), no_color.as_deref());
    logging::init(cli.global.level(), style.color);

    let mut out = std::io::stdout().lock();
    // Not locked for the whole run: log events may come from other threads (stderr is
    // unbuffered either way).
    let mut err = stderr;
    let mut io = Io {
        out: &mut out,
        err: &mut err,
        style,
        level: cli.global.level(),
    };
    match cli::run(&cli, &mut io) {
        Ok(code) => ExitCode::from(code),
        Err(e) if e.is_broken_pipe() => ExitCode::from(cli::EXIT_OK),
        Err(e) => {
            eprintln!("{} {}", style.error_prefix(), e.report());
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
