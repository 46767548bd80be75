//! `Session`: a unit of work over one connection (borrowed, or checked out of a pool with
//! [`Session::from_pool`]), in the manner of SQLAlchemy's Session, and [`transaction`]: a
//! closure run with a fresh session in one transaction, replayed whole on a leader change
//! before COMMIT.
//!
//! Objects live in [`Tracked<T>`] handles shared between the app and the session
//! (`Rc<RefCell<..>>`): [`Session::add`] registers a new object, [`Session::get`] loads one
//! by primary key, [`Session::delete`] marks one for deletion. [`Session::flush`] sends, in
//! the order objects were registered, an INSERT for each new object (its `i64` key written
//! back from `last_insert_id`), an UPDATE of the changed columns only for each loaded object
//! whose values differ from the snapshot taken when it was loaded or last flushed, then the
//! DELETEs. The first statement opens a transaction (BEGIN); [`Session::commit`] flushes and
//! COMMITs, [`Session::rollback`] ROLLBACKs, and dropping a session with its transaction open
//! rolls it back.
//!
//! Compared with SQLAlchemy: the same autobegin, flush order (inserts and updates, then
//! deletes), change tracking by column and identity map — `get` of a key the session already
//! holds returns the same handle without a query. What Rust ownership changes: an object is
//! reached through its handle (`borrow`/`borrow_mut`), not a plain reference; the session
//! holds its objects strongly until [`Session::rollback`] or [`Session::clear`] (not weakly
//! as SQLAlchemy's identity map); objects are not expired after commit (their values stay as
//! flushed, nothing is reloaded); `rollback` detaches every object (their values stay as they
//! were, pending ones are not inserted) rather than expiring them; related objects are never
//! loaded behind an attribute access (`orm::Relation` loads them by an explicit call).
//! A session borrows its connection mutably (or owns a pooled one), so it is not shared
//! between threads. SQLAlchemy's `with session.begin():` is [`transaction`] without the
//! replay; where SQLAlchemy leaves retrying to the app, [`transaction`] replays the closure
//! with a new session on the new leader, and never replays a COMMIT whose outcome is unknown.

use super::sql;
pub use super::sql::SentStatement;
use super::{FieldType, Model, OrmError, Value};
use crate::client::{
    self, Connection, ErrorClass, Phase, Pool, PooledConnection, RetryKind, TxRetry,
};
use std::any::Any;
use std::cell::{Ref, RefCell, RefMut};
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    /// Added, not yet inserted.
    Pending,
    /// In the database, as `snapshot` says.
    Persistent,
    /// Marked for deletion at the next flush.
    Deleted,
    /// No longer tracked (deleted, rolled back or cleared).
    Detached,
}

struct State<T> {
    obj: T,
    snapshot: Vec<Value>,
    /// `snapshot` is the row as read (a `get` keeps it instead of encoding the object
    /// again); it is brought to the object's own encoding (`from_values` then `to_values`)
    /// the first time it differs from the object's values, so that a text the database
    /// holds in another spelling is not taken for a change.
    raw: bool,
    status: Status,
}

/// A model object shared between the app and a [`Session`]. Clones are the same object.
pub struct Tracked<T> {
    inner: Rc<RefCell<State<T>>>,
}

impl<T> Clone for Tracked<T> {
    fn clone(&self) -> Self {
        Tracked {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Tracked<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.inner.try_borrow() {
            Ok(s) => write!(f, "Tracked({:?}, {:?})", s.status, s.obj),
            Err(_) => f.write_str("Tracked(<borrowed>)"),
        }
    }
}

impl<T: Model> State<T> {
    /// The positions whose values differ between the snapshot and `now`.
    fn changed(&self, now: &[Value]) -> Vec<usize> {
        (0..now.len())
            .filter(|&i| self.status == Status::Pending || self.snapshot.get(i) != Some(&now[i]))
            .collect()
    }

    /// [`State::changed`] against a normalized snapshot (module docs of `raw`).
    fn changed_normalized(&mut self, now: &[Value]) -> Vec<usize> {
        let changed = self.changed(now);
        if changed.is_empty() || !self.raw {
            return changed;
        }
        if let Ok(obj) = T::from_values(&self.snapshot) {
            self.snapshot = obj.to_values();
        }
        self.raw = false;
        self.changed(now)
    }
}

impl<T: Model> Tracked<T> {
    /// The object. Panics if it is mutably borrowed at the same time (as `RefCell` does).
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref::map(self.inner.borrow(), |s| &s.obj)
    }

    /// The object, for changes the next flush writes. Panics if it is borrowed at the same
    /// time (as `RefCell` does); a flush while a `RefMut` is alive fails with
    /// [`OrmError::Borrowed`].
    pub fn borrow_mut(&self) -> RefMut<'_, T> {
        RefMut::map(self.inner.borrow_mut(), |s| &mut s.obj)
    }

    /// A copy of the object.
    pub fn get(&self) -> T
    where
        T: Clone,
    {
        self.borrow().clone()
    }

    /// Whether both handles are the same object (the identity map's promise).
    pub fn same(&self, other: &Tracked<T>) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Whether the object is in the database as far as the session knows (inserted or
    /// loaded, not deleted, not rolled back).
    pub fn is_persistent(&self) -> bool {
        self.inner
            .try_borrow()
            .is_ok_and(|s| s.status == Status::Persistent)
    }

    /// The columns whose values differ from the last loaded or flushed ones (all columns of
    /// an object not yet inserted).
    pub fn changed_columns(&self) -> Vec<&'static str> {
        let s = self.inner.borrow();
        let now = s.obj.to_values();
        let mut changed = s.changed(&now);
        if !changed.is_empty() && s.raw {
            if let Ok(obj) = T::from_values(&s.snapshot) {
                let normalized = State {
                    snapshot: obj.to_values(),
                    obj,
                    status: s.status,
                    raw: false,
                };
                changed = normalized.changed(&now);
            }
        }
        changed
            .into_iter()
            .map(|i| T::TABLE.columns[i].name)
            .collect()
    }
}

/// Values of a primary key: one field value (`session.get::<User>(1)`) or a tuple for a
/// composite key (`session.get::<Membership>((1, 2))`).
pub trait KeyValues {
    fn key_values(&self) -> Vec<Value>;
}

impl<T: FieldType> KeyValues for T {
    fn key_values(&self) -> Vec<Value> {
        vec![self.to_value()]
    }
}

impl<A: FieldType, B: FieldType> KeyValues for (A, B) {
    fn key_values(&self) -> Vec<Value> {
        vec![self.0.to_value(), self.1.to_value()]
    }
}

impl<A: FieldType, B: FieldType, C: FieldType> KeyValues for (A, B, C) {
    fn key_values(&self) -> Vec<Value> {
        vec![self.0.to_value(), self.1.to_value(), self.2.to_value()]
    }
}

/// The connection a session works on: borrowed, or checked out of a pool and returned
/// to it when the session is dropped.
enum Conn<'c> {
    Borrowed(&'c mut Connection),
    /// Boxed: a pooled connection is large, a session is moved around.
    Pooled(Box<PooledConnection>),
}

impl std::ops::Deref for Conn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Conn::Borrowed(c) => c,
            Conn::Pooled(c) => c,
        }
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        match self {
            Conn::Borrowed(c) => c,
            Conn::Pooled(c) => c,
        }
    }
}

/// The connection side of a session: what flushing an object needs.
struct Core<'c> {
    conn: Conn<'c>,
    /// Whether this session sent the BEGIN of the open transaction.
    began: bool,
    sent: Vec<SentStatement>,
    /// (table, key) → the `Rc<RefCell<State<T>>>` of that object.
    identity: HashMap<(&'static str, String), Rc<dyn Any>>,
}

/// The identity map's text for a key: the common one-integer key without the `Debug`
/// formatting of a vector (a point read pays for this on every `get`).
fn identity_key(key: &[Value]) -> String {
    match key {
        [Value::Integer(i)] => i.to_string(),
        _ => format!("{key:?}"),
    }
}

impl Core<'_> {
    fn begin(&mut self) -> Result<(), OrmError> {
        if !self.conn.in_transaction() {
            self.run_batch("BEGIN")?;
            self.began = true;
        }
        Ok(())
    }

    fn run_batch(&mut self, sql: &str) -> Result<(), OrmError> {
        self.sent.push(SentStatement {
            sql: sql.to_string(),
            values: Vec::new(),
        });
        self.conn
            .execute_batch(sql)
            .map(|_| ())
            .map_err(|e| OrmError::db(sql, e))
    }

    fn execute(
        &mut self,
        what: &str,
        stmt: SentStatement,
    ) -> Result<crate::client::ExecResult, OrmError> {
        self.begin()?;
        let params: Vec<&dyn crate::client::ToValue> = stmt
            .values
            .iter()
            .map(|v| v as &dyn crate::client::ToValue)
            .collect();
        let result = self.conn.execute(&stmt.sql, &params);
        self.sent.push(stmt);
        result.map_err(|e| OrmError::db(what, e))
    }
}

/// Type-erased access to one tracked object, for flushing.
trait Entry {
    fn flush_write(&self, core: &mut Core<'_>) -> Result<(), OrmError>;
    fn flush_delete(&self, core: &mut Core<'_>) -> Result<(), OrmError>;
    fn status(&self) -> Status;
    fn detach(&self);
    /// The identity-map key of a persistent object.
    fn identity(&self) -> Option<(&'static str, String)>;
}

impl<T: Model> Entry for RefCell<State<T>> {
    fn flush_write(&self, core: &mut Core<'_>) -> Result<(), OrmError> {
        let def = &T::TABLE;
        let mut s = self.try_borrow_mut().map_err(|_| OrmError::Borrowed {
            model: def.rust_name,
        })?;
        match s.status {
            Status::Pending => {
                let values = s.obj.to_values();
                // A rowid key of 0 or NULL lets the database choose it; a NULL with a
                // default lets the default apply.
                let omitted = def.omitted_on_insert(&values);
                let generate = def.rowid_key().filter(|&i| omitted[i]);
                let stmt = sql::insert(def, &values, |i| !omitted[i])?;
                let result = core.execute(&format!("inserting a {}", def.rust_name), stmt)?;
                if generate.is_some() {
                    s.obj.set_rowid(result.last_insert_id)?;
                }
                s.snapshot = s.obj.to_values();
                s.status = Status::Persistent;
            }
            Status::Persistent => {
                let now = s.obj.to_values();
                let changed: Vec<(usize, Value)> = s
                    .changed_normalized(&now)
                    .into_iter()
                    .map(|i| (i, now[i].clone()))
                    .collect();
                if changed.is_empty() {
                    return Ok(());
                }
                let key = key_of(def, &s.snapshot);
                if key.is_empty() {
                    return Err(OrmError::NoPrimaryKey {
                        model: def.rust_name,
                    });
                }
                let stmt = sql::update(def, &changed, &key)?;
                let result = core.execute(&format!("updating a {}", def.rust_name), stmt)?;
                if result.rows_affected != 1 {
                    return Err(OrmError::Stale {
                        model: def.rust_name,
                        key: identity_key(&key),
                        verb: "update",
                    });
                }
                s.snapshot = now;
                s.raw = false;
            }
            Status::Deleted | Status::Detached => {}
        }
        Ok(())
    }

    fn flush_delete(&self, core: &mut Core<'_>) -> Result<(), OrmError> {
        let def = &T::TABLE;
        let mut s = self.try_borrow_mut().map_err(|_| OrmError::Borrowed {
            model: def.rust_name,
        })?;
        if s.status != Status::Deleted {
            return Ok(());
        }
        let key = key_of(def, &s.snapshot);
        let stmt = sql::delete(def, &key)?;
        let result = core.execute(&format!("deleting a {}", def.rust_name), stmt)?;
        if result.rows_affected != 1 {
            return Err(OrmError::Stale {
                model: def.rust_name,
                key: identity_key(&key),
                verb: "delete",
            });
        }
        core.identity.remove(&(def.name, identity_key(&key)));
        s.status = Status::Detached;
        Ok(())
    }

    fn status(&self) -> Status {
        self.try_borrow().map_or(Status::Persistent, |s| s.status)
    }

    fn identity(&self) -> Option<(&'static str, String)> {
        let s = self.try_borrow().ok()?;
        (s.status == Status::Persistent)
            .then(|| (T::TABLE.name, identity_key(&key_of(&T::TABLE, &s.snapshot))))
    }

    fn detach(&self) {
        if let Ok(mut s) = self.try_borrow_mut() {
            s.status = Status::Detached;
        }
    }
}

/// The `SELECT ... WHERE key = ?` text of model `T`, built by sea-query once per model
/// and process (the text does not depend on the key's values, which are bound).
fn select_by_key_sql<T: Model>() -> Result<std::sync::Arc<str>, OrmError> {
    use std::any::TypeId;
    use std::sync::{Arc, OnceLock, RwLock};
    static CACHE: OnceLock<RwLock<HashMap<TypeId, Arc<str>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let id = TypeId::of::<T>();
    if let Some(sql) = cache.read().unwrap_or_else(|e| e.into_inner()).get(&id) {
        return Ok(Arc::clone(sql));
    }
    let def = &T::TABLE;
    let placeholder = vec![Value::Integer(0); def.key_positions().len()];
    let sql: Arc<str> = sql::select_by_key(def, &placeholder)?.sql.into();
    cache
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(id, Arc::clone(&sql));
    Ok(sql)
}

fn key_of(def: &super::TableDef, values: &[Value]) -> Vec<Value> {
    def.key_positions()
        .into_iter()
        .filter_map(|i| values.get(i).cloned())
        .collect()
}

/// A unit of work over one connection (module docs).
pub struct Session<'c> {
    core: Core<'c>,
    /// Pending and persistent objects, in the order they were registered (each twice: for
    /// flushing, and as `Any` for the identity map).
    entries: Vec<(Rc<dyn Entry>, Rc<dyn Any>)>,
}

impl<'c> Session<'c> {
    /// A session over `conn`. If `conn` is already in a transaction (a
    /// [`Transaction`](crate::client::Transaction) derefs to its connection), the session
    /// runs inside it and leaves COMMIT and ROLLBACK to its owner.
    pub fn new(conn: &'c mut Connection) -> Session<'c> {
        Session::over(Conn::Borrowed(conn))
    }

    fn over(conn: Conn<'c>) -> Session<'c> {
        Session {
            core: Core {
                conn,
                began: false,
                sent: Vec::new(),
                identity: HashMap::new(),
            },
            entries: Vec::new(),
        }
    }

    /// Registers a new object; the next flush INSERTs it (and writes a generated `i64` key
    /// back into it: give such a key as 0, or `None` for an `Option<i64>` key).
    pub fn add<T: Model>(&mut self, obj: T) -> Tracked<T> {
        let inner = Rc::new(RefCell::new(State {
            obj,
            snapshot: Vec::new(),
            raw: false,
            status: Status::Pending,
        }));
        self.entries.push((inner.clone(), inner.clone()));
        Tracked { inner }
    }

    /// The object with primary key `key`: the session's own handle if it holds it (no
    /// query), else loaded with a SELECT (after flushing pending changes).
    ///
    /// # Errors
    /// A key with the wrong number of values, a database error, a row the model cannot read.
    pub fn get<T: Model>(&mut self, key: impl KeyValues) -> Result<Option<Tracked<T>>, OrmError> {
        let def = &T::TABLE;
        let key = key.key_values();
        let width = def.key_positions().len();
        if width == 0 {
            return Err(OrmError::NoPrimaryKey {
                model: def.rust_name,
            });
        }
        if key.len() != width {
            return Err(OrmError::KeyArity {
                model: def.rust_name,
                expected: width,
                found: key.len(),
            });
        }
        let id = (def.name, identity_key(&key));
        if let Some(found) = self.core.identity.get(&id) {
            if let Ok(inner) = Rc::clone(found).downcast::<RefCell<State<T>>>() {
                if inner.borrow().status == Status::Persistent {
                    return Ok(Some(Tracked { inner }));
                }
            }
        }
        self.flush()?;
        let stmt = SentStatement {
            sql: select_by_key_sql::<T>()?.to_string(),
            values: key.into_iter().map(sql::bound).collect(),
        };
        self.core.begin()?;
        let params: Vec<&dyn crate::client::ToValue> = stmt
            .values
            .iter()
            .map(|v| v as &dyn crate::client::ToValue)
            .collect();
        let row = self.core.conn.query_opt(&stmt.sql, &params);
        self.core.sent.push(stmt);
        let Some(row) = row.map_err(|e| OrmError::db(format!("loading a {}", def.rust_name), e))?
        else {
            return Ok(None);
        };
        let values = row.into_values();
        let obj = T::from_values(&values)?;
        let inner = Rc::new(RefCell::new(State {
            snapshot: values,
            raw: true,
            obj,
            status: Status::Persistent,
        }));
        self.entries.push((inner.clone(), inner.clone()));
        self.core.identity.insert(id, inner.clone());
        Ok(Some(Tracked { inner }))
    }

    /// Marks an object for deletion at the next flush; an object never inserted is just
    /// forgotten. An object another session loaded or inserted joins this one to be deleted
    /// here (as SQLAlchemy's `delete` attaches it).
    pub fn delete<T: Model>(&mut self, obj: &Tracked<T>) {
        let mut s = obj.inner.borrow_mut();
        match s.status {
            Status::Pending => {
                s.status = Status::Detached;
            }
            Status::Persistent => {
                s.status = Status::Deleted;
                let ours = self
                    .entries
                    .iter()
                    .any(|(_, any)| std::ptr::addr_eq(Rc::as_ptr(any), Rc::as_ptr(&obj.inner)));
                if !ours {
                    self.entries.push((obj.inner.clone(), obj.inner.clone()));
                }
            }
            Status::Deleted | Status::Detached => {}
        }
    }

    /// Sends the pending INSERTs and UPDATEs, then the DELETEs (module docs). On an error
    /// the transaction stays open: [`Session::rollback`] it (or retry the flush after
    /// fixing the object).
    ///
    /// # Errors
    /// The first statement that fails ([`OrmError::class`] tells integrity violations from
    /// the rest), an object borrowed mutably during the flush.
    pub fn flush(&mut self) -> Result<(), OrmError> {
        let entries = self.entries.clone();
        for (e, any) in &entries {
            let was = e.status();
            if was == Status::Pending || was == Status::Persistent {
                e.flush_write(&mut self.core)?;
            }
            // An inserted object (or one whose key changed) joins the identity map.
            if let Some(id) = e.identity() {
                self.core
                    .identity
                    .entry(id)
                    .or_insert_with(|| Rc::clone(any));
            }
        }
        for (e, _) in &entries {
            e.flush_delete(&mut self.core)?;
        }
        self.entries.retain(|(e, _)| e.status() != Status::Detached);
        Ok(())
    }

    /// Flushes, then COMMITs the transaction the session began. If COMMIT fails, the
    /// transaction is rolled back and the objects detached; when the outcome is unknown
    /// (leadership lost during COMMIT: [`ErrorClass::OutcomeUnknown`](crate::client::ErrorClass::OutcomeUnknown)),
    /// check on the new leader whether it landed before doing the work again.
    ///
    /// # Errors
    /// As [`Session::flush`], and COMMIT's error.
    pub fn commit(&mut self) -> Result<(), OrmError> {
        self.flush()?;
        if !self.core.began {
            return Ok(());
        }
        self.core.began = false;
        let result = self.core.run_batch("COMMIT");
        if result.is_err() {
            // Nothing to keep: ROLLBACK what is left (errors ignored; it cannot undo a
            // COMMIT whose outcome is unknown) and detach the objects.
            self.core.conn.abandon_transaction();
            self.detach_all();
        }
        result
    }

    /// ROLLBACKs the transaction the session began and detaches every object: pending ones
    /// are not inserted, changed ones keep their values but are no longer tracked.
    ///
    /// # Errors
    /// ROLLBACK's error (the objects are detached all the same).
    pub fn rollback(&mut self) -> Result<(), OrmError> {
        self.detach_all();
        if !self.core.began {
            return Ok(());
        }
        self.core.began = false;
        let result = self.core.run_batch("ROLLBACK");
        if result.is_err() {
            self.core.conn.abandon_transaction();
        }
        result
    }

    /// Detaches every object without touching the database (SQLAlchemy's `expunge_all`).
    pub fn clear(&mut self) {
        self.detach_all();
    }

    fn detach_all(&mut self) {
        for (e, _) in self.entries.drain(..) {
            e.detach();
        }
        self.core.identity.clear();
    }

    /// Every statement the session sent, in order, with its bound values (BEGIN, COMMIT
    /// and ROLLBACK included).
    pub fn statements(&self) -> &[SentStatement] {
        &self.core.sent
    }

    /// Takes the statements sent so far, leaving the list empty.
    pub fn take_statements(&mut self) -> Vec<SentStatement> {
        std::mem::take(&mut self.core.sent)
    }

    /// The connection, e.g. for a raw query between flushes.
    pub fn connection(&mut self) -> &mut Connection {
        &mut self.core.conn
    }
}

impl Session<'static> {
    /// A session over a connection checked out of `pool`; the connection goes back to the
    /// pool when the session is dropped (after a ROLLBACK if its transaction is still open).
    ///
    /// # Errors
    /// [`OrmError::Pool`]: no connection came free within the pool's timeout, or opening one
    /// failed.
    pub fn from_pool(pool: &Pool) -> Result<Session<'static>, OrmError> {
        let conn = pool.get().map_err(OrmError::pool)?;
        Ok(Session::over(Conn::Pooled(Box::new(conn))))
    }
}

/// Runs `body` with a fresh [`Session`] inside one transaction (BEGIN IMMEDIATE … COMMIT)
/// with [`TxRetry::default`] bounds; see [`transaction_with`].
///
/// # Errors
/// As [`transaction_with`].
pub fn transaction<T>(
    conn: &mut Connection,
    body: impl FnMut(&mut Session<'_>) -> Result<T, OrmError>,
) -> Result<T, OrmError> {
    transaction_with(conn, &TxRetry::default(), body)
}

/// Runs `body` with a fresh [`Session`] inside one transaction, through the client's
/// [`Connection::transaction_with_retry_opts`]: the session's pending changes are flushed
/// when `body` returns `Ok`, then the transaction COMMITs. When the transaction is lost
/// before COMMIT (a leader change, busy, a broken connection: the server rolled it back),
/// the whole closure runs again, on the new leader, with a new, empty session: objects added
/// or loaded by the failed attempt belong to its dropped session and are never flushed.
/// `body` may therefore run several times; keep side effects outside the database out of
/// it. Returns `body`'s value from the attempt that committed.
///
/// `body` returning `Err` rolls the transaction back; inside `body`, `Session::commit` only
/// flushes and `Session::rollback` only detaches (the helper owns the transaction). Give
/// the connection a `read_timeout` on a cluster (as for the client's helper).
///
/// # Errors
/// `body`'s own errors (never replayed unless they are the transaction being lost). A
/// COMMIT whose outcome is unknown (leadership lost while COMMIT was in flight, 10506, or
/// the connection breaking during COMMIT) is never replayed: it comes back as an
/// [`OrmError::Database`] whose [`OrmError::class`] is
/// [`ErrorClass::OutcomeUnknown`](crate::client::ErrorClass::OutcomeUnknown); read the
/// data on the new leader to find out whether it landed. Running out of `opts.timeout`
/// returns the last error (operational).
pub fn transaction_with<T>(
    conn: &mut Connection,
    opts: &TxRetry,
    mut body: impl FnMut(&mut Session<'_>) -> Result<T, OrmError>,
) -> Result<T, OrmError> {
    // Errors the client's loop must not replay travel beside it: it is handed a stand-in
    // that it classifies as fatal (returned at once), and the real error is returned here.
    let mut fatal: Option<OrmError> = None;
    let result = conn.transaction_with_retry_opts(opts, |tx| {
        let mut session = Session::new(tx);
        let outcome = body(&mut session).and_then(|v| session.flush().map(|()| v));
        drop(session);
        outcome.map_err(|e| match e {
            OrmError::Database { source, .. }
                if source.retry_kind(Phase::BeforeCommit) != RetryKind::Fatal =>
            {
                source
            }
            other => {
                fatal = Some(other);
                client::Error::NoRows {
                    action: "the transaction's closure failed".to_string(),
                }
            }
        })
    });
    result.map_err(|e| {
        fatal.take().unwrap_or_else(|| {
            let action = match e.class() {
                ErrorClass::OutcomeUnknown => "committing the transaction",
                _ => "running the transaction",
            };
            OrmError::db(action, e)
        })
    })
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        if self.core.began && self.core.conn.in_transaction() {
            // Sends ROLLBACK if the connection still works; errors ignored.
            self.core.conn.abandon_transaction();
        }
    }
}
