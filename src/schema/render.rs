//! Schema → SQLite DDL. Deterministic: tables in name order, each followed by its indexes in
//! name order, then views, then triggers; constraints in their normal-form order. Every
//! identifier goes through [`quote_ident`]. What this renders loads back (schema.sql loader)
//! to an equal `Schema`.

use super::{quote_ident, Column, ForeignKey, Index, IndexTarget, Schema, Table, Trigger, View};

fn idents(list: &[super::Ident]) -> String {
    list.iter().map(|i| i.quoted()).collect::<Vec<_>>().join(", ")
}

fn constraint_name(name: &Option<super::Ident>) -> String {
    name.as_ref().map(|n| format!("CONSTRAINT {} ", n.quoted())).unwrap_or_default()
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
            out.push_str(&format!(" COLLATE {}", c.as_str()));
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
            lines.push(format!("{}PRIMARY KEY ({})", constraint_name(&p.name), idents(&p.columns)));
        }
        for u in &self.uniques {
            lines.push(format!("{}UNIQUE ({})", constraint_name(&u.name), idents(&u.columns)));
        }
        for fk in &self.foreign_keys {
            lines.push(fk.constraint_sql());
        }
        for c in &self.checks {
            lines.push(format!("{}CHECK ({})", constraint_name(&c.name), c.expr));
        }
        let mut out = format!("CREATE TABLE {} (\n  {}\n)", self.name.quoted(), lines.join(",\n  "));
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
                    s.push_str(&format!(" COLLATE {}", c.as_str()));
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
        let cols = if self.columns.is_empty() { String::new() } else { format!(" ({})", idents(&self.columns)) };
        format!("CREATE VIEW {}{} AS {}", quote_ident(self.name.as_str()), cols, self.query)
    }
}

impl Trigger {
    pub fn create_sql(&self) -> String {
        self.sql.text().to_string()
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
