//! Bodies of this crate's fuzz targets (`fuzz/fuzz_targets/*.rs` call them; the replay test
//! `crates/dqmig/tests/fuzz_corpus.rs` runs them over the committed corpus and every crash
//! found, on stable). Not part of the public API. Every property failure panics.

use super::{parse_revision, render_revision, split, RevId, RevisionMeta, Target};

/// Fuzz target `revision`: `data` (lossy UTF-8) as a revision file, and as a message.
///
/// Properties: parsing never panics; parsing is deterministic; every statement's text is a
/// piece of the file, in order, up before down; a header rendered back from the parsed
/// header reads as the same header. Rendering a file whose message is `data` (any newline,
/// `*/`, `--` or control character) gives a file that parses, with that one-line message
/// and no statement: a message can never leave its comment line.
pub fn revision(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(rev) = parse_revision("fuzz.sql", &text) {
        assert_eq!(
            parse_revision("fuzz.sql", &text).ok().as_ref(),
            Some(&rev),
            "parsing is not deterministic"
        );
        let mut at = 0;
        for s in rev.up.statements.iter().chain(&rev.down.statements) {
            let Some(i) = text[at..].find(s.sql.as_str()) else {
                panic!("statement {:?} is not in the file after byte {at}", s.sql)
            };
            at += i + s.sql.len();
        }
        let header = render_revision(super::DEFAULT_TEMPLATE, &rev.meta, &[], &[]);
        let again = parse_revision("fuzz.sql", &header)
            .unwrap_or_else(|e| panic!("the rendered header does not parse: {e}\n{header}"));
        assert_eq!(again.meta.revision, rev.meta.revision);
        assert_eq!(again.meta.revises, rev.meta.revises);
        assert_eq!(again.meta.branch_labels, rev.meta.branch_labels);
        assert_eq!(again.meta.depends_on, rev.meta.depends_on);
    }
    let meta = RevisionMeta {
        revision: RevId::parse("abc123").expect("a valid id"),
        revises: Vec::new(),
        message: text.to_string(),
        created: "2026-01-01T00:00:00Z".into(),
        branch_labels: Vec::new(),
        depends_on: Vec::new(),
    };
    let file = render_revision(super::DEFAULT_TEMPLATE, &meta, &[], &[]);
    let rev = parse_revision("fuzz.sql", &file)
        .unwrap_or_else(|e| panic!("a file with message {text:?} does not parse: {e}\n{file}"));
    assert!(
        rev.up.statements.is_empty() && rev.down.statements.is_empty(),
        "message {text:?} leaked SQL into the file:\n{file}"
    );
    assert!(!rev.meta.message.contains(['\n', '\r']));
}

/// Fuzz target `split`: `data` (lossy UTF-8) as the body of a section.
///
/// Properties: splitting never panics; each statement's text is a piece of the input, in
/// order, and only the last may lack its `;`; the statements joined again (one per line)
/// split into the same statements; the client's own statement counter sees at most one
/// statement in each (the runner sends them one by one or as a batch it counted).
pub fn split(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Some(stmts) = split_text(&text) else {
        return;
    };
    let mut at = 0;
    for (k, s) in stmts.iter().enumerate() {
        let Some(i) = text[at..].find(s.sql.as_str()) else {
            panic!("statement {:?} is not in the text after byte {at}", s.sql)
        };
        at += i + s.sql.len();
        assert!(
            s.terminated || k + 1 == stmts.len(),
            "statement {k} of {} has no `;` but is not the last: {:?}",
            stmts.len(),
            s.sql
        );
        let counted = dqmig_client::count_statements(&s.sql);
        assert!(
            counted <= 1,
            "the client counts {counted} statements in {:?}",
            s.sql
        );
    }
    let joined = stmts
        .iter()
        .map(|s| s.sql.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let again = split_text(&joined)
        .unwrap_or_else(|| panic!("the joined statements do not split again: {joined:?}"));
    let sqls = |v: &[super::Statement]| v.iter().map(|s| s.sql.clone()).collect::<Vec<_>>();
    assert_eq!(sqls(&again), sqls(&stmts), "re-split of {joined:?}");
}

fn split_text(text: &str) -> Option<Vec<super::Statement>> {
    let toks = split::tokenize("fuzz.sql", text).ok()?;
    let stmts = split::split("fuzz.sql", text, &toks).ok()?;
    Some(stmts.into_iter().map(|(s, _)| s).collect())
}

/// Fuzz target `target`: `data` (lossy UTF-8) as a migration target and as a range.
///
/// Properties: parsing never panics; a parsed target prints as text that parses to the
/// same target; the same for both sides of a range.
pub fn target(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = Target::parse(&text) {
        let printed = t.to_string();
        assert_eq!(
            Target::parse(&printed).ok(),
            Some(t.clone()),
            "{text:?} parsed as {t:?}, printed as {printed:?}"
        );
    }
    if let Ok((a, b)) = Target::parse_range(&text) {
        let side = |t: &Option<Target>| t.as_ref().map(Target::to_string).unwrap_or_default();
        let printed = format!("{}:{}", side(&a), side(&b));
        assert_eq!(
            Target::parse_range(&printed).ok(),
            Some((a.clone(), b.clone())),
            "{text:?} parsed as {a:?}:{b:?}, printed as {printed:?}"
        );
    }
}
