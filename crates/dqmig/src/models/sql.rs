//! The `schema.sql` loader: SQLite DDL parsed with sqlparser's SQLite dialect and mapped to
//! the schema model. Supported: CREATE TABLE (every column and table constraint SQLite has,
//! STRICT, WITHOUT ROWID), CREATE [UNIQUE] INDEX (partial, expressions, COLLATE, DESC),
//! CREATE VIEW and CREATE TRIGGER. Anything else is an error at its line and column, never
//! silently dropped.

use super::builder::{Builder, TablePos};
use super::sql_exprs::{fold_expressions, unfold, unfold_query, SourceMap};
use super::sql_types::TypePlaces;
use super::{LoadError, Pos};
use crate::schema::{
    Check, Column, DefaultValue, FkAction, ForeignKey, Generated, Ident, Index, IndexPart,
    IndexTarget, PrimaryKey, Schema, SqlExpr, Table, Trigger, Unique, View,
};
use crate::types::SqlType;
use sqlparser::ast::{
    self, ColumnOption, CreateIndex, CreateTable, DataType, Expr, ForeignKeyConstraint,
    GeneratedExpressionMode, IndexColumn, ObjectName, ObjectNamePart, OrderBySort,
    ReferentialAction, SqliteTableOption, Statement, TableConstraint,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

/// Loads SQLite DDL from `text`; `file` names it in messages.
pub fn load_sql_str(file: &str, text: &str) -> Result<Schema, LoadError> {
    load_sql_str_with(file, text, SqlOptions::default())
}

/// Options of the schema.sql loader.
#[derive(Debug, Clone, Copy, Default)]
pub struct SqlOptions {
    /// Accept columns declared DATETIME, DATE, TIMESTAMP or BOOLEAN. Only for reading the
    /// DDL of an existing database (the introspector): model files must not declare them
    /// (dqlite 1.11 rewrites their values on output and aborts on some stored classes).
    pub allow_remapped_types: bool,
}

/// [`load_sql_str`] with options.
pub fn load_sql_str_with(file: &str, text: &str, options: SqlOptions) -> Result<Schema, LoadError> {
    let map = SourceMap::new(text);
    let tokens = folded_tokens(file, text, &map)?;
    let (tokens, type_places) = super::sql_types::fold_column_types(&map, tokens);
    let dialect = SQLiteDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    let mut b = Builder::new(file);
    b.allow_remapped_types = options.allow_remapped_types;
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            break;
        }
        let start = Pos::from_location(next.span.start);
        let stmt = parser
            .parse_statement()
            .map_err(|e| parse_error(file, start, e))?;
        let after = parser.peek_token();
        if !matches!(after.token, Token::SemiColon | Token::EOF) {
            return Err(LoadError::at(
                file,
                Pos::from_location(after.span.start),
                format!("expected `;` after the statement, found `{}`", after.token),
            ));
        }
        let source = map.between(next.span.start, after.span.start);
        statement(&mut b, stmt, start, &type_places, source)?;
    }
    b.finish()
}

/// `text` tokenized by sqlparser with its expression bodies folded (see [`super::sql_exprs`]).
fn folded_tokens(
    file: &str,
    text: &str,
    map: &SourceMap<'_>,
) -> Result<Vec<TokenWithSpan>, LoadError> {
    // SQLite's own tokenizer rules first: sqlparser's accepts characters SQLite refuses
    // (control characters and `^` outside strings and quoted names, `]]` in `[...]`),
    // which would then be kept in a type, an expression or a trigger no database can hold.
    if let Err(e) = crate::schema::lex::lex(text) {
        return Err(LoadError::at(
            file,
            Pos::from_offset(text, e.at),
            format!(
                "{}; fix the statement (a quote, comment or bracket left open?)",
                e.message
            ),
        ));
    }
    let dialect = SQLiteDialect {};
    let tokens = Tokenizer::new(&dialect, text)
        .tokenize_with_location()
        .map_err(|e| {
            LoadError::at(
                file,
                Pos {
                    line: e.location.line as usize,
                    column: e.location.column as usize,
                },
                format!(
                    "{}; fix the statement (a quote, comment or bracket left open?)",
                    e.message
                ),
            )
        })?;
    Ok(fold_expressions(map, tokens))
}

/// The source text of an expression the pre-pass folded; sqlparser's rendering otherwise
/// (only for a body the pre-pass does not know, which it folds in every statement dqmig reads).
fn expr_sql(e: &Expr) -> String {
    unfold(e).map_or_else(|| e.to_string(), str::to_string)
}

/// The expression `e` (a CHECK, DEFAULT, generated or index expression, an index `WHERE`)
/// read as one SQL expression by the rule of a models.toml expression ([`SqlExpr::parse`]):
/// a body sqlparser took in (it reads garbage next to non-ASCII words as names) must not
/// become a schema whose models TOML no longer loads. `what` names it, `at` is where the
/// statement or column is when `e` has no position of its own.
fn expr(b: &Builder, at: Pos, what: &str, e: &Expr) -> Result<SqlExpr, LoadError> {
    let text = expr_sql(e);
    SqlExpr::parse(&text).map_err(|m| {
        b.err(
            expr_pos(e).unwrap_or(at),
            format!("{what} `{text}` is not a valid SQL expression: {m}; fix the expression"),
        )
    })
}

fn parse_error(file: &str, fallback: Pos, e: ParserError) -> LoadError {
    let msg = match &e {
        ParserError::TokenizerError(m) | ParserError::ParserError(m) => m.clone(),
        ParserError::RecursionLimitExceeded => "statement nested too deeply".to_string(),
    };
    // sqlparser appends " at Line: L, Column: C"; turn it into our file:line:column.
    if let Some(i) = msg.rfind(" at Line: ") {
        let loc = &msg[i + " at Line: ".len()..];
        if let Some((l, c)) = loc.split_once(", Column: ") {
            if let (Ok(line), Ok(column)) = (l.trim().parse(), c.trim().parse()) {
                return LoadError::at(
                    file,
                    Pos { line, column },
                    format!("SQL syntax error: {}", &msg[..i]),
                );
            }
        }
    }
    LoadError::at(file, fallback, format!("SQL syntax error: {msg}"))
}

fn unsupported(b: &Builder, pos: Pos, what: impl std::fmt::Display) -> LoadError {
    b.err(pos, format!("{what} is not supported in schema.sql; dqmig models CREATE TABLE, CREATE [UNIQUE] INDEX, CREATE VIEW and CREATE TRIGGER in SQLite syntax: remove it (data and changes go in revisions)"))
}

fn ident_pos(i: &ast::Ident) -> Pos {
    Pos::from_location(i.span.start)
}

fn ident(i: &ast::Ident) -> Ident {
    Ident::new(i.value.as_str())
}

/// A one-part object name (a `main.` prefix is accepted and dropped).
fn object_name(b: &Builder, name: &ObjectName, at: Pos) -> Result<(Ident, Pos), LoadError> {
    let parts: Vec<&ast::Ident> = name
        .0
        .iter()
        .filter_map(|p| match p {
            ObjectNamePart::Identifier(i) => Some(i),
            _ => None,
        })
        .collect();
    match parts.as_slice() {
        [only] if name.0.len() == 1 => Ok((ident(only), ident_pos(only))),
        [schema, only] if schema.value.eq_ignore_ascii_case("main") => {
            Ok((ident(only), ident_pos(only)))
        }
        _ => Err(unsupported(
            b,
            at,
            format!("the name `{name}` (schema-qualified or computed names)"),
        )),
    }
}

/// One parsed statement; `source` is its text as written (a trigger is kept as that text).
fn statement(
    b: &mut Builder,
    stmt: Statement,
    start: Pos,
    types: &TypePlaces,
    source: &str,
) -> Result<(), LoadError> {
    match stmt {
        Statement::CreateTable(ct) => create_table(b, ct, start, types),
        Statement::CreateIndex(ci) => create_index(b, ci, start),
        Statement::CreateView(cv) => {
            if cv.materialized || cv.or_replace || cv.or_alter {
                return Err(unsupported(b, start, "CREATE MATERIALIZED/OR REPLACE VIEW"));
            }
            let (name, pos) = object_name(b, &cv.name, start)?;
            // The checks of a models.toml view query, so both loaders keep the same queries.
            let query =
                unfold_query(&cv.query).map_or_else(|| cv.query.to_string(), str::to_string);
            let query = parse_query(&query)
                .map_err(|m| b.err(pos, format!("view query is not a valid SELECT: {m}")))?;
            let view = View {
                name,
                columns: cv.columns.iter().map(|c| ident(&c.name)).collect(),
                query,
            };
            b.add_view(view, pos)
        }
        Statement::CreateTrigger(ct) => {
            let (name, pos) = object_name(b, &ct.name, start)?;
            check_trigger_shape(source).map_err(|m| b.err(pos, m))?;
            let (table, _) = object_name(b, &ct.table_name, start)?;
            b.add_trigger(
                Trigger {
                    name,
                    table,
                    sql: trigger_text(source),
                },
                pos,
            )
        }
        other => {
            let text = other.to_string();
            let head: String = text
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ");
            Err(unsupported(b, start, format!("the statement `{head} ...`")))
        }
    }
}

/// The trigger name and table of a `CREATE TRIGGER` statement (models.toml triggers), read
/// the way schema.sql reads it.
pub(crate) fn parse_trigger(text: &str) -> Result<(Ident, Ident), String> {
    let map = SourceMap::new(text);
    let tokens = folded_tokens("trigger", text, &map).map_err(|e| e.to_string())?;
    let dialect = SQLiteDialect {};
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    check_trigger_shape(text)?;
    let stmt = parser.parse_statement().map_err(|e| e.to_string())?;
    while parser.consume_token(&Token::SemiColon) {}
    if parser.peek_token().token != Token::EOF {
        return Err(format!(
            "unexpected `{}` after the statement (give one CREATE TRIGGER)",
            parser.peek_token().token
        ));
    }
    match stmt {
        Statement::CreateTrigger(ct) => {
            let last = |n: &ObjectName| match n.0.last() {
                Some(ObjectNamePart::Identifier(i)) => Ok(ident(i)),
                _ => Err(format!("unsupported name `{n}`")),
            };
            Ok((last(&ct.name)?, last(&ct.table_name)?))
        }
        _ => Err("expected a CREATE TRIGGER statement".to_string()),
    }
}

/// The words a statement of a trigger body starts with in SQLite's grammar (`trigger_cmd`).
const TRIGGER_COMMANDS: [&str; 7] = [
    "UPDATE", "INSERT", "REPLACE", "DELETE", "SELECT", "WITH", "VALUES",
];

/// A `CREATE TRIGGER` has SQLite's shape: a head without `;`, an optional `WHEN` expression,
/// then `BEGIN`, statements that each start with a trigger command and end with `;`, and
/// `END`. sqlparser also reads a trigger without a body, with `... END` and no `;`, or with
/// other statements in the body, which no database would create; and schema.sql, like
/// `sqlite3_complete`, ends a trigger only at a `; END`, so such a "trigger" would take in the
/// statements after it (a second CREATE TRIGGER read as part of the first one's body).
fn check_trigger_shape(text: &str) -> Result<(), String> {
    use crate::schema::lex::{check_shape, Kind, Lexeme};
    let text = without_semicolons(text);
    let tokens = crate::schema::lex::tokens(text).map_err(|e| e.to_string())?;
    let no_body = || {
        "the trigger has no `BEGIN ... END` body with a `;` after each of its statements; \
         write `BEGIN <statement>; ... END`"
            .to_string()
    };
    let starts_command = |t: Option<&Lexeme>| {
        t.is_some_and(|t| TRIGGER_COMMANDS.iter().any(|k| t.is_keyword(text, k)))
    };
    // The body starts at the first BEGIN followed by a command (a table may be named `begin`).
    let begin = (0..tokens.len())
        .find(|&k| tokens[k].is_keyword(text, "BEGIN") && starts_command(tokens.get(k + 1)))
        .ok_or_else(no_body)?;
    let ends = matches!(&tokens[begin..], [.., semi, end] if semi.kind == Kind::Semi && end.is_keyword(text, "END"));
    if !ends {
        return Err(no_body());
    }
    let head = &tokens[..begin];
    if let Some(semi) = head.iter().find(|t| t.kind == Kind::Semi) {
        let before: String = text[..semi.start]
            .chars()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(format!(
            "the `;` after `...{}` ends the statement before the trigger's `BEGIN`: give one CREATE TRIGGER with a `BEGIN ... END` body",
            before.trim_start()
        ));
    }
    if let Some(when) = head.iter().position(|t| t.is_keyword(text, "WHEN")) {
        // `when < begin`, so the token after WHEN exists and starts no later than BEGIN.
        let condition = &text[tokens[when + 1].start..tokens[begin].start];
        crate::schema::SqlExpr::parse(condition).map_err(|m| {
            format!(
                "the trigger's WHEN `{}` is not one SQL expression: {m}",
                condition.trim()
            )
        })?;
    }
    // Body statements: between BEGIN and the final `; END`, split at each `;`.
    let body = &tokens[begin + 1..tokens.len() - 1];
    for statement in body
        .split(|t| t.kind == Kind::Semi)
        .filter(|s| !s.is_empty())
    {
        let (first, last) = (statement[0], statement[statement.len() - 1]);
        let sql = &text[first.start..last.end];
        if !starts_command(Some(&first)) {
            return Err(format!(
                "the trigger body statement `{}` is not one SQLite runs in a trigger; a body holds only {} statements, each ending with `;`",
                sql,
                TRIGGER_COMMANDS.join("/")
            ));
        }
        check_shape(
            sql,
            &crate::schema::lex::tokens(sql).map_err(|e| e.to_string())?,
            false,
        )
        .map_err(|m| format!("the trigger body statement `{sql}`: {m}"))?;
    }
    Ok(())
}

/// A statement or query as written, without trailing `;`s.
fn without_semicolons(text: &str) -> &str {
    text.trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

/// The text of a `CREATE TRIGGER` statement as dqmig keeps it.
pub(crate) fn trigger_text(text: &str) -> SqlExpr {
    SqlExpr::from_text(without_semicolons(text))
}

/// A models.toml view query, kept as written: it must start with SELECT, WITH or VALUES and
/// pass the checks of any fragment a user writes; SQLite checks the rest when the view is
/// created.
pub(crate) fn parse_query(text: &str) -> Result<SqlExpr, String> {
    let text = without_semicolons(text);
    let tokens = crate::schema::lex::tokens(text).map_err(|e| e.to_string())?;
    if !tokens.first().is_some_and(|t| {
        ["SELECT", "WITH", "VALUES"]
            .iter()
            .any(|k| t.is_keyword(text, k))
    }) {
        return Err("expected SELECT, WITH or VALUES".to_string());
    }
    crate::schema::lex::check_shape(text, &tokens, false)?;
    Ok(SqlExpr::from_text(text))
}

fn action(a: Option<ReferentialAction>) -> FkAction {
    match a {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

fn foreign_key(
    b: &Builder,
    fk: &ForeignKeyConstraint,
    columns: Vec<Ident>,
    name: Option<Ident>,
    at: Pos,
) -> Result<(ForeignKey, Pos), LoadError> {
    let (ref_table, pos) = object_name(b, &fk.foreign_table, at)?;
    let deferred = fk.characteristics.as_ref().is_some_and(|c| {
        c.deferrable == Some(true) && matches!(c.initially, Some(ast::DeferrableInitial::Deferred))
    });
    Ok((
        ForeignKey {
            columns,
            ref_table,
            ref_columns: fk.referred_columns.iter().map(ident).collect(),
            on_delete: action(fk.on_delete),
            on_update: action(fk.on_update),
            deferred,
            name,
        },
        pos,
    ))
}

/// Plain column names of a PRIMARY KEY / UNIQUE constraint.
fn key_columns(
    b: &Builder,
    cols: &[IndexColumn],
    what: &str,
    at: Pos,
) -> Result<Vec<Ident>, LoadError> {
    cols.iter()
        .map(|c| match (&c.column.expr, &c.column.options.sort) {
            (Expr::Identifier(i), None | Some(OrderBySort::Asc)) => Ok(ident(i)),
            _ => Err(unsupported(
                b,
                at,
                format!(
                    "`{}` in a {what} (only plain column names, ascending)",
                    c.column
                ),
            )),
        })
        .collect()
}

/// The declared type of a column; it must be SQLite's type-name grammar (sqlparser also
/// reads types such as `KEY(b)` that SQLite refuses).
fn sql_type(dt: &DataType) -> Result<SqlType, String> {
    let text = match (super::sql_types::unfold(dt), dt) {
        (Some(text), _) => text.to_string(),
        (None, DataType::Unspecified) => String::new(),
        (None, other) => {
            // Not a type the pre-pass folded: sqlparser read one of its own spellings, or
            // (after a column named by a keyword such as `DEFAULT`) a folded expression.
            let text = other.to_string();
            if text.contains(['\u{1}', '\u{2}']) {
                return Err(format!(
                    "`{}` is not a column type; a column definition starts with the column's name (quote a name that is an SQL keyword, e.g. \"default\")",
                    text.replace(['\u{1}', '\u{2}'], "")
                ));
            }
            text
        }
    };
    crate::schema::lex::check_type_name(&text)?;
    Ok(SqlType::new(&text))
}

fn create_table(
    b: &mut Builder,
    ct: CreateTable,
    start: Pos,
    types: &TypePlaces,
) -> Result<(), LoadError> {
    if ct.temporary {
        return Err(unsupported(b, start, "CREATE TEMP TABLE"));
    }
    if ct.query.is_some() || ct.like.is_some() || ct.clone.is_some() {
        return Err(unsupported(b, start, "CREATE TABLE ... AS/LIKE"));
    }
    let (name, tpos) = object_name(b, &ct.name, start)?;
    let mut table = Table::new(name.clone());
    let mut pos = TablePos {
        table: tpos,
        ..TablePos::default()
    };
    for opt in &ct.sqlite_table_options.options {
        match opt {
            SqliteTableOption::Strict => table.strict = true,
            SqliteTableOption::WithoutRowid => table.without_rowid = true,
        }
    }
    let mut pk: Option<(PrimaryKey, Pos)> = None;
    for cd in &ct.columns {
        let cname = ident(&cd.name);
        let cpos = ident_pos(&cd.name);
        let mut col = Column {
            name: cname.clone(),
            sql_type: sql_type(&cd.data_type)
                .map_err(|m| b.err(cpos, format!("column `{cname}`: type {m}")))?,
            nullable: true,
            default: None,
            collation: None,
            generated: None,
        };
        let mut prev_was_pk = false;
        for od in &cd.options {
            let cons_name = od.name.as_ref().map(ident);
            let was_pk = prev_was_pk;
            prev_was_pk = false;
            match &od.option {
                ColumnOption::Null => col.nullable = true,
                ColumnOption::NotNull => col.nullable = false,
                ColumnOption::Default(e) => {
                    col.default = Some(DefaultValue::from_sql(
                        expr(b, cpos, &format!("column `{cname}`: default"), e)?.text(),
                    ))
                }
                ColumnOption::Collation(n) => {
                    col.collation = Some(
                        super::toml_file::collation(n.to_string().trim_matches('"'))
                            .map_err(|m| b.err(cpos, format!("column `{cname}`: {m}")))?,
                    )
                }
                ColumnOption::PrimaryKey(p) => {
                    if pk.is_some() {
                        return Err(b.err(cpos, format!("table `{name}` has more than one PRIMARY KEY; declare one (a composite key as PRIMARY KEY (a, b))")));
                    }
                    if !p.columns.is_empty() {
                        key_columns(b, &p.columns, "PRIMARY KEY", cpos)?;
                    }
                    pk = Some((
                        PrimaryKey {
                            name: cons_name.or(p.name.as_ref().map(ident)),
                            columns: vec![cname.clone()],
                            autoincrement: false,
                        },
                        cpos,
                    ));
                    prev_was_pk = true;
                }
                ColumnOption::DialectSpecific(tokens)
                    if was_pk
                        && matches!(tokens.as_slice(), [Token::Word(w)] if w.value.eq_ignore_ascii_case("AUTOINCREMENT")) =>
                {
                    if let Some((p, _)) = pk.as_mut() {
                        p.autoincrement = true;
                    }
                }
                ColumnOption::Unique(u) => {
                    table.uniques.push(Unique {
                        columns: vec![cname.clone()],
                        name: cons_name.or(u.name.as_ref().map(ident)),
                    });
                    pos.uniques.push(cpos);
                }
                ColumnOption::ForeignKey(fk) => {
                    let (f, p) = foreign_key(
                        b,
                        fk,
                        vec![cname.clone()],
                        cons_name.or(fk.name.as_ref().map(ident)),
                        cpos,
                    )?;
                    table.foreign_keys.push(f);
                    pos.foreign_keys.push(p);
                }
                ColumnOption::Check(c) => {
                    table.checks.push(Check {
                        expr: expr(b, cpos, &format!("column `{cname}`: check"), &c.expr)?,
                        name: cons_name.or(c.name.as_ref().map(ident)),
                    });
                }
                ColumnOption::Generated {
                    generation_expr: Some(e),
                    generation_expr_mode,
                    ..
                } => {
                    col.generated = Some(Generated {
                        expr: expr(b, cpos, &format!("column `{cname}`: generated"), e)?,
                        stored: matches!(
                            generation_expr_mode,
                            Some(GeneratedExpressionMode::Stored)
                        ),
                    });
                }
                other => {
                    return Err(unsupported(
                        b,
                        cpos,
                        format!("the column option `{other}` on column `{cname}`"),
                    ))
                }
            }
        }
        table.columns.push(col);
        pos.columns.push(cpos);
        let type_at = types
            .iter()
            .find(|(name_at, _)| *name_at == cd.name.span.start)
            .map(|(_, t)| Pos::from_location(*t));
        pos.types.push(type_at.unwrap_or(cpos));
    }
    for tc in &ct.constraints {
        match tc {
            TableConstraint::PrimaryKey(p) => {
                let at = p
                    .name
                    .as_ref()
                    .map(ident_pos)
                    .or_else(|| p.columns.first().and_then(|c| expr_pos(&c.column.expr)))
                    .unwrap_or(tpos);
                if pk.is_some() {
                    return Err(b.err(at, format!("table `{name}` has more than one PRIMARY KEY; declare one (a composite key as PRIMARY KEY (a, b))")));
                }
                let cols = key_columns(b, &p.columns, "PRIMARY KEY", at)?;
                pk = Some((
                    PrimaryKey {
                        name: p.name.as_ref().map(ident),
                        columns: cols,
                        autoincrement: false,
                    },
                    at,
                ));
            }
            TableConstraint::Unique(u) => {
                let at = u
                    .name
                    .as_ref()
                    .map(ident_pos)
                    .or_else(|| u.columns.first().and_then(|c| expr_pos(&c.column.expr)))
                    .unwrap_or(tpos);
                let cols = key_columns(b, &u.columns, "UNIQUE constraint", at)?;
                table.uniques.push(Unique {
                    columns: cols,
                    name: u.name.as_ref().map(ident),
                });
                pos.uniques.push(at);
            }
            TableConstraint::ForeignKey(fk) => {
                let at = fk
                    .name
                    .as_ref()
                    .map(ident_pos)
                    .or_else(|| fk.columns.first().map(ident_pos))
                    .unwrap_or(tpos);
                let (f, p) = foreign_key(
                    b,
                    fk,
                    fk.columns.iter().map(ident).collect(),
                    fk.name.as_ref().map(ident),
                    at,
                )?;
                table.foreign_keys.push(f);
                pos.foreign_keys.push(p);
            }
            TableConstraint::Check(c) => {
                table.checks.push(Check {
                    expr: expr(b, tpos, "check", &c.expr)?,
                    name: c.name.as_ref().map(ident),
                });
            }
            other => {
                return Err(unsupported(
                    b,
                    tpos,
                    format!("the table constraint `{other}`"),
                ))
            }
        }
    }
    if let Some((p, at)) = pk {
        table.primary_key = Some(p);
        pos.primary_key = Some(at);
    }
    b.add_table(table, pos)
}

fn expr_pos(e: &Expr) -> Option<Pos> {
    match e {
        Expr::Identifier(i) => Some(ident_pos(i)),
        _ => None,
    }
}

fn create_index(b: &mut Builder, ci: CreateIndex, start: Pos) -> Result<(), LoadError> {
    let Some(name) = &ci.name else {
        return Err(b.err(start, "CREATE INDEX without a name; SQLite requires one"));
    };
    let (iname, ipos) = object_name(b, name, start)?;
    let (table, _) = object_name(b, &ci.table_name, start)?;
    let mut parts = Vec::new();
    for c in &ci.columns {
        let desc = match c.column.options.sort {
            None | Some(OrderBySort::Asc) => false,
            Some(OrderBySort::Desc) => true,
            _ => {
                return Err(unsupported(
                    b,
                    ipos,
                    format!("the index ordering in `{}`", c.column),
                ))
            }
        };
        let (inner, collation) = match &c.column.expr {
            Expr::Collate { expr, collation } => (
                expr.as_ref(),
                Some(
                    super::toml_file::collation(collation.to_string().trim_matches('"'))
                        .map_err(|m| b.err(ipos, format!("index `{iname}`: {m}")))?,
                ),
            ),
            e => (e, None),
        };
        let mut inner = inner;
        while let Expr::Nested(e) = inner {
            inner = e.as_ref();
        }
        let target = match inner {
            Expr::Identifier(i) if unfold(inner).is_none() => IndexTarget::Column(ident(i)),
            e => IndexTarget::Expr(expr(b, ipos, "index expression", e)?),
        };
        parts.push(IndexPart {
            target,
            collation,
            desc,
        });
    }
    let index = Index {
        name: iname,
        table,
        unique: ci.unique,
        parts,
        predicate: ci
            .predicate
            .as_ref()
            .map(|w| expr(b, ipos, "index where", w))
            .transpose()?,
    };
    b.add_index(index, ipos)
}

#[cfg(test)]
mod tests {
    use super::check_trigger_shape;

    /// SQLite's trigger grammar, read the same by schema.sql and models.toml (fuzz
    /// schema_sql: a trigger without BEGIN took in the next CREATE TRIGGER as its body).
    #[test]
    fn triggers_have_sqlites_shape() {
        for ok in [
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; END",
            "CREATE TRIGGER t AFTER INSERT ON begin BEGIN UPDATE begin SET a = 1; END;",
            "CREATE TRIGGER t BEFORE DELETE ON x FOR EACH ROW WHEN old.a > (SELECT 1) BEGIN \
             DELETE FROM y WHERE b = CASE WHEN old.a THEN 1 END; INSERT INTO z VALUES (';'); END",
            "CREATE TRIGGER t AFTER INSERT ON x BEGIN WITH c AS (SELECT 1) SELECT * FROM c; REPLACE INTO y VALUES (1); END",
        ] {
            assert_eq!(check_trigger_shape(ok), Ok(()), "{ok}");
        }
        for (bad, want) in [
            ("CREATE TRIGGER t AFTER INSERT ON x SELECT 1", "no `BEGIN ... END` body"),
            ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1 END", "no `BEGIN ... END` body"),
            ("CREATE TRIGGER t AFTER INSERT ON x BEGIN ; END", "no `BEGIN ... END` body"),
            (
                "CREATE TRIGGER a AFTER INSERT ON x WHEN 1 UPDATE x SET a = 1; CREATE TRIGGER b AFTER INSERT ON x BEGIN SELECT 1; END",
                "UPDATE x SET a = 1` ends the statement before the trigger's `BEGIN`",
            ),
            ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; DROP TABLE x; END", "`DROP TABLE x` is not one SQLite runs"),
            ("CREATE TRIGGER t AFTER INSERT ON x WHEN new.a AND BEGIN SELECT 1; END", "WHEN `new.a AND`"),
            // An empty WHEN (it panicked: fuzz models_toml).
            ("CREATE TRIGGER t AFTER INSERT ON x WHEN BEGIN SELECT 1; END", "the text is empty"),
            ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT (1; END", "a `(` is not closed"),
        ] {
            let got = check_trigger_shape(bad).expect_err(bad);
            assert!(got.contains(want), "{bad}\n  got: {got}\n  want: {want}");
        }
    }
}
