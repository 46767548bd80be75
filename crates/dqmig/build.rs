//! Copies the README's "Using it from Rust" section into OUT_DIR, where `lib.rs` includes it
//! as a doc test (only under `cargo test --doc`), so the README's example keeps compiling.

use std::path::Path;

fn main() {
    let readme = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    println!("cargo:rerun-if-changed={}", readme.display());
    let text = std::fs::read_to_string(&readme).unwrap_or_default();
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Using it from Rust"))
        .map(|s| format!("## {s}"))
        .unwrap_or_default();
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("readme_from_rust.md");
    std::fs::write(out, section).expect("writing the README section into OUT_DIR");
}
