//! `/api/v1/warehouses`: create, read, update, list, delete.
//! Warehouse staff and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Draft, NewWarehouse, Warehouse, WarehouseKind, WarehousePatch};
use super::store::{self, WarehouseFilter};
use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{SiteId, WarehouseId};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the warehouse list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only warehouses of this kind.
    pub kind: Option<WarehouseKind>,
    /// Only warehouses at this site.
    pub site_id: Option<SiteId>,
    /// Only active (`true`) or inactive (`false`) warehouses.
    pub active: Option<bool>,
    /// Code or name contains this (case-insensitive).
    pub q: Option<String>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List warehouses, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "warehouses",
    params(ListQuery),
    responses((status = 200, description = "A page of warehouses", body = Page<Warehouse>), ListErrors)
)]
#[get("/warehouses")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Warehouse>>> {
    let (limit, after) = paging::<WarehouseId>(q.limit, q.cursor.as_deref())?;
    let filter = WarehouseFilter {
        kind: q.kind,
        site_id: q.site_id,
        active: q.active,
        q: q.q,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |w| w.id)))
}

/// Create a warehouse (409 when the code is taken).
#[guarded]
#[utoipa::path(
    tag = "warehouses",
    request_body = NewWarehouse,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Warehouse), CreateErrors)
)]
#[post("/warehouses")]
async fn create(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    Json(body): Json<NewWarehouse>,
) -> AppResult<HttpResponse> {
    let warehouse = state
        .db
        .run(move |conn| {
            let row = store::validate(conn, &Draft::new(&body))?;
            store::insert(conn, WarehouseId::new(), &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(warehouse))
}

/// Read one warehouse.
#[guarded]
#[utoipa::path(
    tag = "warehouses",
    params(("id" = WarehouseId, Path, description = "Warehouse id")),
    responses((status = 200, description = "The warehouse", body = Warehouse), GetErrors)
)]
#[get("/warehouses/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<WarehouseId>,
) -> AppResult<web::Json<Warehouse>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a warehouse. Absent fields stay; `version`, when given, must be current.
#[guarded]
#[utoipa::path(
    tag = "warehouses",
    params(("id" = WarehouseId, Path, description = "Warehouse id")),
    request_body = WarehousePatch,
    responses((status = 200, description = "The changed warehouse", body = Warehouse), UpdateErrors)
)]
#[patch("/warehouses/{id}")]
async fn update(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    id: web::Path<WarehouseId>,
    Json(body): Json<WarehousePatch>,
) -> AppResult<web::Json<Warehouse>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, &body))
            .await?,
    ))
}

/// Delete a warehouse that nothing references (409 once it has stock history, serves a
/// site or is a technician's van: deactivate it instead).
#[guarded]
#[utoipa::path(
    tag = "warehouses",
    params(("id" = WarehouseId, Path, description = "Warehouse id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/warehouses/{id}")]
async fn remove(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    id: web::Path<WarehouseId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
