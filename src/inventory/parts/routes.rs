//! `/api/v1/parts`: create, read, update, list, delete, and CSV.
//! Warehouse staff and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Criticality, Draft, NewPart, Part, PartPatch};
use super::store::{self, PartFilter};
use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{ModelId, PartId};
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    // the CSV routes come first so `/parts/export` is not taken for an id
    cfg.service(super::csv::export)
        .service(super::csv::import)
        .service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the part list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Exactly this SKU (ignoring case).
    pub sku: Option<String>,
    /// Name or SKU contains this (ignoring case).
    pub q: Option<String>,
    /// Exactly this category code.
    pub category: Option<String>,
    pub criticality: Option<Criticality>,
    /// Parts that fit this equipment model (where-used).
    pub model_id: Option<ModelId>,
    /// Only active (`true`) or inactive (`false`) parts.
    pub active: Option<bool>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List parts, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "parts",
    params(ListQuery),
    responses((status = 200, description = "A page of parts", body = Page<Part>), ListErrors)
)]
#[get("/parts")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Part>>> {
    let (limit, after) = paging::<PartId>(q.limit, q.cursor.as_deref())?;
    let mut e = Errors::new();
    let category = q.category.as_deref().map(|c| e.code("category", c, 32));
    e.finish()?;
    let filter = PartFilter {
        sku: q.sku,
        q: q.q,
        category,
        criticality: q.criticality,
        model_id: q.model_id,
        active: q.active,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |p| p.id)))
}

/// Create a part (409 when the SKU is taken).
#[guarded]
#[utoipa::path(
    tag = "parts",
    request_body = NewPart,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Part), CreateErrors)
)]
#[post("/parts")]
async fn create(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    Json(body): Json<NewPart>,
) -> AppResult<HttpResponse> {
    let part = state
        .db
        .run(move |conn| {
            let v = store::validate(conn, Draft::new(body))?;
            store::insert(conn, PartId::new(), &v)
        })
        .await?;
    Ok(HttpResponse::Created().json(part))
}

/// Read one part with its compatible models and suppliers.
#[guarded]
#[utoipa::path(
    tag = "parts",
    params(("id" = PartId, Path, description = "Part id")),
    responses((status = 200, description = "The part", body = Part), GetErrors)
)]
#[get("/parts/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<PartId>,
) -> AppResult<web::Json<Part>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a part. Absent fields stay; lists given replace the stored ones; `version`,
/// when given, must be current.
#[guarded]
#[utoipa::path(
    tag = "parts",
    params(("id" = PartId, Path, description = "Part id")),
    request_body = PartPatch,
    responses((status = 200, description = "The changed part", body = Part), UpdateErrors)
)]
#[patch("/parts/{id}")]
async fn update(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    id: web::Path<PartId>,
    Json(body): Json<PartPatch>,
) -> AppResult<web::Json<Part>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, body))
            .await?,
    ))
}

/// Delete a part that has no stock history (409 otherwise: deactivate it instead).
#[guarded]
#[utoipa::path(
    tag = "parts",
    params(("id" = PartId, Path, description = "Part id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/parts/{id}")]
async fn remove(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    id: web::Path<PartId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
