//! `RowIter`: the streaming result of one query. It holds one Rows message at a time, reads
//! the next one only when the rows in hand are used up, and — if dropped before the end —
//! interrupts and drains the rest so the connection stays in step (each batch ends with
//! a PART or DONE marker; an interrupted query ends with an Empty reply).

use std::sync::Arc;

use super::conn::{unexpected, Connection};
use super::error::Result;
use super::proto::{Request, Response, ResponseHint, RowsBatch, RowsEnd};
use super::rows::{push_rows, Row, Rows};
use super::value::Value;

/// Streaming rows of one query: holds one Rows message at a time. If dropped before the end,
/// it sends Interrupt and reads until the server's Empty reply.
pub struct RowIter<'c> {
    conn: &'c mut Connection,
    columns: Arc<[String]>,
    pending: std::vec::IntoIter<Value>,
    end: RowsEnd,
    /// The server finished this response (DONE read, or a Failure ended it).
    finished: bool,
    batches: usize,
    action: String,
}

impl<'c> RowIter<'c> {
    pub(crate) fn new(conn: &'c mut Connection, first: RowsBatch, action: String) -> RowIter<'c> {
        let columns: Arc<[String]> = first.columns.into();
        RowIter {
            conn,
            columns,
            pending: first.values.into_iter(),
            end: first.end,
            finished: first.end == RowsEnd::Done,
            batches: 1,
            action,
        }
    }

    /// Column names of the result.
    pub fn columns(&self) -> &Arc<[String]> {
        &self.columns
    }

    /// Rows messages received so far (at least 1).
    pub fn batches(&self) -> usize {
        self.batches
    }

    /// Reads the next Rows message into `pending`. `Ok(false)` when the result is complete.
    fn fetch(&mut self) -> Result<bool> {
        if self.finished {
            return Ok(false);
        }
        match self.conn.t.recv(ResponseHint::default(), &self.action) {
            Ok(Response::Rows(batch)) => {
                self.batches += 1;
                self.end = batch.end;
                self.finished = batch.end == RowsEnd::Done;
                self.pending = batch.values.into_iter();
                Ok(true)
            }
            Ok(Response::Failure { code, message }) => {
                self.finished = true;
                Err(self.conn.failure(code, message, None, self.action.clone()))
            }
            Ok(other) => {
                self.finished = true;
                Err(unexpected(&mut self.conn.t, &self.action, "Rows", &other))
            }
            Err(e) => {
                self.finished = true;
                Err(e)
            }
        }
    }

    /// Reads everything left into a buffered result.
    pub fn collect_rows(mut self) -> Result<Rows> {
        let mut rows = Vec::new();
        loop {
            let values: Vec<Value> = std::mem::take(&mut self.pending).collect();
            push_rows(&self.columns, values, &mut rows);
            if !self.fetch()? {
                break;
            }
        }
        Ok(Rows {
            columns: self.columns.clone(),
            rows,
        })
    }
}

impl Iterator for RowIter<'_> {
    type Item = Result<Row>;

    fn next(&mut self) -> Option<Result<Row>> {
        let width = self.columns.len();
        if width == 0 {
            return None;
        }
        loop {
            if self.pending.len() >= width {
                let values: Vec<Value> = self.pending.by_ref().take(width).collect();
                return Some(Ok(Row::new(self.columns.clone(), values)));
            }
            match self.fetch() {
                Ok(true) => continue,
                Ok(false) => return None,
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

impl Drop for RowIter<'_> {
    fn drop(&mut self) {
        if self.finished || self.conn.t.is_broken() {
            return;
        }
        // The server keeps streaming on its own; interrupt, then discard until Empty.
        let action = "interrupting a partly read query";
        if self
            .conn
            .t
            .send(&Request::Interrupt { db: 0 }, action)
            .is_err()
        {
            return;
        }
        loop {
            match self.conn.t.recv(ResponseHint::default(), action) {
                Ok(Response::Empty) | Err(_) => return,
                Ok(Response::Rows(_)) | Ok(Response::Failure { .. }) => continue,
                Ok(other) => {
                    let _ = unexpected(&mut self.conn.t, action, "Rows or Empty", &other);
                    return;
                }
            }
        }
    }
}
