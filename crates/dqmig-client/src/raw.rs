//! `Connection::request`: raw access to every request for admin tools and tests, still
//! through the guard rails (live statement ids, parameter count, RETURNING, NUL, Describe
//! format), with the live-statement registry and transaction state kept up to date.

use super::conn::{check_params, check_sql, unexpected, Connection};
use super::error::{sql_action, Error, Result};
use super::proto::{Request, Response, ResponseHint, RowsBatch, RowsEnd};

impl Connection {
    /// Sends any request, still through the guard rails, and returns the reply. Failures
    /// become errors; a multi-batch Rows reply is read whole and returned as one batch.
    /// Prepare/Finalize sent this way update the live-statement registry.
    pub fn request(&mut self, req: &Request) -> Result<Response> {
        let action = format!("sending {}", request_name(req));
        let mut info = None;
        match req {
            Request::Exec { stmt, params, .. } | Request::Query { stmt, params, .. } => {
                check_params(params.len(), || action.clone())?;
                if !self.registry.contains(*stmt) {
                    return Err(Error::StatementNotLive { id: *stmt, action });
                }
            }
            Request::Finalize { stmt, .. } if !self.registry.contains(*stmt) => {
                return Err(Error::StatementNotLive { id: *stmt, action });
            }
            Request::ExecSql { sql, params, .. } | Request::QuerySql { sql, params, .. } => {
                check_params(params.len(), || sql_action("sending", sql))?;
                info = Some(check_sql(sql, "sending")?);
            }
            Request::Prepare { sql, .. } => {
                check_sql(sql, "preparing")?;
            }
            Request::Describe { format } if *format != 0 => {
                return Err(Error::DescribeFormat { format: *format })
            }
            _ => {}
        }
        let resp = self.roundtrip(req, &action)?;
        let resp = match resp {
            Response::Failure { code, message } => {
                let sql = match req {
                    Request::ExecSql { sql, .. }
                    | Request::QuerySql { sql, .. }
                    | Request::Prepare { sql, .. } => Some(sql.as_str()),
                    _ => None,
                };
                return Err(self.failure(code, message, sql, action));
            }
            Response::Rows(batch) => Response::Rows(self.read_rest(batch, &action)?),
            other => other,
        };
        match (req, &resp) {
            (Request::Prepare { .. }, Response::Stmt { id, .. }) => {
                self.registry.register(*id);
            }
            (Request::Finalize { stmt, .. }, Response::Empty) => self.registry.remove(*stmt),
            _ => {}
        }
        if let Some(info) = info {
            self.in_tx = info.apply(self.in_tx);
        }
        Ok(resp)
    }

    /// Reads the remaining batches after `first` and merges them.
    fn read_rest(&mut self, mut first: RowsBatch, action: &str) -> Result<RowsBatch> {
        while first.end == RowsEnd::Part {
            match self.t.recv(ResponseHint::default(), action)? {
                Response::Rows(next) => {
                    first.values.extend(next.values);
                    first.end = next.end;
                }
                Response::Failure { code, message } => {
                    return Err(self.failure(code, message, None, action.into()))
                }
                other => return Err(unexpected(&mut self.t, action, "Rows", &other)),
            }
        }
        Ok(first)
    }
}

fn request_name(req: &Request) -> &'static str {
    match req {
        Request::Leader => "Leader",
        Request::Client { .. } => "Client",
        Request::Open { .. } => "Open",
        Request::Prepare { .. } => "Prepare",
        Request::Exec { .. } => "Exec",
        Request::Query { .. } => "Query",
        Request::Finalize { .. } => "Finalize",
        Request::ExecSql { .. } => "ExecSQL",
        Request::QuerySql { .. } => "QuerySQL",
        Request::Interrupt { .. } => "Interrupt",
        Request::Add { .. } => "Add",
        Request::Assign { .. } => "Assign",
        Request::Remove { .. } => "Remove",
        Request::Dump { .. } => "Dump",
        Request::Cluster { .. } => "Cluster",
        Request::Transfer { .. } => "Transfer",
        Request::Describe { .. } => "Describe",
        Request::Weight { .. } => "Weight",
    }
}
