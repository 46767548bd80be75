//! Cluster membership workflows over the client: joining a freshly
//! started node to a running cluster. `dqmig node start --join` is this function plus
//! printing; an app that starts its own node calls it the same way.
//!
//! A join is Add on the leader (the node becomes a spare), then Assign of the role it should
//! have (given, or voter while the cluster has fewer than [`JoinOptions::target_voters`]
//! voters, standby after that). Each attempt looks for the leader through the seeds and
//! reads the membership first, so an attempt after an Add or Assign that did land (or whose
//! outcome is unknown) does only what is left. Between attempts it pauses by a [`Backoff`]
//! until [`JoinOptions::timeout`]; what is retried is the client's
//! [`client::Error::retry_kind`]: everything but [`RetryKind::Fatal`].
//!
//! Logging (`tracing`, target `dqmig::cluster`): INFO "joined the cluster" (`id`,
//! `address`, `role`, `attempts`), DEBUG "join attempt failed, retrying" (`id`, `reason`,
//! `attempt`, `delay_ms`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::client::{self, Backoff, ConnectOptions, Connection, Phase, RetryKind, Role};

/// Default [`JoinOptions::timeout`].
pub const DEFAULT_JOIN_TIMEOUT: Duration = Duration::from_secs(60);
/// Default [`JoinOptions::target_voters`].
pub const DEFAULT_TARGET_VOTERS: usize = 3;
/// First pause between join attempts (doubling to [`JOIN_MAX_BACKOFF`]).
pub const JOIN_FIRST_BACKOFF: Duration = Duration::from_millis(100);
/// Longest pause between join attempts.
pub const JOIN_MAX_BACKOFF: Duration = Duration::from_secs(1);

/// How [`join`] behaves. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JoinOptions {
    /// The role to take; `None`: voter while the cluster has fewer than `target_voters`
    /// voters (not counting this node), standby after that.
    pub role: Option<Role>,
    /// How many voters the default role aims for (default [`DEFAULT_TARGET_VOTERS`], 3).
    pub target_voters: usize,
    /// How long to keep trying (default [`DEFAULT_JOIN_TIMEOUT`], 60 s).
    pub timeout: Duration,
    /// The connection to the leader: short dial and leader timeouts (2 s) so that an
    /// attempt fails fast and the next one looks again, and a read timeout of 120 s because
    /// Assign voter waits while the leader catches the node up.
    pub connect: ConnectOptions,
    /// When set and true, the join stops between attempts with [`JoinError::Interrupted`]
    /// (e.g. a signal handler's flag).
    pub stop: Option<Arc<AtomicBool>>,
}

impl Default for JoinOptions {
    fn default() -> Self {
        JoinOptions {
            role: None,
            target_voters: DEFAULT_TARGET_VOTERS,
            timeout: DEFAULT_JOIN_TIMEOUT,
            connect: ConnectOptions {
                dial_timeout: Duration::from_secs(2),
                leader_timeout: Duration::from_secs(2),
                read_timeout: Some(Duration::from_secs(120)),
                ..ConnectOptions::default()
            },
            stop: None,
        }
    }
}

impl JoinOptions {
    /// Sets [`JoinOptions::role`].
    pub fn role(mut self, role: Option<Role>) -> Self {
        self.role = role;
        self
    }

    /// Sets [`JoinOptions::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets [`JoinOptions::stop`].
    pub fn stop(mut self, stop: Arc<AtomicBool>) -> Self {
        self.stop = Some(stop);
        self
    }

    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }
}

/// A failed attempt that [`join`] retries, as its `on_retry` callback sees it.
#[derive(Debug)]
#[non_exhaustive]
pub struct JoinRetry<'a> {
    /// The attempt that failed (1 for the first).
    pub attempt: u32,
    /// Why it failed.
    pub error: &'a client::Error,
    /// The pause before the next attempt.
    pub delay: Duration,
}

/// Why [`join`] did not join.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The last attempt's error was fatal, or the timeout passed.
    #[error("node {id} joining the cluster through {seeds}: gave up after {attempts} attempt(s) within {} s", timeout.as_secs())]
    GaveUp {
        id: u64,
        /// The seeds, comma-separated.
        seeds: String,
        attempts: u32,
        /// [`JoinOptions::timeout`].
        timeout: Duration,
        #[source]
        source: Box<client::Error>,
    },
    /// [`JoinOptions::stop`] was set.
    #[error("node {id} stopped while joining the cluster")]
    Interrupted { id: u64 },
    /// No seed given.
    #[error("node {id} cannot join a cluster: no member address given")]
    NoSeeds { id: u64 },
}

/// Joins node `id`, serving at `address`, to the cluster that `seeds` belong to: Add, then
/// Assign the role (see the module docs), retried until [`JoinOptions::timeout`]. Returns
/// the role the node has. `on_retry` is called after each failed attempt that will be
/// retried (e.g. to tell a user what it waits for). Idempotent: joining a member again only
/// assigns a role it lacks.
///
/// # Errors
/// [`JoinError::GaveUp`] with the last client error when it is fatal (an id in use, a bad
/// address, ...) or the timeout passed; [`JoinError::Interrupted`] when
/// [`JoinOptions::stop`] was set; [`JoinError::NoSeeds`] when `seeds` is empty.
pub fn join(
    seeds: &[String],
    id: u64,
    address: &str,
    opts: &JoinOptions,
    mut on_retry: impl FnMut(&JoinRetry<'_>),
) -> Result<Role, JoinError> {
    if seeds.is_empty() {
        return Err(JoinError::NoSeeds { id });
    }
    let seeds = seeds.join(",");
    let mut backoff = Backoff::new(JOIN_FIRST_BACKOFF, JOIN_MAX_BACKOFF)
        .with_jitter(false)
        .with_budget(opts.timeout);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let error = match join_once(&seeds, id, address, opts) {
            Ok(role) => {
                tracing::info!(id, %address, %role, attempts, "joined the cluster");
                return Ok(role);
            }
            Err(e) => e,
        };
        // Add and Assign commit a raft entry: a broken connection may have let them land,
        // which the next attempt's read of the membership finds out.
        let delay = match error.retry_kind(Phase::Commit) {
            RetryKind::Fatal => None,
            RetryKind::InPlace | RetryKind::Reconnect | RetryKind::OutcomeUnknown => {
                backoff.next_delay()
            }
        };
        let Some(delay) = delay else {
            return Err(JoinError::GaveUp {
                id,
                seeds,
                attempts,
                timeout: opts.timeout,
                source: Box::new(error),
            });
        };
        tracing::debug!(id, reason = %error, attempt = attempts, delay_ms = delay.as_millis() as u64, "join attempt failed, retrying");
        on_retry(&JoinRetry {
            attempt: attempts,
            error: &error,
            delay,
        });
        if opts.stopped() {
            return Err(JoinError::Interrupted { id });
        }
        std::thread::sleep(delay);
    }
}

/// One attempt: find the leader, read the membership, Add if missing, Assign if needed.
fn join_once(seeds: &str, id: u64, address: &str, opts: &JoinOptions) -> client::Result<Role> {
    let mut conn = Connection::connect_leader(seeds, &opts.connect)?;
    let members = conn.cluster()?;
    let me = members.iter().find(|m| m.id == id);
    if me.is_none() {
        conn.add(id, address)?;
    }
    let role = match opts.role {
        Some(r) => r,
        None => {
            let voters = members
                .iter()
                .filter(|m| m.id != id && m.role == Some(Role::Voter))
                .count();
            if voters < opts.target_voters {
                Role::Voter
            } else {
                Role::Standby
            }
        }
    };
    let current = me.and_then(|m| m.role).unwrap_or(Role::Spare);
    if current != role {
        conn.assign(id, role)?;
    }
    Ok(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed_port() -> String {
        let l = std::net::TcpListener::bind("127.0.0.1:0").ok();
        let port = l
            .as_ref()
            .and_then(|l| l.local_addr().ok())
            .map_or(1, |a| a.port());
        drop(l);
        format!("127.0.0.1:{port}")
    }

    #[test]
    fn no_seeds_is_an_error() {
        let err = join(&[], 2, "127.0.0.1:1", &JoinOptions::default(), |_| {});
        assert!(matches!(err, Err(JoinError::NoSeeds { id: 2 })));
    }

    #[test]
    fn a_bad_seed_address_is_fatal_at_once() {
        let mut retries = 0;
        let err = join(
            &["not an address".to_string()],
            2,
            "127.0.0.1:1",
            &JoinOptions::default(),
            |_| retries += 1,
        );
        match err {
            Err(JoinError::GaveUp {
                attempts, source, ..
            }) => {
                assert_eq!(attempts, 1);
                assert!(
                    matches!(*source, client::Error::NoLeader { .. }),
                    "{source}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(retries, 0);
    }

    #[test]
    fn no_leader_is_retried_until_the_timeout_and_stop_interrupts() {
        let seeds = vec![closed_port()];
        let mut opts = JoinOptions::default().timeout(Duration::from_millis(400));
        opts.connect.leader_timeout = Duration::from_millis(20);
        let mut retries = 0;
        match join(&seeds, 2, "127.0.0.1:1", &opts, |_| retries += 1) {
            Err(JoinError::GaveUp { attempts, .. }) => assert!(attempts >= 2, "{attempts}"),
            other => panic!("{other:?}"),
        }
        assert!(retries >= 1);
        let stop = Arc::new(AtomicBool::new(true));
        let opts = opts.stop(stop);
        assert!(matches!(
            join(&seeds, 2, "127.0.0.1:1", &opts, |_| {}),
            Err(JoinError::Interrupted { id: 2 })
        ));
    }
}
