//! SQL functions and helpers used by queries across features.

use diesel::sql_types::Text;

diesel::define_sql_function! {
    /// PostgreSQL `lower(text)`; the trigram indexes are on `lower(column)`.
    fn lower(x: Text) -> Text;
}

/// A `LIKE` pattern matching `needle` anywhere, lower-cased, with `%`, `_` and `\` escaped.
pub fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

#[cfg(test)]
mod tests {
    #[test]
    fn like_metacharacters_are_escaped() {
        assert_eq!(super::contains_pattern("50%_A\\b"), "%50\\%\\_a\\\\b%");
    }
}
