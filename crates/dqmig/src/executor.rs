//! `Executor`: the small database interface the introspector and the migration runner talk
//! through, so they depend on "something that runs SQL with bound values"
//! rather than on the dqlite client itself. Implemented here for [`client::Connection`].

use crate::client::{self, Connection, ToValue, Value};

/// Errors of an [`Executor`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The dqlite client failed; its message says what was being done and where.
    #[error(transparent)]
    Client(#[from] client::Error),
}

/// Runs SQL with bound parameters; rows come back as plain values.
pub trait Executor {
    /// Runs one query and returns every row, each as its values in column order.
    fn query_values(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, ExecError>;

    /// Runs one statement that returns no rows; returns the number of rows it changed.
    fn execute_values(&mut self, sql: &str, params: &[Value]) -> Result<u64, ExecError>;
}

fn refs(params: &[Value]) -> Vec<&dyn ToValue> {
    params.iter().map(|v| v as &dyn ToValue).collect()
}

impl Executor for Connection {
    fn query_values(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, ExecError> {
        let rows = self.query(sql, &refs(params))?;
        Ok(rows.into_iter().map(|r| r.into_values()).collect())
    }

    fn execute_values(&mut self, sql: &str, params: &[Value]) -> Result<u64, ExecError> {
        Ok(self.execute(sql, &refs(params))?.rows_affected)
    }
}

impl<E: Executor + ?Sized> Executor for &mut E {
    fn query_values(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, ExecError> {
        (**self).query_values(sql, params)
    }

    fn execute_values(&mut self, sql: &str, params: &[Value]) -> Result<u64, ExecError> {
        (**self).execute_values(sql, params)
    }
}
