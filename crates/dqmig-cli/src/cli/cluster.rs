//! `dqmig cluster list|leader|add|assign|remove|transfer`: membership of a running cluster,
//! through the nodes of `--url` (leader discovery over its address list; membership changes go to the leader).
//! The database part of the URL is not used and may be left out (`dqlite://IP:PORT,IP:PORT`).
//! `list` falls back to asking each listed node when no leader is known (e.g. during an
//! election), and then marks no leader.

use std::io::Write;

use clap::Subcommand;
use serde_json::json;

use dqmig::client::{self, ConnectOptions, Connection, NodeInfo, Role, Value};

use super::node::RoleArg;
use super::{output, project, CliError, GlobalArgs, Io};

/// Arguments of `dqmig cluster`.
#[derive(Debug, clap::Args)]
pub struct ClusterArgs {
    #[command(subcommand)]
    pub command: ClusterCommand,
}

/// `dqmig cluster` subcommands.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Print every member: id, address, role, and which one leads.
    List {
        /// Print a JSON array of {"id","address","role","leader"}.
        #[arg(long)]
        json: bool,
    },
    /// Print the leader's id and address.
    Leader {
        /// Print {"id","address"} as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Add a node (it joins as a spare unless --role is given); the node must run already.
    Add {
        /// The new node's id (the one it was started with, non-zero).
        #[arg(long, value_name = "N")]
        id: u64,
        /// The address the new node advertises (peers and clients reach it there).
        #[arg(long, value_name = "IP:PORT")]
        address: String,
        /// The role to give it after it joins as a spare.
        #[arg(long, value_enum)]
        role: Option<RoleArg>,
    },
    /// Change a member's role.
    Assign {
        /// The id of the member (`dqmig cluster list` shows the ids).
        #[arg(long, value_name = "N")]
        id: u64,
        /// Its new role (taking the voter role from the only voter is refused).
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// Remove a member (refused when it is the last voter: the cluster would have no leader).
    Remove {
        /// The id of the member to remove (`dqmig cluster list` shows the ids).
        #[arg(long, value_name = "N")]
        id: u64,
    },
    /// Transfer leadership to a voter (without --id raft picks one).
    Transfer {
        /// The id of the voter to lead (without it raft picks one).
        #[arg(long, value_name = "N")]
        id: Option<u64>,
    },
}

/// The member addresses of `--url`/`DQMIG_URL`/`dqmig.toml` (a database name is optional
/// in `--url` here: `dqlite://IP:PORT,IP:PORT`).
/// Also the TLS settings to reach them with (`--tls-*` over the URL's query over
/// `dqmig.toml`'s `[tls]`).
fn seeds(global: &GlobalArgs) -> Result<(String, Option<dqmig::client::TlsConfig>), CliError> {
    let given = global.url.as_deref().map(str::trim).unwrap_or("");
    let url = match given.strip_prefix("dqlite://") {
        Some(rest) if !rest.is_empty() && !rest.split('?').next().unwrap_or("").contains('/') => {
            let (hosts, query) = match given.split_once('?') {
                Some((h, q)) => (h, format!("?{q}")),
                None => (given, String::new()),
            };
            let url: dqmig::url::DbUrl =
                format!("{hosts}/cluster{query}")
                    .parse()
                    .map_err(|source| CliError::Url {
                        url: given.to_owned(),
                        source: Box::new(source),
                    })?;
            let config = project::load_config(global)
                .unwrap_or_else(|_| dqmig::config::Config::default_in(std::path::Path::new(".")));
            let cwd = std::env::current_dir().unwrap_or_default();
            let url = url.resolve_relative(&cwd);
            url.with_tls(global.tls().or(&url.tls().or(&config.tls)))
        }
        _ => {
            let config = project::load_config(global)?;
            project::database_url(&config, global)?
        }
    };
    let tls = url.tls().load().map_err(|e| CliError::Tls(Box::new(e)))?;
    Ok((url.addresses().join(","), tls))
}

fn options(tls: Option<dqmig::client::TlsConfig>) -> ConnectOptions {
    ConnectOptions {
        dial_timeout: std::time::Duration::from_secs(2),
        leader_timeout: super::project::leader_timeout(),
        // --read-timeout, as for every other command (a membership change that cannot
        // commit, e.g. an unreachable new voter, is given up after it).
        read_timeout: Some(super::project::read_timeout()),
        write_timeout: Some(super::project::read_timeout()),
        tls,
        ..ConnectOptions::default()
    }
}

/// Run `dqmig cluster ...`.
pub fn run(global: &GlobalArgs, args: &ClusterArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let (seeds, tls) = seeds(global)?;
    let opts = options(tls);
    let fail = |action: String| {
        let seeds = seeds.clone();
        move |source: client::Error| CliError::Cluster {
            action,
            seeds,
            source: Box::new(source),
        }
    };
    let leader =
        || Connection::connect_leader(&seeds, &opts).map_err(fail("finding the leader".into()));
    match &args.command {
        ClusterCommand::List { json } => {
            let (members, leader_id) =
                members(&seeds, &opts).map_err(fail("listing the members".into()))?;
            write_members(io.out, &members, leader_id, *json).map_err(CliError::Output)?;
        }
        ClusterCommand::Leader { json } => {
            let conn = leader()?;
            let address = conn.address().to_string();
            let id =
                leader_id(&seeds, &address, &opts).map_err(fail("asking for the leader".into()))?;
            if *json {
                writeln!(io.out, "{}", json!({ "id": id, "address": address }))
            } else {
                writeln!(io.out, "{id} {address}")
            }
            .map_err(CliError::Output)?;
        }
        ClusterCommand::Add { id, address, role } => {
            let mut conn = leader()?;
            conn.add(*id, address)
                .map_err(fail(format!("adding node {id} at {address}")))?;
            io.info(format_args!("added node {id} at {address} as a spare"));
            if let Some(role) = role {
                let role = Role::from(*role);
                conn.assign(*id, role)
                    .map_err(fail(format!("assigning role {role} to node {id}")))?;
                io.info(format_args!("node {id} is now a {role}"));
            }
        }
        ClusterCommand::Assign { id, role } => {
            let role = Role::from(*role);
            let mut conn = leader()?;
            let members = require_member(&mut conn, *id, "assign a role to")
                .map_err(fail(format!("assigning role {role} to node {id}")))??;
            if role != Role::Voter {
                refuse_last_voter(&members, *id, &format!("make node {id} a {role}"))?;
            }
            conn.assign(*id, role)
                .map_err(fail(format!("assigning role {role} to node {id}")))?;
            io.info(format_args!("node {id} is now a {role}"));
        }
        ClusterCommand::Remove { id } => {
            let mut conn = leader()?;
            let members = require_member(&mut conn, *id, "remove")
                .map_err(fail(format!("removing node {id}")))??;
            refuse_last_voter(&members, *id, &format!("remove node {id}"))?;
            conn.remove(*id)
                .map_err(fail(format!("removing node {id}")))?;
            io.info(format_args!("removed node {id}"));
        }
        ClusterCommand::Transfer { id } => {
            let target = id.unwrap_or(0);
            let mut conn = leader()?;
            if let Some(id) = id {
                require_member(&mut conn, *id, "transfer leadership to")
                    .map_err(fail(format!("transferring leadership to node {id}")))??;
            }
            conn.transfer(target)
                .map_err(fail(format!("transferring leadership to node {target}")))?;
            match id {
                Some(id) => io.info(format_args!("leadership transferred to node {id}")),
                None => io.info("leadership transferred"),
            }
        }
    }
    io.out.flush().map_err(CliError::Output)
}

/// Refuses an id the cluster does not have, naming the ids it has (libdqlite only says
/// "server ID is not valid"); the members otherwise.
fn require_member(
    conn: &mut Connection,
    id: u64,
    verb: &str,
) -> Result<Result<Vec<NodeInfo>, CliError>, client::Error> {
    let members = conn.cluster()?;
    if members.iter().any(|m| m.id == id) {
        return Ok(Ok(members));
    }
    let known: Vec<String> = members
        .iter()
        .map(|m| format!("{} at {}", m.id, m.address))
        .collect();
    Ok(Err(CliError::Usage(format!(
        "cannot {verb} node {id}: the cluster has no node {id}; its nodes are {}",
        known.join(", ")
    ))))
}

/// Refuses to take away the voter role of node `id` (`what`: "remove node 3") when it is
/// the only voter: libdqlite applies it, and the cluster is left with no voter, so no
/// leader, for good.
fn refuse_last_voter(members: &[NodeInfo], id: u64, what: &str) -> Result<(), CliError> {
    let voters: Vec<u64> = members
        .iter()
        .filter(|m| m.role == Some(Role::Voter))
        .map(|m| m.id)
        .collect();
    if voters != [id] {
        return Ok(());
    }
    Err(CliError::Usage(format!(
        "cannot {what}: it is the cluster's only voter, and a cluster without a voter has no leader, \
         for good (no write or membership change would ever work again); nothing was changed. First give \
         the cluster another voter (start a node with `dqmig node start --join ...`, or `dqmig cluster \
         assign --id N --role voter` on a standby or spare), then try again"
    )))
}

/// The leader's id: the leader knows it from its own Leader reply.
fn leader_id(seeds: &str, address: &str, opts: &ConnectOptions) -> Result<u64, client::Error> {
    let mut c = Connection::connect(address, opts)?;
    match c.leader()? {
        Some(info) => Ok(info.id),
        None => Err(client::Error::NoLeader {
            tried: vec![(seeds.to_string(), "the leader stepped down".to_string())],
            hopeless: false,
            tls_refused: false,
        }),
    }
}

/// Members and the leader's id, from the leader; with no leader, from the first listed node
/// that answers Cluster (followers answer it too).
fn members(
    seeds: &str,
    opts: &ConnectOptions,
) -> Result<(Vec<NodeInfo>, Option<u64>), client::Error> {
    match Connection::connect_leader(seeds, opts) {
        Ok(mut conn) => {
            let members = conn.cluster()?;
            let leader = conn.leader()?.map(|l| l.id);
            Ok((members, leader))
        }
        Err(no_leader @ client::Error::NoLeader { .. }) => {
            for address in seeds.split(',') {
                if let Ok(members) =
                    Connection::connect(address, opts).and_then(|mut c| c.cluster())
                {
                    if !members.is_empty() {
                        return Ok((members, None));
                    }
                }
            }
            Err(no_leader)
        }
        Err(e) => Err(e),
    }
}

fn role_name(role: Option<Role>) -> String {
    role.map_or_else(|| "unknown".to_string(), |r| r.to_string())
}

/// Prints members sorted by id as a table (leader marked `*`) or as JSON.
pub fn write_members(
    out: &mut dyn Write,
    members: &[NodeInfo],
    leader: Option<u64>,
    as_json: bool,
) -> std::io::Result<()> {
    let mut sorted: Vec<&NodeInfo> = members.iter().collect();
    sorted.sort_by_key(|m| m.id);
    if as_json {
        let array: Vec<serde_json::Value> = sorted
            .iter()
            .map(|m| {
                json!({
                    "id": m.id,
                    "address": m.address,
                    "role": role_name(m.role),
                    "leader": Some(m.id) == leader,
                })
            })
            .collect();
        serde_json::to_writer(&mut *out, &array)?;
        return writeln!(out);
    }
    let columns = ["id", "address", "role", "leader"].map(String::from);
    let rows: Vec<Vec<Value>> = sorted
        .iter()
        .map(|m| {
            vec![
                Value::Text(m.id.to_string()),
                Value::Text(m.address.clone()),
                Value::Text(role_name(m.role)),
                Value::Text(if Some(m.id) == leader { "*" } else { "" }.to_string()),
            ]
        })
        .collect();
    output::write_table(out, &columns, rows.iter().map(Vec::as_slice))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_table_and_json() {
        let members = vec![
            NodeInfo {
                id: 2,
                address: "127.0.0.1:2".into(),
                role: Some(Role::Standby),
            },
            NodeInfo {
                id: 1,
                address: "127.0.0.1:1".into(),
                role: Some(Role::Voter),
            },
        ];
        let mut out = Vec::new();
        write_members(&mut out, &members, Some(1), false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let one = text.find("127.0.0.1:1").unwrap();
        let two = text.find("127.0.0.1:2").unwrap();
        assert!(one < two, "sorted by id:\n{text}");
        assert!(text.contains('*') && text.contains("standby"), "{text}");
        let mut out = Vec::new();
        write_members(&mut out, &members, Some(1), true).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[0]["id"], 1);
        assert_eq!(v[0]["leader"], true);
        assert_eq!(v[1]["role"], "standby");
        assert_eq!(v[1]["leader"], false);
    }
}
