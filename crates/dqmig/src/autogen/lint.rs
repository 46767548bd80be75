//! Data-loss lint: which ops can lose or refuse existing rows — dropping a table or a
//! column, narrowing a type, NOT NULL without a default, a new UNIQUE or primary key over
//! possible duplicates — each as a [`Warning`] with the COUNT query ([`LintQuery`]) that
//! tells how many rows are affected. Pure: the CLI runs the queries against the live
//! database later.

use super::op::Op;
use crate::schema::{Column, DefaultValue, Ident, Index, IndexTarget, Schema};
use crate::types::Affinity;

/// A query whose single integer result is the number of affected rows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LintQuery {
    pub sql: String,
    /// What the count is, e.g. `rows in "users"`.
    pub what: String,
}

/// A possible data loss (or a step that fails over existing rows).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Warning {
    /// One line, for `-- WARNING:` and stderr.
    pub message: String,
    pub query: Option<LintQuery>,
}

/// The warnings of `op`, applied to `state` (the schema just before it).
pub(crate) fn lint(op: &Op, state: &Schema) -> Vec<Warning> {
    let mut out = Vec::new();
    match op {
        Op::DropTable(t) => out.push(Warning {
            message: format!("drops table {} and every row in it", t.name.quoted()),
            query: Some(count(&t.name, None, format!("rows in {}", t.name.quoted()))),
        }),
        Op::DropColumn { table, column, .. } => out.push(Warning {
            message: format!(
                "drops column {}.{} and its values",
                table.quoted(),
                column.name.quoted()
            ),
            query: Some(count(
                table,
                Some(format!("{} IS NOT NULL", column.name.quoted())),
                format!(
                    "non-NULL values in {}.{}",
                    table.quoted(),
                    column.name.quoted()
                ),
            )),
        }),
        Op::AddColumn { table, column, .. }
            if !column.nullable && column.generated.is_none() && !has_value(&column.default) =>
        {
            out.push(Warning {
                message: format!(
                    "adds NOT NULL column {}.{} without a default: fails if the table has rows",
                    table.quoted(),
                    column.name.quoted()
                ),
                query: Some(count(table, None, format!("rows in {}", table.quoted()))),
            })
        }
        Op::AlterColumn {
            table,
            before,
            after,
        } => {
            if let Some(why) = narrowing(before, after) {
                out.push(Warning {
                    message: format!(
                        "narrows {}.{} ({why}): values may change or be refused",
                        table.quoted(),
                        after.name.quoted()
                    ),
                    query: Some(count(
                        table,
                        Some(format!("{} IS NOT NULL", after.name.quoted())),
                        format!(
                            "non-NULL values in {}.{}",
                            table.quoted(),
                            after.name.quoted()
                        ),
                    )),
                });
            }
            if before.nullable && !after.nullable && after.generated.is_none() {
                let message = if has_value(&after.default) {
                    format!(
                        "sets NOT NULL on {}.{}: NULLs become the default",
                        table.quoted(),
                        after.name.quoted()
                    )
                } else {
                    format!(
                        "sets NOT NULL on {}.{} without a default: fails if it holds NULLs",
                        table.quoted(),
                        after.name.quoted()
                    )
                };
                out.push(Warning {
                    message,
                    query: Some(count(
                        table,
                        Some(format!("{} IS NULL", after.name.quoted())),
                        format!("NULLs in {}.{}", table.quoted(), after.name.quoted()),
                    )),
                });
            }
        }
        Op::AddUnique { table, unique } => {
            let exprs: Vec<String> = unique.columns.iter().map(Ident::quoted).collect();
            out.push(duplicates(table, &exprs, None, "a new UNIQUE"));
        }
        Op::SetPrimaryKey {
            table,
            before,
            after: Some(pk),
        } if before.as_ref().map(|b| &b.columns) != Some(&pk.columns) => {
            let exprs: Vec<String> = pk.columns.iter().map(Ident::quoted).collect();
            out.push(duplicates(table, &exprs, None, "a new primary key"));
        }
        Op::CreateIndex(i) if i.unique && state.tables.contains_key(&i.table) => {
            out.push(unique_index(i));
        }
        _ => {}
    }
    out
}

fn has_value(d: &Option<DefaultValue>) -> bool {
    !matches!(d, None | Some(DefaultValue::Null))
}

fn count(table: &Ident, filter: Option<String>, what: String) -> LintQuery {
    let mut sql = format!("SELECT count(*) FROM {}", table.quoted());
    if let Some(f) = filter {
        sql.push_str(&format!(" WHERE {f}"));
    }
    LintQuery { sql, what }
}

/// Rows that share their values of `exprs` with another row (NULLs never collide).
fn duplicates(table: &Ident, exprs: &[String], predicate: Option<String>, what: &str) -> Warning {
    let mut filters: Vec<String> = exprs.iter().map(|e| format!("{e} IS NOT NULL")).collect();
    filters.extend(predicate);
    let sql = format!(
        "SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM {} WHERE {} GROUP BY {} HAVING count(*) > 1)",
        table.quoted(),
        filters.join(" AND "),
        exprs.join(", ")
    );
    Warning {
        message: format!(
            "{what} over ({}) on {}: fails if existing rows have duplicates",
            exprs.join(", "),
            table.quoted()
        ),
        query: Some(LintQuery {
            sql,
            what: format!(
                "rows with duplicate ({}) in {}",
                exprs.join(", "),
                table.quoted()
            ),
        }),
    }
}

fn unique_index(i: &Index) -> Warning {
    let exprs: Vec<String> = i
        .parts
        .iter()
        .map(|p| match &p.target {
            IndexTarget::Column(c) => c.quoted(),
            IndexTarget::Expr(e) => format!("({e})"),
        })
        .collect();
    duplicates(
        &i.table,
        &exprs,
        i.predicate.as_ref().map(|p| format!("({p})")),
        &format!("new unique index {}", i.name.quoted()),
    )
}

/// Why a column change narrows what it holds, if it does: a type whose affinity keeps
/// fewer values as they are, or a smaller declared length/precision.
pub(crate) fn narrowing(before: &Column, after: &Column) -> Option<String> {
    let (a, b) = (before.sql_type.affinity(), after.sql_type.affinity());
    let widening = a == b
        || matches!(
            (a, b),
            (_, Affinity::Blob | Affinity::Text)
                | (Affinity::Integer, Affinity::Real | Affinity::Numeric)
                | (Affinity::Real, Affinity::Numeric)
                | (Affinity::Numeric, Affinity::Real)
        );
    if !widening {
        return Some(format!("{} -> {}", show(before), show(after)));
    }
    if a == b {
        if let (Some(x), Some(y)) = (
            first_number(before.sql_type.as_str()),
            first_number(after.sql_type.as_str()),
        ) {
            if y < x {
                return Some(format!("{} -> {}", show(before), show(after)));
            }
        }
    }
    None
}

fn show(c: &Column) -> String {
    if c.sql_type.is_empty() {
        "(no type)".to_string()
    } else {
        c.sql_type.as_str().to_string()
    }
}

fn first_number(t: &str) -> Option<u64> {
    let open = t.find('(')?;
    let rest = &t[open + 1..];
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    rest[..end].parse().ok()
}
