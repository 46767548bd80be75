//! Reading the catalog of a live database in a constant number of queries, whatever the
//! number of tables (dqlite-facts.md §6.8): one over `sqlite_master` (with the CREATE text,
//! plus STRICT / WITHOUT ROWID from `pragma_table_list`), and one each joining
//! `sqlite_master` with the table-valued pragmas `pragma_table_xinfo`, `pragma_index_list` ×
//! `pragma_index_xinfo` and `pragma_foreign_key_list`. Every value returned is a pragma
//! output or a `sqlite_master` column, never user data, so dqlite's declared-type remapping
//! (§4.6, §9) cannot touch it. `sqlite_*` objects are left out here; other exclusions are
//! the caller's.

use super::IntrospectError;
use crate::client::Value;
use crate::executor::Executor;
use crate::schema::Ident;
use std::collections::BTreeMap;

const OBJECTS_SQL: &str = "SELECT m.type, m.name, m.tbl_name, m.sql, t.wr, t.\"strict\" \
     FROM sqlite_master AS m \
     LEFT JOIN pragma_table_list AS t ON m.type = 'table' AND t.schema = 'main' AND t.name = m.name \
     WHERE m.name NOT GLOB 'sqlite_*' \
     ORDER BY CASE m.type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, m.name";

const COLUMNS_SQL: &str = "SELECT m.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden \
     FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name) AS p \
     WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' \
     ORDER BY m.name, p.cid";

const INDEXES_SQL: &str = "SELECT m.name, l.name, l.\"unique\", l.origin, l.partial, x.cid, x.name, x.\"desc\", x.coll \
     FROM sqlite_master AS m JOIN pragma_index_list(m.name) AS l JOIN pragma_index_xinfo(l.name) AS x \
     WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' AND x.\"key\" = 1 \
     ORDER BY m.name, l.name, x.seqno";

const FOREIGN_KEYS_SQL: &str = "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete \
     FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name) AS f \
     WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' \
     ORDER BY m.name, f.id, f.seq";

/// One row of `sqlite_master`.
#[derive(Debug, Clone)]
pub(crate) struct Object {
    /// `table`, `index`, `view` or `trigger`.
    pub kind: String,
    pub name: Ident,
    pub table: Ident,
    /// The CREATE statement; `None` for objects SQLite made itself.
    pub sql: Option<String>,
    pub without_rowid: bool,
    pub strict: bool,
}

/// One column as `pragma_table_xinfo` reports it.
#[derive(Debug, Clone)]
pub(crate) struct ColumnInfo {
    pub name: String,
    pub decl_type: String,
    pub not_null: bool,
    pub default: Option<String>,
    /// Position in the primary key, 1-based; 0 = not part of it.
    pub pk: i64,
    /// 0 normal, 1 hidden (virtual tables), 2 generated VIRTUAL, 3 generated STORED.
    pub hidden: i64,
}

/// One key column of an index (`pragma_index_xinfo`, key columns only).
#[derive(Debug, Clone)]
pub(crate) struct IndexColumnInfo {
    /// Table column number; -1 the rowid, -2 an expression.
    pub cid: i64,
    pub name: Option<String>,
    pub desc: bool,
    pub collation: Option<String>,
}

/// One index as `pragma_index_list` reports it.
#[derive(Debug, Clone)]
pub(crate) struct IndexInfo {
    pub unique: bool,
    /// `c` (CREATE INDEX), `u` (UNIQUE constraint) or `pk` (PRIMARY KEY).
    pub origin: String,
    pub partial: bool,
    pub columns: Vec<IndexColumnInfo>,
}

/// One foreign key as `pragma_foreign_key_list` reports it (rows of one id merged).
#[derive(Debug, Clone, Default)]
pub(crate) struct ForeignKeyInfo {
    pub table: String,
    pub from: Vec<String>,
    /// `None` entries: the statement named no target columns (the target's primary key).
    pub to: Vec<Option<String>>,
    pub on_update: String,
    pub on_delete: String,
}

/// Everything the introspector reads from the database.
#[derive(Debug, Default)]
pub(crate) struct Catalog {
    pub objects: Vec<Object>,
    pub columns: BTreeMap<Ident, Vec<ColumnInfo>>,
    pub indexes: BTreeMap<Ident, BTreeMap<Ident, IndexInfo>>,
    pub foreign_keys: BTreeMap<Ident, Vec<ForeignKeyInfo>>,
}

/// The number of queries [`read`] sends, whatever the schema.
pub const QUERIES: usize = 4;

/// Reads the catalog with [`QUERIES`] queries.
pub(crate) fn read(exec: &mut impl Executor) -> Result<Catalog, IntrospectError> {
    let mut cat = Catalog::default();
    for row in run(exec, OBJECTS_SQL, "the objects in sqlite_master")? {
        let r = RowReader::new(&row, "sqlite_master");
        cat.objects.push(Object {
            kind: r.text(0)?,
            name: Ident::new(r.text(1)?),
            table: Ident::new(r.text(2)?),
            sql: r.opt_text(3)?,
            without_rowid: r.opt_int(4)?.unwrap_or(0) != 0,
            strict: r.opt_int(5)?.unwrap_or(0) != 0,
        });
    }
    for row in run(exec, COLUMNS_SQL, "the columns (pragma_table_xinfo)")? {
        let r = RowReader::new(&row, "pragma_table_xinfo");
        cat.columns.entry(Ident::new(r.text(0)?)).or_default().push(ColumnInfo {
            name: r.text(1)?,
            decl_type: r.opt_text(2)?.unwrap_or_default(),
            not_null: r.int(3)? != 0,
            default: r.opt_text(4)?,
            pk: r.int(5)?,
            hidden: r.int(6)?,
        });
    }
    for row in run(exec, INDEXES_SQL, "the indexes (pragma_index_list, pragma_index_xinfo)")? {
        let r = RowReader::new(&row, "pragma_index_xinfo");
        let index = cat
            .indexes
            .entry(Ident::new(r.text(0)?))
            .or_default()
            .entry(Ident::new(r.text(1)?))
            .or_insert(IndexInfo { unique: r.int(2)? != 0, origin: r.text(3)?, partial: r.int(4)? != 0, columns: Vec::new() });
        index.columns.push(IndexColumnInfo { cid: r.int(5)?, name: r.opt_text(6)?, desc: r.int(7)? != 0, collation: r.opt_text(8)? });
    }
    let mut last: Option<(Ident, i64)> = None;
    for row in run(exec, FOREIGN_KEYS_SQL, "the foreign keys (pragma_foreign_key_list)")? {
        let r = RowReader::new(&row, "pragma_foreign_key_list");
        let table = Ident::new(r.text(0)?);
        let id = r.int(1)?;
        let list = cat.foreign_keys.entry(table.clone()).or_default();
        let same = last.as_ref().is_some_and(|(t, i)| *t == table && *i == id);
        if !same || list.is_empty() {
            list.push(ForeignKeyInfo { table: r.text(2)?, on_update: r.text(5)?, on_delete: r.text(6)?, ..ForeignKeyInfo::default() });
        }
        if let Some(fk) = list.last_mut() {
            fk.from.push(r.text(3)?);
            fk.to.push(r.opt_text(4)?);
        }
        last = Some((table, id));
    }
    Ok(cat)
}

fn run(exec: &mut impl Executor, sql: &'static str, what: &'static str) -> Result<Vec<Vec<Value>>, IntrospectError> {
    exec.query_values(sql, &[]).map_err(|source| IntrospectError::Query { what, source })
}

/// Typed access to one catalog row, with errors that name the pragma and the column.
struct RowReader<'a> {
    row: &'a [Value],
    source: &'static str,
}

impl<'a> RowReader<'a> {
    fn new(row: &'a [Value], source: &'static str) -> RowReader<'a> {
        RowReader { row, source }
    }

    fn bad(&self, i: usize, expected: &str) -> IntrospectError {
        IntrospectError::BadRow {
            pragma: self.source,
            detail: format!("column {i} is {:?}, expected {expected}", self.row.get(i)),
        }
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, IntrospectError> {
        match self.row.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Text(s)) => Ok(Some(s.clone())),
            _ => Err(self.bad(i, "text or NULL")),
        }
    }

    fn text(&self, i: usize) -> Result<String, IntrospectError> {
        self.opt_text(i)?.ok_or_else(|| self.bad(i, "text"))
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, IntrospectError> {
        match self.row.get(i) {
            Some(Value::Null) => Ok(None),
            Some(Value::Integer(n)) => Ok(Some(*n)),
            Some(Value::Boolean(b)) => Ok(Some(i64::from(*b))),
            _ => Err(self.bad(i, "an integer or NULL")),
        }
    }

    fn int(&self, i: usize) -> Result<i64, IntrospectError> {
        self.opt_int(i)?.ok_or_else(|| self.bad(i, "an integer"))
    }
}
