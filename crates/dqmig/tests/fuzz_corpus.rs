//! Replays every fuzz target's committed inputs on stable, so `make test` keeps them
//! fixed: `fuzz/corpus/<target>/*` (the seed corpus, minimized) and
//! `fuzz/regressions/<target>/*` (every crash the fuzzers found, kept after its fix).
//! Each input goes through the same function the fuzz target calls; a failed property
//! panics, and the test names the file. How to run the fuzzers: fuzz/README.md.

use std::path::{Path, PathBuf};

type Body = fn(&[u8]);

const TARGETS: &[(&str, Body)] = &[
    ("wire", dqmig::client::fuzzing::wire),
    ("models_toml", dqmig::fuzzing::models_toml),
    ("schema_sql", dqmig::fuzzing::schema_sql),
    ("expr", dqmig::fuzzing::expr),
    ("url", dqmig::fuzzing::url),
    ("revision", dqmig::script::fuzzing::revision),
    ("split", dqmig::script::fuzzing::split),
    ("target", dqmig::script::fuzzing::target),
];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Every target has a committed seed corpus, and every committed input passes.
#[test]
fn fuzz_corpus_and_regressions_replay() {
    let root = fuzz_dir();
    let mut failures = Vec::new();
    for (target, body) in TARGETS {
        let corpus = inputs(&root.join("corpus").join(target));
        assert!(
            !corpus.is_empty(),
            "fuzz/corpus/{target} is empty or missing: commit a seed corpus for every target"
        );
        let regressions = inputs(&root.join("regressions").join(target));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("a readable input");
            if let Err(panic) = std::panic::catch_unwind(|| body(&data)) {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{target}: {}: {message}", file.display()));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} fuzz inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The list above and the fuzz crate's targets are the same set.
#[test]
fn every_fuzz_target_is_replayed() {
    let mut on_disk: Vec<String> = inputs(&fuzz_dir().join("fuzz_targets"))
        .iter()
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = TARGETS.iter().map(|(t, _)| t.to_string()).collect();
    listed.sort();
    assert_eq!(listed, on_disk);
}
