//! Assets as CSV. Columns: `id,model_id,serial_number,site_id,parent_asset_id,name,
//! install_date,warranty_end,status`. Meters are not part of the file: an imported
//! update keeps the asset's meters.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::model::{Asset, AssetStatus, MeterSpec};
use super::store::{self, Draft};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::csvio::{self, empty_as_none, from_cell, CsvBody, ImportReport, Written};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::AppState;
use crate::ids::{AssetId, ModelId, SiteId};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetCsv {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id: Option<AssetId>,
    #[serde(deserialize_with = "from_cell")]
    pub model_id: ModelId,
    pub serial_number: String,
    #[serde(deserialize_with = "from_cell")]
    pub site_id: SiteId,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub parent_asset_id: Option<AssetId>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub install_date: Option<NaiveDate>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub warranty_end: Option<NaiveDate>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub status: Option<AssetStatus>,
}

impl From<&Asset> for AssetCsv {
    fn from(a: &Asset) -> Self {
        Self {
            id: Some(a.id),
            model_id: a.model_id,
            serial_number: a.serial_number.clone(),
            site_id: a.site_id,
            parent_asset_id: a.parent_asset_id,
            name: a.name.clone(),
            install_date: a.install_date,
            warranty_end: a.warranty_end,
            status: Some(a.status),
        }
    }
}

/// Export every asset as CSV (parents before their parts, so the file re-imports).
#[guarded]
#[utoipa::path(
    tag = "assets",
    responses(
        (status = 200, description = "All assets as CSV", content_type = "text/csv", body = String,
         example = "id,model_id,serial_number,site_id,parent_asset_id,name,install_date,warranty_end,status\n0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f,0193a4b2-7c1e-7d2a-9f00-000000000002,SN-1,0193a4b2-7c1e-7d2a-9f00-000000000003,,Filler 2,2024-03-01,2027-02-28,operational\n"),
        ListErrors
    )
)]
#[get("/assets/export")]
pub async fn export(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let body = state
        .db
        .run(|conn| {
            let mut all = Vec::new();
            let mut after = None;
            loop {
                let chunk = store::list(conn, &Default::default(), after, 5000)?;
                let Some(last) = chunk.last() else { break };
                after = Some(last.id);
                all.extend(chunk);
            }
            let ordered = csvio::parents_first(all, |a| a.id, |a| a.parent_asset_id);
            csvio::write(ordered.iter().map(AssetCsv::from))
        })
        .await?;
    Ok(csvio::download("assets.csv", body))
}

/// Import assets from CSV, all or nothing. A row whose `id` exists updates that asset;
/// other rows create assets (without meters).
#[guarded]
#[utoipa::path(
    tag = "assets",
    request_body(content = String, content_type = "text/csv", description = "Columns: id (optional), model_id, serial_number, site_id, parent_asset_id, name, install_date, warranty_end, status",
        example = "model_id,serial_number,site_id,install_date\n0193a4b2-7c1e-7d2a-9f00-000000000002,SN-1,0193a4b2-7c1e-7d2a-9f00-000000000003,2024-03-01\n"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Imported", body = ImportReport), CreateErrors)
)]
#[post("/assets/import")]
pub async fn import(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    body: CsvBody,
) -> AppResult<web::Json<ImportReport>> {
    let report = state
        .db
        .transaction(move |conn| {
            csvio::import(conn, &body.0, |conn, r: AssetCsv| {
                let existing = match r.id {
                    Some(id) => store::find_record(conn, id)?,
                    None => None,
                };
                let draft = Draft {
                    model_id: r.model_id,
                    serial_number: r.serial_number,
                    site_id: r.site_id,
                    parent_asset_id: r.parent_asset_id,
                    name: r.name,
                    install_date: r.install_date,
                    warranty_end: r.warranty_end,
                    status: r.status.unwrap_or(AssetStatus::Operational),
                    meters: None,
                };
                let row = store::resolve(conn, &draft, existing.as_ref().map(|a| a.id))?;
                match existing {
                    Some(a) => store::write(conn, a.id, &row, None).map(|_| Written::Updated),
                    None => {
                        store::insert(conn, r.id.unwrap_or_default(), &row, &[] as &[MeterSpec])
                            .map(|_| Written::Created)
                    }
                }
            })
        })
        .await?;
    Ok(web::Json(report))
}
