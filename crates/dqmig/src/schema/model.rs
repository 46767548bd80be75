//! The schema model: what a database's schema is, independent of how it was written.
//!
//! Normal form (established by [`Schema::normalize`], which every loader calls):
//! - identifiers compare by ASCII case folding ([`Ident`]); spellings are kept for DDL;
//! - tables, views, triggers and each table's indexes are keyed by name (BTreeMap);
//!   columns keep their order; uniques, foreign keys and checks are sorted;
//! - column-level PRIMARY KEY / UNIQUE / REFERENCES / CHECK are the same as the table-level
//!   forms and are stored only in the table-level form (an enum's CHECK too);
//! - UNIQUE constraints are not indexes: the `sqlite_autoindex_*` they create are implied;
//! - the implicit NOT NULL of an INTEGER PRIMARY KEY (rowid alias) and of the primary key
//!   of a WITHOUT ROWID table is made explicit;
//! - literal defaults are converted by the column's affinity (`'1'` = `1` in an INTEGER
//!   column); `COLLATE BINARY` on a column is no collation; an index part's collation equal
//!   to its column's is dropped; a foreign key without target columns names the target's
//!   primary key; `NOT DEFERRABLE`, `DEFERRABLE` and `INITIALLY IMMEDIATE` are all "not
//!   deferred"; an index expression that is just a column name is that column;
//! - expressions compare by their token key ([`SqlExpr`]).

use super::{DefaultValue, Ident, SqlExpr};
use crate::types::SqlType;
use std::collections::BTreeMap;

/// A whole database schema.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Schema {
    pub tables: BTreeMap<Ident, Table>,
    pub views: BTreeMap<Ident, View>,
    pub triggers: BTreeMap<Ident, Trigger>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table {
    pub name: Ident,
    /// In declaration order.
    pub columns: Vec<Column>,
    pub primary_key: Option<PrimaryKey>,
    pub uniques: Vec<Unique>,
    pub foreign_keys: Vec<ForeignKey>,
    pub checks: Vec<Check>,
    pub indexes: BTreeMap<Ident, Index>,
    pub strict: bool,
    pub without_rowid: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Column {
    pub name: Ident,
    /// The declared SQL type in normal form (may be empty, as SQLite allows).
    pub sql_type: SqlType,
    pub nullable: bool,
    pub default: Option<DefaultValue>,
    /// Collation name, upper-cased; never `BINARY` (that is the absence of one).
    pub collation: Option<Ident>,
    pub generated: Option<Generated>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Generated {
    pub expr: SqlExpr,
    /// `STORED`; otherwise `VIRTUAL` (SQLite's default).
    pub stored: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PrimaryKey {
    pub name: Option<Ident>,
    pub columns: Vec<Ident>,
    pub autoincrement: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Unique {
    pub columns: Vec<Ident>,
    pub name: Option<Ident>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FkAction {
    #[default]
    NoAction,
    Restrict,
    SetNull,
    SetDefault,
    Cascade,
}

impl FkAction {
    pub fn as_sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
            FkAction::Cascade => "CASCADE",
        }
    }

    /// Parses the models.toml spelling: `cascade`, `set null` / `set_null`, `restrict`,
    /// `set default` / `set_default`, `no action` / `no_action` (case-insensitive).
    pub fn parse(text: &str) -> Option<FkAction> {
        match text
            .trim()
            .to_ascii_lowercase()
            .replace(['_', '-'], " ")
            .as_str()
        {
            "no action" => Some(FkAction::NoAction),
            "restrict" => Some(FkAction::Restrict),
            "set null" => Some(FkAction::SetNull),
            "set default" => Some(FkAction::SetDefault),
            "cascade" => Some(FkAction::Cascade),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ForeignKey {
    pub columns: Vec<Ident>,
    pub ref_table: Ident,
    /// Empty only before normalization when the target has no primary key.
    pub ref_columns: Vec<Ident>,
    pub on_delete: FkAction,
    pub on_update: FkAction,
    /// `DEFERRABLE INITIALLY DEFERRED`.
    pub deferred: bool,
    pub name: Option<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Check {
    pub expr: SqlExpr,
    pub name: Option<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Index {
    pub name: Ident,
    pub table: Ident,
    pub unique: bool,
    pub parts: Vec<IndexPart>,
    /// Partial index `WHERE`.
    pub predicate: Option<SqlExpr>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexPart {
    pub target: IndexTarget,
    pub collation: Option<Ident>,
    pub desc: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexTarget {
    Column(Ident),
    Expr(SqlExpr),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct View {
    pub name: Ident,
    /// Optional column names `CREATE VIEW v (a, b) AS ...`.
    pub columns: Vec<Ident>,
    pub query: SqlExpr,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Trigger {
    pub name: Ident,
    pub table: Ident,
    /// The whole `CREATE TRIGGER` statement.
    pub sql: SqlExpr,
}

impl Table {
    pub fn new(name: impl Into<Ident>) -> Table {
        Table {
            name: name.into(),
            ..Table::default()
        }
    }

    pub fn column(&self, name: &Ident) -> Option<&Column> {
        self.columns.iter().find(|c| &c.name == name)
    }

    /// The rowid-alias column, if the primary key is one `INTEGER` column of a rowid table.
    pub fn rowid_alias(&self) -> Option<&Ident> {
        let pk = self.primary_key.as_ref()?;
        match pk.columns.as_slice() {
            [only] if !self.without_rowid => {
                let col = self.column(only)?;
                col.sql_type.is_rowid_alias_type().then_some(only)
            }
            _ => None,
        }
    }

    /// Brings the table to the normal form described in the module docs.
    pub fn normalize(&mut self) {
        let pk_cols: Vec<Ident> = self
            .primary_key
            .as_ref()
            .map(|p| p.columns.clone())
            .unwrap_or_default();
        let alias = self.rowid_alias().cloned();
        for col in &mut self.columns {
            if alias.as_ref() == Some(&col.name)
                || (self.without_rowid && pk_cols.contains(&col.name))
            {
                col.nullable = false;
            }
            if let Some(d) = col.default.take() {
                col.default = Some(d.with_affinity(col.sql_type.affinity()));
            }
            col.collation = col
                .collation
                .take()
                .map(|c| Ident::new(c.as_str().to_ascii_uppercase()));
            if col
                .collation
                .as_ref()
                .is_some_and(|c| c.as_str() == "BINARY")
            {
                col.collation = None;
            }
        }
        self.uniques.sort();
        self.uniques.dedup();
        self.foreign_keys.sort();
        self.checks.sort();
        self.checks.dedup();
        let columns = self.columns.clone();
        for index in self.indexes.values_mut() {
            for part in &mut index.parts {
                // SQLite indexes `(a)` as the column `a`.
                if let IndexTarget::Expr(e) = &part.target {
                    if let Some(c) = columns.iter().find(|c| c.name.folded() == e.key()) {
                        part.target = IndexTarget::Column(c.name.clone());
                    }
                }
                part.collation = part
                    .collation
                    .take()
                    .map(|c| Ident::new(c.as_str().to_ascii_uppercase()));
                if let IndexTarget::Column(name) = &part.target {
                    let col_coll = columns
                        .iter()
                        .find(|c| &c.name == name)
                        .map(|c| c.collation.clone().unwrap_or_else(|| Ident::new("BINARY")));
                    if part.collation.is_some() && part.collation == col_coll {
                        part.collation = None;
                    }
                }
            }
        }
    }
}

impl Schema {
    /// Brings every table to normal form and resolves foreign keys without target columns
    /// to the target's primary key.
    pub fn normalize(&mut self) {
        let pks: BTreeMap<Ident, Vec<Ident>> = self
            .tables
            .iter()
            .filter_map(|(n, t)| {
                t.primary_key
                    .as_ref()
                    .map(|p| (n.clone(), p.columns.clone()))
            })
            .collect();
        for table in self.tables.values_mut() {
            for fk in &mut table.foreign_keys {
                if fk.ref_columns.is_empty() {
                    if let Some(cols) = pks.get(&fk.ref_table) {
                        fk.ref_columns = cols.clone();
                    }
                }
            }
            table.normalize();
        }
    }

    /// Looks up an index by name in any table.
    pub fn index(&self, name: &Ident) -> Option<&Index> {
        self.tables.values().find_map(|t| t.indexes.get(name))
    }
}
