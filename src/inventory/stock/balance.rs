//! Stock balances per (part, warehouse): what is on hand, reserved, available and on
//! order, the bin it sits in and its reorder settings, with the reorder suggestion and
//! the value at the part's moving-average cost. `on_hand` and `reserved` are written
//! only by the database triggers that follow the ledger and the reservations.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::rules;
use crate::decimal::{Money, Quantity};
use crate::error::{AppError, AppResult};
use crate::ids::{PartId, WarehouseId};
use crate::schema::{part_suppliers, parts, stock_balances, warehouses};
use crate::validate::{check_version, nullable, Errors};

/// The locked state of one balance, as the ledger works with it.
#[derive(Debug, Clone, Copy, Queryable, Selectable)]
#[diesel(table_name = stock_balances, check_for_backend(diesel::pg::Pg))]
pub struct Level {
    pub part_id: PartId,
    pub warehouse_id: WarehouseId,
    pub on_hand: Quantity,
    pub reserved: Quantity,
}

impl Level {
    /// What may still be issued, transferred or reserved.
    pub fn available(&self) -> Quantity {
        Quantity(self.on_hand.0 - self.reserved.0)
    }
}

/// Lock the balance of `part` at `warehouse` for the rest of the transaction, creating
/// it (at zero) when the part was never there. Every change of stock goes through this,
/// so concurrent changes of one balance run one after another.
pub fn lock(conn: &mut PgConnection, part: PartId, warehouse: WarehouseId) -> QueryResult<Level> {
    diesel::insert_into(stock_balances::table)
        .values((
            stock_balances::part_id.eq(part),
            stock_balances::warehouse_id.eq(warehouse),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    stock_balances::table
        .find((part, warehouse))
        .select(Level::as_select())
        .for_update()
        .first(conn)
}

/// What to order for a balance at or below its reorder point.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Reorder {
    /// How much to order.
    pub quantity: Quantity,
    /// The preferred supplier (the part's first), if it has any.
    #[schema(example = "SKF")]
    pub supplier: Option<String>,
    pub supplier_sku: Option<String>,
    pub lead_time_days: Option<i32>,
    /// The supplier's price per unit.
    pub price: Option<Money>,
}

/// The stock of one part at one warehouse.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Balance {
    pub part_id: PartId,
    #[schema(example = "BRG-6204-2RS")]
    pub sku: String,
    #[schema(example = "Deep groove ball bearing 6204-2RS")]
    pub part_name: String,
    #[schema(example = "each")]
    pub unit: String,
    pub warehouse_id: WarehouseId,
    #[schema(example = "HH-CENTRAL")]
    pub warehouse_code: String,
    /// Where in the warehouse it is kept.
    #[schema(example = "A-03-2")]
    pub bin: Option<String>,
    /// The sum of the balance's movements.
    pub on_hand: Quantity,
    /// The sum of its open reservations.
    pub reserved: Quantity,
    /// `on_hand − reserved`: what may be issued, transferred or reserved.
    pub available: Quantity,
    /// Ordered and not yet received (0 until purchasing exists).
    pub on_order: Quantity,
    /// At or below this (available + on order), the part should be reordered.
    pub reorder_point: Option<Quantity>,
    /// How much one reorder brings.
    pub reorder_quantity: Option<Quantity>,
    /// The part's moving-average unit cost.
    pub unit_cost: Money,
    /// `on_hand × unit_cost`.
    pub value: Money,
    /// Present when the balance is at or below its reorder point.
    pub reorder: Option<Reorder>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

type Row = (
    (
        PartId,
        WarehouseId,
        Option<String>,
        Quantity,
        Quantity,
        Quantity,
        Option<Quantity>,
        Option<Quantity>,
        DateTime<Utc>,
        i32,
    ),
    (String, String, String, Money),
    String,
);

/// Changes to a balance's settings; `on_hand` and `reserved` change only through
/// movements and reservations.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"bin": "A-03-2", "reorder_point": "5", "reorder_quantity": "20"}))]
pub struct BalancePatch {
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub bin: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Quantity>)]
    pub reorder_point: Option<Option<Quantity>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Quantity>)]
    pub reorder_quantity: Option<Option<Quantity>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// Validated balance settings.
#[derive(Debug, Clone, AsChangeset)]
#[diesel(table_name = stock_balances, treat_none_as_null = true)]
pub struct Settings {
    pub bin: Option<String>,
    pub reorder_point: Option<Quantity>,
    pub reorder_quantity: Option<Quantity>,
}

impl Settings {
    pub fn validate(
        bin: Option<&str>,
        reorder_point: Option<Quantity>,
        reorder_quantity: Option<Quantity>,
    ) -> AppResult<Self> {
        let mut e = Errors::new();
        let bin = e.opt_text("bin", bin, 64);
        if reorder_point.is_some_and(Quantity::is_negative) {
            e.add("reorder_point", "must not be negative");
        }
        if reorder_quantity.is_some_and(|q| !q.is_positive()) {
            e.add("reorder_quantity", "must be more than 0");
        }
        e.finish()?;
        Ok(Self {
            bin,
            reorder_point,
            reorder_quantity,
        })
    }
}

/// Filters of the balance list; all given filters must match.
#[derive(Debug, Default, Clone)]
pub struct BalanceFilter {
    pub part_id: Option<PartId>,
    pub warehouse_id: Option<WarehouseId>,
    /// At or below the reorder point.
    pub below_reorder: bool,
    /// Only balances with stock on hand.
    pub in_stock: bool,
    /// Bin label equals.
    pub bin: Option<String>,
}

/// Keyset of the balance list.
pub type BalanceKey = (PartId, WarehouseId);

pub fn list(
    conn: &mut PgConnection,
    f: &BalanceFilter,
    after: Option<BalanceKey>,
    limit: i64,
) -> QueryResult<Vec<Balance>> {
    let mut q = stock_balances::table
        .inner_join(parts::table)
        .inner_join(warehouses::table)
        .select((
            (
                stock_balances::part_id,
                stock_balances::warehouse_id,
                stock_balances::bin,
                stock_balances::on_hand,
                stock_balances::reserved,
                stock_balances::on_order,
                stock_balances::reorder_point,
                stock_balances::reorder_quantity,
                stock_balances::updated_at,
                stock_balances::version,
            ),
            (parts::sku, parts::name, parts::unit, parts::unit_cost),
            warehouses::code,
        ))
        .order((stock_balances::part_id, stock_balances::warehouse_id))
        .into_boxed();
    if let Some(p) = f.part_id {
        q = q.filter(stock_balances::part_id.eq(p));
    }
    if let Some(w) = f.warehouse_id {
        q = q.filter(stock_balances::warehouse_id.eq(w));
    }
    if f.below_reorder {
        q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "stock_balances.reorder_point IS NOT NULL AND \
             stock_balances.on_hand - stock_balances.reserved + stock_balances.on_order <= stock_balances.reorder_point",
        ));
    }
    if f.in_stock {
        q = q.filter(stock_balances::on_hand.gt(Quantity::ZERO));
    }
    if let Some(bin) = &f.bin {
        q = q.filter(stock_balances::bin.eq(bin.trim().to_owned()));
    }
    if let Some((p, w)) = after {
        q = q.filter(
            stock_balances::part_id.gt(p).or(stock_balances::part_id
                .eq(p)
                .and(stock_balances::warehouse_id.gt(w))),
        );
    }
    let rows: Vec<Row> = q.limit(limit).load(conn)?;
    assemble(conn, rows)
}

/// One balance (404 when the part was never at the warehouse and has no settings).
pub fn get(conn: &mut PgConnection, part: PartId, warehouse: WarehouseId) -> AppResult<Balance> {
    let f = BalanceFilter {
        part_id: Some(part),
        warehouse_id: Some(warehouse),
        ..Default::default()
    };
    list(conn, &f, None, 1)?.pop().ok_or_else(|| {
        AppError::NotFound(format!(
            "part {part} has no balance at warehouse {warehouse}"
        ))
    })
}

/// Change a balance's bin and reorder settings, creating the balance when the part was
/// never at the warehouse.
pub fn update_settings(
    conn: &mut PgConnection,
    part: PartId,
    warehouse: WarehouseId,
    patch: &BalancePatch,
) -> AppResult<Balance> {
    conn.transaction(|conn| {
        if !crate::inventory::parts::store::exists(conn, part)? {
            return Err(AppError::not_found("part", part));
        }
        if !crate::inventory::warehouses::store::exists(conn, warehouse)? {
            return Err(AppError::not_found("warehouse", warehouse));
        }
        lock(conn, part, warehouse)?;
        let (bin, point, qty, version): (Option<String>, Option<Quantity>, Option<Quantity>, i32) =
            stock_balances::table
                .find((part, warehouse))
                .select((
                    stock_balances::bin,
                    stock_balances::reorder_point,
                    stock_balances::reorder_quantity,
                    stock_balances::version,
                ))
                .first(conn)?;
        check_version(patch.version, version)?;
        let settings = Settings::validate(
            match &patch.bin {
                Some(b) => b.as_deref(),
                None => bin.as_deref(),
            },
            patch.reorder_point.unwrap_or(point),
            patch.reorder_quantity.unwrap_or(qty),
        )?;
        write_settings(conn, part, warehouse, &settings)?;
        get(conn, part, warehouse)
    })
}

/// Overwrite a (locked) balance's settings.
pub fn write_settings(
    conn: &mut PgConnection,
    part: PartId,
    warehouse: WarehouseId,
    settings: &Settings,
) -> QueryResult<()> {
    diesel::update(stock_balances::table.find((part, warehouse)))
        .set((
            settings,
            stock_balances::version.eq(stock_balances::version + 1),
            stock_balances::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Build the responses of a page of rows, with each part's preferred supplier.
fn assemble(conn: &mut PgConnection, rows: Vec<Row>) -> QueryResult<Vec<Balance>> {
    let part_ids: Vec<PartId> = rows.iter().map(|r| r.0 .0).collect();
    type Preferred = (PartId, String, Option<String>, i32, Option<Money>, Quantity);
    let preferred: HashMap<PartId, Preferred> = part_suppliers::table
        .filter(part_suppliers::part_id.eq_any(&part_ids))
        .filter(part_suppliers::position.eq(0))
        .select((
            part_suppliers::part_id,
            part_suppliers::supplier,
            part_suppliers::supplier_sku,
            part_suppliers::lead_time_days,
            part_suppliers::price,
            part_suppliers::min_order_qty,
        ))
        .load::<Preferred>(conn)?
        .into_iter()
        .map(|p| (p.0, p))
        .collect();
    Ok(rows
        .into_iter()
        .map(|(b, (sku, part_name, unit, unit_cost), warehouse_code)| {
            let (
                part_id,
                warehouse_id,
                bin,
                on_hand,
                reserved,
                on_order,
                reorder_point,
                reorder_quantity,
                updated_at,
                version,
            ) = b;
            let available = Quantity(on_hand.0 - reserved.0);
            let supplier = preferred.get(&part_id);
            let reorder = rules::reorder_quantity(
                available,
                on_order,
                reorder_point,
                reorder_quantity,
                supplier.map(|s| s.5),
            )
            .map(|quantity| Reorder {
                quantity,
                supplier: supplier.map(|s| s.1.clone()),
                supplier_sku: supplier.and_then(|s| s.2.clone()),
                lead_time_days: supplier.map(|s| s.3),
                price: supplier.and_then(|s| s.4),
            });
            Balance {
                part_id,
                sku,
                part_name,
                unit,
                warehouse_id,
                warehouse_code,
                bin,
                on_hand,
                reserved,
                available,
                on_order,
                reorder_point,
                reorder_quantity,
                value: rules::value(on_hand, unit_cost),
                unit_cost,
                reorder,
                updated_at,
                version,
            }
        })
        .collect())
}

/// The value of the stock in one warehouse.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WarehouseValue {
    pub warehouse_id: WarehouseId,
    #[schema(example = "HH-CENTRAL")]
    pub code: String,
    pub name: String,
    /// Σ on_hand × the part's moving-average unit cost.
    pub value: Money,
    /// How many parts have stock on hand there.
    pub parts_in_stock: i64,
}

/// Inventory value per warehouse (every warehouse, or one).
pub fn valuation(
    conn: &mut PgConnection,
    warehouse: Option<WarehouseId>,
) -> QueryResult<Vec<WarehouseValue>> {
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: WarehouseId,
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Numeric)]
        value: Money,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        parts_in_stock: i64,
    }
    let lines: Vec<Line> = diesel::sql_query(
        "SELECT w.id, w.code, w.name,
                round(COALESCE(sum(b.on_hand * p.unit_cost), 0), 4) AS value,
                count(b.part_id) FILTER (WHERE b.on_hand > 0) AS parts_in_stock
         FROM warehouses w
         LEFT JOIN stock_balances b ON b.warehouse_id = w.id
         LEFT JOIN parts p ON p.id = b.part_id
         WHERE $1::uuid IS NULL OR w.id = $1
         GROUP BY w.id ORDER BY w.code",
    )
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>, _>(warehouse)
    .load(conn)?;
    Ok(lines
        .into_iter()
        .map(|l| WarehouseValue {
            warehouse_id: l.id,
            code: l.code,
            name: l.name,
            value: Money(l.value.0.normalize()),
            parts_in_stock: l.parts_in_stock,
        })
        .collect())
}
