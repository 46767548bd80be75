//! Table-driven tests of the type mapper.

use super::*;

#[test]
fn every_declared_type_maps() {
    // (declared, SQL type, affinity, wire, Rust, reads back as)
    let cases: &[(&str, &str, Affinity, ValueType, &str, &str)] = &[
        (
            "integer",
            "INTEGER",
            Affinity::Integer,
            ValueType::Integer,
            "i64",
            "integer",
        ),
        (
            "biginteger",
            "BIGINT",
            Affinity::Integer,
            ValueType::Integer,
            "i64",
            "biginteger",
        ),
        (
            "smallinteger",
            "SMALLINT",
            Affinity::Integer,
            ValueType::Integer,
            "i16",
            "smallinteger",
        ),
        (
            "boolean",
            "INTEGER",
            Affinity::Integer,
            ValueType::Integer,
            "bool",
            "integer",
        ),
        (
            "string",
            "VARCHAR",
            Affinity::Text,
            ValueType::Text,
            "String",
            "string",
        ),
        (
            "string(100)",
            "VARCHAR(100)",
            Affinity::Text,
            ValueType::Text,
            "String",
            "string(100)",
        ),
        (
            "String( 7 )",
            "VARCHAR(7)",
            Affinity::Text,
            ValueType::Text,
            "String",
            "string(7)",
        ),
        (
            "text",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "String",
            "text",
        ),
        (
            "float",
            "REAL",
            Affinity::Real,
            ValueType::Float,
            "f64",
            "float",
        ),
        (
            "numeric",
            "NUMERIC",
            Affinity::Numeric,
            ValueType::Float,
            "f64",
            "numeric",
        ),
        (
            "numeric(10)",
            "NUMERIC(10)",
            Affinity::Numeric,
            ValueType::Float,
            "f64",
            "numeric(10)",
        ),
        (
            "numeric(10, 2)",
            "NUMERIC(10,2)",
            Affinity::Numeric,
            ValueType::Float,
            "f64",
            "numeric(10,2)",
        ),
        (
            "date",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "chrono::NaiveDate",
            "text",
        ),
        (
            "datetime",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "chrono::NaiveDateTime",
            "text",
        ),
        (
            "time",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "chrono::NaiveTime",
            "text",
        ),
        (
            "blob",
            "BLOB",
            Affinity::Blob,
            ValueType::Blob,
            "Vec<u8>",
            "blob",
        ),
        (
            "largebinary",
            "BLOB",
            Affinity::Blob,
            ValueType::Blob,
            "Vec<u8>",
            "blob",
        ),
        (
            "json",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "serde_json::Value",
            "text",
        ),
        (
            "uuid",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "String",
            "text",
        ),
        (
            "enum(a,b)",
            "TEXT",
            Affinity::Text,
            ValueType::Text,
            "String",
            "text",
        ),
    ];
    for &(declared, sql, affinity, wire, rust, back) in cases {
        let t = DeclaredType::parse(declared).unwrap_or_else(|e| panic!("{declared}: {e}"));
        assert_eq!(t.sql_type().as_str(), sql, "{declared}");
        assert_eq!(t.affinity(), affinity, "{declared}");
        assert_eq!(t.sql_type().affinity(), affinity, "{declared}");
        assert_eq!(t.wire_type(), wire, "{declared}");
        assert_eq!(t.rust_type().name(), rust, "{declared}");
        let read_back = DeclaredType::from_sql_type(&t.sql_type()).unwrap();
        assert_eq!(read_back.to_string(), back, "{declared}");
        // The read-back type renders the same SQL: the mapping is a fixed point.
        assert_eq!(read_back.sql_type(), t.sql_type(), "{declared}");
        assert!(
            !t.sql_type().is_remapped_by_dqlite(),
            "{declared} renders a remapped type"
        );
        // Display round-trips through parse.
        assert_eq!(
            DeclaredType::parse(&t.to_string()).unwrap(),
            t,
            "{declared}"
        );
    }
}

#[test]
fn enum_values_and_check() {
    let t = DeclaredType::parse("enum(draft, 'in review', 'it''s', ' x ')").unwrap();
    assert_eq!(
        t,
        DeclaredType::Enum(vec![
            "draft".into(),
            "in review".into(),
            "it's".into(),
            " x ".into()
        ])
    );
    assert_eq!(
        t.check_sql("st\"atus").unwrap(),
        r#""st""atus" IN ('draft', 'in review', 'it''s', ' x ')"#
    );
    assert_eq!(DeclaredType::Integer.check_sql("x"), None);
}

#[test]
fn bad_types_say_what_is_expected() {
    let cases: &[(&str, &str)] = &[
        (
            "varchar(10)",
            "unknown type `varchar(10)`; expected one of integer",
        ),
        ("string(abc)", "`abc` is not a whole number"),
        ("string(10", "missing the closing `)`"),
        ("integer(4)", "takes no arguments"),
        (
            "numeric(1,2,3)",
            "expected numeric(precision) or numeric(precision, scale)",
        ),
        ("enum", "expected the allowed values"),
        ("enum(a,,b)", "empty enum value"),
        ("enum(a,a)", "enum value `a` is listed twice"),
        ("enum('a)", "unterminated quoted enum value"),
        ("enum('a' b)", "unexpected `b` after an enum value"),
        ("", "unknown type ``"),
    ];
    for &(input, want) in cases {
        let err = DeclaredType::parse(input).unwrap_err().to_string();
        assert!(err.contains(want), "{input:?}: got {err:?}, want {want:?}");
    }
}

#[test]
fn foreign_sql_types_have_no_declared_type() {
    for t in [
        "INT",
        "VARCHAR(x)",
        "CHAR(10)",
        "DOUBLE",
        "",
        "NUMERIC(1,2,3)",
    ] {
        assert_eq!(DeclaredType::from_sql_type(&SqlType::new(t)), None, "{t}");
    }
}
