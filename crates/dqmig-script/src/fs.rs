//! The only I/O of the script layer: reading the revision files of a versions folder and
//! the template of a migrations folder, and writing a new revision file (never over an
//! existing one). Everything else in `script` is pure.

use super::{parse_revision, Revision, ScriptError, DEFAULT_TEMPLATE};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The template's file name inside the migrations folder.
pub const TEMPLATE_FILE: &str = "script.sql.tmpl";

/// Parses every `*.sql` file directly in `dir` (hidden files skipped), in file-name order.
pub fn load_dir(dir: &Path) -> Result<Vec<Revision>, ScriptError> {
    let paths = sql_files(dir)?;
    let mut out = Vec::with_capacity(paths.len());
    for path in paths {
        let text = read_text(&path, "reading revision file")?;
        out.push(parse_revision(&path.display().to_string(), &text)?);
    }
    Ok(out)
}

/// The revision files of `dir` that belong to revision `id` (an id or a prefix of one),
/// found without parsing them, so also when a file does not parse (for `dqmig edit`): a
/// file matches when its name starts with `id`, or when its first `-- revision:` line names
/// an id that starts with `id`. In file-name order.
///
/// # Errors
/// [`ScriptError::Io`] when the folder or a file cannot be read.
pub fn find_revision_files(dir: &Path, id: &str) -> Result<Vec<PathBuf>, ScriptError> {
    let id = id.trim();
    if id.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for path in sql_files(dir)? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let matches = name.starts_with(id) || {
            let text = read_text(&path, "reading revision file")?;
            text.lines()
                .find_map(|l| {
                    l.trim_start()
                        .strip_prefix("--")?
                        .trim_start()
                        .strip_prefix("revision:")
                })
                .is_some_and(|v| v.trim().starts_with(id))
        };
        if matches {
            out.push(path);
        }
    }
    Ok(out)
}

/// The `*.sql` files directly in `dir` (hidden files skipped), in file-name order.
fn sql_files(dir: &Path) -> Result<Vec<PathBuf>, ScriptError> {
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(io("reading the versions folder", dir))? {
        let path = entry
            .map_err(io("reading the versions folder", dir))?
            .path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || !name.ends_with(".sql") || !path.is_file() {
            continue;
        }
        paths.push(path);
    }
    paths.sort();
    Ok(paths)
}

/// The revision template of `migrations_dir` (`script.sql.tmpl`), or the default when the
/// folder has none.
pub fn read_template(migrations_dir: &Path) -> Result<String, ScriptError> {
    let path = migrations_dir.join(TEMPLATE_FILE);
    if !path.exists() {
        return Ok(DEFAULT_TEMPLATE.to_string());
    }
    read_text(&path, "reading the revision template")
}

/// A file's text; bytes that are not UTF-8 are an error at their line and byte offset.
pub fn read_text(path: &Path, action: &'static str) -> Result<String, ScriptError> {
    let bytes = fs::read(path).map_err(io(action, path))?;
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let at = e.utf8_error().valid_up_to();
        let line = bytes[..at].iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = bytes[..at].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        ScriptError::at(
            &path.display().to_string(),
            line,
            at - line_start + 1,
            format!(
                "the file is not UTF-8 text: byte 0x{:02x} at byte offset {at} of the file does not start a UTF-8 character; save the file as UTF-8",
                bytes[at]
            ),
        )
    })
}

/// Writes `text` to `dir/name`, refusing to replace an existing file. Returns the path.
pub fn write_revision(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ScriptError> {
    let path = dir.join(name);
    let err = |action: &'static str| {
        let path = path.display().to_string();
        move |source| ScriptError::Io {
            action,
            path,
            source,
        }
    };
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(err("creating revision file (it must not exist yet)"))?;
    f.write_all(text.as_bytes())
        .map_err(err("writing revision file"))?;
    f.sync_all().map_err(err("writing revision file"))?;
    Ok(path)
}

/// Wraps an I/O error with what was being done to which path.
fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> ScriptError {
    let path = path.display().to_string();
    move |source| ScriptError::Io {
        action,
        path,
        source,
    }
}
