//! `dqmig node start`: one dqlite node in the foreground; `dqmig node gen-cert`: a
//! cluster CA and node/client certificates for mutual TLS.
//!
//! With `--tls-cert`, `--tls-key` and `--tls-ca` (global flags), the node serves clients and
//! peers only over mutual TLS (every certificate signed by the CA), dials its peers over
//! TLS with the same certificate, and joins through `--join` over TLS. An `[IPv6]:port`
//! address works with or without TLS.
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
    /// Make a cluster CA (DIR/ca.pem, DIR/ca-key.pem; kept when present) and a certificate
    /// signed by it (DIR/NAME.pem with the CA appended, DIR/NAME-key.pem) for a node or a
    /// client. The certificate holds the DNS name "dqlite" first (what go-dqlite's shell
    /// checks), localhost, 127.0.0.1, ::1 and every --san.
    GenCert(GenCertArgs),
}

/// Arguments of `dqmig node gen-cert`.
#[derive(Debug, clap::Args)]
pub struct GenCertArgs {
    /// Folder for the files (created if missing).
    #[arg(long, value_name = "DIR")]
    pub dir: PathBuf,

    /// Base name of the certificate and key files.
    #[arg(long, value_name = "NAME", default_value = "node")]
    pub name: String,

    /// Extra IP address or DNS name the certificate is valid for (repeatable): the
    /// addresses other machines reach the node at.
    #[arg(long, value_name = "IP|NAME")]
    pub san: Vec<String>,
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

    /// Address the node listens on and advertises: IPv4:PORT (127.0.0.1:9001) or
    /// [IPv6]:PORT ([::1]:9001).
    #[arg(long, value_name = "IP:PORT")]
    pub address: String,

    /// Raft data directory (created if missing; locked while the node runs).
    #[arg(long = "data-dir", value_name = "DIR")]
    pub data_dir: PathBuf,

    /// Members to join through (comma-separated IP:PORT or [IPv6]:PORT); needed on the first
    /// start of any id other than 1.
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
pub fn run(global: &super::GlobalArgs, args: &NodeArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    match &args.command {
        NodeCommand::Start(start) => {
            let tls = global
                .tls()
                .load()
                .map_err(|e| CliError::Tls(Box::new(e)))?;
            run_start(start, tls, io)
        }
        NodeCommand::GenCert(gen) => gen_cert(gen, io),
    }
}

fn cert_err(action: String) -> impl Fn(rcgen::Error) -> CliError {
    move |e| CliError::Cert {
        action: action.clone(),
        detail: e.to_string(),
    }
}

fn write_file(path: &Path, text: &str, private: bool) -> Result<(), CliError> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(if private { 0o600 } else { 0o644 })
        .open(path)
        .map_err(|e| CliError::Cert {
            action: format!("writing {}", path.display()),
            detail: if e.kind() == std::io::ErrorKind::AlreadyExists {
                "the file exists; remove it or choose another --name".to_string()
            } else {
                e.to_string()
            },
        })?;
    f.write_all(text.as_bytes()).map_err(|e| CliError::Cert {
        action: format!("writing {}", path.display()),
        detail: e.to_string(),
    })
}

/// `dqmig node gen-cert` (see [`NodeCommand::GenCert`]).
fn gen_cert(args: &GenCertArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
        KeyPair, KeyUsagePurpose,
    };
    if args.name.is_empty() || args.name.contains('/') || args.name == "ca" {
        return Err(CliError::Usage(format!(
            "--name {:?}: expected a file base name without \"/\", other than \"ca\"",
            args.name
        )));
    }
    std::fs::create_dir_all(&args.dir).map_err(|e| CliError::Cert {
        action: format!("creating {}", args.dir.display()),
        detail: e.to_string(),
    })?;
    let (ca_path, ca_key_path) = (args.dir.join("ca.pem"), args.dir.join("ca-key.pem"));
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| CliError::Cert {
            action: format!("reading {}", p.display()),
            detail: e.to_string(),
        })
    };
    let ca_pem = if ca_path.exists() {
        read(&ca_path)?
    } else {
        let key = KeyPair::generate().map_err(cert_err("making the CA key".into()))?;
        let mut params = CertificateParams::new(Vec::<String>::new())
            .map_err(cert_err("making the CA".into()))?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "dqmig cluster CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = params
            .self_signed(&key)
            .map_err(cert_err("signing the CA".into()))?;
        write_file(&ca_key_path, &key.serialize_pem(), true)?;
        write_file(&ca_path, &cert.pem(), false)?;
        io.info(format_args!("wrote the cluster CA {}", ca_path.display()));
        cert.pem()
    };
    let ca_key = KeyPair::from_pem(&read(&ca_key_path)?).map_err(cert_err(format!(
        "reading the CA key {}",
        ca_key_path.display()
    )))?;
    let issuer = Issuer::from_ca_cert_pem(&ca_pem, ca_key)
        .map_err(cert_err(format!("reading the CA {}", ca_path.display())))?;

    let mut names = vec![
        "dqlite".to_string(),
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    for san in &args.san {
        if !names.contains(san) {
            names.push(san.clone());
        }
    }
    let mut params =
        CertificateParams::new(names).map_err(cert_err(format!("--san {:?}", args.san)))?;
    params
        .distinguished_name
        .push(DnType::CommonName, args.name.clone());
    params.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().map_err(cert_err("making the key".into()))?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(cert_err(format!("signing the certificate {}", args.name)))?;
    let cert_path = args.dir.join(format!("{}.pem", args.name));
    let key_path = args.dir.join(format!("{}-key.pem", args.name));
    write_file(&key_path, &key.serialize_pem(), true)?;
    // The CA goes after the leaf: go-dqlite's shell trusts the CAs of its --cert file.
    write_file(&cert_path, &format!("{}{}", cert.pem(), ca_pem), false)?;
    io.info(format_args!(
        "wrote {} and {} (signed by {})",
        cert_path.display(),
        key_path.display(),
        ca_path.display()
    ));
    Ok(())
}

fn is_bootstrap(id: u64) -> bool {
    id == 1 || id == GO_BOOTSTRAP_ID
}

/// Whether `dir` already holds raft state (a node ran there before).
fn has_raft_state(dir: &Path) -> bool {
    dir.join("metadata1").exists() || dir.join("metadata2").exists()
}

fn run_start(
    args: &StartArgs,
    tls: Option<dqmig::client::TlsConfig>,
    io: &mut Io<'_>,
) -> Result<(), CliError> {
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

    let mut cfg = NodeConfig::new(id, args.address.clone(), args.data_dir.clone());
    cfg.network_latency_ms = args.network_latency_ms;
    cfg.tls = tls.clone();
    // Bad values first (id 0, a wildcard address, a data dir that is a file), before
    // anything is decided from them.
    cfg.validate().map_err(CliError::Node)?;

    let restarted = has_raft_state(&args.data_dir);
    let joined_before = args.data_dir.join(JOINED_MARKER).exists();
    // A member restarted without --join (older data dir, no marker) just starts.
    let member_already = joined_before || (restarted && args.join.is_empty());
    let must_join = !(is_bootstrap(id) || member_already);
    // The first node of a new cluster is its voter and leader: no other role can hold it.
    if is_bootstrap(id) && !restarted && args.join.is_empty() {
        if let Some(role) = args.role.filter(|r| Role::from(*r) != Role::Voter) {
            return Err(CliError::Refused(format!(
                "--role {} with --id {id} and no --join: node {id} bootstraps a new cluster, whose first \
                 node is its voter and leader; drop --role, or give --join to add the node to an existing cluster",
                Role::from(role)
            )));
        }
    }
    if must_join && args.join.is_empty() {
        return Err(CliError::JoinNeeded {
            id,
            data_dir: args.data_dir.clone(),
        });
    }

    let mut node = node::start(cfg).map_err(CliError::Node)?;
    let admin = admin_options(tls);
    io.info(format_args!(
        "dqmig node {id}: listening on {}{} (data dir {}{})",
        args.address,
        if node.uses_tls() {
            " over mutual TLS"
        } else {
            ""
        },
        args.data_dir.display(),
        if restarted {
            ", existing raft state"
        } else {
            ""
        }
    ));

    let role = if must_join {
        let role = join(args, &admin, &stop, io)?;
        // A failed marker write only means the next start asks the leader again (idempotent).
        if let Err(e) = std::fs::write(args.data_dir.join(JOINED_MARKER), format!("{id}\n")) {
            io.info(format_args!(
                "dqmig node {id}: could not write the join marker: {e}"
            ));
        }
        role.to_string()
    } else if is_bootstrap(id) && !restarted {
        let deadline = Instant::now() + Duration::from_secs(args.join_timeout);
        wait_self_leader(args, &admin, &stop, deadline)?;
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

fn admin_options(tls: Option<dqmig::client::TlsConfig>) -> ConnectOptions {
    JoinOptions::default().connect.tls(tls)
}

/// A freshly bootstrapped node elects itself almost at once; wait until it says so.
fn wait_self_leader(
    args: &StartArgs,
    admin: &ConnectOptions,
    stop: &AtomicBool,
    deadline: Instant,
) -> Result<(), CliError> {
    let mut last = String::from("no answer yet");
    let mut poll = Backoff::fixed(Duration::from_millis(50)).with_deadline(Some(deadline));
    while !poll.expired() && !stop.load(Ordering::SeqCst) {
        match Connection::connect(&args.address, admin).and_then(|mut c| c.leader()) {
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
fn join(
    args: &StartArgs,
    admin: &ConnectOptions,
    stop: &Arc<AtomicBool>,
    io: &mut Io<'_>,
) -> Result<Role, CliError> {
    let mut opts = JoinOptions::default()
        .role(args.role.map(Role::from))
        .timeout(Duration::from_secs(args.join_timeout))
        .stop(Arc::clone(stop));
    opts.connect = admin.clone();
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
