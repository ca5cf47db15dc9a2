//! `/api/v1/maintenance-plans`: create, read, change, list and delete preventive
//! maintenance plans. Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{NewPlan, Plan, PlanPatch};
use super::store::{self, PlanFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{AssetId, ModelId, PlanId};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the plan list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Plans covering this asset: its own and its equipment model's.
    pub asset_id: Option<AssetId>,
    /// Plans for every asset of this equipment model.
    pub model_id: Option<ModelId>,
    pub active: Option<bool>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List maintenance plans, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(ListQuery),
    responses((status = 200, description = "A page of plans", body = Page<Plan>), ListErrors)
)]
#[get("/maintenance-plans")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Plan>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<PlanId>()?);
    let filter = PlanFilter {
        asset_id: q.asset_id,
        model_id: q.model_id,
        active: q.active,
    };
    let rows = state
        .db
        .run(move |conn| store::list(conn, &filter, after, limit + 1))
        .await?;
    Ok(web::Json(page(rows, limit, |p| p.id)))
}

/// Create a plan for one asset or for every asset of an equipment model. An invalid
/// cron expression, interval or meter is a 422 saying what is wrong.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    request_body = NewPlan,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Plan), CreateErrors)
)]
#[post("/maintenance-plans")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewPlan>,
) -> AppResult<HttpResponse> {
    let plan = state.db.run(move |conn| store::create(conn, &body)).await?;
    Ok(HttpResponse::Created().json(plan))
}

/// Read one plan with its parts kit.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(("id" = PlanId, Path, description = "Plan id")),
    responses((status = 200, description = "The plan", body = Plan), GetErrors)
)]
#[get("/maintenance-plans/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<PlanId>,
) -> AppResult<web::Json<Plan>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a plan. Absent fields stay; `parts` replaces the kit; `version`, when given,
/// must be current. Tickets already opened keep what they were opened with.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(("id" = PlanId, Path, description = "Plan id")),
    request_body = PlanPatch,
    responses((status = 200, description = "The changed plan", body = Plan), UpdateErrors)
)]
#[patch("/maintenance-plans/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<PlanId>,
    Json(body): Json<PlanPatch>,
) -> AppResult<web::Json<Plan>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, &body))
            .await?,
    ))
}

/// Delete a plan no ticket came from (409 otherwise: deactivate it instead).
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(("id" = PlanId, Path, description = "Plan id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/maintenance-plans/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<PlanId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
