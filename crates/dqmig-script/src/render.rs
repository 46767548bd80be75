//! Writing revision files: the template (kept in the migrations folder so users can change
//! it; the default is `templates/script.sql.tmpl`), file names and slugs.
//!
//! Template syntax: `${name}` is replaced by a value, `$$` writes a single `$`, any other
//! `$` is literal. Names: `revision`, `revises` (comma-separated), `message` (newlines
//! become spaces), `created`, `branch_labels`, `depends_on` (comma-separated), `up`, `down`
//! (the statements, separated by a blank line, each ending in `;`). A template line holding
//! `${branch_labels}` or `${depends_on}` is left out when that value is empty, and trailing
//! blanks are removed from every template line (never from the SQL put in for `${up}` or
//! `${down}`), so generated files are already in checksum-normal form.
//!
//! File names come from a pattern (dqmig.toml `file_template`, default
//! [`DEFAULT_FILE_TEMPLATE`]) with `%(rev)s`, `%(slug)s`, `%(year)s`, `%(month)s`,
//! `%(day)s`, `%(hour)s`, `%(minute)s`, `%(second)s` (the last six from `created`), plus
//! `.sql`.

use super::{parse_revision, Revision, RevisionMeta, ScriptError};

/// The default revision template, written into new migrations folders by `dqmig init`.
pub const DEFAULT_TEMPLATE: &str = include_str!("../../../templates/script.sql.tmpl");

/// The default file-name pattern: `<rev>_<slug>.sql`.
pub const DEFAULT_FILE_TEMPLATE: &str = "%(rev)s_%(slug)s";

/// The longest slug, in characters (cut at a `_` where one is near).
pub const SLUG_MAX: usize = 40;

const NAMES: [&str; 8] = [
    "revision",
    "revises",
    "message",
    "created",
    "branch_labels",
    "depends_on",
    "up",
    "down",
];

/// Checks that `text` (the template file `file`) only uses known placeholders and has the
/// ones a revision needs. `render_revision` itself never fails.
pub fn validate_template(file: &str, text: &str) -> Result<(), ScriptError> {
    let mut used = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        let mut col = 1;
        while let Some(i) = rest.find('$') {
            let after = &rest[i + 1..];
            col += rest[..i].chars().count();
            if let Some(tail) = after.strip_prefix('$') {
                rest = tail;
                col += 2;
                continue;
            }
            if let Some(inner) = after.strip_prefix('{') {
                let Some(close) = inner.find('}') else {
                    return Err(ScriptError::at(
                        file,
                        n + 1,
                        col,
                        "`${` without a closing `}`; write `$$` for a literal `$`",
                    ));
                };
                let name = &inner[..close];
                if !NAMES.contains(&name) {
                    return Err(ScriptError::at(
                        file,
                        n + 1,
                        col,
                        format!(
                            "unknown placeholder `${{{name}}}`; known: {}",
                            NAMES.map(|n| format!("${{{n}}}")).join(", ")
                        ),
                    ));
                }
                used.push(name);
                col += 3 + inner[..close].chars().count();
                rest = &inner[close + 1..];
            } else {
                col += 1;
                rest = after;
            }
        }
    }
    for needed in ["revision", "revises", "up", "down"] {
        if !used.contains(&needed) {
            return Err(ScriptError::at(
                file,
                1,
                1,
                format!("the template has no `${{{needed}}}`; a revision file needs it"),
            ));
        }
    }
    Ok(())
}

/// Checks a revision file before it is written: `template` (the text of the template file
/// `template_file`) must pass [`validate_template`], and `text`, rendered from it for `meta`
/// and to be written as `file`, must read back as a revision with `meta`'s header. A
/// template that, say, puts `BEGIN;`/`COMMIT;` around `${up}` would otherwise make a file
/// that every later command refuses. Returns the parsed revision.
///
/// # Errors
/// [`ScriptError::Invalid`] at the template's line for a bad placeholder;
/// [`ScriptError::BadTemplate`] naming the template, with what is wrong in the file it makes.
pub fn check_rendered(
    template_file: &str,
    template: &str,
    file: &str,
    text: &str,
    meta: &RevisionMeta,
) -> Result<Revision, ScriptError> {
    validate_template(template_file, template)?;
    let bad = |problem: ScriptError| ScriptError::BadTemplate {
        template: template_file.to_string(),
        problem: Box::new(problem),
    };
    let rev = parse_revision(file, text).map_err(bad)?;
    let got = &rev.meta;
    if got.revision != meta.revision
        || got.revises != meta.revises
        || got.branch_labels != meta.branch_labels
        || got.depends_on != meta.depends_on
    {
        let ids = |v: &[super::RevId]| v.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
        return Err(bad(ScriptError::at(
            file,
            1,
            1,
            format!(
                "its header reads as revision {} revising [{}] (labels [{}], depends on [{}]), not revision {} revising [{}] (labels [{}], depends on [{}]); keep the template's header lines `-- revision: ${{revision}}`, `-- revises: ${{revises}}`, `-- branch-labels: ${{branch_labels}}` and `-- depends-on: ${{depends_on}}`",
                got.revision,
                ids(&got.revises),
                got.branch_labels.join(", "),
                got.depends_on.join(", "),
                meta.revision,
                ids(&meta.revises),
                meta.branch_labels.join(", "),
                meta.depends_on.join(", "),
            ),
        )));
    }
    Ok(rev)
}

/// Renders a revision file from `template`. Statements are trimmed and get a `;` when they
/// do not end with one. Unknown placeholders stay as written (see [`validate_template`]).
pub fn render_revision(
    template: &str,
    rev: &RevisionMeta,
    up: &[String],
    down: &[String],
) -> String {
    let join = |v: &[String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let revises = rev
        .revises
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let message = rev
        .message
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let message = comment_text(&message);
    let value = |name: &str| -> Option<String> {
        Some(match name {
            "revision" => rev.revision.to_string(),
            "revises" => revises.clone(),
            "message" => message.clone(),
            "created" => rev.created.clone(),
            "branch_labels" => join(&rev.branch_labels),
            "depends_on" => join(&rev.depends_on),
            "up" => statements(up),
            "down" => statements(down),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(template.len() + 256);
    for line in template.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b.strip_suffix('\r').unwrap_or(b), "\n"),
            None => (line, ""),
        };
        if (body.contains("${branch_labels}") && rev.branch_labels.is_empty())
            || (body.contains("${depends_on}") && rev.depends_on.is_empty())
        {
            continue;
        }
        // Substitute in one pass; values are never re-scanned.
        let mut pieces: Vec<(String, bool)> = Vec::new(); // (text, is_sql)
        let mut rest = body;
        let mut literal = String::new();
        while let Some(i) = rest.find('$') {
            literal.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            if let Some(tail) = after.strip_prefix('$') {
                literal.push('$');
                rest = tail;
            } else if let Some((name, tail)) =
                after.strip_prefix('{').and_then(|a| a.split_once('}'))
            {
                match value(name) {
                    Some(v) => {
                        pieces.push((std::mem::take(&mut literal), false));
                        pieces.push((v, name == "up" || name == "down"));
                    }
                    None => {
                        literal.push_str("${");
                        literal.push_str(name);
                        literal.push('}');
                    }
                }
                rest = tail;
            } else {
                literal.push('$');
                rest = after;
            }
        }
        literal.push_str(rest);
        pieces.push((literal, false));
        // Trim trailing blanks of the template line, never inside SQL.
        let last_sql = pieces.iter().rposition(|(_, sql)| *sql);
        let mut text = String::new();
        for (k, (p, _)) in pieces.iter().enumerate() {
            text.push_str(p);
            if Some(k) == last_sql {
                let tail: String = pieces[k + 1..].iter().map(|(p, _)| p.as_str()).collect();
                text.push_str(tail.trim_end_matches([' ', '\t']));
                break;
            }
        }
        if last_sql.is_none() {
            text = text.trim_end_matches([' ', '\t']).to_string();
        }
        out.push_str(&text);
        out.push_str(newline);
    }
    // End with exactly one newline, as the checksum normal form does.
    let kept = out.trim_end_matches(['\n', ' ', '\t']).len();
    out.truncate(kept);
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn statements(stmts: &[String]) -> String {
    let mut parts = Vec::new();
    for s in stmts {
        let s = s.trim();
        if s.is_empty() {
            continue;
        }
        parts.push(if s.ends_with(';') {
            s.to_string()
        } else {
            format!("{s};")
        });
    }
    parts.join("\n\n")
}

/// `text` made safe for a `--` comment line of a revision file: a line break (or any other
/// control character but tab) would end the comment and turn the rest into SQL, so each is
/// written as an escape (`\n`, `\r`, `\u{1b}`). Names are data: a table called
/// `"a<newline>b"` is shown as `"a\nb"` in comments (its SQL keeps the real name).
pub fn comment_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push('\t'),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// The slug of a message: lowercase ASCII letters and digits, every other run of characters
/// one `_`, no `_` at either end, at most [`SLUG_MAX`] characters (cut at a `_` in the
/// last third when there is one).
pub fn slug(message: &str) -> String {
    let mut s = String::new();
    for c in message.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.is_empty() && !s.ends_with('_') {
            s.push('_');
        }
    }
    if s.len() > SLUG_MAX {
        let cut = s[..=SLUG_MAX]
            .rfind('_')
            .filter(|&i| i >= SLUG_MAX * 2 / 3)
            .unwrap_or(SLUG_MAX);
        s.truncate(cut);
    }
    s.trim_end_matches('_').to_string()
}

/// Checks a file-name pattern: known tokens only, `%(rev)s` present, no path separators,
/// and no leading `.` (the versions folder's hidden files are not revisions, so a file
/// named `.abc.sql` would be written and then never read).
pub fn validate_file_template(pattern: &str) -> Result<(), ScriptError> {
    if pattern.starts_with('.') {
        return Err(ScriptError::BadFileTemplate {
            template: pattern.to_string(),
            reason: "it starts with `.`, which makes hidden files that dqmig does not read as revisions; start it with a token such as %(rev)s".into(),
        });
    }
    expand(pattern, &|_| Some(String::new())).map(|_| ())
}

/// The file name (`<stem>.sql`) of a revision under `pattern`.
pub fn file_name(pattern: &str, rev: &RevisionMeta) -> Result<String, ScriptError> {
    let slug = slug(&rev.message);
    let date = chrono::DateTime::parse_from_rfc3339(&rev.created).ok();
    let stem = expand(pattern, &|token| {
        use chrono::{Datelike, Timelike};
        Some(match token {
            "rev" => rev.revision.to_string(),
            // An empty slug is marked, so its separator can go with it below.
            "slug" if slug.is_empty() => "\0".to_string(),
            "slug" => slug.clone(),
            _ => {
                let d = date?;
                match token {
                    "year" => format!("{:04}", d.year()),
                    "month" => format!("{:02}", d.month()),
                    "day" => format!("{:02}", d.day()),
                    "hour" => format!("{:02}", d.hour()),
                    "minute" => format!("{:02}", d.minute()),
                    _ => format!("{:02}", d.second()),
                }
            }
        })
    })?;
    let stem = if let Some(i) = stem.find('\0') {
        let (before, after) = (&stem[..i], &stem[i + 1..]);
        match before.strip_suffix(['_', '-']) {
            Some(b) => format!("{b}{after}"),
            None => format!(
                "{before}{}",
                after.strip_prefix(['_', '-']).unwrap_or(after)
            ),
        }
        .replace('\0', "")
    } else {
        stem
    };
    Ok(format!("{stem}.sql"))
}

const TOKENS: [&str; 8] = [
    "rev", "slug", "year", "month", "day", "hour", "minute", "second",
];

fn expand(pattern: &str, value: &dyn Fn(&str) -> Option<String>) -> Result<String, ScriptError> {
    let bad = |reason: String| ScriptError::BadFileTemplate {
        template: pattern.to_string(),
        reason,
    };
    if pattern.contains(['/', '\\']) || pattern.contains("..") {
        return Err(bad(
            "it must be a file name, without `/`, `\\` or `..`".into()
        ));
    }
    let mut out = String::new();
    let mut rest = pattern;
    let mut has_rev = false;
    while let Some(i) = rest.find("%(") {
        out.push_str(&rest[..i]);
        let Some((token, tail)) = rest[i + 2..].split_once(")s") else {
            return Err(bad(format!("`{}` is not a `%(name)s` token", &rest[i..])));
        };
        if !TOKENS.contains(&token) {
            return Err(bad(format!(
                "unknown token `%({token})s`; known: {}",
                TOKENS.map(|t| format!("%({t})s")).join(", ")
            )));
        }
        has_rev |= token == "rev";
        match value(token) {
            Some(v) => out.push_str(&v),
            None => return Err(bad(format!("`%({token})s` needs the revision's `created` time, which is missing or not RFC 3339"))),
        }
        rest = tail;
    }
    out.push_str(rest);
    if !has_rev {
        return Err(bad(
            "it has no `%(rev)s`; file names must contain the revision id".into(),
        ));
    }
    Ok(out)
}
