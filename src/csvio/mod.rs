//! CSV import and export, shared by every feature that offers it (customers, sites,
//! assets, devices; parts and balances later).
//!
//! An import is all-or-nothing: every row is parsed and validated first, and every bad
//! row is reported with its line number (the header is line 1) and reason in one 422;
//! only a clean file is written, in one transaction. Rows carrying an `id` that exists
//! update that record, others create one (with the given id, so an export imported
//! elsewhere keeps its references).

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, FromRequest, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, FieldError};
use crate::http::extract::{read_body, CSV_LIMIT};

/// At most this many row errors are listed in one response.
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The outcome of a successful import.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// Rows that created a record.
    #[schema(example = 120)]
    pub created: usize,
    /// Rows that updated an existing record (matched by `id`).
    #[schema(example = 3)]
    pub updated: usize,
}

/// A CSV request body (`Content-Type: text/csv`), up to 32 MiB.
pub struct CsvBody(pub actix_web::web::Bytes);

impl FromRequest for CsvBody {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_csv = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("text/csv")
            })
            .unwrap_or(false);
        let body = read_body(req, payload, CSV_LIMIT);
        Box::pin(async move {
            if !is_csv {
                return Err(AppError::BadRequest(
                    "the body must be CSV with `Content-Type: text/csv`".into(),
                ));
            }
            Ok(CsvBody(body.await?))
        })
    }
}

/// One parsed row and the line it came from.
pub struct Line<R> {
    pub line: u64,
    pub row: R,
}

/// Parse every row; on any error, return all of them (up to the limit).
pub fn parse<R: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<Line<R>>, AppError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| AppError::BadRequest(format!("the CSV is not UTF-8: {e}")))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text); // spreadsheet BOM
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| AppError::BadRequest(format!("cannot read the CSV header: {e}")))?
        .clone();
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(AppError::BadRequest("the CSV has no header line".into()));
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_of(text, p.byte())).unwrap_or(0);
                errors.push(FieldError::new("row", csv_reason(&e)).at_line(line));
                continue;
            }
        };
        let line = record
            .position()
            .map(|p| line_of(text, p.byte()))
            .unwrap_or(0);
        if record.iter().all(str::is_empty) {
            continue; // blank line
        }
        // a map of column → cell, so a bad cell's error names its column
        let cells = headers.iter().zip(record.iter());
        let de = serde::de::value::MapDeserializer::<_, serde::de::value::Error>::new(cells);
        match serde_path_to_error::deserialize::<_, R>(de) {
            Ok(row) => rows.push(Line { line, row }),
            Err(e) => {
                let path = e.path().to_string();
                let message = e.into_inner().to_string();
                let named = message
                    .strip_prefix("unknown field `")
                    .or_else(|| message.strip_prefix("missing field `"))
                    .and_then(|rest| rest.split('`').next());
                let field = match (path.as_str(), named) {
                    (_, Some(name)) => name.to_owned(), // rows are flat: the column itself
                    ("." | "", None) => "row".to_owned(),
                    (p, None) => p.to_owned(),
                };
                errors.push(FieldError::new(field, message).at_line(line));
            }
        }
        if errors.len() >= MAX_REPORTED_ERRORS {
            break;
        }
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(row_errors(errors))
    }
}

/// The 1-based line of a byte offset (the csv crate's own count skips blank lines).
fn line_of(text: &str, byte: u64) -> u64 {
    let bytes = text.as_bytes();
    let mut end = (byte as usize).min(bytes.len());
    // a record's position can point at blank lines skipped before it
    while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|b| **b == b'\n').count() as u64 + 1
}

fn csv_reason(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => {
            format!("has {len} fields; the header has {expected_len}")
        }
        _ => e.to_string(),
    }
}

/// The 422 for an import with bad rows.
pub fn row_errors(mut errors: Vec<FieldError>) -> AppError {
    errors.sort_by_key(|e| e.line);
    let rows = {
        let mut lines: Vec<_> = errors.iter().filter_map(|e| e.line).collect();
        lines.dedup();
        lines.len()
    };
    AppError::Validation {
        detail: format!("{rows} row(s) are invalid; nothing was imported"),
        errors,
    }
}

/// Attach a line number to the field errors of a row's validation error.
pub fn at_line(err: AppError, line: u64) -> Vec<FieldError> {
    match err {
        AppError::Validation { errors, .. } => {
            errors.into_iter().map(|e| e.at_line(line)).collect()
        }
        other => vec![FieldError::new("row", other.to_string()).at_line(line)],
    }
}

/// Write rows as CSV with a header line.
pub fn write<R: Serialize>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.serialize(row)
            .map_err(|e| AppError::Internal(format!("CSV export: {e}")))?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(format!("CSV export: {e}")))
}

/// A CSV download response.
pub fn download(filename: &str, body: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}\""),
        ))
        .body(body)
}

/// A CSV cell parsed with `FromStr` (cells are text; use this for numbers, dates, ids).
pub fn from_cell<'de, D, T>(de: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s = String::deserialize(de)?;
    s.trim().parse().map_err(serde::de::Error::custom)
}

/// An optional CSV cell: empty is `None`, anything else parsed with `FromStr`.
/// Every `Option` field of a CSV row needs this (cells are text, never "missing").
pub fn empty_as_none<'de, D, T>(de: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let s = String::deserialize(de)?;
    match s.trim() {
        "" => Ok(None),
        v => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Row {
        name: String,
        #[serde(default, deserialize_with = "empty_as_none")]
        count: Option<u32>,
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let csv = "name,count\nok,1\nbad,x\n,\nalso bad,-3\nfine,\n";
        let err = parse::<Row>(csv.as_bytes()).err().expect("bad rows");
        let AppError::Validation { errors, .. } = err else {
            panic!("not a validation error")
        };
        let lines: Vec<_> = errors
            .iter()
            .map(|e| (e.line.unwrap(), e.field.as_str()))
            .collect();
        assert_eq!(lines, [(3, "count"), (5, "count")]);
    }

    #[test]
    fn a_clean_file_parses_with_line_numbers() {
        let rows = parse::<Row>("\u{feff}name,count\na,1\n\nb,\n".as_bytes())
            .ok()
            .unwrap();
        assert_eq!(rows.iter().map(|l| l.line).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(rows[1].row.name, "b");
        assert_eq!(rows[1].row.count, None);
    }

    #[test]
    fn a_ragged_row_is_an_error_not_a_panic() {
        let err = parse::<Row>("name,count\na,1,extra\n".as_bytes())
            .err()
            .unwrap();
        assert!(matches!(err, AppError::Validation { .. }));
        let err = parse::<Row>("name,colour\na,red\n".as_bytes())
            .err()
            .unwrap();
        let AppError::Validation { errors, .. } = err else {
            panic!()
        };
        assert_eq!(
            (errors[0].field.as_str(), errors[0].line),
            ("colour", Some(2))
        );
    }
}
