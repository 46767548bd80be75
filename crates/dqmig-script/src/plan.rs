//! Targets resolved against the graph, and upgrade/downgrade plans (Alembic's semantics).
//!
//! The database's state is its set of heads (the version table, one row per head,
//! as dqmig keeps it); what is applied is those heads with everything they need (parents and
//! dependencies). Upgrading to a target applies every unapplied revision the target needs,
//! parents and dependencies first. Downgrading to a target undoes every applied revision
//! that descends from it and that it does not need, children first; `X@base` undoes X and
//! what descends from it; `-N` undoes N revisions from the single head. Relative targets
//! need a single head. Each [`Step`] carries the heads before and after it, so the runner
//! can compare-and-swap the version table.

use super::{Graph, RevId, ScriptError, Target};
use std::collections::BTreeSet;

/// Which way a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Direction {
    Up,
    Down,
}

/// One revision applied (its up section) or undone (its down section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub revision: RevId,
    pub direction: Direction,
    /// The version table's rows before the step (sorted).
    pub heads_before: Vec<RevId>,
    /// The version table's rows after the step (sorted).
    pub heads_after: Vec<RevId>,
}

impl Graph {
    /// A full id, a branch label, or a unique id prefix.
    pub fn resolve_rev(&self, name: &str) -> Result<RevId, ScriptError> {
        if let Some(id) = RevId::parse(name)
            .ok()
            .filter(|id| self.nodes.contains_key(id))
        {
            return Ok(id);
        }
        if let Some(id) = self.labels.get(name) {
            return Ok(id.clone());
        }
        let found: Vec<RevId> = self
            .nodes
            .keys()
            .filter(|id| id.as_str().starts_with(name))
            .cloned()
            .collect();
        match found.len() {
            0 => Err(ScriptError::UnknownRevision {
                target: name.to_string(),
            }),
            1 => Ok(found[0].clone()),
            _ => Err(ScriptError::AmbiguousPrefix {
                prefix: name.to_string(),
                candidates: self.labels_of(&found),
            }),
        }
    }

    /// Checks the database's heads against the graph; returns what is applied.
    pub fn applied(&self, current: &[RevId]) -> Result<BTreeSet<RevId>, ScriptError> {
        for id in current {
            if !self.nodes.contains_key(id) {
                return Err(ScriptError::Unreachable {
                    target: id.to_string(),
                    reason: "the version table names this revision, but no file in the versions folder defines it; restore the file, or check the schema and run `dqmig stamp --purge REV` with REV a revision that exists (`--purge` replaces the version table's rows; `stamp` without it reads them first and stops here too)".into(),
                });
            }
        }
        let applied = self.ancestors_or_self(current);
        let heads = self.heads_of(&applied);
        let given: BTreeSet<&RevId> = current.iter().collect();
        if let Some(extra) = given.iter().find(|g| !heads.contains(g)) {
            return Err(ScriptError::Unreachable {
                target: extra.to_string(),
                reason: format!(
                    "the version table lists {} and also revisions after it ({}); it should list only heads; fix it with `dqmig stamp --purge REV` (REV: each head the database is at; `--purge` replaces the rows)",
                    self.label(extra),
                    self.labels_of(&heads)
                ),
            });
        }
        Ok(applied)
    }

    /// The revisions a target names, given the database's heads `current` (`base` names
    /// none). Checks `current` like [`Graph::applied`].
    pub fn resolve(&self, current: &[RevId], target: &Target) -> Result<Vec<RevId>, ScriptError> {
        let applied = self.applied(current)?;
        let heads = self.heads_of(&applied);
        let shown = target.to_string();
        Ok(match target {
            Target::Base => Vec::new(),
            Target::Heads => self.heads(),
            Target::Head => {
                let all = self.heads();
                if all.len() > 1 {
                    return Err(ScriptError::MultipleHeads {
                        target: shown,
                        heads: self.labels_of(&all),
                    });
                }
                all
            }
            Target::FromRev(name, _) | Target::BranchHead(name) | Target::BranchBase(name)
                if ["head", "heads", "base"].contains(&name.as_str()) && !self.labels.contains_key(name) =>
            {
                return Err(ScriptError::BadTarget {
                    target: shown,
                    reason: format!(
                        "`{name}` names no single revision to count from or to branch at; \
                         write `+N`/`-N` for steps from where the database is, REV+N/REV-N from a revision, \
                         or LABEL@head for a branch's head"
                    ),
                })
            }
            Target::Rev(name) => vec![self.resolve_rev(name)?],
            Target::BranchBase(name) => vec![self.resolve_rev(name)?],
            Target::BranchHead(name) => {
                let start = self.resolve_rev(name)?;
                let mut reach = BTreeSet::new();
                let mut todo = vec![start];
                while let Some(id) = todo.pop() {
                    if reach.insert(id.clone()) {
                        todo.extend(self.children(&id).iter().cloned());
                    }
                }
                let found: Vec<RevId> = self
                    .heads()
                    .into_iter()
                    .filter(|h| reach.contains(h))
                    .collect();
                if found.len() > 1 {
                    return Err(ScriptError::MultipleHeads {
                        target: shown,
                        heads: self.labels_of(&found),
                    });
                }
                found
            }
            Target::FromRev(name, n) => {
                let start = self.resolve_rev(name)?;
                self.walk(&shown, vec![start], *n)?
            }
            Target::Relative(n) => {
                if heads.len() > 1 {
                    return Err(ScriptError::MultipleHeads {
                        target: shown,
                        heads: self.labels_of(&heads),
                    });
                }
                if heads.is_empty() {
                    if *n < 0 {
                        return Err(ScriptError::Unreachable { target: shown, reason: "nothing is applied, so there is nothing before the current revision to go back to; `dqmig history --applied` shows what ran".into() });
                    }
                    let bases = self.bases();
                    if bases.len() > 1 {
                        return Err(ScriptError::Unreachable {
                            target: shown,
                            reason: format!("nothing is applied and there are several first revisions ({}); name one, e.g. `{}+{}`", self.labels_of(&bases), bases[0], n - 1),
                        });
                    }
                    if bases.is_empty() {
                        return Err(ScriptError::Unreachable {
                            target: shown,
                            reason: "there are no revisions".into(),
                        });
                    }
                    if *n == 1 {
                        bases
                    } else {
                        self.walk(&shown, bases, n - 1)?
                    }
                } else {
                    self.walk(&shown, heads, *n)?
                }
            }
        })
    }

    /// `n` steps from the single revision in `from`: forward along the one child, or back
    /// along the one parent (the last step back may land on several parents, or on base).
    fn walk(&self, shown: &str, from: Vec<RevId>, n: i64) -> Result<Vec<RevId>, ScriptError> {
        let mut at = from;
        let total = n.unsigned_abs();
        for done in 0..total {
            let unreachable = |reason: String| ScriptError::Unreachable {
                target: shown.to_string(),
                reason,
            };
            let [id] = at.as_slice() else {
                return Err(unreachable(if at.is_empty() {
                    format!("there are only {done} revisions before the starting point")
                } else {
                    format!("the walk reaches several revisions ({}) after {done} steps; name a revision instead", self.labels_of(&at))
                }));
            };
            if n > 0 {
                match self.children(id) {
                    [one] => at = vec![one.clone()],
                    [] => {
                        return Err(unreachable(format!(
                        "there are only {done} revisions after the starting point; {} is a head",
                        self.label(id)
                    )))
                    }
                    many => {
                        return Err(unreachable(format!(
                            "{} is a branch point with children {}; name the branch, e.g. `{}`",
                            self.label(id),
                            self.labels_of(many),
                            many[0]
                        )))
                    }
                }
            } else {
                let parents = self.parents(id);
                if parents.len() > 1 && done + 1 < total {
                    return Err(unreachable(format!(
                        "{} is a merge of {}; name a revision on one side instead",
                        self.label(id),
                        self.labels_of(parents)
                    )));
                }
                at = parents.to_vec();
            }
        }
        Ok(at)
    }

    /// The steps of an offline (`--sql`) run, which has no database to read a current
    /// revision from: `TARGET` starts from base (upgrade only); `FROM:TO` starts at FROM
    /// (taken as applied) and goes to TO (default: every head up, base down).
    ///
    /// # Errors
    /// A malformed target or range, an unknown revision; a downgrade without a range; a
    /// range that goes the other way ([`ScriptError::Unreachable`] naming the command to
    /// use).
    pub fn plan_offline(&self, text: &str, direction: Direction) -> Result<Vec<Step>, ScriptError> {
        let other = match direction {
            Direction::Up => "downgrade",
            Direction::Down => "upgrade",
        };
        let Some((from_text, to_text)) = text.split_once(':') else {
            if direction == Direction::Down {
                return Err(ScriptError::BadTarget {
                    target: text.to_string(),
                    reason: format!("downgrade --sql needs a range FROM:TO (e.g. `head:{text}` or `head:base`): without a database there is no current revision to start from"),
                });
            }
            return self.plan_upgrade(&[], &Target::parse(text)?);
        };
        let (from, to) = Target::parse_range(text)?;
        let start = match from {
            Some(t) => {
                let named = self.resolve(&[], &t)?;
                self.heads_of(&self.ancestors_or_self(&named))
            }
            None => Vec::new(),
        };
        let to = to.unwrap_or(match direction {
            Direction::Up => Target::Heads,
            Direction::Down => Target::Base,
        });
        // Where TO is, seen from FROM: a range whose end lies strictly on the other side of
        // its start goes the other way.
        let reach = self.ancestors_or_self(&self.resolve(&start, &to).unwrap_or_default());
        let from_set = self.ancestors_or_self(&start);
        let backwards = match direction {
            Direction::Up => reach.is_subset(&from_set) && reach != from_set,
            Direction::Down => from_set.is_subset(&reach) && reach != from_set,
        };
        if backwards {
            return Err(ScriptError::Unreachable {
                target: text.to_string(),
                reason: format!(
                    "the range goes the other way, from {from_text:?} back to {to_text:?}; that is `dqmig {other} --sql {text}`"
                ),
            });
        }
        match direction {
            Direction::Up => self.plan_upgrade(&start, &to),
            Direction::Down => self.plan_downgrade(&start, &to),
        }
    }

    /// The steps that bring a database at heads `current` up to `target`.
    pub fn plan_upgrade(
        &self,
        current: &[RevId],
        target: &Target,
    ) -> Result<Vec<Step>, ScriptError> {
        if matches!(target, Target::Relative(n) if *n < 0) {
            return Err(ScriptError::BadTarget {
                target: target.to_string(),
                reason: "a negative relative target goes back; use `dqmig downgrade`".into(),
            });
        }
        let applied = self.applied(current)?;
        let wanted = self.resolve(current, target)?;
        let todo: BTreeSet<RevId> = self
            .ancestors_or_self(&wanted)
            .difference(&applied)
            .cloned()
            .collect();
        let mut heads = self.heads_of(&applied);
        let mut steps = Vec::with_capacity(todo.len());
        for r in self.order_up(&todo) {
            let before = heads.clone();
            let parents = self.parents(&r);
            heads.retain(|h| !parents.contains(h));
            heads.push(r.clone());
            heads.sort();
            steps.push(Step {
                revision: r,
                direction: Direction::Up,
                heads_before: before,
                heads_after: heads.clone(),
            });
        }
        Ok(steps)
    }

    /// The steps that bring a database at heads `current` down to `target`.
    pub fn plan_downgrade(
        &self,
        current: &[RevId],
        target: &Target,
    ) -> Result<Vec<Step>, ScriptError> {
        if matches!(target, Target::Relative(n) if *n > 0) {
            return Err(ScriptError::BadTarget {
                target: target.to_string(),
                reason: "a positive relative target goes forward; use `dqmig upgrade`".into(),
            });
        }
        let mut applied = self.applied(current)?;
        let undo: BTreeSet<RevId> = match target {
            Target::Base => applied.clone(),
            Target::BranchBase(_) => {
                let from = self.resolve(current, target)?;
                self.descendants_or_self(&from)
                    .intersection(&applied)
                    .cloned()
                    .collect()
            }
            _ => {
                let keep = self.resolve(current, target)?;
                if keep.is_empty() {
                    // A walk back past the first revision: everything goes.
                    return self.plan_downgrade(current, &Target::Base);
                }
                if let Some(missing) = keep.iter().find(|k| !applied.contains(*k)) {
                    return Err(ScriptError::Unreachable {
                        target: target.to_string(),
                        reason: format!(
                            "{} is not applied (the database is at {}); to go there use `dqmig upgrade`",
                            self.label(missing),
                            if current.is_empty() { "base".to_string() } else { self.labels_of(&self.heads_of(&applied)) }
                        ),
                    });
                }
                let needed = self.ancestors_or_self(&keep);
                self.descendants_or_self(&keep)
                    .intersection(&applied)
                    .filter(|r| !needed.contains(*r))
                    .cloned()
                    .collect()
            }
        };
        let mut heads = self.heads_of(&applied);
        let mut order = self.order_up(&undo);
        order.reverse();
        let mut steps = Vec::with_capacity(order.len());
        for r in order {
            let before = heads.clone();
            applied.remove(&r);
            heads.retain(|h| *h != r);
            for p in self.parents(&r) {
                if !self.children(p).iter().any(|c| applied.contains(c)) && !heads.contains(p) {
                    heads.push(p.clone());
                }
            }
            heads.sort();
            steps.push(Step {
                revision: r,
                direction: Direction::Down,
                heads_before: before,
                heads_after: heads.clone(),
            });
        }
        Ok(steps)
    }

    /// The version table's rows after `dqmig stamp TARGET` (no SQL runs). With `purge` the
    /// current rows are ignored (and may name revisions no file defines): the result is the
    /// target's own heads. Otherwise the rows move as an upgrade to the target would move
    /// them, or a downgrade when the target is already applied, so other branches keep
    /// their heads.
    pub fn stamp_heads(
        &self,
        current: &[RevId],
        target: &Target,
        purge: bool,
    ) -> Result<Vec<RevId>, ScriptError> {
        if purge {
            let wanted = self.resolve(&[], target)?;
            return Ok(self.heads_of(&self.ancestors_or_self(&wanted)));
        }
        let applied = self.applied(current)?;
        let wanted = self.resolve(current, target)?;
        let steps = if *target != Target::Base && wanted.iter().any(|w| !applied.contains(w)) {
            self.plan_upgrade(current, target)?
        } else {
            self.plan_downgrade(current, target)?
        };
        Ok(steps
            .last()
            .map(|s| s.heads_after.clone())
            .unwrap_or_else(|| self.heads_of(&applied)))
    }

    /// The revisions of a range `lower:upper` (both ends included), newest first: what
    /// `upper` (default: every head) needs, that is `lower` (default: base) or comes after
    /// it. Relative ends are taken from `current`.
    pub fn range(
        &self,
        current: &[RevId],
        lower: Option<&Target>,
        upper: Option<&Target>,
    ) -> Result<Vec<RevId>, ScriptError> {
        let top = match upper {
            Some(t) => self.resolve(current, t)?,
            None => self.heads(),
        };
        let mut set = self.ancestors_or_self(&top);
        if let Some(t) = lower.filter(|t| **t != Target::Base) {
            let bottom = self.resolve(current, t)?;
            let after = self.descendants_or_self(&bottom);
            set.retain(|r| after.contains(r));
        }
        let mut out = self.order_up(&set);
        out.reverse();
        Ok(out)
    }
}
