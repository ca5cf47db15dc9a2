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

/// The rows that parsed and the errors of those that did not.
pub struct Parsed<R> {
    pub rows: Vec<Line<R>>,
    pub errors: Vec<FieldError>,
}

/// Whether an import row created or updated a record.
pub enum Written {
    Created,
    Updated,
}

/// Run an import inside the caller's transaction: parse the file, `write` each row that
/// parsed, and succeed only when every row did. Row errors (parse or validation) are all
/// collected with their lines; a database error stops at its row, since it aborted the
/// transaction. On error nothing is kept: the caller's transaction rolls back.
pub fn import<R: DeserializeOwned>(
    conn: &mut diesel::PgConnection,
    bytes: &[u8],
    mut write: impl FnMut(&mut diesel::PgConnection, R) -> Result<Written, AppError>,
) -> Result<ImportReport, AppError> {
    let parsed = parse::<R>(bytes)?;
    let mut errors = parsed.errors;
    let mut report = ImportReport {
        created: 0,
        updated: 0,
    };
    for Line { line, row } in parsed.rows {
        match write(conn, row) {
            Ok(Written::Created) => report.created += 1,
            Ok(Written::Updated) => report.updated += 1,
            Err(e) => {
                let aborted = !matches!(e, AppError::Validation { .. });
                errors.extend(at_line(e, line));
                if aborted || errors.len() >= MAX_REPORTED_ERRORS {
                    break;
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(report)
    } else {
        Err(row_errors(errors))
    }
}

/// Parse every row, keeping the ones that parse and the errors of the others.
pub fn parse<R: DeserializeOwned>(bytes: &[u8]) -> Result<Parsed<R>, AppError> {
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
        if let Some(i) = record.iter().position(|cell| cell.contains('\0')) {
            let column = headers.get(i).unwrap_or("row").to_owned();
            errors.push(FieldError::new(column, "must not contain NUL characters").at_line(line));
            continue;
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
    Ok(Parsed { rows, errors })
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

/// Order hierarchical records so every parent comes before its children (an export
/// must re-import, and an import row may only name a parent from an earlier row).
/// Records whose parent is not in the list count as roots; order is otherwise kept.
pub fn parents_first<T, K>(
    items: Vec<T>,
    id: impl Fn(&T) -> K,
    parent: impl Fn(&T) -> Option<K>,
) -> Vec<T>
where
    K: Eq + std::hash::Hash + Copy,
{
    use std::collections::{HashMap, HashSet};
    let ids: HashSet<K> = items.iter().map(&id).collect();
    let mut children: HashMap<Option<K>, Vec<T>> = HashMap::new();
    for item in items {
        let key = parent(&item).filter(|p| ids.contains(p));
        children.entry(key).or_default().push(item);
    }
    let mut out = Vec::with_capacity(ids.len());
    let mut stack: Vec<T> = children.remove(&None).unwrap_or_default();
    stack.reverse();
    while let Some(item) = stack.pop() {
        let key = id(&item);
        out.push(item);
        if let Some(mut kids) = children.remove(&Some(key)) {
            kids.reverse();
            stack.extend(kids);
        }
    }
    // anything left sits in a cycle (which the API refuses); keep it rather than lose it
    out.extend(children.into_values().flatten());
    out
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

    fn bad(csv: &str) -> Vec<(u64, String)> {
        let parsed = parse::<Row>(csv.as_bytes()).expect("the file itself is readable");
        parsed
            .errors
            .into_iter()
            .map(|e| (e.line.unwrap(), e.field))
            .collect()
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let errors = bad("name,count\nok,1\nbad,x\n,\nalso bad,-3\nfine,\n");
        assert_eq!(errors, [(3, "count".to_owned()), (5, "count".to_owned())]);
    }

    #[test]
    fn a_clean_file_parses_with_line_numbers() {
        let parsed = parse::<Row>("\u{feff}name,count\na,1\n\nb,\n".as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(parsed.errors.is_empty());
        let rows = parsed.rows;
        assert_eq!(rows.iter().map(|l| l.line).collect::<Vec<_>>(), [2, 4]);
        assert_eq!(rows[1].row.name, "b");
        assert_eq!(rows[1].row.count, None);
    }

    #[test]
    fn parents_come_before_children() {
        let items = vec![(3, Some(2)), (1, None), (2, Some(1)), (4, Some(99))];
        let ordered = parents_first(items, |x| x.0, |x| x.1);
        assert_eq!(
            ordered.iter().map(|x| x.0).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
    }

    #[test]
    fn ragged_rows_and_unknown_columns_are_errors_not_panics() {
        assert_eq!(bad("name,count\na,1,extra\n"), [(2, "row".to_owned())]);
        assert_eq!(bad("name,colour\na,red\n"), [(2, "colour".to_owned())]);
    }

    #[test]
    fn a_file_that_is_not_text_is_a_bad_request() {
        assert!(matches!(
            parse::<Row>(&[0xff, 0xfe, 0x00]),
            Err(AppError::BadRequest(_))
        ));
        assert!(matches!(parse::<Row>(b""), Err(AppError::BadRequest(_))));
    }
}
