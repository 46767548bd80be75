//! Who depends on whom: which views and triggers mention a table or view (by the words of
//! their SQL, as SQLite resolves names), and foreign-key order of tables. Both the differ
//! (views and triggers are dropped and recreated around the tables they depend on) and the
//! renderer (a rebuild recreates what mentions the rebuilt table) use these.

use crate::schema::lex::{self, Kind};
use crate::schema::{Ident, Schema, Table};
use std::collections::{BTreeMap, BTreeSet};

/// The folded words (identifiers and keywords, quoted or not) of a SQL text.
pub(crate) fn words(sql: &str) -> BTreeSet<String> {
    match lex::tokens(sql) {
        Ok(tokens) => tokens
            .iter()
            .filter_map(|t| match t.kind {
                Kind::Word => Some(t.text(sql).to_ascii_lowercase()),
                Kind::QuotedWord => Some(lex::unquote(t.text(sql)).to_ascii_lowercase()),
                _ => None,
            })
            .collect(),
        // Text SQLite would not tokenize: every run of identifier characters, conservatively.
        Err(_) => sql
            .split(|c: char| !(c.is_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect(),
    }
}

/// True when `sql` mentions any of `names`.
pub(crate) fn mentions(sql: &str, names: &BTreeSet<Ident>) -> bool {
    let w = words(sql);
    names.iter().any(|n| w.contains(&n.folded()))
}

/// Views and triggers of `schema` that depend on any of `names`, directly or through other
/// views (a trigger depends on its table too). Returns (views, triggers).
pub(crate) fn dependents(
    schema: &Schema,
    names: &BTreeSet<Ident>,
) -> (BTreeSet<Ident>, BTreeSet<Ident>) {
    let mut reach: BTreeSet<Ident> = names.clone();
    let mut views = BTreeSet::new();
    loop {
        let mut grew = false;
        for v in schema.views.values() {
            if !views.contains(&v.name) && mentions(v.query.text(), &reach) {
                views.insert(v.name.clone());
                reach.insert(v.name.clone());
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    let triggers = schema
        .triggers
        .values()
        .filter(|t| reach.contains(&t.table) || mentions(t.sql.text(), &reach))
        .map(|t| t.name.clone())
        .collect();
    (views, triggers)
}

/// `names` ordered so that each comes after the ones it depends on (per `deps`), ties and
/// cycles broken by name order. Deterministic.
pub(crate) fn topo_order(
    names: &BTreeSet<Ident>,
    deps: impl Fn(&Ident) -> BTreeSet<Ident>,
) -> Vec<Ident> {
    let graph: BTreeMap<Ident, BTreeSet<Ident>> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                deps(n)
                    .into_iter()
                    .filter(|d| names.contains(d) && d != n)
                    .collect(),
            )
        })
        .collect();
    let mut done: BTreeSet<Ident> = BTreeSet::new();
    let mut out = Vec::with_capacity(names.len());
    while out.len() < names.len() {
        // The first (by name) whose dependencies are all placed; on a cycle, the first left.
        let next = graph
            .iter()
            .find(|(n, d)| !done.contains(*n) && d.iter().all(|x| done.contains(x)))
            .or_else(|| graph.iter().find(|(n, _)| !done.contains(*n)))
            .map(|(n, _)| n.clone());
        let Some(n) = next else { break };
        done.insert(n.clone());
        out.push(n);
    }
    out
}

/// Tables this table's foreign keys point at.
pub(crate) fn fk_parents(t: &Table) -> BTreeSet<Ident> {
    t.foreign_keys.iter().map(|f| f.ref_table.clone()).collect()
}

/// The views of `schema` named in `set`, each after the views it mentions.
pub(crate) fn view_order(schema: &Schema, set: &BTreeSet<Ident>) -> Vec<Ident> {
    topo_order(set, |n| match schema.views.get(n) {
        Some(v) => {
            let w = words(v.query.text());
            set.iter()
                .filter(|o| w.contains(&o.folded()))
                .cloned()
                .collect()
        }
        None => BTreeSet::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_fold_and_unquote() {
        let w = words("SELECT \"Order Items\".x FROM [Users] JOIN `b` ON a = 'users'");
        assert!(w.contains("order items"));
        assert!(w.contains("users"));
        assert!(w.contains("b"));
        // String literals are not words.
        let w = words("SELECT 'posts' AS x");
        assert!(!w.contains("posts"));
    }

    #[test]
    fn topo_puts_dependencies_first_and_survives_cycles() {
        let names: BTreeSet<Ident> = ["a", "b", "c"].into_iter().map(Ident::new).collect();
        let order = topo_order(&names, |n| match n.as_str() {
            "a" => [Ident::new("c")].into_iter().collect(),
            _ => BTreeSet::new(),
        });
        assert_eq!(
            order,
            vec![Ident::new("b"), Ident::new("c"), Ident::new("a")]
        );
        let cyc = topo_order(&names, |n| match n.as_str() {
            "a" => [Ident::new("b")].into_iter().collect(),
            "b" => [Ident::new("a")].into_iter().collect(),
            _ => BTreeSet::new(),
        });
        assert_eq!(cyc, vec![Ident::new("c"), Ident::new("a"), Ident::new("b")]);
    }
}
