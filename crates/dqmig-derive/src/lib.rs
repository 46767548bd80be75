//! Procedural macros of dqmig (`embed_migrations!`). Used through the re-exports in `dqmig`, never
//! directly.
//!
//! `#[derive(Model)]` (module `model`) implements `dqmig::orm::Model` for a struct: see the
//! `dqmig::orm` docs for the attributes. `#[derive(DbEnum)]` (module `db_enum`) makes a
//! fieldless enum a model field type, stored as its variants' names.
//!
//! `embed_migrations!("migrations")` lists `migrations/versions/*.sql` (relative to the
//! crate's `Cargo.toml`, or an absolute path) while the application is compiled and expands
//! to `::dqmig::migrator::Migrator::from_embedded(&[("versions/NAME.sql",
//! include_str!("/abs/path/NAME.sql")), ...])`. Every file is parsed and the revision graph
//! checked while compiling (with `dqmig-script`, the parser the runtime uses): a malformed
//! file is a compile error naming the file and line. `include_str!` makes cargo rebuild
//! when a listed file changes; for cargo to notice a file added to the folder, the crate's
//! `build.rs` says `println!("cargo:rerun-if-changed=migrations");` (the README's recipe).

use proc_macro::TokenStream;
use std::path::{Path, PathBuf};

mod db_enum;
mod model;

/// `#[derive(Model)]` for `dqmig::orm::Model` (documented there, with the attributes).
#[proc_macro_derive(Model, attributes(dqmig))]
pub fn derive_model(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match model::derive(input) {
        Ok(code) => code.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// `#[derive(DbEnum)]` for a fieldless enum used as a model field (`dqmig::orm::DbEnum`).
#[proc_macro_derive(DbEnum, attributes(dqmig))]
pub fn derive_db_enum(input: TokenStream) -> TokenStream {
    let input = syn::parse_macro_input!(input as syn::DeriveInput);
    match db_enum::derive(input) {
        Ok(code) => code.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Embeds the revision files of a migrations folder; evaluates to
/// `Result<dqmig::migrator::Migrator, dqmig::runner::RunError>`.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    match expand(input) {
        Ok(code) => code
            .parse()
            .unwrap_or_else(|_| error("embed_migrations!: internal error building the expansion")),
        Err(message) => error(&message),
    }
}

fn error(message: &str) -> TokenStream {
    format!("::core::compile_error!({message:?})")
        .parse()
        .unwrap_or_default()
}

/// The folder named by the single string literal in `input`.
fn folder(input: TokenStream) -> Result<String, String> {
    let usage = "embed_migrations! takes one string literal: the migrations folder (holding versions/), relative to Cargo.toml, e.g. embed_migrations!(\"migrations\")";
    let tokens: Vec<_> = input.into_iter().collect();
    let [proc_macro::TokenTree::Literal(lit)] = tokens.as_slice() else {
        return Err(usage.to_string());
    };
    let text = lit.to_string();
    let inner = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .or_else(|| text.strip_prefix("r\"").and_then(|t| t.strip_suffix('"')))
        .ok_or_else(|| usage.to_string())?;
    if inner.contains('\\') {
        return Err("embed_migrations!: escapes are not supported in the folder name; write the path plainly".into());
    }
    Ok(inner.to_string())
}

fn expand(input: TokenStream) -> Result<String, String> {
    let given = folder(input)?;
    let base = std::env::var("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .map_err(|_| {
            "embed_migrations!: CARGO_MANIFEST_DIR is not set; build with cargo".to_string()
        })?;
    let root = if Path::new(&given).is_absolute() {
        PathBuf::from(&given)
    } else {
        base.join(&given)
    };
    let files = checked_files(&root)?;
    let mut code = String::from("::dqmig::migrator::Migrator::from_embedded(&[");
    for (name, abs) in files {
        code.push_str(&format!(
            "({:?}, ::core::include_str!({abs:?})),",
            format!("versions/{name}")
        ));
    }
    code.push_str("])");
    Ok(code)
}

/// The `.sql` files of `root/versions` as (file name, absolute path), sorted, each parsed
/// and the revision graph checked; the error names the file and line.
fn checked_files(root: &Path) -> Result<Vec<(String, String)>, String> {
    let versions = root.join("versions");
    let entries = std::fs::read_dir(&versions).map_err(|e| format!("embed_migrations!: reading {}: {e}; the folder must hold a versions/ folder (create it with `dqmig init`)", versions.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|e| format!("embed_migrations!: reading {}: {e}", versions.display()))?
            .path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if name.starts_with('.') || !name.ends_with(".sql") || !path.is_file() {
            continue;
        }
        let Some(abs) = path.to_str().map(str::to_string) else {
            return Err(format!(
                "embed_migrations!: {} is not valid UTF-8",
                path.display()
            ));
        };
        files.push((name, abs));
    }
    files.sort();
    // The same checks the runtime makes, now: a bad file fails the build, not the app.
    let mut revisions = Vec::new();
    for (_, abs) in &files {
        let text = std::fs::read_to_string(abs)
            .map_err(|e| format!("embed_migrations!: reading {abs}: {e}"))?;
        let revision = dqmig_script::parse_revision(abs, &text)
            .map_err(|e| format!("embed_migrations!: {e}"))?;
        revisions.push(revision);
    }
    dqmig_script::Graph::from_revisions(revisions)
        .map_err(|e| format!("embed_migrations!: {e}"))?;
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("versions")).unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join("versions").join(name), text).unwrap();
        }
        dir
    }

    const GOOD: &str = "-- revision: a1b2c3d4e5f6\n-- revises:\n-- message: m\n\n-- migrate:up\nCREATE TABLE t (x);\n\n-- migrate:down\nDROP TABLE t;\n";

    #[test]
    fn good_files_are_listed_and_bad_ones_name_file_and_line() {
        let ok = folder_with(&[("a1b2c3d4e5f6_m.sql", GOOD), ("notes.txt", "ignored")]);
        let files = checked_files(ok.path()).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, "a1b2c3d4e5f6_m.sql");

        let bad = folder_with(&[(
            "a1b2c3d4e5f6_m.sql",
            &GOOD.replace("CREATE TABLE t (x);", "CREATE TABLE t (x);\nCOMMIT;"),
        )]);
        let err = checked_files(bad.path()).unwrap_err();
        assert!(err.contains("a1b2c3d4e5f6_m.sql:7"), "{err}");

        let orphan = folder_with(&[(
            "a1b2c3d4e5f6_m.sql",
            &GOOD.replace("-- revises:", "-- revises: 0123456789ab"),
        )]);
        let err = checked_files(orphan.path()).unwrap_err();
        assert!(err.contains("0123456789ab"), "{err}");
    }
}
