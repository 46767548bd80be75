//! The revision graph (Alembic's model): each revision revises zero parents (a base), one,
//! or several (a merge); `depends-on` adds ordering edges to other branches without making
//! them parents. Heads are revisions no other revision revises. Built once from the parsed
//! files, checked for duplicate ids, missing parents and dependencies, label clashes and
//! cycles, each error naming the files involved.

use super::{RevId, Revision, ScriptError};
use std::collections::{BTreeMap, BTreeSet};

pub(crate) struct Node {
    pub rev: Revision,
    pub parents: Vec<RevId>,
    /// Resolved `depends-on` (labels turned into ids).
    pub deps: Vec<RevId>,
    /// Revisions that revise this one.
    pub children: Vec<RevId>,
    /// Revisions that depend on this one.
    pub dependents: Vec<RevId>,
}

/// A checked revision graph.
pub struct Graph {
    pub(crate) nodes: BTreeMap<RevId, Node>,
    pub(crate) labels: BTreeMap<String, RevId>,
}

impl Graph {
    /// Builds and checks the graph of `revisions`.
    pub fn from_revisions(revisions: Vec<Revision>) -> Result<Graph, ScriptError> {
        let mut nodes: BTreeMap<RevId, Node> = BTreeMap::new();
        for rev in revisions {
            let id = rev.id().clone();
            if let Some(first) = nodes.get(&id) {
                return Err(ScriptError::DuplicateRevision {
                    id: id.to_string(),
                    first: first.rev.file.clone(),
                    second: rev.file,
                });
            }
            let parents = rev.meta.revises.clone();
            nodes.insert(
                id,
                Node {
                    rev,
                    parents,
                    deps: Vec::new(),
                    children: Vec::new(),
                    dependents: Vec::new(),
                },
            );
        }
        let mut labels: BTreeMap<String, RevId> = BTreeMap::new();
        for (id, n) in &nodes {
            for label in &n.rev.meta.branch_labels {
                let as_id = RevId::parse(label).ok();
                if let Some(other) = as_id.as_ref().and_then(|l| nodes.get(l)) {
                    return Err(ScriptError::LabelIsRevision {
                        file: n.rev.file.clone(),
                        line: n.rev.labels_line,
                        label: label.clone(),
                        other: format!("{} ({})", other.rev.id(), other.rev.file),
                    });
                }
                if let Some(first) = labels.get(label) {
                    return Err(ScriptError::DuplicateLabel {
                        label: label.clone(),
                        first: nodes[first].rev.file.clone(),
                        second: n.rev.file.clone(),
                    });
                }
                labels.insert(label.clone(), id.clone());
            }
        }
        let mut edges: Vec<(RevId, RevId, bool)> = Vec::new(); // (from, to, is_parent)
        for (id, n) in &nodes {
            for p in &n.parents {
                if !nodes.contains_key(p) {
                    return Err(ScriptError::MissingParent {
                        file: n.rev.file.clone(),
                        line: n.rev.revises_line,
                        revision: id.to_string(),
                        parent: p.to_string(),
                    });
                }
                edges.push((p.clone(), id.clone(), true));
            }
            for d in &n.rev.meta.depends_on {
                let target = RevId::parse(d)
                    .ok()
                    .filter(|d| nodes.contains_key(d))
                    .or_else(|| labels.get(d).cloned());
                let Some(target) = target else {
                    return Err(ScriptError::MissingDependency {
                        file: n.rev.file.clone(),
                        line: n.rev.depends_on_line,
                        revision: id.to_string(),
                        dependency: d.clone(),
                    });
                };
                if !edges.iter().any(|(f, t, _)| *f == target && t == id) {
                    edges.push((target, id.clone(), false));
                }
            }
        }
        for (from, to, is_parent) in edges {
            if let Some(n) = nodes.get_mut(&to) {
                if !is_parent {
                    n.deps.push(from.clone());
                }
            }
            if let Some(n) = nodes.get_mut(&from) {
                if is_parent {
                    n.children.push(to)
                } else {
                    n.dependents.push(to)
                }
            }
        }
        for n in nodes.values_mut() {
            n.children.sort();
            n.dependents.sort();
        }
        let g = Graph { nodes, labels };
        g.check_cycles()?;
        Ok(g)
    }

    /// Depth-first search over parent and dependency edges; reports the first cycle found.
    fn check_cycles(&self) -> Result<(), ScriptError> {
        #[derive(Clone, Copy, PartialEq)]
        enum Mark {
            New,
            Open,
            Done,
        }
        let mut mark: BTreeMap<&RevId, Mark> = self.nodes.keys().map(|k| (k, Mark::New)).collect();
        for start in self.nodes.keys() {
            if mark[start] != Mark::New {
                continue;
            }
            // Iterative DFS: stack of (node, next edge index).
            let mut stack: Vec<(&RevId, usize)> = vec![(start, 0)];
            mark.insert(start, Mark::Open);
            while let Some(&mut (id, ref mut next)) = stack.last_mut() {
                let n = &self.nodes[id];
                let edge = n.parents.iter().chain(&n.deps).nth(*next);
                *next += 1;
                match edge {
                    None => {
                        mark.insert(id, Mark::Done);
                        stack.pop();
                    }
                    Some(to) => match mark[to] {
                        Mark::Done => {}
                        Mark::New => {
                            mark.insert(to, Mark::Open);
                            stack.push((to, 0));
                        }
                        Mark::Open => {
                            let from = stack.iter().position(|(s, _)| *s == to).unwrap_or(0);
                            let members: Vec<&RevId> =
                                stack[from..].iter().map(|(s, _)| *s).collect();
                            // The stack walks child → parent; show it oldest first.
                            let mut shown: Vec<String> =
                                members.iter().rev().map(|m| self.label(m)).collect();
                            shown.push(self.label(members.last().copied().unwrap_or(to)));
                            return Err(ScriptError::Cycle {
                                path: shown.join(" → "),
                                files: members
                                    .iter()
                                    .map(|m| self.nodes[*m].rev.file.clone())
                                    .collect(),
                            });
                        }
                    },
                }
            }
        }
        Ok(())
    }

    /// `id (file)`, for messages.
    pub(crate) fn label(&self, id: &RevId) -> String {
        match self.nodes.get(id) {
            Some(n) => format!("{id} ({})", n.rev.file),
            None => id.to_string(),
        }
    }

    pub(crate) fn labels_of(&self, ids: &[RevId]) -> String {
        ids.iter()
            .map(|i| self.label(i))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The revision with this full id.
    pub fn get(&self, id: &RevId) -> Option<&Revision> {
        self.nodes.get(id).map(|n| &n.rev)
    }

    /// Every revision, by id.
    pub fn revisions(&self) -> impl Iterator<Item = &Revision> {
        self.nodes.values().map(|n| &n.rev)
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Revisions no revision revises, by id.
    pub fn heads(&self) -> Vec<RevId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.children.is_empty())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Revisions that revise nothing, by id.
    pub fn bases(&self) -> Vec<RevId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.parents.is_empty())
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Branch points: revisions revised by more than one revision, by id.
    pub fn branch_points(&self) -> Vec<RevId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.children.len() > 1)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Merges: revisions with more than one parent, by id.
    pub fn merges(&self) -> Vec<RevId> {
        self.nodes
            .iter()
            .filter(|(_, n)| n.parents.len() > 1)
            .map(|(id, _)| id.clone())
            .collect()
    }

    /// Parents of `id` (its `revises:`).
    pub fn parents(&self, id: &RevId) -> &[RevId] {
        self.nodes
            .get(id)
            .map(|n| n.parents.as_slice())
            .unwrap_or(&[])
    }

    /// Revisions that revise `id`.
    pub fn children(&self, id: &RevId) -> &[RevId] {
        self.nodes
            .get(id)
            .map(|n| n.children.as_slice())
            .unwrap_or(&[])
    }

    /// Resolved dependencies of `id` (its `depends-on:`, labels turned into ids).
    pub fn dependencies(&self, id: &RevId) -> &[RevId] {
        self.nodes.get(id).map(|n| n.deps.as_slice()).unwrap_or(&[])
    }

    /// The revision carrying branch label `label`.
    pub fn labelled(&self, label: &str) -> Option<&RevId> {
        self.labels.get(label)
    }

    /// `ids` and everything they need (parents and dependencies, transitively).
    pub fn ancestors_or_self<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a RevId>,
    ) -> BTreeSet<RevId> {
        self.closure(ids, |n| n.parents.iter().chain(&n.deps))
    }

    /// `ids` and everything that needs them (children and dependents, transitively).
    pub fn descendants_or_self<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a RevId>,
    ) -> BTreeSet<RevId> {
        self.closure(ids, |n| n.children.iter().chain(&n.dependents))
    }

    fn closure<'a, 'g, I: Iterator<Item = &'g RevId>>(
        &'g self,
        ids: impl IntoIterator<Item = &'a RevId>,
        next: impl Fn(&'g Node) -> I,
    ) -> BTreeSet<RevId> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<RevId> = ids
            .into_iter()
            .filter(|i| self.nodes.contains_key(*i))
            .cloned()
            .collect();
        while let Some(id) = todo.pop() {
            if seen.insert(id.clone()) {
                if let Some(n) = self.nodes.get(&id) {
                    todo.extend(next(n).filter(|x| !seen.contains(*x)).cloned());
                }
            }
        }
        seen
    }

    /// Every revision, oldest first: parents and dependencies before what needs them,
    /// finishing a branch before starting another (ties by `created`, then id).
    pub fn topological(&self) -> Vec<RevId> {
        let all: BTreeSet<RevId> = self.nodes.keys().cloned().collect();
        self.order_up(&all)
    }

    /// Sort key among ready revisions.
    fn key<'a>(&'a self, id: &'a RevId) -> (&'a str, &'a RevId) {
        (
            self.nodes
                .get(id)
                .map(|n| n.rev.meta.created.as_str())
                .unwrap_or(""),
            id,
        )
    }

    /// `set` in an order that applies parents and dependencies first, staying on the branch
    /// of the last revision when it can.
    pub(crate) fn order_up(&self, set: &BTreeSet<RevId>) -> Vec<RevId> {
        let mut waiting: BTreeMap<&RevId, usize> = set
            .iter()
            .map(|id| {
                (
                    id,
                    self.nodes[id]
                        .parents
                        .iter()
                        .chain(&self.nodes[id].deps)
                        .filter(|p| set.contains(*p))
                        .count(),
                )
            })
            .collect();
        let mut ready: BTreeSet<&RevId> = waiting
            .iter()
            .filter(|(_, c)| **c == 0)
            .map(|(id, _)| *id)
            .collect();
        let mut out: Vec<RevId> = Vec::with_capacity(set.len());
        while !ready.is_empty() {
            let last = out.last().and_then(|l| self.nodes.get(l));
            let pick = last
                .and_then(|n| {
                    n.children
                        .iter()
                        .chain(&n.dependents)
                        .filter(|c| ready.contains(c))
                        .min_by_key(|c| self.key(c))
                })
                .or_else(|| ready.iter().copied().min_by_key(|c| self.key(c)));
            let Some(pick) = pick else { break };
            let pick = pick.clone();
            ready.remove(&pick);
            let n = &self.nodes[&pick];
            for c in n.children.iter().chain(&n.dependents) {
                if let Some(w) = waiting.get_mut(c) {
                    *w -= 1;
                    if *w == 0 {
                        ready.insert(c);
                    }
                }
            }
            out.push(pick);
        }
        out
    }

    /// The heads a database holding the ancestor-closed set `applied` records in its version
    /// table: the applied revisions that no applied revision revises (a dependency stays a
    /// head of its own branch, as in [`Graph::heads`]).
    pub fn heads_of(&self, applied: &BTreeSet<RevId>) -> Vec<RevId> {
        applied
            .iter()
            .filter(|id| {
                self.nodes
                    .get(*id)
                    .is_some_and(|n| !n.children.iter().any(|c| applied.contains(c)))
            })
            .cloned()
            .collect()
    }
}
