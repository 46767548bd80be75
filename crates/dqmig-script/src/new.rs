//! The header of a new revision (`dqmig revision`, `dqmig merge`), decided against the
//! graph with Alembic's rules: the parent is the single head unless `--head` says
//! otherwise; a parent that is not a head needs `--splice` (it starts a branch); `--head
//! base` starts a new base; labels must be new and not ids; `--depends-on` entries must
//! resolve; a chosen `--rev-id` must be valid and unused. The id source and the creation
//! time are passed in.

use super::{validate_label, Graph, RevId, RevisionMeta, ScriptError, Target};

/// What `dqmig revision` was asked for.
#[derive(Debug, Clone, Default)]
pub struct NewRevision<'a> {
    pub message: &'a str,
    /// `--rev-id`; `None` draws a 12-hex id from the random source.
    pub rev_id: Option<&'a str>,
    /// `--head`: a target naming the parent (`head` when `None`; `base` for a new base).
    pub head: Option<&'a str>,
    /// `--splice`: allow a parent that is not a head (starts a branch).
    pub splice: bool,
    pub branch_labels: &'a [String],
    /// Ids, prefixes or labels; stored as full ids (labels as written).
    pub depends_on: &'a [String],
    /// RFC 3339 creation time ("now", injected).
    pub created: &'a str,
}

impl Graph {
    /// The header of a new revision, checked against the graph.
    pub fn new_revision(
        &self,
        req: &NewRevision<'_>,
        random: impl FnMut() -> u64,
    ) -> Result<RevisionMeta, ScriptError> {
        let head_text = req.head.unwrap_or("head");
        let head = Target::parse(head_text)?;
        let revises = match head {
            Target::Base => Vec::new(),
            _ => {
                let parents = self.resolve(&[], &head)?;
                if parents.is_empty() {
                    // No revisions yet: the first one is a base.
                    return self.finish_meta(req, Vec::new(), random);
                }
                let [parent] = parents.as_slice() else {
                    return Err(ScriptError::MultipleHeads {
                        target: head_text.to_string(),
                        heads: self.labels_of(&parents),
                    });
                };
                if !self.children(parent).is_empty() && !req.splice {
                    return Err(ScriptError::Unreachable {
                        target: head_text.to_string(),
                        reason: format!(
                            "{} is not a head (it is revised by {}); pass --splice to start a new branch from it",
                            self.label(parent),
                            self.labels_of(self.children(parent))
                        ),
                    });
                }
                vec![parent.clone()]
            }
        };
        self.finish_meta(req, revises, random)
    }

    /// The header of a merge revision of `targets` (e.g. `["heads"]`); needs two or more
    /// distinct revisions, none an ancestor of another.
    pub fn merge_revision(
        &self,
        targets: &[&str],
        req: &NewRevision<'_>,
        random: impl FnMut() -> u64,
    ) -> Result<RevisionMeta, ScriptError> {
        let mut parents: Vec<RevId> = Vec::new();
        for t in targets {
            for r in self.resolve(&[], &Target::parse(t)?)? {
                if !parents.contains(&r) {
                    parents.push(r);
                }
            }
        }
        let shown = targets.join(" ");
        if parents.len() < 2 {
            return Err(ScriptError::Unreachable {
                target: shown,
                reason: format!(
                    "a merge needs two or more revisions, and this names {}; name two or more (`dqmig heads` lists the heads)",
                    if parents.is_empty() {
                        "none".to_string()
                    } else {
                        self.labels_of(&parents)
                    }
                ),
            });
        }
        for p in &parents {
            let before: Vec<RevId> = self
                .ancestors_or_self([p])
                .into_iter()
                .filter(|a| a != p)
                .collect();
            if let Some(q) = parents.iter().find(|q| before.contains(q)) {
                return Err(ScriptError::Unreachable {
                    target: shown,
                    reason: format!(
                        "{} already comes before {}; merge only revisions on different branches",
                        self.label(q),
                        self.label(p)
                    ),
                });
            }
        }
        parents.sort();
        self.finish_meta(req, parents, random)
    }

    fn finish_meta(
        &self,
        req: &NewRevision<'_>,
        revises: Vec<RevId>,
        random: impl FnMut() -> u64,
    ) -> Result<RevisionMeta, ScriptError> {
        let revision = match req.rev_id {
            Some(id) => {
                let id = RevId::parse(id)?;
                if let Some(r) = self.get(&id) {
                    return Err(ScriptError::BadRevId {
                        id: id.to_string(),
                        reason: format!("{} already uses it; choose another id", r.file),
                    });
                }
                if let Some(owner) = self.labelled(id.as_str()) {
                    return Err(ScriptError::BadRevId {
                        id: id.to_string(),
                        reason: format!(
                            "it is a branch label of {}; choose another id",
                            self.label(owner)
                        ),
                    });
                }
                id
            }
            None => RevId::generate(random, |id| {
                self.get(id).is_some() || self.labelled(id.as_str()).is_some()
            })?,
        };
        let mut labels: Vec<String> = Vec::new();
        for l in req.branch_labels {
            validate_label(l)?;
            if let Some(owner) = self.labelled(l) {
                return Err(ScriptError::BadLabel {
                    label: l.clone(),
                    reason: format!("{} already has it", self.label(owner)),
                });
            }
            if RevId::parse(l).is_ok_and(|id| self.get(&id).is_some() || id == revision) {
                return Err(ScriptError::BadLabel {
                    label: l.clone(),
                    reason: "it is a revision id".into(),
                });
            }
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
        let mut depends_on: Vec<String> = Vec::new();
        for d in req.depends_on {
            let entry = if self.labelled(d).is_some() {
                d.clone()
            } else {
                self.resolve_rev(d)?.to_string()
            };
            if revises.iter().any(|p| p.as_str() == entry) {
                return Err(ScriptError::BadTarget {
                    target: d.clone(),
                    reason: "it is already a parent of the new revision".into(),
                });
            }
            if !depends_on.contains(&entry) {
                depends_on.push(entry);
            }
        }
        if !req.created.is_empty() && chrono::DateTime::parse_from_rfc3339(req.created).is_err() {
            return Err(ScriptError::BadTime {
                value: req.created.to_string(),
            });
        }
        Ok(RevisionMeta {
            revision,
            revises,
            message: req.message.to_string(),
            created: req.created.to_string(),
            branch_labels: labels,
            depends_on,
        })
    }
}
