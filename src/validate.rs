//! Input validation helpers shared by features. Each returns the problems it finds as
//! [`FieldError`]s so a handler can report every bad field at once.

use serde::{Deserialize, Deserializer};

use crate::error::{AppError, AppResult, FieldError};

/// Collects field errors; `finish` turns them into one 422.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.0.push(FieldError::new(field, reason));
    }

    /// Required text: trimmed, 1..=max characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.add(field, "must not be empty");
        } else if v.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        v.to_owned()
    }

    /// Optional text: trimmed; empty becomes `None`.
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) -> Option<String> {
        let v = value.map(str::trim).filter(|v| !v.is_empty())?;
        if v.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
        Some(v.to_owned())
    }

    /// A code like a service tier or a skill: `[a-z0-9_-]{1,max}` (lower-cased first).
    pub fn code(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim().to_ascii_lowercase();
        let ok = !v.is_empty()
            && v.len() <= max
            && v.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !ok {
            self.add(
                field,
                format!("must be 1 to {max} of a-z, 0-9, `_` and `-`"),
            );
        }
        v
    }

    /// A list of codes (skills), deduplicated and sorted.
    pub fn codes(&mut self, field: &str, values: &[String], max: usize) -> Vec<String> {
        let mut out: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| self.code(&format!("{field}[{i}]"), v, max))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// An IANA time zone name.
    pub fn time_zone(&mut self, field: &str, value: &str) -> String {
        let v = value.trim();
        if v.parse::<chrono_tz::Tz>().is_err() {
            self.add(
                field,
                format!("`{v}` is not an IANA time zone such as Europe/Berlin"),
            );
        }
        v.to_owned()
    }

    /// A date PostgreSQL and people can use: years 1 to 9999.
    pub fn date(&mut self, field: &str, value: Option<chrono::NaiveDate>) {
        use chrono::Datelike;
        if value.is_some_and(|d| !(1..=9999).contains(&d.year())) {
            self.add(field, "must be a date between the years 1 and 9999");
        }
    }

    /// A timestamp in years 1 to 9999.
    pub fn time(&mut self, field: &str, value: Option<chrono::DateTime<chrono::Utc>>) {
        self.date(field, value.map(|t| t.date_naive()));
    }

    pub fn finish(self) -> Result<(), crate::error::AppError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(crate::error::AppError::fields(self.0))
        }
    }
}

/// Optimistic concurrency for PATCH: a `version` that is not the current one is 409.
pub fn check_version(expected: Option<i32>, current: i32) -> AppResult<()> {
    match expected {
        Some(v) if v != current => Err(AppError::stale(format!(
            "the record changed since version {v}; it is now at version {current}"
        ))),
        _ => Ok(()),
    }
}

/// For PATCH bodies: distinguishes an absent field (`None`) from an explicit `null`
/// (`Some(None)`). Use with `#[serde(default, deserialize_with = "nullable")]`.
pub fn nullable<'de, T, D>(de: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(de).map(Some)
}

/// The device id and metric name pattern of DESIGN.md: `[A-Za-z0-9_.:-]{1,64}`.
pub fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_follow_the_design_pattern() {
        assert!(is_identifier("pump-7.a:1_x"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("with space"));
        assert!(!is_identifier("slash/no"));
        assert!(!is_identifier(&"a".repeat(65)));
        assert!(is_identifier(&"a".repeat(64)));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut e = Errors::new();
        e.text("name", "  ", 10);
        e.time_zone("time_zone", "Mars/Olympus");
        e.code("tier", "Gold Plus", 32);
        assert_eq!(
            e.0.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(),
            ["name", "time_zone", "tier"]
        );
    }

    #[test]
    fn codes_are_normalised() {
        let mut e = Errors::new();
        let v = e.codes(
            "skills",
            &[
                "Hydraulics".into(),
                "electrical".into(),
                "hydraulics".into(),
            ],
            32,
        );
        assert!(e.0.is_empty());
        assert_eq!(v, ["electrical", "hydraulics"]);
    }
}
