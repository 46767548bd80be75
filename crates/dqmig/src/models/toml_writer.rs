//! Schema → models TOML (what `dqmig inspect --format toml` writes). What it writes loads
//! back with [`load_toml_str`](super::load_toml_str) to an equal `Schema`. Columns get a
//! declared `type` when their SQL type has an owner (DeclaredType::from_sql_type), else a raw
//! `sql_type`; keys, uniques, foreign keys and checks are written in their table-level forms
//! (single-column primary keys on the column, where AUTOINCREMENT lives).

use crate::schema::{DefaultValue, Ident, IndexTarget, Schema, Table};
use crate::types::DeclaredType;
use std::fmt::Write;

/// A TOML basic string with everything that needs it escaped.
fn s(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for ch in text.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn names(list: &[Ident]) -> String {
    let items: Vec<String> = list.iter().map(|i| s(i.as_str())).collect();
    format!("[{}]", items.join(", "))
}

fn name_field(name: &Option<Ident>) -> String {
    name.as_ref()
        .map(|n| format!("name = {}, ", s(n.as_str())))
        .unwrap_or_default()
}

/// Renders the whole schema as models TOML.
pub fn to_toml(schema: &Schema) -> String {
    let mut out = String::new();
    for table in schema.tables.values() {
        write_table(&mut out, table);
    }
    for view in schema.views.values() {
        let _ = writeln!(out, "[views.{}]", s(view.name.as_str()));
        if !view.columns.is_empty() {
            let _ = writeln!(out, "columns = {}", names(&view.columns));
        }
        let _ = writeln!(out, "query = {}\n", s(view.query.text()));
    }
    for trigger in schema.triggers.values() {
        let _ = writeln!(out, "[triggers.{}]", s(trigger.name.as_str()));
        let _ = writeln!(out, "sql = {}\n", s(trigger.sql.text()));
    }
    out
}

fn write_table(out: &mut String, table: &Table) {
    let _ = writeln!(out, "[tables.{}]", s(table.name.as_str()));
    if table.strict {
        out.push_str("strict = true\n");
    }
    if table.without_rowid {
        out.push_str("without_rowid = true\n");
    }
    let pk = table.primary_key.as_ref();
    let single_pk = pk.filter(|p| p.columns.len() == 1).map(|p| &p.columns[0]);
    if let Some(p) = pk.filter(|p| p.columns.len() > 1) {
        let _ = writeln!(out, "primary_key = {}", names(&p.columns));
    }
    if let Some(n) = pk.and_then(|p| p.name.as_ref()) {
        let _ = writeln!(out, "primary_key_name = {}", s(n.as_str()));
    }
    out.push_str("columns = [\n");
    for col in &table.columns {
        let mut fields = vec![format!("name = {}", s(col.name.as_str()))];
        match DeclaredType::from_sql_type(&col.sql_type) {
            Some(t) => fields.push(format!("type = {}", s(&t.to_string()))),
            None => fields.push(format!("sql_type = {}", s(col.sql_type.as_str()))),
        }
        let in_pk = pk.is_some_and(|p| p.columns.contains(&col.name));
        if single_pk == Some(&col.name) {
            fields.push("primary_key = true".into());
            if pk.is_some_and(|p| p.autoincrement) {
                fields.push("autoincrement = true".into());
            }
        }
        if col.nullable == in_pk {
            fields.push(format!("nullable = {}", col.nullable));
        }
        if let Some(d) = &col.default {
            fields.push(default_field(d));
        }
        if let Some(c) = &col.collation {
            fields.push(format!("collate = {}", s(c.as_str())));
        }
        if let Some(g) = &col.generated {
            fields.push(format!("generated = {}", s(g.expr.text())));
            if g.stored {
                fields.push("stored = true".into());
            }
        }
        let _ = writeln!(out, "  {{ {} }},", fields.join(", "));
    }
    out.push_str("]\n");
    if !table.uniques.is_empty() {
        out.push_str("uniques = [\n");
        for u in &table.uniques {
            let _ = writeln!(
                out,
                "  {{ {}columns = {} }},",
                name_field(&u.name),
                names(&u.columns)
            );
        }
        out.push_str("]\n");
    }
    if !table.foreign_keys.is_empty() {
        out.push_str("foreign_keys = [\n");
        for fk in &table.foreign_keys {
            let mut f = format!(
                "{}columns = {}, references = {}",
                name_field(&fk.name),
                names(&fk.columns),
                s(fk.ref_table.as_str())
            );
            if !fk.ref_columns.is_empty() {
                let _ = write!(f, ", referenced_columns = {}", names(&fk.ref_columns));
            }
            for (key, action) in [("on_delete", fk.on_delete), ("on_update", fk.on_update)] {
                if action != crate::schema::FkAction::NoAction {
                    let _ = write!(f, ", {key} = {}", s(&action.as_sql().to_ascii_lowercase()));
                }
            }
            if fk.deferred {
                f.push_str(", deferred = true");
            }
            let _ = writeln!(out, "  {{ {f} }},");
        }
        out.push_str("]\n");
    }
    if !table.checks.is_empty() {
        out.push_str("checks = [\n");
        for c in &table.checks {
            let _ = writeln!(
                out,
                "  {{ {}expr = {} }},",
                name_field(&c.name),
                s(c.expr.text())
            );
        }
        out.push_str("]\n");
    }
    if !table.indexes.is_empty() {
        out.push_str("indexes = [\n");
        for idx in table.indexes.values() {
            let parts: Vec<String> = idx
                .parts
                .iter()
                .map(|p| {
                    let target = match &p.target {
                        IndexTarget::Column(c) if p.collation.is_none() && !p.desc => {
                            return s(c.as_str())
                        }
                        IndexTarget::Column(c) => format!("column = {}", s(c.as_str())),
                        IndexTarget::Expr(e) => format!("expr = {}", s(e.text())),
                    };
                    let mut t = target;
                    if let Some(c) = &p.collation {
                        let _ = write!(t, ", collate = {}", s(c.as_str()));
                    }
                    if p.desc {
                        t.push_str(", desc = true");
                    }
                    format!("{{ {t} }}")
                })
                .collect();
            let mut line = format!(
                "name = {}, columns = [{}]",
                s(idx.name.as_str()),
                parts.join(", ")
            );
            if idx.unique {
                line.push_str(", unique = true");
            }
            if let Some(w) = &idx.predicate {
                let _ = write!(line, ", where = {}", s(w.text()));
            }
            let _ = writeln!(out, "  {{ {line} }},");
        }
        out.push_str("]\n");
    }
    out.push('\n');
}

fn default_field(d: &DefaultValue) -> String {
    match d {
        DefaultValue::Integer(i) => format!("default = {i}"),
        DefaultValue::Real(r) => format!("default = {:?}", r.0),
        DefaultValue::Text(t) => {
            let keyword = matches!(
                t.to_ascii_uppercase().as_str(),
                "CURRENT_TIMESTAMP" | "CURRENT_DATE" | "CURRENT_TIME" | "NULL"
            );
            if keyword {
                format!("default_expr = {}", s(&crate::schema::quote_literal(t)))
            } else {
                format!("default = {}", s(t))
            }
        }
        DefaultValue::Null => "default = \"NULL\"".into(),
        DefaultValue::CurrentTimestamp => "default = \"CURRENT_TIMESTAMP\"".into(),
        DefaultValue::CurrentDate => "default = \"CURRENT_DATE\"".into(),
        DefaultValue::CurrentTime => "default = \"CURRENT_TIME\"".into(),
        DefaultValue::Blob(_) => format!("default_expr = {}", s(&d.to_sql())),
        DefaultValue::Expr(e) => format!("default_expr = {}", s(e.text())),
    }
}
