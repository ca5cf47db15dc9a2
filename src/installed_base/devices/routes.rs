//! `/api/v1/devices`: register, read, rebind, deactivate, list, delete, CSV.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use diesel::Connection;
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Device, DevicePatch, NewDevice};
use super::store::{self, DeviceFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{AssetId, DeviceRecordId};
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

/// Filters of the device list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// `device_id` contains this (case-insensitive).
    pub q: Option<String>,
    /// Exactly this `device_id`.
    pub device_id: Option<String>,
    pub asset_id: Option<AssetId>,
    pub active: Option<bool>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List devices, filtered, in registration order.
#[guarded]
#[utoipa::path(
    tag = "devices",
    params(ListQuery),
    responses((status = 200, description = "A page of devices", body = Page<Device>), ListErrors)
)]
#[get("/devices")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Device>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<DeviceRecordId>()?);
    let filter = DeviceFilter {
        q: q.q,
        device_id: q.device_id,
        asset_id: q.asset_id,
        active: q.active,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |d| d.id)))
}

/// Register a device and bind it to an asset.
#[guarded]
#[utoipa::path(
    tag = "devices",
    request_body = NewDevice,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Registered", body = Device), CreateErrors)
)]
#[post("/devices")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(b): Json<NewDevice>,
) -> AppResult<HttpResponse> {
    let device = state
        .db
        .transaction(move |conn| {
            let row = store::resolve(
                conn,
                b.device_id.trim(),
                b.asset_id,
                b.name.as_deref(),
                b.active.unwrap_or(true),
            )?;
            store::insert(conn, DeviceRecordId::new(), &row)
        })
        .await?;
    Ok(HttpResponse::Created().json(device))
}

/// Read one device.
#[guarded]
#[utoipa::path(
    tag = "devices",
    params(("id" = DeviceRecordId, Path, description = "Device record id (not the MQTT device_id)")),
    responses((status = 200, description = "The device", body = Device), GetErrors)
)]
#[get("/devices/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<DeviceRecordId>,
) -> AppResult<web::Json<Device>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a device: rebind it to another asset, rename, (de)activate.
#[guarded]
#[utoipa::path(
    tag = "devices",
    params(("id" = DeviceRecordId, Path, description = "Device record id")),
    request_body = DevicePatch,
    responses((status = 200, description = "The changed device", body = Device), UpdateErrors)
)]
#[patch("/devices/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<DeviceRecordId>,
    Json(p): Json<DevicePatch>,
) -> AppResult<web::Json<Device>> {
    let id = id.into_inner();
    let device = state
        .db
        .run(move |conn| {
            conn.transaction(|conn| {
                let c = store::lock(conn, id)?;
                check_version(p.version, c.version)?;
                let name = p.name.unwrap_or(c.name);
                let row = store::resolve(
                    conn,
                    &c.device_id,
                    p.asset_id.unwrap_or(c.asset_id),
                    name.as_deref(),
                    p.active.unwrap_or(c.active),
                )?;
                store::write(conn, id, &row)
            })
        })
        .await?;
    Ok(web::Json(device))
}

/// Delete a device registration (its stored telemetry stays).
#[guarded]
#[utoipa::path(
    tag = "devices",
    params(("id" = DeviceRecordId, Path, description = "Device record id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/devices/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<DeviceRecordId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
