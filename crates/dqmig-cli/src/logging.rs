//! The `tracing` subscriber of the `dqmig` binary: the libraries only emit events, the
//! binary decides what is shown. At normal verbosity only the WARN events of a node
//! (`dqmig_node`: a refused TLS connection) are shown, with `-q` nothing, so stderr holds
//! the command's own messages; `-v` shows INFO events of dqmig's
//! crates (plan, steps, node start/stop, leader changes, retries), `-vv` DEBUG (each
//! statement sent, with its SQL), `-vvv` TRACE. A non-empty `RUST_LOG` overrides all of
//! that with its own filter. Events go to stderr, one line each.

use tracing_subscriber::EnvFilter;

/// The crates whose events `-v` shows (the targets are their module paths).
const CRATES: [&str; 4] = ["dqmig", "dqmig_client", "dqmig_node", "dqmig_cli"];

/// The filter for message level `level` (1 normal, 2 `-v`, ...); `None`: install nothing.
fn filter(level: i16, rust_log: Option<&str>) -> Option<EnvFilter> {
    if let Some(spec) = rust_log.filter(|s| !s.trim().is_empty()) {
        // A bad directive is skipped with a note on stderr, not an error.
        return Some(EnvFilter::builder().parse_lossy(spec));
    }
    let max = match level {
        i16::MIN..=0 => return None,
        // At normal verbosity only a node's warnings (a refused TLS connection) are shown.
        1 => return Some(EnvFilter::builder().parse_lossy("dqmig_node=warn")),
        2 => "info",
        3 => "debug",
        _ => "trace",
    };
    let spec = CRATES
        .iter()
        .map(|c| format!("{c}={max}"))
        .collect::<Vec<_>>()
        .join(",");
    Some(EnvFilter::builder().parse_lossy(spec))
}

/// Installs the subscriber for `level`; `color` as decided for stderr's messages.
pub fn init(level: i16, color: bool) {
    let rust_log = std::env::var("RUST_LOG").ok();
    let Some(filter) = filter(level, rust_log.as_deref()) else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(color)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_and_quiet_install_nothing() {
        assert_eq!(
            filter(1, None).map(|f| f.to_string()).as_deref(),
            Some("dqmig_node=warn")
        );
        assert!(filter(0, None).is_none());
        assert!(filter(0, Some("  ")).is_none());
    }

    #[test]
    fn verbose_levels_and_rust_log() {
        let v = filter(2, None).map(|f| f.to_string()).unwrap_or_default();
        assert!(
            v.contains("dqmig_client=info") && v.contains("dqmig=info"),
            "{v}"
        );
        let vv = filter(3, None).map(|f| f.to_string()).unwrap_or_default();
        assert!(vv.contains("dqmig_client=debug"), "{vv}");
        let env = filter(1, Some("dqmig_client::conn=trace"))
            .map(|f| f.to_string())
            .unwrap_or_default();
        assert_eq!(env, "dqmig_client::conn=trace");
    }
}
