//! Schema → SQLite DDL. Deterministic: tables in name order, each followed by its indexes in
//! name order, then views, then triggers; constraints in their normal-form order. Every
//! identifier goes through [`quote_ident`]. What this renders loads back (schema.sql loader)
//! to an equal `Schema`.

use super::{
    quote_ident, Column, ForeignKey, Ident, Index, IndexTarget, Schema, Table, Trigger, View,
};

fn idents(list: &[super::Ident]) -> String {
    list.iter()
        .map(|i| i.quoted())
        .collect::<Vec<_>>()
        .join(", ")
}

fn constraint_name(name: &Option<super::Ident>) -> String {
    name.as_ref()
        .map(|n| format!("CONSTRAINT {} ", n.quoted()))
        .unwrap_or_default()
}

impl Column {
    /// `"name" TYPE [NOT NULL] [COLLATE x] [DEFAULT v] [GENERATED ALWAYS AS (e) STORED]`.
    pub fn definition_sql(&self) -> String {
        let mut out = self.name.quoted();
        if !self.sql_type.is_empty() {
            out.push(' ');
            out.push_str(self.sql_type.as_str());
        }
        if !self.nullable {
            out.push_str(" NOT NULL");
        }
        if let Some(c) = &self.collation {
            out.push_str(&format!(" COLLATE {}", collation_sql(c)));
        }
        if let Some(d) = &self.default {
            out.push_str(&format!(" DEFAULT {}", d.to_sql()));
        }
        if let Some(g) = &self.generated {
            out.push_str(&format!(
                " GENERATED ALWAYS AS ({}) {}",
                g.expr,
                if g.stored { "STORED" } else { "VIRTUAL" }
            ));
        }
        out
    }
}

impl ForeignKey {
    /// The table-constraint form.
    pub fn constraint_sql(&self) -> String {
        let mut out = format!(
            "{}FOREIGN KEY ({}) REFERENCES {}",
            constraint_name(&self.name),
            idents(&self.columns),
            self.ref_table.quoted()
        );
        if !self.ref_columns.is_empty() {
            out.push_str(&format!(" ({})", idents(&self.ref_columns)));
        }
        if self.on_delete != super::FkAction::NoAction {
            out.push_str(&format!(" ON DELETE {}", self.on_delete.as_sql()));
        }
        if self.on_update != super::FkAction::NoAction {
            out.push_str(&format!(" ON UPDATE {}", self.on_update.as_sql()));
        }
        if self.deferred {
            out.push_str(" DEFERRABLE INITIALLY DEFERRED");
        }
        out
    }
}

impl Table {
    /// The `CREATE TABLE` statement (no trailing `;`). A single-column primary key is written
    /// on its column (AUTOINCREMENT needs that form); a composite one as a table constraint.
    pub fn create_table_sql(&self) -> String {
        let mut lines: Vec<String> = Vec::new();
        let pk = self.primary_key.as_ref();
        let inline_pk = pk.filter(|p| p.columns.len() == 1);
        let alias = self.rowid_alias().cloned();
        for col in &self.columns {
            let mut def = col.clone();
            if alias.as_ref() == Some(&col.name) {
                def.nullable = true; // implied by INTEGER PRIMARY KEY; not written
            }
            let mut line = def.definition_sql();
            if let Some(p) = inline_pk.filter(|p| p.columns[0] == col.name) {
                line.push_str(&format!(" {}PRIMARY KEY", constraint_name(&p.name)));
                if p.autoincrement {
                    line.push_str(" AUTOINCREMENT");
                }
            }
            lines.push(line);
        }
        if let Some(p) = pk.filter(|p| p.columns.len() > 1) {
            lines.push(format!(
                "{}PRIMARY KEY ({})",
                constraint_name(&p.name),
                idents(&p.columns)
            ));
        }
        for u in &self.uniques {
            lines.push(format!(
                "{}UNIQUE ({})",
                constraint_name(&u.name),
                idents(&u.columns)
            ));
        }
        for fk in &self.foreign_keys {
            lines.push(fk.constraint_sql());
        }
        for c in &self.checks {
            lines.push(format!("{}CHECK ({})", constraint_name(&c.name), c.expr));
        }
        let mut out = format!(
            "CREATE TABLE {} (\n  {}\n)",
            self.name.quoted(),
            lines.join(",\n  ")
        );
        let mut options = Vec::new();
        if self.strict {
            options.push("STRICT");
        }
        if self.without_rowid {
            options.push("WITHOUT ROWID");
        }
        if !options.is_empty() {
            out.push(' ');
            out.push_str(&options.join(", "));
        }
        out
    }
}

impl Index {
    pub fn create_sql(&self) -> String {
        let parts: Vec<String> = self
            .parts
            .iter()
            .map(|p| {
                let mut s = match &p.target {
                    IndexTarget::Column(c) => c.quoted(),
                    IndexTarget::Expr(e) => format!("({e})"),
                };
                if let Some(c) = &p.collation {
                    s.push_str(&format!(" COLLATE {}", collation_sql(c)));
                }
                if p.desc {
                    s.push_str(" DESC");
                }
                s
            })
            .collect();
        let mut out = format!(
            "CREATE {}INDEX {} ON {} ({})",
            if self.unique { "UNIQUE " } else { "" },
            self.name.quoted(),
            self.table.quoted(),
            parts.join(", ")
        );
        if let Some(w) = &self.predicate {
            out.push_str(&format!(" WHERE {w}"));
        }
        out
    }
}

impl View {
    pub fn create_sql(&self) -> String {
        let cols = if self.columns.is_empty() {
            String::new()
        } else {
            format!(" ({})", idents(&self.columns))
        };
        format!(
            "CREATE VIEW {}{} AS {}",
            quote_ident(self.name.as_str()),
            cols,
            self.query
        )
    }
}

impl Trigger {
    pub fn create_sql(&self) -> String {
        self.sql.text().to_string()
    }
}

/// A collation name in DDL: SQLite's built-in ones (the only ones a dqlite node has) as
/// the bare word, any other name quoted, so a name is never more than one token.
fn collation_sql(c: &Ident) -> String {
    const BUILT_IN: [&str; 3] = ["BINARY", "NOCASE", "RTRIM"];
    match BUILT_IN.iter().find(|b| b.eq_ignore_ascii_case(c.as_str())) {
        Some(_) => c.as_str().to_string(),
        None => c.quoted(),
    }
}

impl Schema {
    /// The whole schema as a script of `;`-terminated statements.
    pub fn to_sql(&self) -> String {
        let mut out = String::new();
        for table in self.tables.values() {
            out.push_str(&table.create_table_sql());
            out.push_str(";\n");
            for index in table.indexes.values() {
                out.push_str(&index.create_sql());
                out.push_str(";\n");
            }
        }
        for view in self.views.values() {
            out.push_str(&view.create_sql());
            out.push_str(";\n");
        }
        for trigger in self.triggers.values() {
            out.push_str(&trigger.create_sql());
            out.push_str(";\n");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::*;
    use crate::types::SqlType;

    fn col(name: &str, ty: &str) -> Column {
        Column {
            name: Ident::new(name),
            sql_type: SqlType::new(ty),
            nullable: true,
            default: None,
            collation: None,
            generated: None,
        }
    }

    #[test]
    fn rowid_alias_is_rendered_inline_without_not_null() {
        let mut t = Table::new("t");
        t.columns = vec![col("id", "integer"), col("name", "text")];
        t.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec![Ident::new("ID")],
            autoincrement: true,
        });
        t.normalize();
        assert!(
            !t.columns[0].nullable,
            "INTEGER PRIMARY KEY implies NOT NULL"
        );
        assert_eq!(
            t.create_table_sql(),
            "CREATE TABLE \"t\" (\n  \"id\" INTEGER PRIMARY KEY AUTOINCREMENT,\n  \"name\" TEXT\n)"
        );
    }

    #[test]
    fn every_constraint_form_renders() {
        let mut t = Table::new("a\"b");
        let mut c = col("x", "text");
        c.nullable = false;
        c.collation = Some(Ident::new("nocase"));
        c.default = Some(DefaultValue::Text("it's".into()));
        let mut g = col("g", "");
        g.generated = Some(Generated {
            expr: SqlExpr::parse("x || 'a'").unwrap(),
            stored: true,
        });
        t.columns = vec![c, col("y", "INTEGER"), g];
        t.primary_key = Some(PrimaryKey {
            name: Some(Ident::new("pk")),
            columns: vec![Ident::new("x"), Ident::new("y")],
            autoincrement: false,
        });
        t.uniques = vec![Unique {
            columns: vec![Ident::new("y")],
            name: Some(Ident::new("u")),
        }];
        t.foreign_keys = vec![ForeignKey {
            columns: vec![Ident::new("y")],
            ref_table: Ident::new("other"),
            ref_columns: vec![Ident::new("id")],
            on_delete: FkAction::SetNull,
            on_update: FkAction::Cascade,
            deferred: true,
            name: None,
        }];
        t.checks = vec![Check {
            expr: SqlExpr::parse("y > 0").unwrap(),
            name: None,
        }];
        t.strict = true;
        t.without_rowid = true;
        t.normalize();
        assert_eq!(
            t.create_table_sql(),
            "CREATE TABLE \"a\"\"b\" (\n  \"x\" TEXT NOT NULL COLLATE NOCASE DEFAULT 'it''s',\n  \"y\" INTEGER NOT NULL,\n  \"g\" GENERATED ALWAYS AS (x || 'a') STORED,\n  \
             CONSTRAINT \"pk\" PRIMARY KEY (\"x\", \"y\"),\n  CONSTRAINT \"u\" UNIQUE (\"y\"),\n  \
             FOREIGN KEY (\"y\") REFERENCES \"other\" (\"id\") ON DELETE SET NULL ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,\n  \
             CHECK (y > 0)\n) STRICT, WITHOUT ROWID"
        );
    }

    #[test]
    fn schema_script_is_ordered_by_name() {
        let mut s = Schema::default();
        for name in ["b", "A"] {
            let mut t = Table::new(name);
            t.columns = vec![col("c", "TEXT")];
            let idx = Index {
                name: Ident::new(format!("{name}_i")),
                table: Ident::new(name),
                unique: true,
                parts: vec![IndexPart {
                    target: IndexTarget::Expr(SqlExpr::parse("lower(c)").unwrap()),
                    collation: None,
                    desc: true,
                }],
                predicate: Some(SqlExpr::parse("c IS NOT NULL").unwrap()),
            };
            t.indexes.insert(idx.name.clone(), idx);
            s.tables.insert(t.name.clone(), t);
        }
        s.views.insert(
            Ident::new("v"),
            View {
                name: Ident::new("v"),
                columns: vec![Ident::new("n")],
                query: SqlExpr::from_text("SELECT c FROM A"),
            },
        );
        assert_eq!(
            s.to_sql(),
            "CREATE TABLE \"A\" (\n  \"c\" TEXT\n);\nCREATE UNIQUE INDEX \"A_i\" ON \"A\" ((lower(c)) DESC) WHERE c IS NOT NULL;\n\
             CREATE TABLE \"b\" (\n  \"c\" TEXT\n);\nCREATE UNIQUE INDEX \"b_i\" ON \"b\" ((lower(c)) DESC) WHERE c IS NOT NULL;\n\
             CREATE VIEW \"v\" (\"n\") AS SELECT c FROM A;\n"
        );
    }

    #[test]
    fn normalize_resolves_implicit_fk_targets_and_sorts() {
        let mut s = Schema::default();
        let mut p = Table::new("p");
        p.columns = vec![col("k1", "TEXT"), col("k2", "TEXT")];
        p.primary_key = Some(PrimaryKey {
            name: None,
            columns: vec![Ident::new("k1"), Ident::new("k2")],
            autoincrement: false,
        });
        let mut c = Table::new("c");
        c.columns = vec![col("a", "TEXT"), col("b", "TEXT")];
        let fk = |cols: &[&str]| ForeignKey {
            columns: cols.iter().map(|c| Ident::new(*c)).collect(),
            ref_table: Ident::new("P"),
            ref_columns: vec![],
            on_delete: FkAction::NoAction,
            on_update: FkAction::NoAction,
            deferred: false,
            name: None,
        };
        c.foreign_keys = vec![fk(&["b", "a"]), fk(&["a", "b"])];
        s.tables.insert(p.name.clone(), p);
        s.tables.insert(c.name.clone(), c);
        s.normalize();
        let fks = &s.tables[&Ident::new("c")].foreign_keys;
        assert_eq!(fks[0].columns, vec![Ident::new("a"), Ident::new("b")]);
        assert_eq!(fks[1].ref_columns, vec![Ident::new("k1"), Ident::new("k2")]);
    }
}
