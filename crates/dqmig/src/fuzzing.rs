//! Bodies of this crate's fuzz targets (`fuzz/fuzz_targets/*.rs` call them; the replay test
//! `tests/fuzz_corpus.rs` runs them over the committed corpus and every crash found, on
//! stable). Not part of the public API. Every property failure panics.

use crate::models::{load_sql_str, load_toml_str, to_toml};
use crate::schema::{DefaultValue, Schema, SqlExpr};
use crate::url::DbUrl;

/// Both renderings of a loaded schema load back to the same schema: `to_toml` through the
/// models.toml loader, `to_sql` through the schema.sql loader.
fn check_renders(schema: &Schema, source: &str) {
    let toml = to_toml(schema);
    match load_toml_str("rendered.toml", &toml) {
        Ok(back) => assert_eq!(
            &back, schema,
            "models TOML rendered from {source:?} loads as another schema:\n{toml}"
        ),
        Err(e) => panic!("models TOML rendered from {source:?} does not load: {e}\n{toml}"),
    }
    let sql = schema.to_sql();
    match load_sql_str("rendered.sql", &sql) {
        Ok(back) => assert_eq!(
            &back, schema,
            "SQL rendered from {source:?} loads as another schema:\n{sql}"
        ),
        Err(e) => panic!("SQL rendered from {source:?} does not load: {e}\n{sql}"),
    }
}

/// Fuzz target `models_toml`: `data` (lossy UTF-8) as a models.toml file. Properties:
/// loading never panics; a loaded schema renders (TOML and SQL) to text that loads as the
/// same schema.
pub fn models_toml(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(schema) = load_toml_str("models.toml", &text) {
        check_renders(&schema, &text);
    }
}

/// Fuzz target `schema_sql`: `data` (lossy UTF-8) as a schema.sql file. Properties as for
/// [`models_toml`].
pub fn schema_sql(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(schema) = load_sql_str("schema.sql", &text) {
        check_renders(&schema, &text);
    }
}

/// Fuzz target `expr`: `data` (lossy UTF-8) as a SQL expression (a models.toml `check`,
/// `default_expr` or index expression) and as the text after `DEFAULT`.
///
/// Properties: nothing panics; an expression that parses renders to text that parses to
/// the same expression (same comparison key) and renders the same again; as a default it
/// renders to SQL that reads back as the same default.
pub fn expr(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(e) = SqlExpr::parse(&text) else {
        return;
    };
    let again = SqlExpr::parse(e.text())
        .unwrap_or_else(|m| panic!("{text:?} rendered as {:?}, which fails: {m}", e.text()));
    assert_eq!(again.key(), e.key(), "{text:?} rendered as {:?}", e.text());
    assert_eq!(again.text(), e.text(), "rendering {text:?} is not stable");
    // `from_sql` reads defaults that were checked as expressions (or written by SQLite).
    let d = DefaultValue::from_sql(&text);
    let sql = d.to_sql();
    let back = DefaultValue::from_sql(&sql);
    assert_eq!(
        back, d,
        "default {text:?} read as {d:?}, rendered as {sql:?}"
    );
}

/// Fuzz target `url`: `data` (lossy UTF-8) as a database URL. Properties: parsing never
/// panics; a parsed URL prints as text that parses to the same URL.
pub fn url(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(u) = text.parse::<DbUrl>() {
        let printed = u.to_string();
        assert_eq!(
            printed.parse::<DbUrl>().ok(),
            Some(u.clone()),
            "{text:?} parsed as {u:?}, printed as {printed:?}"
        );
    }
}
