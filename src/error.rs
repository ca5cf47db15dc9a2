//! The one error type of the HTTP API, rendered as RFC 9457 `application/problem+json`.
//!
//! Policy: queries return `diesel::QueryResult`; handlers and services return
//! [`AppResult`], converting database errors with `?` (constraint violations become
//! 409/422 here, in one place); `anyhow` is only for start-up and command-line code.
//! Bad input is never a 500: a 500 means a bug or an unavailable dependency, and its
//! details go to the log, never to the client.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

/// One offending input field of a validation error.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    /// Where the value is: a JSON path (`contacts[0].email`), a query parameter, or a CSV column.
    #[schema(example = "time_zone")]
    pub field: String,
    /// What is wrong with it.
    #[schema(example = "unknown IANA time zone `Europe/Berln`")]
    pub reason: String,
    /// The CSV line the value came from (imports only; 1 is the header line).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = 3)]
    pub line: Option<u64>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
            line: None,
        }
    }

    pub fn at_line(mut self, line: u64) -> Self {
        self.line = Some(line);
        self
    }
}

/// An RFC 9457 problem document, as every error response of the API carries it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://mainspring.dev/problems/validation",
    "title": "Invalid input",
    "status": 422,
    "detail": "1 field is invalid",
    "errors": [{"field": "time_zone", "reason": "unknown IANA time zone `Europe/Berln`"}]
}))]
pub struct Problem {
    /// A URI naming the kind of problem, stable for clients to branch on:
    /// `https://mainspring.dev/problems/` + `bad-request`, `unauthorized`, `forbidden`,
    /// `not-found`, `validation`, `payload-too-large`, `unavailable`, `internal`, or for
    /// 409 `stale-version`, `invalid-transition`, `duplicate`, `referenced`,
    /// `concurrent-update`, `insufficient-stock` and `conflict`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time.
    pub detail: String,
    /// The offending fields (validation errors).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For an invalid transition: the states (or actions) that may follow the current one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// For insufficient stock: the quantity that could be had (an exact decimal).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "2.5")]
    pub available: Option<String>,
}

/// What kind of 409 a conflict is, so a client can branch on the problem `type`
/// (`https://mainspring.dev/problems/{slug}`) instead of parsing `detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// The `version` sent is not the record's current one: read it again and retry.
    StaleVersion,
    /// The lifecycle does not allow this change from the current status; `allowed`
    /// lists what may follow it.
    InvalidTransition,
    /// A unique value is already taken (SKU, serial number, code, one-per rule).
    Duplicate,
    /// Other records still reference this one (deleting it), or the change would break
    /// a reference.
    Referenced,
    /// A concurrent request won, or the same idempotent request is still running: retry.
    Concurrent,
    /// The resource's current state refuses the change (an inactive part, a closed
    /// ticket, a reversal of a reversal).
    State,
}

impl ConflictKind {
    pub const ALL: [ConflictKind; 6] = [
        ConflictKind::StaleVersion,
        ConflictKind::InvalidTransition,
        ConflictKind::Duplicate,
        ConflictKind::Referenced,
        ConflictKind::Concurrent,
        ConflictKind::State,
    ];

    /// The last segment of the problem `type`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::StaleVersion => "stale-version",
            Self::InvalidTransition => "invalid-transition",
            Self::Duplicate => "duplicate",
            Self::Referenced => "referenced",
            Self::Concurrent => "concurrent-update",
            Self::State => "conflict",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::StaleVersion => "Stale version",
            Self::InvalidTransition => "Invalid transition",
            Self::Duplicate => "Duplicate",
            Self::Referenced => "Still referenced",
            Self::Concurrent => "Concurrent update",
            Self::State => "Conflict",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid API key")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict {
        kind: ConflictKind,
        detail: String,
        allowed: Option<Vec<String>>,
    },
    /// Not enough stock: 409 carrying how much is available.
    #[error("{detail}")]
    InsufficientStock { detail: String, available: String },
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// A 409 of `kind`.
    pub fn conflict_of(kind: ConflictKind, detail: impl Into<String>) -> Self {
        Self::Conflict {
            kind,
            detail: detail.into(),
            allowed: None,
        }
    }

    /// A 409: the resource's current state refuses the change.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::conflict_of(ConflictKind::State, detail)
    }

    /// A 409: the `version` sent is stale.
    pub fn stale(detail: impl Into<String>) -> Self {
        Self::conflict_of(ConflictKind::StaleVersion, detail)
    }

    /// A 409: a unique value is taken.
    pub fn duplicate(detail: impl Into<String>) -> Self {
        Self::conflict_of(ConflictKind::Duplicate, detail)
    }

    /// A 409: still referenced by other records.
    pub fn referenced(detail: impl Into<String>) -> Self {
        Self::conflict_of(ConflictKind::Referenced, detail)
    }

    /// A 409: a concurrent request won; retry.
    pub fn concurrent(detail: impl Into<String>) -> Self {
        Self::conflict_of(ConflictKind::Concurrent, detail)
    }

    /// A 409: the lifecycle refuses this change; `allowed` are the states or actions
    /// that may follow the current one.
    pub fn transition(detail: impl Into<String>, allowed: Vec<String>) -> Self {
        Self::Conflict {
            kind: ConflictKind::InvalidTransition,
            detail: detail.into(),
            allowed: Some(allowed),
        }
    }

    pub fn not_found(what: &str, id: impl std::fmt::Display) -> Self {
        Self::NotFound(format!("no {what} with id {id}"))
    }

    /// A validation error on one field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::fields(vec![FieldError::new(field, reason)])
    }

    /// A validation error on several fields (nothing is changed when any is wrong).
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => format!("{}: {}", errors[0].field, errors[0].reason),
            n => format!("{n} fields are invalid"),
        };
        Self::Validation { detail, errors }
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad-request", "Malformed request"),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Unauthorized"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", "Forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not-found", "Not found"),
            Self::Conflict { kind, .. } => (StatusCode::CONFLICT, kind.slug(), kind.title()),
            Self::InsufficientStock { .. } => (
                StatusCode::CONFLICT,
                "insufficient-stock",
                "Insufficient stock",
            ),
            Self::Validation { .. } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation",
                "Invalid input",
            ),
            Self::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Internal server error",
            ),
        }
    }

    pub fn problem(&self) -> Problem {
        let (status, slug, title) = self.parts();
        let detail = match self {
            // the cause is logged, not shown
            Self::Internal(_) => "an unexpected error occurred; it has been logged".to_owned(),
            other => other.to_string(),
        };
        let (errors, allowed) = match self {
            Self::Validation { errors, .. } => (errors.clone(), None),
            Self::Conflict { allowed, .. } => (Vec::new(), allowed.clone()),
            _ => (Vec::new(), None),
        };
        let available = match self {
            Self::InsufficientStock { available, .. } => Some(available.clone()),
            _ => None,
        };
        Problem {
            kind: format!("https://mainspring.dev/problems/{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            errors,
            allowed,
            available,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(%cause, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if matches!(self, Self::Unauthorized) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        response.body(serde_json::to_vec(&self.problem()).unwrap_or_default())
    }
}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match &err {
            DieselError::NotFound => Self::NotFound("no such resource".into()),
            DieselError::DatabaseError(kind, info) => match kind {
                DatabaseErrorKind::UniqueViolation => Self::duplicate(unique_message(
                    info.constraint_name().unwrap_or_default(),
                    info.details().unwrap_or_else(|| info.message()),
                )),
                DatabaseErrorKind::ForeignKeyViolation => Self::referenced(format!(
                    "the change would break a reference: {}",
                    info.details().unwrap_or_else(|| info.message())
                )),
                DatabaseErrorKind::CheckViolation => Self::conflict(format!(
                    "the change breaks a rule of the data ({}): {}",
                    info.constraint_name().unwrap_or("check"),
                    info.message()
                )),
                DatabaseErrorKind::SerializationFailure => {
                    Self::concurrent("a concurrent update won; retry the request")
                }
                // a value PostgreSQL cannot hold (a date out of its range, say) is bad input
                _ if info.message().contains("out of range") => {
                    Self::invalid("value", info.message().to_owned())
                }
                DatabaseErrorKind::ClosedConnection => {
                    Self::Unavailable("the database connection was lost".into())
                }
                _ => Self::Internal(err.to_string()),
            },
            _ => Self::Internal(err.to_string()),
        }
    }
}

fn unique_message(constraint: &str, details: &str) -> String {
    format!("already exists ({constraint}): {details}")
}

impl From<r2d2_error::PoolError> for AppError {
    fn from(err: r2d2_error::PoolError) -> Self {
        Self::Unavailable(format!("no database connection available: {err}"))
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(_: actix_web::error::BlockingError) -> Self {
        Self::Internal("the blocking thread pool is gone".into())
    }
}

/// Re-export under a stable name so the rest of the crate needn't name r2d2.
pub mod r2d2_error {
    pub type PoolError = diesel::r2d2::PoolError;
}
