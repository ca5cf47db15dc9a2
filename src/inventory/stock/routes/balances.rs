//! Balances: the stock list (with `below_reorder`), one balance, its settings, and the
//! value of each warehouse.

use actix_web::{get, patch, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{PartId, WarehouseId};
use crate::inventory::stock::balance::{
    self, Balance, BalanceFilter, BalanceKey, BalancePatch, WarehouseValue,
};

/// Filters of the stock list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub part_id: Option<PartId>,
    pub warehouse_id: Option<WarehouseId>,
    /// Only balances at or below their reorder point (available + on order ≤ point),
    /// each with what to order from whom.
    pub below_reorder: Option<bool>,
    /// Only balances with stock on hand.
    pub in_stock: Option<bool>,
    /// Only this bin label.
    pub bin: Option<String>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List stock balances by part and warehouse. With `below_reorder=true` this is the
/// reorder list: each item's `reorder` says how much to order, from which supplier, and
/// its lead time.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(ListQuery),
    responses((status = 200, description = "A page of balances", body = Page<Balance>), ListErrors)
)]
#[get("/stock")]
pub async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Balance>>> {
    let (limit, after) = paging::<BalanceKey>(q.limit, q.cursor.as_deref())?;
    let filter = BalanceFilter {
        part_id: q.part_id,
        warehouse_id: q.warehouse_id,
        below_reorder: q.below_reorder.unwrap_or(false),
        in_stock: q.in_stock.unwrap_or(false),
        bin: q.bin,
    };
    let rows = state
        .db
        .run(move |conn| Ok(balance::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |b| {
        (b.part_id, b.warehouse_id)
    })))
}

/// Read the balance of one part at one warehouse.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(
        ("part_id" = PartId, Path, description = "Part id"),
        ("warehouse_id" = WarehouseId, Path, description = "Warehouse id"),
    ),
    responses((status = 200, description = "The balance", body = Balance), GetErrors)
)]
#[get("/stock/balances/{part_id}/{warehouse_id}")]
pub async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    path: web::Path<(PartId, WarehouseId)>,
) -> AppResult<web::Json<Balance>> {
    let (part, warehouse) = path.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| balance::get(conn, part, warehouse))
            .await?,
    ))
}

/// Set a balance's bin and reorder settings (creating the balance at zero when the part
/// was never at the warehouse). Quantities change only through movements.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(
        ("part_id" = PartId, Path, description = "Part id"),
        ("warehouse_id" = WarehouseId, Path, description = "Warehouse id"),
    ),
    request_body = BalancePatch,
    responses((status = 200, description = "The balance", body = Balance), UpdateErrors)
)]
#[patch("/stock/balances/{part_id}/{warehouse_id}")]
pub async fn update(
    _caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    path: web::Path<(PartId, WarehouseId)>,
    Json(body): Json<BalancePatch>,
) -> AppResult<web::Json<Balance>> {
    let (part, warehouse) = path.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| balance::update_settings(conn, part, warehouse, &body))
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ValuationQuery {
    /// Only this warehouse.
    pub warehouse_id: Option<WarehouseId>,
}

/// Inventory value per warehouse and in total.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Valuation {
    pub warehouses: Vec<WarehouseValue>,
    /// The sum over the warehouses listed.
    pub total: crate::decimal::Money,
}

/// The value of the stock in each warehouse at the parts' moving-average unit costs.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(ValuationQuery),
    responses((status = 200, description = "Value per warehouse", body = Valuation), ListErrors)
)]
#[get("/stock/valuation")]
pub async fn valuation(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ValuationQuery>,
) -> AppResult<web::Json<Valuation>> {
    let warehouses = state
        .db
        .run(move |conn| Ok(balance::valuation(conn, q.warehouse_id)?))
        .await?;
    let total = crate::decimal::Money(
        warehouses
            .iter()
            .map(|w| w.value.0)
            .sum::<rust_decimal::Decimal>()
            .normalize(),
    );
    Ok(web::Json(Valuation { warehouses, total }))
}
