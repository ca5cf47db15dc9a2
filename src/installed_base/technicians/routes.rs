//! `/api/v1/technicians`: create, read, update, list, delete.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Availability, Draft, NewTechnician, Technician, TechnicianPatch};
use super::store::{self, TechnicianFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{SiteId, TechnicianId};
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the technician list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only active (`true`) or inactive (`false`) technicians.
    pub active: Option<bool>,
    /// Exactly this availability.
    pub availability: Option<Availability>,
    /// Has this skill code.
    pub skill: Option<String>,
    /// Based at this site.
    pub home_site_id: Option<SiteId>,
    /// Name contains this (case-insensitive).
    pub q: Option<String>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List technicians, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "technicians",
    params(ListQuery),
    responses((status = 200, description = "A page of technicians", body = Page<Technician>), ListErrors)
)]
#[get("/technicians")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Technician>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<TechnicianId>()?);
    let mut e = Errors::new();
    let skill = q.skill.as_deref().map(|s| e.code("skill", s, 32));
    e.finish()?;
    let filter = TechnicianFilter {
        active: q.active,
        availability: q.availability,
        skill,
        home_site_id: q.home_site_id,
        q: q.q,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |t| t.id)))
}

/// Create a technician (422 naming `home_site_id` when that site does not exist, or
/// `van_warehouse_id` when that is no van; 409 when the van is another technician's).
#[guarded]
#[utoipa::path(
    tag = "technicians",
    request_body = NewTechnician,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Technician), CreateErrors)
)]
#[post("/technicians")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewTechnician>,
) -> AppResult<HttpResponse> {
    let technician = state
        .db
        .run(move |conn| {
            let row = store::validate(conn, &Draft::from_new(&body))?;
            store::insert(conn, TechnicianId::new(), &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(technician))
}

/// Read one technician.
#[guarded]
#[utoipa::path(
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "Technician id")),
    responses((status = 200, description = "The technician", body = Technician), GetErrors)
)]
#[get("/technicians/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TechnicianId>,
) -> AppResult<web::Json<Technician>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a technician. Absent fields stay; `null` clears `email`, `phone`,
/// `home_site_id` or `van_warehouse_id`; `version`, when given, must be current.
#[guarded]
#[utoipa::path(
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "Technician id")),
    request_body = TechnicianPatch,
    responses((status = 200, description = "The changed technician", body = Technician), UpdateErrors)
)]
#[patch("/technicians/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<TechnicianId>,
    Json(body): Json<TechnicianPatch>,
) -> AppResult<web::Json<Technician>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, &body))
            .await?,
    ))
}

/// Delete a technician nothing references. While API keys (revoked ones too) are bound
/// to them this is 409: set `active` to false instead.
#[guarded]
#[utoipa::path(
    tag = "technicians",
    params(("id" = TechnicianId, Path, description = "Technician id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/technicians/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<TechnicianId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
