//! `dqmig.toml`: where the database, the migrations and the models are, the
//! names of dqmig's own tables, the transaction mode, table filters and the revision
//! file-name template. Owns reading and checking the file (unknown keys and bad values are
//! errors naming the key and its line) and the URL precedence `--url`, `DQMIG_URL`,
//! `dqmig.toml`. Paths in the file are relative to the file's folder.
//!
//! ```toml
//! url = "dqlite:///127.0.0.1:9001/./.dqmig/app.db"
//! migrations = "migrations"              # holds versions/ and script.sql.tmpl
//! models = "models.toml"                 # or: schema = "schema.sql"
//!                                        # or: models_command = "cargo run -q --bin models"
//! models_command_timeout = 120           # seconds the models command may run (default 120)
//! version_table = "dqmig_version"        # history goes to dqmig_history
//! transaction = "per-step"               # or "all": one transaction around the whole run
//! include_tables = ["*"]                 # patterns (`*`, `?`, `[a-z]`) on table names
//! exclude_tables = ["tmp_*"]
//! file_template = "%(rev)s_%(slug)s"
//!
//! [tls]                                  # mutual TLS to the nodes (and of an embedded node)
//! ca = "certs/ca.pem"
//! cert = "certs/client.pem"
//! key = "certs/client-key.pem"
//! # server_name = "dqlite"               # name to verify instead of the host dialled
//! ```
//!
//! The `[tls]` keys apply to whichever URL is used; the URL's own `?tls-...` query and the
//! command line's `--tls-...` flags override them key by key.
//!
//! The history table is named after the version table: a name ending in `_version` has that
//! suffix replaced by `_history` (`dqmig_version` → `dqmig_history`, `app_version` →
//! `app_history`); any other name gets `_history` appended (`migrations` →
//! `migrations_history`). See [`history_table_for`].

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::script::validate_file_template;
use crate::url::{DbUrl, UrlError};

/// The config file's usual name.
pub const CONFIG_FILE: &str = "dqmig.toml";
/// Default version table name.
pub const DEFAULT_VERSION_TABLE: &str = "dqmig_version";
/// Default migrations folder (relative to the config file).
pub const DEFAULT_MIGRATIONS: &str = "migrations";

/// Errors of reading `dqmig.toml` or choosing the database URL.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error(
        "reading config file {path}: {source}; create one with `dqmig init` or pass -c/--config"
    )]
    Read {
        path: String,
        source: std::io::Error,
    },

    /// A problem at a place in the file (unknown key, wrong type, bad value).
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: usize,
        column: usize,
        message: String,
    },

    /// `--url` was given blank (`--url ""`, often an unset shell variable): refused rather
    /// than falling back to another database.
    #[error("--url is empty: pass a database URL (e.g. --url dqlite://127.0.0.1:9001/app.db), or leave --url out to use DQMIG_URL or the `url` in {CONFIG_FILE}")]
    BlankCliUrl,

    /// No URL anywhere.
    #[error("no database URL given: pass --url, set DQMIG_URL, or put `url = \"dqlite:///127.0.0.1:9001/./.dqmig/app.db\"` in {CONFIG_FILE}")]
    NoUrl,

    /// The chosen URL does not parse; `source` says which of the three places it came from.
    #[error("database URL from {from}: {source}")]
    Url { from: String, source: UrlError },
}

/// Where autogenerate reads the target schema from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModelsSource {
    /// A models TOML file (absolute path).
    Toml(PathBuf),
    /// A schema.sql file (absolute path).
    Sql(PathBuf),
    /// A shell command printing models TOML, run in the config file's folder.
    Command(String),
}

/// `per-step` (default) or `all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub enum TransactionMode {
    /// One transaction per revision, each committed through Raft before the next starts.
    #[default]
    PerStep,
    /// One transaction around every step of a run.
    All,
}

impl TransactionMode {
    /// Parses `per-step` / `all`.
    pub fn parse(text: &str) -> Option<TransactionMode> {
        match text {
            "per-step" => Some(TransactionMode::PerStep),
            "all" => Some(TransactionMode::All),
            _ => None,
        }
    }
}

/// A checked `dqmig.toml`, paths made absolute against its folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from (`None` for [`Config::default_in`]).
    pub file: Option<PathBuf>,
    /// The folder paths are relative to.
    pub dir: PathBuf,
    /// The URL as written (parsed and resolved by [`Config::database_url`]).
    pub url: Option<String>,
    /// The migrations folder (holds `versions/` and the revision template).
    pub migrations: PathBuf,
    pub models: Option<ModelsSource>,
    /// How long `models_command` may run before it is killed (`models_command_timeout`,
    /// whole seconds; default [`crate::models::DEFAULT_MODELS_COMMAND_TIMEOUT`], 120 s).
    pub models_command_timeout: std::time::Duration,
    pub version_table: String,
    pub history_table: String,
    pub transaction: TransactionMode,
    /// Table patterns; empty means every table.
    pub include_tables: Vec<TablePattern>,
    /// Table patterns left out (after `include_tables`).
    pub exclude_tables: Vec<TablePattern>,
    pub file_template: String,
    /// The `[tls]` table, paths made absolute (empty without one).
    pub tls: crate::tls::TlsPaths,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    url: Option<Spanned<String>>,
    migrations: Option<Spanned<String>>,
    models: Option<Spanned<String>>,
    schema: Option<Spanned<String>>,
    models_command: Option<Spanned<String>>,
    models_command_timeout: Option<Spanned<i64>>,
    version_table: Option<Spanned<String>>,
    transaction: Option<Spanned<String>>,
    include_tables: Option<Vec<Spanned<String>>>,
    exclude_tables: Option<Vec<Spanned<String>>>,
    file_template: Option<Spanned<String>>,
    tls: Option<RawTls>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    ca: Option<Spanned<String>>,
    cert: Option<Spanned<String>>,
    key: Option<Spanned<String>>,
    server_name: Option<Spanned<String>>,
}

/// 1-based line and column of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map(|i| before[i + 1..].chars().count())
        .unwrap_or(before.chars().count())
        + 1;
    (line, col)
}

/// The history table's name for a version table (see the module docs).
pub fn history_table_for(version_table: &str) -> String {
    match version_table.strip_suffix("_version") {
        Some(stem) if !stem.is_empty() => format!("{stem}_history"),
        _ => format!("{version_table}_history"),
    }
}

/// One pattern of `include_tables`/`exclude_tables`: `*` matches any run of characters,
/// `?` one character, `[abc]`/`[a-z]`/`[!abc]` one character of (or not of) a set; letters
/// are compared with ASCII case folding, as SQLite compares table names. `[[]`, `[*]` and
/// `[?]` match the characters `[`, `*` and `?` themselves. Matching is done by the `glob`
/// crate; a run of `*` means the same as one `*` (table names have no path separators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TablePattern {
    text: String,
    pattern: glob::Pattern,
}

impl TablePattern {
    const OPTIONS: glob::MatchOptions = glob::MatchOptions {
        case_sensitive: false,
        require_literal_separator: false,
        require_literal_leading_dot: false,
    };

    /// Compiles `text`.
    ///
    /// # Errors
    /// A message saying what is wrong and where, e.g. for an unclosed `[`.
    pub fn new(text: &str) -> Result<TablePattern, String> {
        // glob reads `**` as "any path components" and refuses it next to other characters;
        // on table names it would mean what `*` means.
        let mut collapsed = String::with_capacity(text.len());
        for c in text.chars() {
            if !(c == '*' && collapsed.ends_with('*')) {
                collapsed.push(c);
            }
        }
        let pattern = glob::Pattern::new(&collapsed)
            .map_err(|e| format!("{} at character {}", e.msg, e.pos + 1))?;
        Ok(TablePattern {
            text: text.to_string(),
            pattern,
        })
    }

    /// Whether table `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        self.pattern.matches_with(name, Self::OPTIONS)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for TablePattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Whether `name` matches the table pattern `pattern` (see [`TablePattern`]); a malformed
/// pattern matches nothing.
pub fn glob_match(pattern: &str, name: &str) -> bool {
    TablePattern::new(pattern).is_ok_and(|p| p.matches(name))
}

/// The models file used when dqmig.toml names none (`models`, `schema` or
/// `models_command`).
pub const DEFAULT_MODELS: &str = "models.toml";

impl Config {
    /// The configuration used when there is no file: defaults, paths relative to `dir`.
    pub fn default_in(dir: &Path) -> Config {
        Config {
            file: None,
            dir: dir.to_path_buf(),
            url: None,
            migrations: dir.join(DEFAULT_MIGRATIONS),
            models: Some(ModelsSource::Toml(dir.join(DEFAULT_MODELS))),
            models_command_timeout: crate::models::DEFAULT_MODELS_COMMAND_TIMEOUT,
            version_table: DEFAULT_VERSION_TABLE.to_string(),
            history_table: history_table_for(DEFAULT_VERSION_TABLE),
            transaction: TransactionMode::PerStep,
            include_tables: Vec::new(),
            exclude_tables: Vec::new(),
            file_template: crate::script::DEFAULT_FILE_TEMPLATE.to_string(),
            tls: crate::tls::TlsPaths::default(),
        }
    }

    /// The configuration a command uses: the file given with `-c/--config` (which must
    /// exist), else `dqmig.toml` in `cwd` or the nearest parent folder that has one (as
    /// cargo finds Cargo.toml), else the defaults in `cwd`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file, line and key of a bad configuration.
    pub fn discover(explicit: Option<&Path>, cwd: &Path) -> Result<Config, ConfigError> {
        match explicit {
            Some(path) => Config::load(path),
            None => {
                let path = cwd.join(CONFIG_FILE);
                if path.is_file() {
                    return Config::load(&path);
                }
                // Like cargo: the nearest dqmig.toml in a parent folder.
                let absolute = if cwd.is_absolute() {
                    cwd.to_path_buf()
                } else {
                    std::env::current_dir()
                        .map(|d| d.join(cwd))
                        .unwrap_or_else(|_| cwd.to_path_buf())
                };
                for dir in absolute.ancestors().skip(1) {
                    let path = dir.join(CONFIG_FILE);
                    if path.is_file() {
                        return Config::load(&path);
                    }
                }
                Ok(Config::default_in(cwd))
            }
        }
    }

    /// Reads and checks the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut cfg = Config::parse(&path.display().to_string(), &text, &dir)?;
        cfg.file = Some(path.to_path_buf());
        Ok(cfg)
    }

    /// Parses config text; `file` names it in messages, `dir` is what paths are relative to.
    pub fn parse(file: &str, text: &str, dir: &Path) -> Result<Config, ConfigError> {
        let at = |offset: usize, message: String| {
            let (line, column) = line_col(text, offset);
            ConfigError::Invalid {
                file: file.to_string(),
                line,
                column,
                message,
            }
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            let msg = e.message().trim().to_string();
            let msg = if msg.starts_with("unknown field") {
                format!("{msg}; remove or rename the key")
            } else {
                format!("{msg}; fix the TOML there (the keys are listed in the README, section dqmig.toml)")
            };
            at(offset, msg)
        })?;
        let mut cfg = Config::default_in(dir);
        let nonempty = |v: &Spanned<String>, key: &str| -> Result<String, ConfigError> {
            let s = v.get_ref().trim();
            if s.is_empty() {
                return Err(at(
                    v.span().start,
                    format!("`{key}` is empty; give a value or remove the key"),
                ));
            }
            Ok(s.to_string())
        };
        if let Some(u) = &raw.url {
            let s = nonempty(u, "url")?;
            s.parse::<DbUrl>()
                .map_err(|e| at(u.span().start, format!("`url`: {e}")))?;
            cfg.url = Some(s);
        }
        if let Some(m) = &raw.migrations {
            cfg.migrations = dir.join(nonempty(m, "migrations")?);
        }
        if let Some(t) = &raw.tls {
            for (key, value) in [
                ("tls-ca", &t.ca),
                ("tls-cert", &t.cert),
                ("tls-key", &t.key),
                ("tls-server-name", &t.server_name),
            ] {
                if let Some(v) = value {
                    let shown = format!("tls.{}", key.trim_start_matches("tls-").replace('-', "_"));
                    cfg.tls.set(key, &nonempty(v, &shown)?);
                }
            }
            cfg.tls = cfg.tls.resolve_relative(dir);
        }
        let sources: Vec<(&str, &Spanned<String>)> = [
            ("models", &raw.models),
            ("schema", &raw.schema),
            ("models_command", &raw.models_command),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| (k, v)))
        .collect();
        if let [_, (second, v), ..] = sources.as_slice() {
            return Err(at(
                v.span().start,
                format!("`{second}` given as well as `{}`; the models come from exactly one of `models`, `schema` or `models_command`", sources[0].0),
            ));
        }
        if let Some((key, v)) = sources.first() {
            let s = nonempty(v, key)?;
            cfg.models = Some(match *key {
                "models" => ModelsSource::Toml(dir.join(s)),
                "schema" => ModelsSource::Sql(dir.join(s)),
                _ => ModelsSource::Command(s),
            });
        }
        if let Some(v) = &raw.models_command_timeout {
            let secs = *v.get_ref();
            if !(1..=86_400).contains(&secs) {
                return Err(at(
                    v.span().start,
                    format!("`models_command_timeout = {secs}`: expected whole seconds from 1 to 86400 (default 120)"),
                ));
            }
            cfg.models_command_timeout = std::time::Duration::from_secs(secs as u64);
        }
        if let Some(v) = &raw.version_table {
            let s = nonempty(v, "version_table")?;
            if s.to_ascii_lowercase().starts_with("sqlite_") {
                return Err(at(v.span().start, format!("`version_table = \"{s}\"`: names starting with sqlite_ are reserved by SQLite; choose another")));
            }
            cfg.history_table = history_table_for(&s);
            cfg.version_table = s;
        }
        if let Some(v) = &raw.transaction {
            cfg.transaction = TransactionMode::parse(v.get_ref().trim()).ok_or_else(|| {
                at(
                    v.span().start,
                    format!(
                        "`transaction = \"{}\"`: expected \"per-step\" or \"all\"",
                        v.get_ref()
                    ),
                )
            })?;
        }
        for (key, list, out) in [
            (
                "include_tables",
                &raw.include_tables,
                &mut cfg.include_tables,
            ),
            (
                "exclude_tables",
                &raw.exclude_tables,
                &mut cfg.exclude_tables,
            ),
        ] {
            for p in list.iter().flatten() {
                let text = nonempty(p, key)?;
                let pattern = TablePattern::new(&text).map_err(|e| {
                    at(
                        p.span().start,
                        format!("`{key}`: bad pattern \"{text}\": {e}"),
                    )
                })?;
                out.push(pattern);
            }
        }
        if let Some(v) = &raw.file_template {
            let s = nonempty(v, "file_template")?;
            validate_file_template(&s)
                .map_err(|e| at(v.span().start, format!("`file_template`: {e}")))?;
            cfg.file_template = s;
        }
        Ok(cfg)
    }

    /// The versions folder (`<migrations>/versions`).
    pub fn versions_dir(&self) -> PathBuf {
        self.migrations.join("versions")
    }

    /// Whether table `name` passes the include/exclude filters (dqmig's own tables never do).
    pub fn table_included(&self, name: &str) -> bool {
        if name.eq_ignore_ascii_case(&self.version_table)
            || name.eq_ignore_ascii_case(&self.history_table)
        {
            return false;
        }
        let included =
            self.include_tables.is_empty() || self.include_tables.iter().any(|p| p.matches(name));
        included && !self.exclude_tables.iter().any(|p| p.matches(name))
    }

    /// The database URL: `cli` (`--url`) first, then `env` (`DQMIG_URL`), then the file's
    /// `url`. An embedded URL's relative data dir is resolved against the config file's
    /// folder when it came from the file, and left relative (to the current directory)
    /// otherwise. A blank `env` or file `url` counts as absent.
    ///
    /// # Errors
    /// [`ConfigError::BlankCliUrl`] when `cli` is given but blank (it would silently pick
    /// another database); [`ConfigError::NoUrl`] when no place gives one;
    /// [`ConfigError::Url`] when the chosen URL does not parse.
    pub fn database_url(&self, cli: Option<&str>, env: Option<&str>) -> Result<DbUrl, ConfigError> {
        if cli.is_some_and(|u| u.trim().is_empty()) {
            return Err(ConfigError::BlankCliUrl);
        }
        let pick = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let (from, text, from_file) = if let Some(u) = pick(cli) {
            ("--url".to_string(), u, false)
        } else if let Some(u) = pick(env) {
            ("DQMIG_URL".to_string(), u, false)
        } else if let Some(u) = pick(self.url.as_deref()) {
            let shown = self
                .file
                .as_ref()
                .map(|f| f.display().to_string())
                .unwrap_or_else(|| CONFIG_FILE.to_string());
            (shown, u, true)
        } else {
            return Err(ConfigError::NoUrl);
        };
        let url: DbUrl = text
            .parse()
            .map_err(|source| ConfigError::Url { from, source })?;
        let url = if from_file {
            url.resolve_relative(&self.dir)
        } else {
            url
        };
        Ok(url.with_tls(url.tls().or(&self.tls)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_patterns() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("a*c", "abbbc", true),
            ("a*c", "ac", true),
            ("a*d", "abc", false),
            ("A?C", "abc", true),
            ("a?c", "ac", false),
            ("a??", "abc", true),
            ("tmp_**", "tmp_x", true),
            ("**_tmp", "x_tmp", true),
            ("*_tmp*", "x_tmp_1", true),
            ("log_[0-9]", "log_7", true),
            ("log_[0-9]", "log_x", false),
            ("log_[!0-9]", "log_x", true),
            ("[A-C]*", "beta", true),
            ("a[[]b", "a[b", true),
            ("a[*]", "a*", true),
            ("a[*]", "ab", false),
            ("a/b", "a/b", true),
            ("*", "a/b", true),
            ("é*", "é_1", true),
            ("É*", "é_1", false),
        ];
        for (pattern, name, want) in cases {
            let p = TablePattern::new(pattern).unwrap();
            assert_eq!(p.matches(name), want, "{pattern:?} on {name:?}");
            assert_eq!(glob_match(pattern, name), want);
            assert_eq!(p.as_str(), pattern);
        }
    }

    #[test]
    fn bad_patterns_are_refused_with_key_and_pattern() {
        assert!(TablePattern::new("a[b").is_err());
        assert!(!glob_match("a[b", "a[b"));
        let e = Config::parse(
            "dqmig.toml",
            "include_tables = [\"ok\"]\nexclude_tables = [\"ok\", \"tmp_[\"]\n",
            Path::new("/p"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("dqmig.toml:2:"), "{e}");
        assert!(e.contains("`exclude_tables`"), "{e}");
        assert!(e.contains("\"tmp_[\""), "{e}");
    }

    #[test]
    fn filters_apply_in_order() {
        let cfg = Config::parse(
            "dqmig.toml",
            "include_tables = [\"app_*\"]\nexclude_tables = [\"APP_TMP?\"]\n",
            Path::new("/p"),
        )
        .unwrap();
        assert!(cfg.table_included("app_users"));
        assert!(!cfg.table_included("app_tmp1"));
        assert!(!cfg.table_included("other"));
        assert!(!cfg.table_included("DQMIG_VERSION"));
    }

    #[test]
    fn tls_table_paths_precedence_and_unknown_keys() {
        let cfg = Config::parse(
            "dqmig.toml",
            "url = \"dqlite://127.0.0.1:9001/app?tls-cert=/u/c.pem\"\n[tls]\nca = \"certs/ca.pem\"\ncert = \"certs/c.pem\"\nkey = \"/k.pem\"\nserver_name = \"dqlite\"\n",
            Path::new("/p"),
        )
        .unwrap();
        assert_eq!(cfg.tls.ca.as_deref(), Some(Path::new("/p/certs/ca.pem")));
        assert_eq!(cfg.tls.server_name.as_deref(), Some("dqlite"));
        // The URL's query overrides the file's [tls] key by key.
        let url = cfg.database_url(None, None).unwrap();
        assert_eq!(url.tls().cert.as_deref(), Some(Path::new("/u/c.pem")));
        assert_eq!(url.tls().key.as_deref(), Some(Path::new("/k.pem")));
        assert_eq!(url.tls().ca.as_deref(), Some(Path::new("/p/certs/ca.pem")));
        let e = Config::parse("dqmig.toml", "[tls]\ncafile = \"x\"\n", Path::new("/p"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("dqmig.toml:2:") && e.contains("cafile"),
            "{e}"
        );
        let e = Config::parse("dqmig.toml", "[tls]\nca = \" \"\n", Path::new("/p"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`tls.ca` is empty"), "{e}");
    }
}
