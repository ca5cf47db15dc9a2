//! `/api/v1/sites`: create, read, update, list, delete, CSV import and export.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel::Connection;
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{NewSite, Site, SiteKind, SitePatch};
use super::store::{self, Draft, SiteFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{CustomerId, SiteId, WarehouseId};
use crate::validate::check_version;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(super::csv::export)
        .service(super::csv::import)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the site list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name contains this (case-insensitive).
    pub q: Option<String>,
    pub customer_id: Option<CustomerId>,
    /// Direct children of this site.
    pub parent_id: Option<SiteId>,
    /// `true`: only top-level sites; `false`: only sub-sites.
    pub top_level: Option<bool>,
    /// This site and every site below it.
    pub under: Option<SiteId>,
    pub kind: Option<SiteKind>,
    /// Served by this warehouse.
    pub serving_warehouse_id: Option<WarehouseId>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List sites, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "sites",
    params(ListQuery),
    responses((status = 200, description = "A page of sites", body = Page<Site>), ListErrors)
)]
#[get("/sites")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Site>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<SiteId>()?);
    let filter = SiteFilter {
        q: q.q,
        customer_id: q.customer_id,
        parent_id: q.parent_id,
        top_level: q.top_level,
        under: q.under,
        kind: q.kind,
        serving_warehouse_id: q.serving_warehouse_id,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |s| s.id)))
}

/// Create a site, area or line.
#[guarded]
#[utoipa::path(
    tag = "sites",
    request_body = NewSite,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Site), CreateErrors)
)]
#[post("/sites")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewSite>,
) -> AppResult<HttpResponse> {
    let draft = Draft {
        name: body.name,
        customer_id: body.customer_id,
        parent_id: body.parent_id,
        kind: body.kind,
        time_zone: body.time_zone,
        address: body.address,
        serving_warehouse_id: body.serving_warehouse_id.map(Some),
    };
    let site = state
        .db
        .transaction(move |conn| {
            let row = store::resolve(conn, draft, None)?;
            store::insert(conn, SiteId::new(), &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(site))
}

/// Read one site.
#[guarded]
#[utoipa::path(
    tag = "sites",
    params(("id" = SiteId, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = Site), GetErrors)
)]
#[get("/sites/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<SiteId>,
) -> AppResult<web::Json<Site>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a site. Absent fields stay; a new customer applies to every sub-site.
#[guarded]
#[utoipa::path(
    tag = "sites",
    params(("id" = SiteId, Path, description = "Site id")),
    request_body = SitePatch,
    responses((status = 200, description = "The changed site", body = Site), UpdateErrors)
)]
#[patch("/sites/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<SiteId>,
    Json(p): Json<SitePatch>,
) -> AppResult<web::Json<Site>> {
    let id = id.into_inner();
    let site = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let current = store::lock(conn, id)?;
                check_version(p.version, current.version)?;
                let draft = Draft {
                    name: p.name.unwrap_or(current.name),
                    customer_id: p.customer_id.unwrap_or(current.customer_id),
                    parent_id: p.parent_id.unwrap_or(current.parent_id),
                    kind: Some(p.kind.unwrap_or(current.kind.0)),
                    time_zone: Some(p.time_zone.unwrap_or(current.time_zone)),
                    address: p.address.unwrap_or(current.address),
                    serving_warehouse_id: Some(
                        p.serving_warehouse_id
                            .unwrap_or(current.serving_warehouse_id),
                    ),
                };
                let row = store::resolve(conn, draft, Some(id))?;
                store::write(conn, id, &row)
            })
        })
        .await?;
    Ok(web::Json(site))
}

/// Delete a site that nothing references (409 while sub-sites, assets, technicians or
/// warehouses do).
#[guarded]
#[utoipa::path(
    tag = "sites",
    params(("id" = SiteId, Path, description = "Site id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/sites/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<SiteId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
