//! Leader discovery: ask each seed address for the leader, hop
//! to the reported address (a bounded number of times) until a node reports itself, and
//! retry with backoff while no leader is known yet. Returns a handshaken transport to the
//! leader; the connection layer then sends Client and Open on it.
//!
//! Logging (`tracing`, target `dqmig_client::leader`): DEBUG "leader found" (`address`,
//! `seeds`, `elapsed_ms`), DEBUG "no leader yet, retrying" (`tried`: each address and why,
//! `backoff_ms`), DEBUG "no leader found" when giving up, TRACE "leader redirect".

use std::time::{Duration, Instant};

use super::backoff::Backoff;
use super::error::{Error, Result};
use super::proto::{Request, Response, ResponseHint};
use super::transport::{Transport, TransportOptions};

/// How many times one probe follows a "the leader is over there" answer.
const MAX_HOPS: usize = 3;
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MAX_BACKOFF: Duration = Duration::from_millis(500);

/// What one probe of one address found.
enum Probe {
    Leader(Transport),
    /// Nothing found through this address; the reason was recorded. `hopeless`: waiting
    /// will not help (a bad address, a peer that is not dqlite).
    Nothing {
        hopeless: bool,
        /// The address refused at the TLS layer (the node runs; the reason says what to fix).
        tls: bool,
    },
}

/// Records why `address` gave no leader; says whether retrying it is hopeless: a seed (not
/// an address some node reported) that is malformed or not a dqlite node. A node that
/// answers with a Failure may be starting or stopping, so that is worth another round.
/// `refused_final`: a refused connection to this seed will not get better (see
/// [`find_leader_with`]).
fn failed(
    tried: &mut Vec<(String, String)>,
    address: String,
    e: &Error,
    seed: bool,
    refused_final: bool,
) -> Probe {
    tried.push((address, e.to_string()));
    let refused = matches!(e, Error::Io { source, .. } if source.kind() == std::io::ErrorKind::ConnectionRefused);
    Probe::Nothing {
        tls: matches!(e, Error::Tls { .. }),
        hopeless: seed
            && matches!(
                e,
                Error::BadAddress { .. } | Error::NotDqlite { .. } | Error::Tls { .. }
            )
            || seed && refused && refused_final,
    }
}

/// Asks `address` who leads, returning the Leader reply. The reply must come within the
/// handshake timeout; a reply that is not dqlite's is [`Error::NotDqlite`], none in time
/// [`Error::NoAnswer`]. The connection's read timeout is restored afterwards.
fn ask(t: &mut Transport, opts: &TransportOptions) -> Result<(u64, String)> {
    t.set_read_timeout(Some(opts.handshake_timeout))?;
    let answer = ask_once(t).map_err(|e| match e {
        Error::Protocol {
            address, source, ..
        } => Error::NotDqlite {
            address,
            detail: source.to_string(),
        },
        Error::UnexpectedResponse { address, found, .. } => Error::NotDqlite {
            address,
            detail: format!("it answered {found}"),
        },
        Error::Io {
            address, source, ..
        } if matches!(
            source.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) =>
        {
            Error::NoAnswer {
                address,
                waited: opts.handshake_timeout,
            }
        }
        other => other,
    })?;
    t.set_read_timeout(opts.read_timeout)?;
    Ok(answer)
}

fn ask_once(t: &mut Transport) -> Result<(u64, String)> {
    t.send(&Request::Leader, "asking for the leader")?;
    match t.recv(ResponseHint::default(), "asking for the leader")? {
        Response::Server { id, address } => Ok((id, address)),
        Response::Failure { code, message } => Err(Error::from_failure(
            code,
            message,
            None,
            "asking for the leader".into(),
            t.address(),
        )),
        other => Err(Error::UnexpectedResponse {
            action: "asking for the leader".into(),
            address: t.address().to_string(),
            expected: "Server",
            found: format!("{other:?}"),
        }),
    }
}

fn probe(
    seed: &str,
    opts: &TransportOptions,
    tried: &mut Vec<(String, String)>,
    refused_final: bool,
) -> Probe {
    let mut address = seed.to_string();
    for hop in 0..=MAX_HOPS {
        // A reported leader that cannot be reached may be a leader change under way.
        let first = hop == 0;
        let mut t = match Transport::dial(&address, opts) {
            Ok(t) => t,
            Err(e) => return failed(tried, address, &e, first, refused_final),
        };
        match ask(&mut t, opts) {
            Err(e) => return failed(tried, address, &e, first, refused_final),
            Ok((_, leader)) if leader.is_empty() => {
                tried.push((address, "knows no leader yet".into()));
                return Probe::Nothing {
                    hopeless: false,
                    tls: false,
                };
            }
            Ok((_, leader)) if leader == address => return Probe::Leader(t),
            Ok((id, leader)) => {
                tracing::trace!(%address, leader_id = id, leader = %leader, "leader redirect");
                tried.push((address, format!("reported leader {id} at {leader}")));
                address = leader;
            }
        }
    }
    tried.push((
        address,
        format!("gave up after {MAX_HOPS} leader redirections"),
    ));
    Probe::Nothing {
        hopeless: false,
        tls: false,
    }
}

/// Finds the leader among `seeds` (each `HOST:PORT` or `@name`), retrying with exponential
/// backoff until `timeout` has passed. The error lists every address tried and why it failed
/// (the last round's reasons).
#[cfg(test)]
pub(crate) fn find_leader(
    seeds: &[String],
    opts: &TransportOptions,
    timeout: Duration,
) -> Result<Transport> {
    find_leader_with(seeds, opts, timeout, false, None)
}

/// What [`crate::ConnectOptions::on_leader_wait`] is told while no leader is found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct LeaderWait {
    /// How long the search has run.
    pub waited: Duration,
    /// How long it may run in all (`ConnectOptions::leader_timeout`).
    pub limit: Duration,
    /// Each address tried in the last round and why it gave no leader.
    pub tried: Vec<(String, String)>,
}

/// How often a wait for a leader is reported (the first time after this long, too).
const WAIT_NOTICE: Duration = Duration::from_secs(3);

/// [`find_leader`]; `first_open`: a refused connection to a single seed is final (nothing
/// listens there: waiting for the leader search's deadline would only delay the error);
/// `on_wait` is told every few seconds while no leader is found.
pub(crate) fn find_leader_with(
    seeds: &[String],
    opts: &TransportOptions,
    timeout: Duration,
    first_open: bool,
    on_wait: Option<&(dyn Fn(&LeaderWait) + Send + Sync)>,
) -> Result<Transport> {
    let refused_final = first_open && seeds.len() == 1;
    let start = Instant::now();
    let mut next_notice = start + WAIT_NOTICE;
    let mut backoff = Backoff::new(FIRST_BACKOFF, MAX_BACKOFF)
        .with_jitter(false)
        .with_budget(timeout);
    loop {
        let mut tried = Vec::new();
        // A bad address, or a peer that is not dqlite, will not get better by waiting.
        let mut hopeless = !seeds.is_empty();
        // Every seed refused at the TLS layer: the nodes run, the reasons say what to fix.
        let mut tls_refused = !seeds.is_empty();
        for seed in seeds {
            match probe(seed, opts, &mut tried, refused_final) {
                Probe::Leader(t) => {
                    tracing::debug!(
                        address = %t.address(),
                        seeds = ?seeds,
                        elapsed_ms = start.elapsed().as_micros() as f64 / 1000.0,
                        "leader found"
                    );
                    return Ok(t);
                }
                Probe::Nothing { hopeless: h, tls } => {
                    hopeless &= h;
                    tls_refused &= tls;
                }
            }
        }
        let pause = if hopeless { None } else { backoff.next_delay() };
        let Some(pause) = pause else {
            tracing::debug!(tried = ?tried, elapsed_ms = start.elapsed().as_micros() as f64 / 1000.0, "no leader found");
            return Err(Error::NoLeader {
                tried,
                hopeless,
                tls_refused,
            });
        };
        tracing::debug!(tried = ?tried, backoff_ms = pause.as_millis() as u64, "no leader yet, retrying");
        if let Some(hook) = on_wait {
            if Instant::now() >= next_notice {
                hook(&LeaderWait {
                    waited: start.elapsed(),
                    limit: timeout,
                    tried: tried.clone(),
                });
                next_notice = Instant::now() + WAIT_NOTICE;
            }
        }
        std::thread::sleep(pause);
    }
}

/// Splits a comma-separated seed list, trimming blanks.
pub(crate) fn split_seeds(address: &str) -> Vec<String> {
    address
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_split() {
        assert_eq!(
            split_seeds("127.0.0.1:1, 127.0.0.1:2,"),
            vec!["127.0.0.1:1", "127.0.0.1:2"]
        );
        assert!(split_seeds(" , ").is_empty());
    }

    #[test]
    fn unreachable_seed_names_the_address() {
        // Bind then drop a listener to get a port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr = format!("127.0.0.1:{port}");
        let opts = TransportOptions {
            dial_timeout: Duration::from_millis(200),
            handshake_timeout: Duration::from_millis(200),
            read_timeout: None,
            write_timeout: None,
            max_message: 1 << 20,
            #[cfg(feature = "tls")]
            tls: None,
        };
        let err = match find_leader(
            std::slice::from_ref(&addr),
            &opts,
            Duration::from_millis(50),
        ) {
            Err(e) => e,
            Ok(_) => panic!("found a leader on a closed port"),
        };
        assert!(matches!(err, Error::NoLeader { .. }));
        assert!(err.to_string().contains(&addr), "{err}");
    }
}
