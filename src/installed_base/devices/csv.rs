//! Devices as CSV. Columns: `id,device_id,asset_id,name,active`. A row whose `id` or
//! `device_id` matches a registered device updates it.

use actix_web::{get, post, web, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::model::Device;
use super::store;
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::csvio::{self, empty_as_none, from_cell, CsvBody, ImportReport, Written};
use crate::error::{AppError, AppResult};
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::AppState;
use crate::ids::{AssetId, DeviceRecordId};
use crate::schema::devices;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceCsv {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id: Option<DeviceRecordId>,
    pub device_id: String,
    #[serde(deserialize_with = "from_cell")]
    pub asset_id: AssetId,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub active: Option<bool>,
}

impl From<&Device> for DeviceCsv {
    fn from(d: &Device) -> Self {
        Self {
            id: Some(d.id),
            device_id: d.device_id.clone(),
            asset_id: d.asset_id,
            name: d.name.clone(),
            active: Some(d.active),
        }
    }
}

/// Export every device as CSV.
#[guarded]
#[utoipa::path(
    tag = "devices",
    responses(
        (status = 200, description = "All devices as CSV", content_type = "text/csv", body = String,
         example = "id,device_id,asset_id,name,active\n0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f,filler-2.plc,0193a4b2-7c1e-7d2a-9f00-000000000004,Filler 2 PLC,true\n"),
        ListErrors
    )
)]
#[get("/devices/export")]
pub async fn export(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let body = state
        .db
        .run(|conn| {
            let mut rows = Vec::new();
            let mut after = None;
            loop {
                let chunk = store::list(conn, &Default::default(), after, 5000)?;
                let Some(last) = chunk.last() else { break };
                after = Some(last.id);
                rows.extend(chunk.iter().map(DeviceCsv::from));
            }
            csvio::write(rows)
        })
        .await?;
    Ok(csvio::download("devices.csv", body))
}

/// Import devices from CSV, all or nothing. A row matching a registered device by `id`
/// or `device_id` updates it; other rows register devices.
#[guarded]
#[utoipa::path(
    tag = "devices",
    request_body(content = String, content_type = "text/csv", description = "Columns: id (optional), device_id, asset_id, name, active",
        example = "device_id,asset_id,name\nfiller-2.plc,0193a4b2-7c1e-7d2a-9f00-000000000004,Filler 2 PLC\n"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Imported", body = ImportReport), CreateErrors)
)]
#[post("/devices/import")]
pub async fn import(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    body: CsvBody,
) -> AppResult<web::Json<ImportReport>> {
    let report = state
        .db
        .transaction(move |conn| {
            csvio::import(conn, &body.0, |conn, r: DeviceCsv| {
                let device_id = r.device_id.trim();
                let existing: Option<Device> = match r.id {
                    Some(id) => store::find(conn, id)?,
                    None => devices::table
                        .filter(devices::device_id.eq(device_id))
                        .select(Device::as_select())
                        .first(conn)
                        .optional()?,
                };
                if existing.as_ref().is_some_and(|d| d.device_id != device_id) {
                    return Err(AppError::invalid(
                        "device_id",
                        "a device's device_id cannot change",
                    ));
                }
                let row = store::resolve(
                    conn,
                    device_id,
                    r.asset_id,
                    r.name.as_deref(),
                    r.active.unwrap_or(true),
                )?;
                match existing {
                    Some(d) => store::write(conn, d.id, &row).map(|_| Written::Updated),
                    None => store::insert(conn, r.id.unwrap_or_default(), &row)
                        .map(|_| Written::Created),
                }
            })
        })
        .await?;
    Ok(web::Json(report))
}
