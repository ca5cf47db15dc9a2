//! Balances as CSV. Export columns:
//! `sku,warehouse_code,bin,on_hand,reserved,available,reorder_point,reorder_quantity`.
//! Import reads `sku` and `warehouse_code` (required), `bin`, `reorder_point` and
//! `reorder_quantity` (an empty cell clears them) and, when given, `on_hand`: a
//! different `on_hand` posts an adjustment (reason `import`) for the difference, so the
//! ledger still explains every unit. `reserved` and `available` are ignored.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::balance::{self, Settings};
use super::ledger;
use super::movement::{Movement, MovementKind};
use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::csvio::{self, empty_as_none, CsvBody, ImportReport, Written};
use crate::decimal::Quantity;
use crate::error::{AppError, AppResult};
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::AppState;
use crate::inventory::{parts, warehouses};

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BalanceCsv {
    pub sku: String,
    pub warehouse_code: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub bin: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub on_hand: Option<Quantity>,
    /// Exported for reading; ignored on import.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub reserved: Option<String>,
    /// Exported for reading; ignored on import.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub available: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub reorder_point: Option<Quantity>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub reorder_quantity: Option<Quantity>,
}

/// Export every balance as CSV.
#[guarded]
#[utoipa::path(
    tag = "stock",
    responses(
        (status = 200, description = "All balances as CSV", content_type = "text/csv", body = String,
         example = "sku,warehouse_code,bin,on_hand,reserved,available,reorder_point,reorder_quantity\nBRG-6204-2RS,HH-CENTRAL,A-03-2,17,2,15,5,20\n"),
        ListErrors
    )
)]
#[get("/stock/export")]
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
                let chunk = balance::list(conn, &Default::default(), after, 5000)?;
                let Some(last) = chunk.last() else { break };
                after = Some((last.part_id, last.warehouse_id));
                rows.extend(chunk.into_iter().map(|b| BalanceCsv {
                    sku: b.sku,
                    warehouse_code: b.warehouse_code,
                    bin: b.bin,
                    on_hand: Some(b.on_hand),
                    reserved: Some(b.reserved.to_string()),
                    available: Some(b.available.to_string()),
                    reorder_point: b.reorder_point,
                    reorder_quantity: b.reorder_quantity,
                }));
            }
            csvio::write(rows)
        })
        .await?;
    Ok(csvio::download("stock.csv", body))
}

/// Import balances from CSV, all or nothing: bins and reorder settings, and opening or
/// corrected `on_hand` quantities (posted as `import` adjustments).
#[guarded]
#[utoipa::path(
    tag = "stock",
    request_body(content = String, content_type = "text/csv",
        description = "Columns: sku, warehouse_code (both required), bin, on_hand, reorder_point, reorder_quantity; reserved and available are ignored",
        example = "sku,warehouse_code,bin,on_hand,reorder_point,reorder_quantity\nBRG-6204-2RS,HH-CENTRAL,A-03-2,17,5,20\n"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Imported: `created` counts balances new to their warehouse", body = ImportReport), CreateErrors)
)]
#[post("/stock/import")]
pub async fn import(
    caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    body: CsvBody,
) -> AppResult<web::Json<ImportReport>> {
    let who = caller.name.clone();
    let report = state
        .db
        .transaction(move |conn| {
            csvio::import(conn, &body.0, |conn, r: BalanceCsv| {
                let part = parts::store::find_by_sku(conn, &r.sku)?;
                let warehouse = warehouses::store::find_by_code(conn, &r.warehouse_code)?;
                let mut e = crate::validate::Errors::new();
                if part.is_none() {
                    e.add("sku", format!("no part with SKU `{}`", r.sku.trim()));
                }
                if warehouse.is_none() {
                    e.add(
                        "warehouse_code",
                        format!("no warehouse with code `{}`", r.warehouse_code.trim()),
                    );
                }
                if r.on_hand.is_some_and(Quantity::is_negative) {
                    e.add("on_hand", "must not be negative");
                }
                e.finish()?;
                let (Some(part), Some(warehouse)) = (part, warehouse) else {
                    return Err(AppError::Internal("checked above".into()));
                };
                let settings =
                    Settings::validate(r.bin.as_deref(), r.reorder_point, r.reorder_quantity)?;
                let existed: bool = diesel::select(diesel::dsl::exists(
                    crate::schema::stock_balances::table.find((part.id, warehouse.id)),
                ))
                .get_result(conn)?;
                let level = balance::lock(conn, part.id, warehouse.id)?;
                balance::write_settings(conn, part.id, warehouse.id, &settings)?;
                if let Some(target) = r.on_hand {
                    let delta = Quantity(target.0 - level.on_hand.0);
                    if !delta.is_zero() {
                        let mut m = Movement::draft(
                            MovementKind::Adjustment,
                            part.id,
                            warehouse.id,
                            delta,
                            &who,
                        );
                        m.reason = Some("import".into());
                        ledger::adjust(conn, m)?;
                    }
                }
                Ok(if existed {
                    Written::Updated
                } else {
                    Written::Created
                })
            })
        })
        .await?;
    Ok(web::Json(report))
}

use diesel::prelude::*;
