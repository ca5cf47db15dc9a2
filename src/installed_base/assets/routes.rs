//! `/api/v1/assets`: create, read, update (retire by status), list, delete, CSV.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::NaiveDate;
use diesel::Connection;
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Asset, AssetPatch, AssetStatus, NewAsset};
use super::store::{self, AssetFilter, Draft};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{AssetId, CustomerId, ModelId, SiteId};
use crate::validate::check_version;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(super::csv::export)
        .service(super::csv::import)
        .service(read)
        .service(update)
        .service(remove)
        .service(super::readings::create)
        .service(super::readings::list);
}

/// Filters of the asset list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Serial number contains this (case-insensitive).
    pub serial: Option<String>,
    pub model_id: Option<ModelId>,
    /// At this site or any site below it.
    pub site_id: Option<SiteId>,
    /// At any site of this customer.
    pub customer_id: Option<CustomerId>,
    pub status: Option<AssetStatus>,
    /// Warranty ends before this date (YYYY-MM-DD).
    pub warranty_before: Option<NaiveDate>,
    /// Direct parts of this asset.
    pub parent_asset_id: Option<AssetId>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List assets, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "assets",
    params(ListQuery),
    responses((status = 200, description = "A page of assets", body = Page<Asset>), ListErrors)
)]
#[get("/assets")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Asset>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<AssetId>()?);
    let mut e = crate::validate::Errors::new();
    e.date("warranty_before", q.warranty_before);
    e.finish()?;
    let filter = AssetFilter {
        serial: q.serial,
        model_id: q.model_id,
        site_id: q.site_id,
        customer_id: q.customer_id,
        status: q.status,
        warranty_before: q.warranty_before,
        parent_asset_id: q.parent_asset_id,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |a| a.id)))
}

/// Register an installed asset.
#[guarded]
#[utoipa::path(
    tag = "assets",
    request_body = NewAsset,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Asset), CreateErrors)
)]
#[post("/assets")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(b): Json<NewAsset>,
) -> AppResult<HttpResponse> {
    let draft = Draft {
        model_id: b.model_id,
        serial_number: b.serial_number,
        site_id: b.site_id,
        parent_asset_id: b.parent_asset_id,
        name: b.name,
        install_date: b.install_date,
        warranty_end: b.warranty_end,
        status: b.status.unwrap_or(AssetStatus::Operational),
        meters: Some(b.meters),
    };
    let asset = state
        .db
        .transaction(move |conn| {
            let row = store::resolve(conn, &draft, None)?;
            store::insert(
                conn,
                AssetId::new(),
                &row,
                draft.meters.as_deref().unwrap_or_default(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(asset))
}

/// Read one asset with its meters.
#[guarded]
#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    responses((status = 200, description = "The asset", body = Asset), GetErrors)
)]
#[get("/assets/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<AssetId>,
) -> AppResult<web::Json<Asset>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change an asset (move it, retire it, correct its data).
#[guarded]
#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    request_body = AssetPatch,
    responses((status = 200, description = "The changed asset", body = Asset), UpdateErrors)
)]
#[patch("/assets/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<AssetId>,
    Json(p): Json<AssetPatch>,
) -> AppResult<web::Json<Asset>> {
    let id = id.into_inner();
    let asset = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let c = store::lock(conn, id)?;
                check_version(p.version, c.version)?;
                let draft = Draft {
                    model_id: p.model_id.unwrap_or(c.model_id),
                    serial_number: p.serial_number.unwrap_or(c.serial_number),
                    site_id: p.site_id.unwrap_or(c.site_id),
                    parent_asset_id: p.parent_asset_id.unwrap_or(c.parent_asset_id),
                    name: p.name.unwrap_or(c.name),
                    install_date: p.install_date.unwrap_or(c.install_date),
                    warranty_end: p.warranty_end.unwrap_or(c.warranty_end),
                    status: p
                        .status
                        .unwrap_or(c.status.parse().unwrap_or(AssetStatus::Operational)),
                    meters: p.meters,
                };
                let row = store::resolve(conn, &draft, Some(id))?;
                store::write(conn, id, &row, draft.meters.as_deref())
            })
        })
        .await?;
    Ok(web::Json(asset))
}

/// Delete an asset that nothing references (409 while devices or parts do; set
/// `status` to `retired` to keep its history instead).
#[guarded]
#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/assets/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<AssetId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
