//! `dqmig node start`: one dqlite node in the foreground.
//!
//! Id 1 bootstraps a one-voter cluster on an empty data dir. Any other id starts empty and
//! joins through `--join` with the library's [`dqmig::cluster::join`]: Add on the leader (the
//! node becomes a spare), then Assign the role (explicit, or voter while the cluster has fewer
//! than three voters, standby after that), retried until the leader answers or
//! `--join-timeout` passes. A node restarted on its data
//! dir rejoins nothing: raft remembers the membership. Logs go to stderr; one line containing
//! `ready:` says the node serves; SIGINT/SIGTERM stop it cleanly (a second signal exits at
//! once).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Subcommand, ValueEnum};

use dqmig::client::{Backoff, ConnectOptions, Connection, NodeInfo, Role};
use dqmig::cluster::{self, JoinError, JoinOptions};
use dqmig::node::{self, NodeConfig};

use super::{CliError, Io};

/// The go-dqlite bootstrap id (the raft digest of "1"); it bootstraps like id 1.
pub const GO_BOOTSTRAP_ID: u64 = 0x2dc1_7185_8c31_55be;

/// Written in the data dir once a joining node is a member: a restart skips joining.
pub const JOINED_MARKER: &str = "dqmig-joined";

/// Arguments of `dqmig node`.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    #[command(subcommand)]
    pub command: NodeCommand,
}

/// `dqmig node` subcommands.
#[derive(Debug, Subcommand)]
pub enum NodeCommand {
    /// Run a dqlite node in the foreground until SIGINT/SIGTERM.
    Start(StartArgs),
}

/// Roles a node can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Voter,
    Standby,
    Spare,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Voter => Role::Voter,
            RoleArg::Standby => Role::Standby,
            RoleArg::Spare => Role::Spare,
        }
    }
}

/// Arguments of `dqmig node start`.
#[derive(Debug, clap::Args)]
pub struct StartArgs {
    /// Raft id: 1 bootstraps a new cluster; any other unique non-zero id joins one.
    #[arg(long, value_name = "N")]
    pub id: u64,

    /// Address the node listens on and advertises (IPv4:PORT).
    #[arg(long, value_name = "IP:PORT")]
    pub address: String,

    /// Raft data directory (created if missing; locked while the node runs).
    #[arg(long = "data-dir", value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Members to join through (comma-separated IP:PORT); needed on the first start of any
    /// id other than 1.
    #[arg(long, value_name = "IP:PORT,...", value_delimiter = ',')]
    pub join: Vec<String>,

    /// Role to take after joining [default: voter while the cluster has fewer than three
    /// voters, standby after that].
    #[arg(long, value_enum)]
    pub role: Option<RoleArg>,

    /// How long to keep trying to join before giving up, in seconds.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub join_timeout: u64,

    /// Network latency hint in ms: raft heartbeat = 1.5x, election timeout = 15x
    /// [default: libdqlite's, i.e. 3 s election timeout].
    #[arg(long, value_name = "MS")]
    pub network_latency_ms: Option<u32>,
}

/// Run `dqmig node ...`.
pub fn run(args: &NodeArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    match &args.command {
        NodeCommand::Start(start) => run_start(start, io),
    }
}

fn is_bootstrap(id: u64) -> bool {
    id == 1 || id == GO_BOOTSTRAP_ID
}

/// Whether `dir` already holds raft state (a node ran there before).
fn has_raft_state(dir: &Path) -> bool {
    dir.join("metadata1").exists() || dir.join("metadata2").exists()
}

fn run_start(args: &StartArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let id = args.id;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // The first signal asks for a clean stop; a second one (the stop hangs, the user
        // presses Ctrl-C again) exits at once with the error code.
        signal_hook::flag::register_conditional_shutdown(
            sig,
            i32::from(super::EXIT_ERROR),
            Arc::clone(&stop),
        )
        .map_err(CliError::Signals)?;
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(CliError::Signals)?;
    }

    let restarted = has_raft_state(&args.data_dir);
    let joined_before = args.data_dir.join(JOINED_MARKER).exists();
    // A member restarted without --join (older data dir, no marker) just starts.
    let member_already = joined_before || (restarted && args.join.is_empty());
    let must_join = !(is_bootstrap(id) || member_already);
    if must_join && args.join.is_empty() {
        return Err(CliError::JoinNeeded {
            id,
            data_dir: args.data_dir.clone(),
        });
    }

    let mut cfg = NodeConfig::new(id, args.address.clone(), args.data_dir.clone());
    cfg.network_latency_ms = args.network_latency_ms;
    let mut node = node::start(cfg).map_err(CliError::Node)?;
    io.info(format_args!(
        "dqmig node {id}: listening on {} (data dir {}{})",
        args.address,
        args.data_dir.display(),
        if restarted {
            ", existing raft state"
        } else {
            ""
        }
    ));

    let role = if must_join {
        let role = join(args, &stop, io)?;
        // A failed marker write only means the next start asks the leader again (idempotent).
        if let Err(e) = std::fs::write(args.data_dir.join(JOINED_MARKER), format!("{id}\n")) {
            io.info(format_args!(
                "dqmig node {id}: could not write the join marker: {e}"
            ));
        }
        role.to_string()
    } else if is_bootstrap(id) && !restarted {
        let deadline = Instant::now() + Duration::from_secs(args.join_timeout);
        wait_self_leader(args, &stop, deadline)?;
        "voter, leader of a new cluster".to_string()
    } else {
        "restarted from its data dir; a leader needs a quorum of voters".to_string()
    };

    if !stop.load(Ordering::SeqCst) {
        io.info(format_args!(
            "dqmig node {id} ready: serving at {} ({role})",
            args.address
        ));
    }
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
    }
    io.info(format_args!("dqmig node {id}: stopping"));
    node.stop().map_err(CliError::Node)?;
    drop(node);
    io.info(format_args!("dqmig node {id}: stopped"));
    Ok(())
}

fn admin_options() -> ConnectOptions {
    JoinOptions::default().connect
}

/// A freshly bootstrapped node elects itself almost at once; wait until it says so.
fn wait_self_leader(
    args: &StartArgs,
    stop: &AtomicBool,
    deadline: Instant,
) -> Result<(), CliError> {
    let mut last = String::from("no answer yet");
    let mut poll = Backoff::fixed(Duration::from_millis(50)).with_deadline(Some(deadline));
    while !poll.expired() && !stop.load(Ordering::SeqCst) {
        match Connection::connect(&args.address, &admin_options()).and_then(|mut c| c.leader()) {
            Ok(Some(NodeInfo { address, .. })) if address == args.address => return Ok(()),
            Ok(other) => last = format!("leader is {other:?}"),
            Err(e) => last = e.to_string(),
        }
        if poll.wait().is_none() {
            break;
        }
    }
    if stop.load(Ordering::SeqCst) {
        return Ok(());
    }
    Err(CliError::NoSelfLeader {
        id: args.id,
        address: args.address.clone(),
        last,
    })
}

/// Add then Assign through the leader ([`cluster::join`]), printing what it waits for.
fn join(args: &StartArgs, stop: &Arc<AtomicBool>, io: &mut Io<'_>) -> Result<Role, CliError> {
    let opts = JoinOptions::default()
        .role(args.role.map(Role::from))
        .timeout(Duration::from_secs(args.join_timeout))
        .stop(Arc::clone(stop));
    let seeds = args.join.join(",");
    let joined = cluster::join(&args.join, args.id, &args.address, &opts, |retry| {
        let e = retry.error;
        io.debug(format_args!(
            "dqmig node {}: joining: {e}; retrying",
            args.id
        ));
        if retry.attempt == 1 {
            io.info(format_args!(
                "dqmig node {}: waiting for the leader through {seeds} ({e})",
                args.id
            ));
        }
    });
    joined.map_err(|e| match e {
        JoinError::Interrupted { id } => CliError::JoinInterrupted { id },
        JoinError::GaveUp {
            id,
            seeds,
            attempts,
            timeout,
            source,
        } => CliError::Join {
            id,
            seeds,
            attempts,
            waited: timeout.as_secs(),
            source,
        },
        // No seeds (checked before the node started, so not reached).
        _ => CliError::JoinNeeded {
            id: args.id,
            data_dir: args.data_dir.clone(),
        },
    })
}
