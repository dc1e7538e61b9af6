//! Case-insensitive search in any language.
//!
//! SQLite's `LIKE` and `lower()` fold ASCII only, and PostgreSQL's `LIKE` is
//! case-sensitive, so every searchable record keeps a `search_text` column
//! lower-cased in Rust (Unicode-aware, locale-free). The caller's text goes
//! through the same folding and becomes an escaped `LIKE '%…%'` pattern.

use entity::values::LocalizedText;
use sea_orm::sea_query::LikeExpr;

use super::text::Lang;
use crate::error::AppError;

/// Longest search text accepted, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The folded form of a text, as stored in `search_text`.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Builds the `search_text` value from all translations of the given texts.
pub fn search_text<'a>(texts: impl IntoIterator<Item = Option<&'a LocalizedText>>) -> String {
    let parts: Vec<&str> = texts.into_iter().flatten().flat_map(LocalizedText::values).collect();
    fold(&parts.join("\n"))
}

/// The `LIKE` pattern of a caller's search text (`field` names it in
/// errors): `None` when absent or blank; bad input when longer than
/// [`MAX_SEARCH_CHARS`] or holding control characters, which no name or
/// description contains (and which PostgreSQL would refuse, NUL above all).
pub fn pattern(field: &str, needle: Option<&str>) -> Result<Option<LikeExpr>, AppError> {
    let Some(needle) = needle else { return Ok(None) };
    if needle.chars().count() > MAX_SEARCH_CHARS {
        return Err(AppError::bad_input(format!(
            "{field} must be at most {MAX_SEARCH_CHARS} characters long"
        )));
    }
    if needle.chars().any(char::is_control) {
        return Err(AppError::bad_input(format!(
            "{field} must not contain control characters"
        )));
    }
    Ok(contains_pattern(needle))
}

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and `\` escaped.
/// `None` for a blank needle (no filter).
fn contains_pattern(needle: &str) -> Option<LikeExpr> {
    let folded = fold(needle.trim());
    if folded.is_empty() {
        return None;
    }
    let mut escaped = String::with_capacity(folded.len() + 2);
    escaped.push('%');
    for ch in folded.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(ch);
    }
    escaped.push('%');
    Some(LikeExpr::new(escaped).escape('\\'))
}

/// Sorts after every letter in code-point order.
const AFTER_EVERY_LETTER: char = '\u{E000}';

/// The sort key of a name in one language (falling back to any present one).
///
/// Keys are compared byte by byte (SQLite's BINARY, PostgreSQL's "C"
/// collation), i.e. in code-point order, which misplaces the letters that
/// Kyrgyz and Russian add to the basic Cyrillic block: ё, ң, ө and ү would
/// sort after я. Each becomes its base letter followed by a marker that
/// sorts after every letter, which puts it right after the base letter as in
/// the alphabet. Punctuation (the «» around most names) is left out.
pub fn sort_key(name: &LocalizedText, lang: Lang) -> String {
    let preferred = match lang {
        Lang::Ky => &name.ky,
        Lang::Ru => &name.ru,
        Lang::En => &name.en,
    };
    let folded = fold(
        preferred
            .as_deref()
            .or_else(|| name.values().next())
            .unwrap_or_default(),
    );
    let mut key = String::with_capacity(folded.len() + 4);
    for ch in folded.chars().filter(|c| c.is_alphanumeric() || c.is_whitespace()) {
        match ch {
            'ё' => key.extend(['е', AFTER_EVERY_LETTER]),
            'ң' => key.extend(['н', AFTER_EVERY_LETTER]),
            'ө' => key.extend(['о', AFTER_EVERY_LETTER]),
            'ү' => key.extend(['у', AFTER_EVERY_LETTER]),
            other => key.push(other),
        }
    }
    key.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_handles_cyrillic_and_kyrgyz_letters() {
        assert_eq!(fold("АЙДАНЕК Үй-БҮЛӨГӨ Ңөө"), "айданек үй-бүлөгө ңөө");
    }

    #[test]
    fn sort_keys_follow_the_kyrgyz_alphabet() {
        let key = |ky: &str| {
            sort_key(
                &LocalizedText {
                    ky: Some(ky.to_owned()),
                    ru: None,
                    en: None,
                },
                Lang::Ky,
            )
        };
        let mut names = vec!["Үмүт", "Ош", "Улан", "Өрнөк", "Фатима", "«Айданек»", "Ңа", "Нур", "Я"];
        names.sort_by_key(|n| key(n));
        assert_eq!(
            names,
            ["«Айданек»", "Нур", "Ңа", "Ош", "Өрнөк", "Улан", "Үмүт", "Фатима", "Я"]
        );
    }

    #[test]
    fn wildcards_in_the_needle_are_literal() {
        use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SqliteQueryBuilder};
        let pattern = contains_pattern("50%_OFF").expect("not blank");
        let sql = Query::select()
            .expr(Expr::col(Alias::new("t")).like(pattern))
            .to_string(SqliteQueryBuilder);
        assert!(sql.contains(r"LIKE '%50\%\_off%' ESCAPE '\'"), "{sql}");
        assert!(contains_pattern("   ").is_none());
    }

    #[test]
    fn overlong_and_control_characters_are_bad_input() {
        assert!(pattern("text", Some(&"я".repeat(MAX_SEARCH_CHARS))).is_ok());
        for bad in [
            "я".repeat(MAX_SEARCH_CHARS + 1),
            "a\u{0}b".to_owned(),
            "line\nbreak".to_owned(),
        ] {
            assert_eq!(pattern("text", Some(&bad)).expect_err(&bad).code(), "BAD_USER_INPUT");
        }
    }
}
