//! Column types in schema.sql exactly as SQLite reads them. SQLite takes any run of names
//! plus an optional `(n)` or `(n, m)` as a column type (`UNSIGNED BIG INT`,
//! `VARYING CHARACTER(255)`, `my_type`), and its affinity comes from that text; sqlparser
//! knows a fixed list of types and re-spells some. So before parsing, each column type in a
//! CREATE TABLE is folded into one quoted word holding the type text as written; the loader
//! unfolds it back into an [`SqlType`](crate::types::SqlType).

use super::sql_exprs::SourceMap;
use sqlparser::ast::{DataType, ObjectNamePart};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Word};

/// Where each folded type was written, keyed by where its column's name was written.
pub(crate) type TypePlaces = Vec<(Location, Location)>;

/// Marks a folded type word, so that a quoted type the user wrote is not mistaken for one.
const MARK: char = '\u{1}';

/// Words that end a column type: the column constraints ([`crate::schema::lex::TYPE_ENDING_WORDS`]).
fn ends_type(w: &Word) -> bool {
    crate::schema::lex::TYPE_ENDING_WORDS
        .iter()
        .any(|k| w.value.eq_ignore_ascii_case(k))
}

fn starts_table_constraint(t: &Token) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none()
        && matches!(w.keyword, Keyword::CONSTRAINT | Keyword::PRIMARY | Keyword::UNIQUE | Keyword::CHECK | Keyword::FOREIGN))
}

fn is_space(t: &Token) -> bool {
    matches!(t, Token::Whitespace(_))
}

/// Folds the column types of every CREATE TABLE in `tokens` (see the module docs).
pub(crate) fn fold_column_types(
    map: &SourceMap<'_>,
    tokens: Vec<TokenWithSpan>,
) -> (Vec<TokenWithSpan>, TypePlaces) {
    let mut places = TypePlaces::new();
    let mut out: Vec<TokenWithSpan> = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        if !is_create_table(&tokens, i) {
            out.push(tokens[i].clone());
            i += 1;
            continue;
        }
        // Copy up to the `(` opening the column list (if any before `;`/AS).
        while i < tokens.len() {
            let t = &tokens[i].token;
            out.push(tokens[i].clone());
            i += 1;
            if matches!(t, Token::LParen) {
                i = fold_definitions(map, &tokens, i, &mut out, &mut places);
                break;
            }
            if matches!(t, Token::SemiColon)
                || matches!(t, Token::Word(w) if w.keyword == Keyword::AS)
            {
                break;
            }
        }
    }
    (out, places)
}

fn is_create_table(tokens: &[TokenWithSpan], i: usize) -> bool {
    let words: Vec<Keyword> = tokens[i..]
        .iter()
        .filter(|t| !is_space(&t.token))
        .take(3)
        .map(|t| match &t.token {
            Token::Word(w) if w.quote_style.is_none() => w.keyword,
            _ => Keyword::NoKeyword,
        })
        .collect();
    matches!(
        words.as_slice(),
        [Keyword::CREATE, Keyword::TABLE, ..]
            | [
                Keyword::CREATE,
                Keyword::TEMP | Keyword::TEMPORARY,
                Keyword::TABLE
            ]
    )
}

/// Inside a column list starting at `i` (just after its `(`); returns the index after the
/// closing `)`.
fn fold_definitions(
    map: &SourceMap<'_>,
    tokens: &[TokenWithSpan],
    mut i: usize,
    out: &mut Vec<TokenWithSpan>,
    places: &mut TypePlaces,
) -> usize {
    let mut at_definition_start = true;
    let mut depth = 1usize;
    while i < tokens.len() {
        let t = &tokens[i].token;
        if at_definition_start && !is_space(t) {
            at_definition_start = false;
            if !starts_table_constraint(t) && matches!(t, Token::Word(_)) {
                // Column name, then maybe a type.
                out.push(tokens[i].clone());
                let name_at = tokens[i].span.start;
                i += 1;
                let before = out.len();
                i = fold_type(map, tokens, i, out);
                if out.len() > before {
                    places.push((name_at, out[before].span.start));
                }
                continue;
            }
        }
        match t {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    out.push(tokens[i].clone());
                    return i + 1;
                }
            }
            Token::Comma if depth == 1 => at_definition_start = true,
            Token::SemiColon => {
                out.push(tokens[i].clone());
                return i + 1;
            }
            _ => {}
        }
        out.push(tokens[i].clone());
        i += 1;
    }
    i
}

/// A name in a column type: SQLite's `typename` is a run of `ids` (names, quoted or not, and
/// strings), so `"my type"` and `CHAR'7'` are types too. Not a column constraint's keyword,
/// and not an expression the pre-pass folded.
fn is_type_name(t: &Token) -> bool {
    match t {
        Token::Word(w) if w.quote_style.is_none() => !ends_type(w),
        Token::Word(w) => !w.value.starts_with(super::sql_exprs::MARK),
        Token::SingleQuotedString(_) => true,
        _ => false,
    }
}

/// After a column name at `i`: collects `name+ [( ... )]` and pushes one folded word holding
/// the type's source text.
fn fold_type(
    map: &SourceMap<'_>,
    tokens: &[TokenWithSpan],
    start: usize,
    out: &mut Vec<TokenWithSpan>,
) -> usize {
    let mut j = start;
    let mut end = start;
    loop {
        while j < tokens.len() && is_space(&tokens[j].token) {
            j += 1;
        }
        match tokens.get(j) {
            Some(t) if is_type_name(&t.token) => {
                j += 1;
                end = j;
            }
            _ => break,
        }
    }
    if end == start {
        return start;
    }
    // Optional `( n )` or `( n , m )`.
    if matches!(tokens.get(j).map(|t| &t.token), Some(Token::LParen)) {
        let mut k = j + 1;
        while let Some(t) = tokens.get(k) {
            match &t.token {
                Token::RParen => {
                    end = k + 1;
                    break;
                }
                Token::Number(..)
                | Token::Comma
                | Token::Minus
                | Token::Plus
                | Token::Whitespace(_) => k += 1,
                _ => break, // not a type size; leave it to the parser
            }
        }
    }
    let first = tokens[start..end]
        .iter()
        .find(|t| !is_space(&t.token))
        .map_or(tokens[start].span, |t| t.span);
    let text = map.between(first.start, tokens[end - 1].span.end);
    out.push(TokenWithSpan {
        token: Token::Word(Word {
            value: format!("{MARK}{text}"),
            quote_style: Some('"'),
            keyword: Keyword::NoKeyword,
        }),
        span: first,
    });
    end
}

/// The declared type text of a column parsed from folded tokens, or `None` when the
/// data type was not folded (then the caller falls back to sqlparser's spelling).
pub(crate) fn unfold(dt: &DataType) -> Option<String> {
    match dt {
        DataType::Custom(name, modifiers) if modifiers.is_empty() && name.0.len() == 1 => {
            match &name.0[0] {
                ObjectNamePart::Identifier(id) => id.value.strip_prefix(MARK).map(str::to_string),
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::SQLiteDialect;
    use sqlparser::tokenizer::Tokenizer;

    fn folded_words(sql: &str) -> Vec<String> {
        let tokens = Tokenizer::new(&SQLiteDialect {}, sql)
            .tokenize_with_location()
            .unwrap();
        fold_column_types(&SourceMap::new(sql), tokens)
            .0
            .into_iter()
            .filter_map(|t| match t.token {
                Token::Word(w) => w.value.strip_prefix(MARK).map(str::to_string),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn folds_only_column_types() {
        assert_eq!(
            folded_words(
                "CREATE TABLE t (a unsigned big int NOT NULL, b VARCHAR ( 10 , 2 ) CHECK (b IN ('x')), c, d AS (a+1), \
                 CONSTRAINT k PRIMARY KEY (a), e NUMERIC(-1), UNIQUE (b)); CREATE INDEX i ON t (a); \
                 CREATE TEMP TABLE u (x my type DEFAULT 1)"
            ),
            ["unsigned big int", "VARCHAR ( 10 , 2 )", "NUMERIC(-1)", "my type"]
        );
        // SQLite's typename: names, quoted names and strings, kept as written (fuzz
        // models_toml: a models.toml `sql_type` of `VARYING CHASA'7'R(255)` rendered into a
        // schema.sql that did not load).
        assert_eq!(
            folded_words("CREATE TABLE t (c VARYING CHASA'7'R(255), d \"my type\" [x] NOT NULL, e INT DEFAULT 'x')"),
            ["VARYING CHASA'7'R(255)", "\"my type\" [x]", "INT"]
        );
        assert!(folded_words("CREATE TABLE t AS SELECT 1 AS a").is_empty());
        assert!(folded_words("CREATE VIEW v (a) AS SELECT 1").is_empty());
    }
}
