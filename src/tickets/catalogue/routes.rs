//! `/api/v1/failure-codes` and `/api/v1/sla-targets`: list, put (create or replace),
//! delete. Every role reads; admins and planners keep the failure-code catalogue; only
//! admins change SLA targets, because they are promises made to customers.
//!
//! Path values: in a PUT they are input like the body (a bad one is 422 naming `kind`,
//! `code`, `tier` or `priority`); in a DELETE a value that cannot name a stored row is
//! 404, like a malformed id anywhere else.

use actix_web::{delete, get, put, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::failure_codes::{self, FailureCodeBody, FailureCodeEntry, FailureKind};
use super::sla_targets::{self, SlaTarget, SlaTargetBody};
use crate::auth::policy::{Admins, Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{DeleteErrors, ListErrors, ReplaceErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::tickets::model::Priority;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_failure_codes)
        .service(put_failure_code)
        .service(delete_failure_code)
        .service(list_sla_targets)
        .service(put_sla_target)
        .service(delete_sla_target);
}

/// Filters of the failure-code list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FailureCodeQuery {
    /// Only codes of this kind.
    pub kind: Option<FailureKind>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List the failure-code catalogue, by kind and code.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(FailureCodeQuery),
    responses((status = 200, description = "A page of failure codes", body = Page<FailureCodeEntry>), ListErrors)
)]
#[get("/failure-codes")]
async fn list_failure_codes(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<FailureCodeQuery>,
) -> AppResult<web::Json<Page<FailureCodeEntry>>> {
    let (limit, after) = paging::<(FailureKind, String)>(q.limit, q.cursor.as_deref())?;
    let rows = state
        .db
        .run(move |conn| Ok(failure_codes::list(conn, q.kind, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |c| (c.kind, c.code.clone()))))
}

/// Create a failure code, or replace its description. The code is lower-cased. Tickets
/// may name it in their work record from then on.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("kind" = FailureKind, Path, description = "problem, cause or remedy"),
        ("code" = String, Path, description = "`[a-z0-9_-]`, 1 to 32 characters (lower-cased)", pattern = r"^[A-Za-z0-9_-]{1,32}$"),
    ),
    request_body = FailureCodeBody,
    responses((status = 200, description = "The code as stored", body = FailureCodeEntry), ReplaceErrors)
)]
#[put("/failure-codes/{kind}/{code}")]
async fn put_failure_code(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Json(body): Json<FailureCodeBody>,
) -> AppResult<web::Json<FailureCodeEntry>> {
    let (kind, code) = path.into_inner();
    let entry = failure_codes::validate(&kind, &code, &body)?;
    Ok(web::Json(
        state
            .db
            .run(move |conn| Ok(failure_codes::put(conn, &entry)?))
            .await?,
    ))
}

/// Remove a failure code from the catalogue. Tickets keep their failure codes as text,
/// not as references, so a code that tickets already name can be removed: those tickets
/// keep showing it, and only new work records are refused it.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("kind" = FailureKind, Path, description = "problem, cause or remedy"),
        ("code" = String, Path, description = "The code (matched ignoring case)"),
    ),
    responses((status = 204, description = "Removed"), DeleteErrors)
)]
#[delete("/failure-codes/{kind}/{code}")]
async fn delete_failure_code(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (kind, code) = path.into_inner();
    let (kind, code) = failure_codes::key(&kind, &code)
        .ok_or_else(|| AppError::NotFound(format!("no {kind} code `{code}`")))?;
    state
        .db
        .run(move |conn| failure_codes::delete(conn, kind, &code))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlaTargetQuery {
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List every SLA target, by tier and priority. A ticket takes the row of its customer's
/// service tier and its priority, else the tier `*` row of its priority.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(SlaTargetQuery),
    responses((status = 200, description = "A page of SLA targets", body = Page<SlaTarget>), ListErrors)
)]
#[get("/sla-targets")]
async fn list_sla_targets(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<SlaTargetQuery>,
) -> AppResult<web::Json<Page<SlaTarget>>> {
    let (limit, after) = paging::<(String, String)>(q.limit, q.cursor.as_deref())?;
    let rows = state
        .db
        .run(move |conn| Ok(sla_targets::list(conn, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |t| {
        (t.tier.clone(), t.priority.as_str().to_owned())
    })))
}

/// Set the SLA targets of a service tier (or of `*`, the default) for a priority,
/// creating or replacing them. Tickets opened or reprioritised afterwards get due times
/// from the new targets; tickets already open keep theirs.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("tier" = String, Path, description = "A customer service tier (`[a-z0-9_-]`, 1 to 32 characters, lower-cased), or `*` for the default", pattern = r"^(\*|[A-Za-z0-9_-]{1,32})$"),
        ("priority" = Priority, Path, description = "The ticket priority"),
    ),
    request_body = SlaTargetBody,
    responses((status = 200, description = "The targets as stored", body = SlaTarget), ReplaceErrors)
)]
#[put("/sla-targets/{tier}/{priority}")]
async fn put_sla_target(
    caller: Allowed<Admins>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    Json(body): Json<SlaTargetBody>,
) -> AppResult<web::Json<SlaTarget>> {
    let (tier, priority) = path.into_inner();
    let target = sla_targets::validate(&tier, &priority, &body)?;
    let target = state
        .db
        .run(move |conn| Ok(sla_targets::put(conn, &target)?))
        .await?;
    tracing::info!(
        tier = %target.tier,
        priority = %target.priority,
        response_hours = ?target.response_hours,
        resolution_hours = target.resolution_hours,
        by = %caller.name,
        "SLA target set"
    );
    Ok(web::Json(target))
}

/// Remove a service tier's own targets for a priority: its tickets opened afterwards
/// get the default (`*`) targets. The defaults cannot be removed (409), only changed.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("tier" = String, Path, description = "A customer service tier"),
        ("priority" = Priority, Path, description = "The ticket priority"),
    ),
    responses((status = 204, description = "Removed"), DeleteErrors)
)]
#[delete("/sla-targets/{tier}/{priority}")]
async fn delete_sla_target(
    caller: Allowed<Admins>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (tier, priority) = path.into_inner();
    let (tier, priority) = sla_targets::key(&tier, &priority).ok_or_else(|| {
        AppError::NotFound(format!(
            "no SLA target for tier `{tier}` and priority `{priority}`"
        ))
    })?;
    let deleted_tier = tier.clone();
    state
        .db
        .run(move |conn| sla_targets::delete(conn, &tier, priority))
        .await?;
    tracing::info!(tier = %deleted_tier, %priority, by = %caller.name, "SLA target removed");
    Ok(HttpResponse::NoContent().finish())
}
