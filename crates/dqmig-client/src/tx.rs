//! Explicit transactions: `Connection::transaction` sends BEGIN and returns a guard that
//! derefs to the connection; `commit`/`rollback` end it, and dropping it without either sends
//! ROLLBACK (errors ignored) so a failed step never leaves a transaction open
//! (what must be undone is undone in `Drop`). Statements inside are never busy-retried: the lock conflict must surface.

use std::ops::{Deref, DerefMut};

use super::conn::Connection;
use super::error::{Phase, Result, RetryKind};

/// How BEGIN takes its locks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Behavior {
    /// Locks on first read/write (SQLite's default).
    #[default]
    Deferred,
    /// Takes the write lock at BEGIN: other writers fail with SQLITE_BUSY until COMMIT.
    Immediate,
    Exclusive,
}

impl Behavior {
    fn begin_sql(self) -> &'static str {
        match self {
            Behavior::Deferred => "BEGIN DEFERRED",
            Behavior::Immediate => "BEGIN IMMEDIATE",
            Behavior::Exclusive => "BEGIN EXCLUSIVE",
        }
    }
}

/// An open transaction on a connection. Derefs to [`Connection`] for statements.
pub struct Transaction<'c> {
    conn: &'c mut Connection,
    done: bool,
}

impl Connection {
    /// BEGIN (deferred).
    pub fn transaction(&mut self) -> Result<Transaction<'_>> {
        self.transaction_with(Behavior::Deferred)
    }

    /// BEGIN with the given behavior. BEGIN itself is retried while the database is busy.
    pub fn transaction_with(&mut self, behavior: Behavior) -> Result<Transaction<'_>> {
        self.execute_batch(behavior.begin_sql())?;
        Ok(Transaction {
            conn: self,
            done: false,
        })
    }
}

impl Transaction<'_> {
    /// COMMIT. If it fails, ROLLBACK is attempted (errors ignored) unless the outcome is
    /// unknown or the connection is gone, and the COMMIT error is returned.
    pub fn commit(mut self) -> Result<()> {
        self.done = true;
        match self.conn.execute_batch("COMMIT") {
            Ok(_) => Ok(()),
            Err(e) => {
                // Not when the COMMIT may have landed (or the connection is gone).
                if e.retry_kind(Phase::Commit) != RetryKind::OutcomeUnknown {
                    let _ = self.conn.execute_batch("ROLLBACK");
                }
                self.conn.set_in_tx(false);
                Err(e)
            }
        }
    }

    /// ROLLBACK.
    pub fn rollback(mut self) -> Result<()> {
        self.done = true;
        let result = self.conn.execute_batch("ROLLBACK").map(|_| ());
        self.conn.set_in_tx(false);
        result
    }
}

impl Deref for Transaction<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl DerefMut for Transaction<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn
    }
}

impl Drop for Transaction<'_> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if !self.conn.is_broken() {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
        self.conn.set_in_tx(false);
    }
}
