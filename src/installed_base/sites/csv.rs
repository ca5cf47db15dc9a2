//! Sites as CSV. Columns:
//! `id,name,customer_id,parent_id,kind,time_zone,address,serving_warehouse_id`.
//! Rows may refer to parents defined earlier in the same file (by `id`).

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Site, SiteKind};
use super::store::{self, Draft};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::csvio::{self, empty_as_none, CsvBody, ImportReport, Written};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::AppState;
use crate::ids::{CustomerId, SiteId, WarehouseId};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteCsv {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id: Option<SiteId>,
    pub name: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub customer_id: Option<CustomerId>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub parent_id: Option<SiteId>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub kind: Option<SiteKind>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub address: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub serving_warehouse_id: Option<WarehouseId>,
}

impl From<&Site> for SiteCsv {
    fn from(s: &Site) -> Self {
        Self {
            id: Some(s.id),
            name: s.name.clone(),
            customer_id: s.customer_id,
            parent_id: s.parent_id,
            kind: Some(s.kind.0),
            time_zone: Some(s.time_zone.clone()),
            address: s.address.clone(),
            serving_warehouse_id: s.serving_warehouse_id,
        }
    }
}

/// Export every site as CSV (parents before their sub-sites, so the file re-imports).
#[guarded]
#[utoipa::path(
    tag = "sites",
    responses(
        (status = 200, description = "All sites as CSV", content_type = "text/csv", body = String,
         example = "id,name,customer_id,parent_id,kind,time_zone,address,serving_warehouse_id\n0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f,Hamburg brewery,0193a4b2-7c1e-7d2a-9f00-000000000001,,site,Europe/Berlin,,0193a4b2-7c1e-7d2a-9f00-000000000002\n"),
        ListErrors
    )
)]
#[get("/sites/export")]
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
            csvio::write(
                csvio::parents_first(all, |s| s.id, |s| s.parent_id)
                    .iter()
                    .map(SiteCsv::from),
            )
        })
        .await?;
    Ok(csvio::download("sites.csv", body))
}

/// Import sites from CSV, all or nothing. A row whose `id` exists updates that site;
/// other rows create sites. A row may name a parent from an earlier row. An empty
/// `serving_warehouse_id` gives a new sub-site its parent's and clears an existing
/// site's.
#[guarded]
#[utoipa::path(
    tag = "sites",
    request_body(content = String, content_type = "text/csv", description = "Columns: id (optional), name, customer_id, parent_id, kind, time_zone, address, serving_warehouse_id",
        example = "id,name,customer_id,parent_id,kind,time_zone\n,Hamburg brewery,0193a4b2-7c1e-7d2a-9f00-000000000001,,site,Europe/Berlin\n"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Imported", body = ImportReport), CreateErrors)
)]
#[post("/sites/import")]
pub async fn import(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    body: CsvBody,
) -> AppResult<web::Json<ImportReport>> {
    // rows are written as they are checked, so later rows can name earlier ones as
    // parents; any error rolls the whole import back
    let report = state
        .db
        .transaction(move |conn| {
            csvio::import(conn, &body.0, |conn, r: SiteCsv| {
                let existing = match r.id {
                    Some(id) => store::find(conn, id)?,
                    None => None,
                };
                let draft = Draft {
                    name: r.name,
                    customer_id: r.customer_id,
                    parent_id: r.parent_id,
                    kind: r.kind,
                    time_zone: r.time_zone,
                    address: r.address,
                    // a new site without one inherits; an updated one is as the row says
                    serving_warehouse_id: match existing {
                        Some(_) => Some(r.serving_warehouse_id),
                        None => r.serving_warehouse_id.map(Some),
                    },
                };
                let row = store::resolve(conn, draft, existing.as_ref().map(|s| s.id))?;
                match existing {
                    Some(s) => store::write(conn, s.id, &row).map(|_| Written::Updated),
                    None => store::insert(conn, r.id.unwrap_or_default(), &row)
                        .map(|_| Written::Created),
                }
            })
        })
        .await?;
    Ok(web::Json(report))
}
