//! `Connection::transaction_with_retry`: runs a closure inside BEGIN … COMMIT and replays
//! the whole closure when the transaction was lost before COMMIT took effect
//! (the server rolls an interrupted transaction back): busy (5), not leader (10250), "no database opened" (12
//! after a leader change), a broken socket before COMMIT was sent, or a COMMIT whose raft
//! entry was refused outright (raw raft code 7 during a leadership transfer). The connection is
//! reconnected to the (new) leader first when needed. Never replayed: leadership lost while
//! COMMIT was in flight (10506), or the socket breaking during COMMIT; both come back as
//! [`Error::OutcomeUnknown`] for the caller to resolve by reading the data. Which is which
//! is [`Error::retry_kind`]'s decision; the pauses are a [`Backoff`] ([`TxRetry::backoff`]).
//!
//! Logging (`tracing`, target `dqmig_client::retry`): each replay is an event "replaying
//! the transaction" with `reason` (the error), `attempt`, `delay_ms`, `reconnect` and
//! `address`: INFO when the leader was lost or the connection broke, DEBUG when busy.

use std::time::Duration;

use super::backoff::Backoff;
use super::conn::Connection;
use super::error::{Error, Phase, Result, RetryKind};
use super::tx::{Behavior, Transaction};

/// Bounds of [`Connection::transaction_with_retry_opts`].
#[derive(Debug, Clone)]
pub struct TxRetry {
    /// How BEGIN takes its locks (default IMMEDIATE: a write transaction takes the write
    /// lock at once, so busy can only happen at BEGIN).
    pub behavior: Behavior,
    /// Total time spent retrying before the last error is returned (default 30 s).
    pub timeout: Duration,
    /// First pause between attempts (default 10 ms), doubling up to `max_backoff`.
    pub initial_backoff: Duration,
    /// Longest pause (default 500 ms).
    pub max_backoff: Duration,
}

impl TxRetry {
    /// The pause schedule these bounds describe: `initial_backoff` doubling to
    /// `max_backoff`, no jitter, deadline `timeout` from now.
    pub fn backoff(&self) -> Backoff {
        Backoff::new(self.initial_backoff, self.max_backoff)
            .with_jitter(false)
            .with_budget(self.timeout)
    }
}

impl Default for TxRetry {
    fn default() -> Self {
        TxRetry {
            behavior: Behavior::Immediate,
            timeout: Duration::from_secs(30),
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(500),
        }
    }
}

/// How one attempt ended when it did not commit.
enum Attempt {
    /// The transaction is gone and nothing was committed: run it again (`reconnect`: on a
    /// new connection to the leader).
    Replay { error: Error, reconnect: bool },
    /// Return this to the caller.
    Final(Error),
}

/// Sorts the error of a request of the attempt by [`Error::retry_kind`]. A connection that
/// broke while COMMIT was in flight becomes [`Error::OutcomeUnknown`].
fn sort(e: Error, phase: Phase, address: &str) -> Attempt {
    match e.retry_kind(phase) {
        RetryKind::InPlace => Attempt::Replay {
            error: e,
            reconnect: false,
        },
        RetryKind::Reconnect => Attempt::Replay {
            error: e,
            reconnect: true,
        },
        RetryKind::OutcomeUnknown if matches!(e, Error::OutcomeUnknown { .. }) => Attempt::Final(e),
        RetryKind::OutcomeUnknown => Attempt::Final(Error::OutcomeUnknown {
            code: 0,
            message: format!("the connection to {address} broke while COMMIT was in flight: {e}"),
            sql: Some("COMMIT".to_string()),
            action: "committing a transaction".to_string(),
        }),
        RetryKind::Fatal => Attempt::Final(e),
    }
}

impl Connection {
    /// Runs `body` in a transaction (BEGIN IMMEDIATE … COMMIT) with [`TxRetry::default`]
    /// bounds, replaying it whole on the new leader when the transaction was lost before
    /// COMMIT. `body` may therefore run several times: keep side effects outside the
    /// database out of it. Returns `body`'s value from the attempt that committed.
    ///
    /// An [`Error::OutcomeUnknown`] means COMMIT may or may not have landed: read the data
    /// to find out before doing it again. Give the connection a `read_timeout` on a cluster:
    /// libdqlite 1.11.1 can leave a request unanswered across a leadership change, and the
    /// bound here only counts between attempts.
    pub fn transaction_with_retry<T>(
        &mut self,
        body: impl FnMut(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        self.transaction_with_retry_opts(&TxRetry::default(), body)
    }

    /// [`Connection::transaction_with_retry`] with explicit bounds.
    pub fn transaction_with_retry_opts<T>(
        &mut self,
        opts: &TxRetry,
        mut body: impl FnMut(&mut Transaction<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut backoff = opts.backoff();
        let mut attempt: u32 = 1;
        loop {
            let (err, reconnect) = match self.attempt(opts.behavior, &mut body) {
                Ok(v) => return Ok(v),
                Err(Attempt::Final(e)) => return Err(e),
                Err(Attempt::Replay { error, reconnect }) => (error, reconnect || self.is_broken()),
            };
            let Some(delay) = backoff.next_delay() else {
                return Err(err);
            };
            attempt += 1;
            if reconnect {
                tracing::info!(reason = %err, attempt, delay_ms = delay.as_millis() as u64, reconnect, address = %self.address(), "replaying the transaction");
            } else {
                tracing::debug!(reason = %err, attempt, delay_ms = delay.as_millis() as u64, reconnect, address = %self.address(), "replaying the transaction");
            }
            std::thread::sleep(delay);
            if reconnect {
                // A failed reconnect leaves the connection broken: the next attempt fails
                // at BEGIN and comes back here, within the same bound.
                if let Err(e) = self.reconnect() {
                    if backoff.expired() {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn attempt<T>(
        &mut self,
        behavior: Behavior,
        body: &mut impl FnMut(&mut Transaction<'_>) -> Result<T>,
    ) -> std::result::Result<T, Attempt> {
        let address = self.address().to_string();
        let mut tx = self
            .transaction_with(behavior)
            .map_err(|e| sort(e, Phase::BeforeCommit, &address))?;
        let value = match body(&mut tx) {
            Ok(v) => v,
            Err(e) => {
                drop(tx);
                return Err(sort(e, Phase::BeforeCommit, &address));
            }
        };
        tx.commit().map_err(|e| sort(e, Phase::Commit, &address))?;
        Ok(value)
    }
}
