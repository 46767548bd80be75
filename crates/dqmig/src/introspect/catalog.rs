//! Reading the catalog of a live database in ONE query, whatever the number of tables
//! (each query is a round trip to the leader): `sqlite_master` (with the CREATE text, plus STRICT / WITHOUT ROWID
//! from `pragma_table_list`), and `sqlite_master` joined with the table-valued pragmas
//! `pragma_table_xinfo`, `pragma_index_list` × `pragma_index_xinfo` and
//! `pragma_foreign_key_list`, as four sections of one UNION ALL. One query rather than four
//! also matters for latency: every result longer than one 4 KiB batch costs a ~40 ms
//! delayed-ACK stall against a 1.11.1 node on loopback (measured; see benches/introspect.rs).
//! Every value returned is a pragma output or a `sqlite_master` column, never user data, so
//! dqlite's declared-type remapping (§4.6, §9) cannot touch it. `sqlite_*` objects are left out here; other exclusions are
//! the caller's.

use super::IntrospectError;
use crate::client::Value;
use crate::executor::Executor;
use crate::schema::Ident;
use std::collections::BTreeMap;

/// The whole catalog in one query: four sections joined with UNION ALL, each row laid out
/// as `(section, sort keys k1 k2 k3, payload...)`, padded with NULLs to one width.
const CATALOG_SQL: &str = "\
SELECT 0, CASE m.type WHEN 'table' THEN 0 WHEN 'index' THEN 1 WHEN 'view' THEN 2 ELSE 3 END, m.name, NULL, \
       m.type, m.name, m.tbl_name, m.sql, t.wr, t.\"strict\", NULL \
  FROM sqlite_master AS m \
  LEFT JOIN pragma_table_list(m.name) AS t ON m.type = 'table' AND t.schema = 'main' \
  WHERE m.name NOT GLOB 'sqlite_*' \
UNION ALL \
SELECT 1, m.name, p.cid, NULL, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden, NULL \
  FROM sqlite_master AS m JOIN pragma_table_xinfo(m.name, 'main') AS p \
  WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' \
UNION ALL \
SELECT 2, m.name, l.name, x.seqno, l.\"unique\", l.origin, l.partial, x.cid, x.name, x.\"desc\", x.coll \
  FROM sqlite_master AS m JOIN pragma_index_list(m.name, 'main') AS l JOIN pragma_index_xinfo(l.name, 'main') AS x \
  WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' AND x.\"key\" = 1 \
UNION ALL \
SELECT 3, m.name, f.id, f.seq, f.\"table\", f.\"from\", f.\"to\", f.on_update, f.on_delete, NULL, NULL \
  FROM sqlite_master AS m JOIN pragma_foreign_key_list(m.name, 'main') AS f \
  WHERE m.type = 'table' AND m.name NOT GLOB 'sqlite_*' \
ORDER BY 1, 2, 3, 4";

/// Where a row's payload starts (after the section and the three sort keys).
const P: usize = 4;

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

/// The number of queries `read` sends, whatever the schema.
pub const QUERIES: usize = 1;

/// Reads the catalog with [`QUERIES`] query.
pub(crate) fn read(exec: &mut impl Executor) -> Result<Catalog, IntrospectError> {
    let rows = exec
        .query_values(CATALOG_SQL, &[])
        .map_err(|source| IntrospectError::Query {
            what: "the catalog (sqlite_master and the schema pragmas)",
            source,
        })?;
    let mut cat = Catalog::default();
    let mut last_fk: Option<(Ident, i64)> = None;
    for row in &rows {
        let section = RowReader::new(row, "the catalog query").int(0)?;
        match section {
            0 => {
                let r = RowReader::new(row, "sqlite_master");
                cat.objects.push(Object {
                    kind: r.text(P)?,
                    name: Ident::new(r.text(P + 1)?),
                    table: Ident::new(r.text(P + 2)?),
                    sql: r.opt_text(P + 3)?,
                    without_rowid: r.opt_int(P + 4)?.unwrap_or(0) != 0,
                    strict: r.opt_int(P + 5)?.unwrap_or(0) != 0,
                });
            }
            1 => {
                let r = RowReader::new(row, "pragma_table_xinfo");
                cat.columns
                    .entry(Ident::new(r.text(1)?))
                    .or_default()
                    .push(ColumnInfo {
                        name: r.text(P)?,
                        decl_type: r.opt_text(P + 1)?.unwrap_or_default(),
                        not_null: r.int(P + 2)? != 0,
                        default: r.opt_text(P + 3)?,
                        pk: r.int(P + 4)?,
                        hidden: r.int(P + 5)?,
                    });
            }
            2 => {
                let r = RowReader::new(row, "pragma_index_list/pragma_index_xinfo");
                let index = cat
                    .indexes
                    .entry(Ident::new(r.text(1)?))
                    .or_default()
                    .entry(Ident::new(r.text(2)?))
                    .or_insert(IndexInfo {
                        unique: r.int(P)? != 0,
                        origin: r.text(P + 1)?,
                        partial: r.int(P + 2)? != 0,
                        columns: Vec::new(),
                    });
                index.columns.push(IndexColumnInfo {
                    cid: r.int(P + 3)?,
                    name: r.opt_text(P + 4)?,
                    desc: r.int(P + 5)? != 0,
                    collation: r.opt_text(P + 6)?,
                });
            }
            3 => {
                let r = RowReader::new(row, "pragma_foreign_key_list");
                let table = Ident::new(r.text(1)?);
                let id = r.int(2)?;
                let list = cat.foreign_keys.entry(table.clone()).or_default();
                let same = last_fk
                    .as_ref()
                    .is_some_and(|(t, i)| *t == table && *i == id);
                if !same || list.is_empty() {
                    list.push(ForeignKeyInfo {
                        table: r.text(P)?,
                        on_update: r.text(P + 3)?,
                        on_delete: r.text(P + 4)?,
                        ..ForeignKeyInfo::default()
                    });
                }
                if let Some(fk) = list.last_mut() {
                    fk.from.push(r.text(P + 1)?);
                    fk.to.push(r.opt_text(P + 2)?);
                }
                last_fk = Some((table, id));
            }
            other => {
                return Err(IntrospectError::BadRow {
                    pragma: "the catalog query",
                    detail: format!("unknown section {other}"),
                })
            }
        }
    }
    Ok(cat)
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
