//! `/api/v1/rules`: create, read, update, list, delete threshold and "no data" rules.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{NewRule, Rule, RuleKind, RulePatch, RuleRow};
use super::store::{self, RuleFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{AssetId, ModelId, RuleId};
use crate::validate::{is_identifier, Errors};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the rule list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub kind: Option<RuleKind>,
    /// Rules scoped to exactly this asset.
    pub asset_id: Option<AssetId>,
    /// Rules scoped to exactly this model.
    pub model_id: Option<ModelId>,
    /// Rules that watch this asset: its own and its model's.
    pub applies_to: Option<AssetId>,
    /// Threshold rules on this metric.
    pub metric: Option<String>,
    pub active: Option<bool>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List rules, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "rules",
    params(ListQuery),
    responses((status = 200, description = "A page of rules", body = Page<Rule>), ListErrors)
)]
#[get("/rules")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Rule>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<RuleId>()?);
    let mut e = Errors::new();
    if q.metric.as_deref().is_some_and(|m| !is_identifier(m)) {
        e.add("metric", "must match [A-Za-z0-9_.:-]{1,64}");
    }
    e.finish()?;
    let filter = RuleFilter {
        kind: q.kind,
        asset_id: q.asset_id,
        model_id: q.model_id,
        applies_to: q.applies_to,
        metric: q.metric,
        active: q.active,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |r| r.id)))
}

/// Create a rule: a threshold rule (`metric`, `condition` with `threshold` or
/// `low`/`high`, `duration_s` of device time, `hysteresis`, `allowed_lateness_s`) or a
/// `no_data` rule (`silence_s` and/or `offline_status`), on one asset or every asset of
/// a model. A breach opens a `corrective` ticket with the rule's `severity` as priority
/// (source `threshold` or `offline`); while that ticket is open, further breaches add
/// occurrences; a breach of a resolved one reopens it.
#[guarded]
#[utoipa::path(
    tag = "rules",
    request_body = NewRule,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Rule), CreateErrors)
)]
#[post("/rules")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewRule>,
) -> AppResult<HttpResponse> {
    let row = RuleRow::validate(&body)?;
    let rule = state
        .db
        .run(move |conn| store::insert(conn, RuleId::new(), &row))
        .await?;
    Ok(HttpResponse::Created().json(rule))
}

/// Read one rule.
#[guarded]
#[utoipa::path(
    tag = "rules",
    params(("id" = RuleId, Path, description = "Rule id")),
    responses((status = 200, description = "The rule", body = Rule), GetErrors)
)]
#[get("/rules/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<RuleId>,
) -> AppResult<web::Json<Rule>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a rule. Absent fields stay; `version`, when given, must be current. The
/// kind, scope and metric are fixed. Its state carries on under the new settings.
#[guarded]
#[utoipa::path(
    tag = "rules",
    params(("id" = RuleId, Path, description = "Rule id")),
    request_body = RulePatch,
    responses((status = 200, description = "The changed rule", body = Rule), UpdateErrors)
)]
#[patch("/rules/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<RuleId>,
    Json(body): Json<RulePatch>,
) -> AppResult<web::Json<Rule>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, &body))
            .await?,
    ))
}

/// Delete a rule and its state. Asset statuses it set are restored; the tickets it
/// opened stay, without their `rule_id`. (Set `active` to false to pause it instead.)
#[guarded]
#[utoipa::path(
    tag = "rules",
    params(("id" = RuleId, Path, description = "Rule id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/rules/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<RuleId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
