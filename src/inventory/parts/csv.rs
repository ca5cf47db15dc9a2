//! Parts as CSV. Columns: `id,sku,name,description,unit,category,criticality,unit_cost,active`.
//! A row is matched to an existing part by `id`, else by `sku`; matched parts are
//! updated (their models and suppliers kept), others created.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Criticality, Draft, Part};
use super::store;
use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::csvio::{self, empty_as_none, CsvBody, ImportReport, Written};
use crate::decimal::Money;
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::AppState;
use crate::ids::PartId;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartCsv {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id: Option<PartId>,
    pub sku: String,
    pub name: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub category: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub criticality: Option<Criticality>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub unit_cost: Option<Money>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub active: Option<bool>,
}

impl From<&Part> for PartCsv {
    fn from(p: &Part) -> Self {
        Self {
            id: Some(p.id),
            sku: p.sku.clone(),
            name: p.name.clone(),
            description: p.description.clone(),
            unit: Some(p.unit.clone()),
            category: p.category.clone(),
            criticality: Some(p.criticality),
            unit_cost: Some(p.unit_cost),
            active: Some(p.active),
        }
    }
}

/// Export every part as CSV.
#[guarded]
#[utoipa::path(
    tag = "parts",
    responses(
        (status = 200, description = "All parts as CSV", content_type = "text/csv", body = String,
         example = "id,sku,name,description,unit,category,criticality,unit_cost,active\n0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f,BRG-6204-2RS,Ball bearing 6204-2RS,,each,bearings,vital,4.2,true\n"),
        ListErrors
    )
)]
#[get("/parts/export")]
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
                let chunk = store::list(conn, &Default::default(), after, 2000)?;
                let Some(last) = chunk.last() else { break };
                after = Some(last.id);
                rows.extend(chunk.iter().map(PartCsv::from));
            }
            csvio::write(rows)
        })
        .await?;
    Ok(csvio::download("parts.csv", body))
}

/// Import parts from CSV, all or nothing. A row whose `id` or `sku` exists updates that
/// part (keeping its models and suppliers); other rows create parts.
#[guarded]
#[utoipa::path(
    tag = "parts",
    request_body(content = String, content_type = "text/csv",
        description = "Columns: id (optional), sku, name, description, unit, category, criticality, unit_cost, active",
        example = "sku,name,unit,category,criticality,unit_cost\nBRG-6204-2RS,Ball bearing 6204-2RS,each,bearings,vital,4.20\nOIL-HLP46,Hydraulic oil HLP 46,l,lubricants,essential,3.85\n"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Imported", body = ImportReport), CreateErrors)
)]
#[post("/parts/import")]
pub async fn import(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    body: CsvBody,
) -> AppResult<web::Json<ImportReport>> {
    let report = state
        .db
        .transaction(move |conn| {
            csvio::import(conn, &body.0, |conn, r: PartCsv| {
                let existing = match r.id {
                    Some(id) => store::find(conn, id)?.map(|p| p.id),
                    None => store::find_by_sku(conn, &r.sku)?.map(|p| p.id),
                };
                let current = match existing {
                    Some(id) => Some(store::lock(conn, id)?),
                    None => None,
                };
                let draft = Draft {
                    sku: r.sku,
                    name: r.name,
                    description: r.description,
                    unit: r.unit,
                    category: r.category,
                    criticality: r
                        .criticality
                        .or(current.as_ref().map(|c| c.criticality))
                        .unwrap_or(Criticality::Essential),
                    unit_cost: r
                        .unit_cost
                        .or(current.as_ref().map(|c| c.unit_cost))
                        .unwrap_or_default(),
                    active: r
                        .active
                        .or(current.as_ref().map(|c| c.active))
                        .unwrap_or(true),
                    compatible_model_ids: None,
                    suppliers: None,
                };
                let v = store::validate(conn, draft)?;
                match current {
                    Some(c) => store::write(conn, c.id, &v).map(|_| Written::Updated),
                    None => {
                        store::insert(conn, r.id.unwrap_or_default(), &v).map(|_| Written::Created)
                    }
                }
            })
        })
        .await?;
    Ok(web::Json(report))
}
