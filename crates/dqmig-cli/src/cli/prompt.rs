//! The rename prompt of `dqmig revision --autogenerate`: among what the diff would drop and
//! add, the plausible renames ([`rename_candidates`]) are offered one at a time and each
//! one accepted becomes a rename hint. Asking goes through the [`Ask`] seam: a dialoguer
//! prompt on the terminal ([`TerminalAsk`]), or a fixed answer in tests. The prompt runs only
//! when stdin is a terminal and `--no-prompt` is absent; `--rename` is its flag.

use dqmig::autogen::{rename_candidates, RenameCandidate, RenameHints};
use dqmig::schema::Schema;

use super::CliError;

/// Something that answers "is this a rename?".
pub trait Ask {
    /// `true` takes `candidate` as a rename; `false` leaves a drop plus an add.
    fn is_rename(&mut self, candidate: &RenameCandidate) -> Result<bool, CliError>;
}

/// The question asked for `candidate`.
pub fn question(candidate: &RenameCandidate) -> String {
    match candidate {
        RenameCandidate::Table { from, to } => format!(
            "Was table {} renamed to {}? (no: drop {} with its rows and create {})",
            from.quoted(),
            to.quoted(),
            from.quoted(),
            to.quoted()
        ),
        RenameCandidate::Column { table, from, to } => format!(
            "Was column {}.{} renamed to {}? (no: drop it with its values and add {})",
            table.quoted(),
            from.quoted(),
            to.quoted(),
            to.quoted()
        ),
    }
}

/// Asks on the terminal (stderr) with dialoguer; the default answer is no.
pub struct TerminalAsk;

impl Ask for TerminalAsk {
    fn is_rename(&mut self, candidate: &RenameCandidate) -> Result<bool, CliError> {
        dialoguer::Confirm::new()
            .with_prompt(question(candidate))
            .default(false)
            .interact()
            .map_err(|e| CliError::Prompt {
                question: question(candidate),
                source: Box::new(e),
            })
    }
}

/// Offers each plausible rename not covered by `hints` to `ask` until none is left, adding
/// the accepted ones to `hints`. Returns the declined ones.
pub fn ask_renames(
    current: &Schema,
    target: &Schema,
    hints: &mut RenameHints,
    ask: &mut dyn Ask,
) -> Result<Vec<RenameCandidate>, CliError> {
    let mut declined: Vec<RenameCandidate> = Vec::new();
    loop {
        let next = rename_candidates(current, target, hints)
            .into_iter()
            .find(|c| !declined.contains(c));
        let Some(candidate) = next else {
            return Ok(declined);
        };
        if ask.is_rename(&candidate)? {
            hints.accept(&candidate);
        } else {
            declined.push(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dqmig::models::load_sql_str;

    /// Answers from a list, recording the questions.
    struct Scripted {
        answers: Vec<bool>,
        asked: Vec<String>,
    }

    impl Ask for Scripted {
        fn is_rename(&mut self, c: &RenameCandidate) -> Result<bool, CliError> {
            self.asked.push(c.flag());
            Ok(if self.answers.is_empty() {
                false
            } else {
                self.answers.remove(0)
            })
        }
    }

    fn schemas() -> (Schema, Schema) {
        let a = load_sql_str("a.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, age INTEGER); CREATE TABLE old (x TEXT);").unwrap();
        let b = load_sql_str("b.sql", "CREATE TABLE t (id INTEGER PRIMARY KEY, full_name TEXT, years INTEGER); CREATE TABLE new (x TEXT);").unwrap();
        (a, b)
    }

    #[test]
    fn accepted_candidates_become_hints_and_declined_are_returned() {
        let (a, b) = schemas();
        let mut hints = RenameHints::new();
        let mut ask = Scripted {
            answers: vec![true, false, true],
            asked: vec![],
        };
        let declined = ask_renames(&a, &b, &mut hints, &mut ask).unwrap();
        assert_eq!(ask.asked, ["old=new", "t.name=full_name", "t.age=years"]);
        assert_eq!(declined.len(), 1);
        assert_eq!(declined[0].flag(), "t.name=full_name");
        let ops = dqmig::autogen::diff(&a, &b, &hints);
        let text: Vec<String> = ops.iter().map(|o| o.describe()).collect();
        assert!(
            text.iter()
                .any(|d| d.contains("rename") && d.contains("years")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|d| d.contains("rename") && d.contains("\"new\"")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|d| d.contains("drop") && d.contains("\"name\"")),
            "{text:?}"
        );
    }

    #[test]
    fn hinted_renames_are_not_asked() {
        let (a, b) = schemas();
        let mut hints = RenameHints::new();
        hints.add_flag("old=new").unwrap();
        hints.add_flag("t.name=full_name").unwrap();
        let mut ask = Scripted {
            answers: vec![],
            asked: vec![],
        };
        ask_renames(&a, &b, &mut hints, &mut ask).unwrap();
        assert_eq!(ask.asked, ["t.age=years"]);
        assert_eq!(hints.tables.len(), 1);
    }

    #[test]
    fn questions_say_what_no_means() {
        let c = RenameCandidate::Column {
            table: "t".into(),
            from: "a".into(),
            to: "b".into(),
        };
        assert!(question(&c).contains("drop it with its values"));
    }
}
