//! Stocktakes: counted quantities for a warehouse at the time of counting. For each
//! counted part the ledger as of that time is the expectation; the difference becomes
//! an adjustment (reason `stocktake`) dated at the count, so movements made between
//! counting and posting are not undone. Parts not listed are left alone (a cycle count).
//! All lines are posted in one transaction or none is.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::balance;
use super::ledger;
use super::movement::{Movement, MovementKind};
use crate::decimal::Quantity;
use crate::error::{AppError, AppResult};
use crate::ids::{MovementId, PartId, StocktakeId, WarehouseId};
use crate::schema::{parts, stock_movements, stocktake_lines, stocktakes};
use crate::validate::Errors;

/// The most lines one stocktake may post.
pub const MAX_LINES: usize = 10_000;
/// How far back a count may be dated.
pub const MAX_AGE_DAYS: i64 = 90;

/// A count to post.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"warehouse_id": "0193a4b2-7c1e-7d2a-9f00-2a2b3c4d5e6f", "counted_at": "2026-11-23T07:30:00Z",
    "lines": [{"part_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f", "counted": "17"}]}))]
pub struct NewStocktake {
    pub warehouse_id: WarehouseId,
    /// When the shelves were counted: not in the future, at most 90 days ago.
    pub counted_at: DateTime<Utc>,
    /// One line per counted part.
    pub lines: Vec<CountLine>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountLine {
    pub part_id: PartId,
    /// What was found, in the part's unit.
    pub counted: Quantity,
}

/// What a stocktake found for one part.
#[derive(Debug, Clone, Queryable, Serialize, Deserialize, ToSchema)]
pub struct StocktakeLine {
    pub part_id: PartId,
    /// The ledger's on-hand as of the time of counting.
    pub expected: Quantity,
    pub counted: Quantity,
    /// The adjustment posted for the difference; `null` when the count matched.
    pub movement_id: Option<MovementId>,
}

/// A posted stocktake.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Stocktake {
    pub id: StocktakeId,
    pub warehouse_id: WarehouseId,
    pub counted_at: DateTime<Utc>,
    pub posted_at: DateTime<Utc>,
    /// The name of the API key that posted it.
    pub posted_by: String,
    pub note: Option<String>,
    pub lines: Vec<StocktakeLine>,
}

type Header = (
    StocktakeId,
    WarehouseId,
    DateTime<Utc>,
    DateTime<Utc>,
    String,
    Option<String>,
);

/// Post a count: every line checked first, then every difference adjusted.
pub fn post(conn: &mut PgConnection, new: NewStocktake, who: &str) -> AppResult<Stocktake> {
    let now = Utc::now();
    let mut e = Errors::new();
    let note = e.opt_text("note", new.note.as_deref(), 2000);
    if new.counted_at > now + Duration::minutes(5) {
        e.add("counted_at", "must not be in the future");
    } else if new.counted_at < now - Duration::days(MAX_AGE_DAYS) {
        e.add(
            "counted_at",
            format!("must be within the last {MAX_AGE_DAYS} days"),
        );
    }
    if new.lines.is_empty() {
        e.add("lines", "must list at least one counted part");
    }
    if new.lines.len() > MAX_LINES {
        e.add("lines", format!("at most {MAX_LINES} lines"));
    }
    let ids: Vec<PartId> = new.lines.iter().map(|l| l.part_id).collect();
    let known: Vec<PartId> = parts::table
        .filter(parts::id.eq_any(&ids))
        .select(parts::id)
        .load(conn)?;
    for (i, line) in new.lines.iter().enumerate() {
        if line.counted.is_negative() {
            e.add(format!("lines[{i}].counted"), "must not be negative");
        }
        if !known.contains(&line.part_id) {
            e.add(
                format!("lines[{i}].part_id"),
                format!("no part {}", line.part_id),
            );
        }
        if ids[..i].contains(&line.part_id) {
            e.add(format!("lines[{i}].part_id"), "is counted twice");
        }
    }
    if !crate::inventory::warehouses::store::exists(conn, new.warehouse_id)? {
        e.add("warehouse_id", format!("no warehouse {}", new.warehouse_id));
    }
    e.finish()?;

    let id = StocktakeId::new();
    diesel::insert_into(stocktakes::table)
        .values((
            stocktakes::id.eq(id),
            stocktakes::warehouse_id.eq(new.warehouse_id),
            stocktakes::counted_at.eq(new.counted_at),
            stocktakes::posted_by.eq(who),
            stocktakes::note.eq(&note),
        ))
        .execute(conn)?;
    // lock in key order: two stocktakes of overlapping parts cannot deadlock
    let mut lines = new.lines.clone();
    lines.sort_by_key(|l| l.part_id);
    for line in &lines {
        balance::lock(conn, line.part_id, new.warehouse_id)?;
        let expected: Option<Quantity> = stock_movements::table
            .filter(stock_movements::part_id.eq(line.part_id))
            .filter(stock_movements::warehouse_id.eq(new.warehouse_id))
            .filter(stock_movements::occurred_at.le(new.counted_at))
            .select(diesel::dsl::sum(stock_movements::quantity))
            .first(conn)?;
        let expected = expected.unwrap_or_default();
        let difference = Quantity(line.counted.0 - expected.0);
        let movement_id = if difference.is_zero() {
            None
        } else {
            let mut m = Movement::draft(
                MovementKind::Adjustment,
                line.part_id,
                new.warehouse_id,
                difference,
                who,
            );
            m.reason = Some("stocktake".into());
            m.stocktake_id = Some(id);
            m.occurred_at = new.counted_at;
            m.note = note.clone();
            let m = ledger::adjust(conn, m).map_err(|err| match err {
                AppError::InsufficientStock { available, .. } => AppError::InsufficientStock {
                    detail: format!(
                        "part {}: counted {} at {}, but what left the warehouse since then \
                         would take on-hand below 0; count again",
                        line.part_id, line.counted, new.counted_at
                    ),
                    available,
                },
                other => other,
            })?;
            Some(m.id)
        };
        diesel::insert_into(stocktake_lines::table)
            .values((
                stocktake_lines::stocktake_id.eq(id),
                stocktake_lines::part_id.eq(line.part_id),
                stocktake_lines::expected.eq(expected),
                stocktake_lines::counted.eq(line.counted),
                stocktake_lines::movement_id.eq(movement_id),
            ))
            .execute(conn)?;
    }
    get(conn, id)
}

pub fn get(conn: &mut PgConnection, id: StocktakeId) -> AppResult<Stocktake> {
    let header: Header = stocktakes::table
        .find(id)
        .select((
            stocktakes::id,
            stocktakes::warehouse_id,
            stocktakes::counted_at,
            stocktakes::posted_at,
            stocktakes::posted_by,
            stocktakes::note,
        ))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("stocktake", id))?;
    let mut all = with_lines(conn, vec![header])?;
    Ok(all.remove(0))
}

fn with_lines(conn: &mut PgConnection, headers: Vec<Header>) -> QueryResult<Vec<Stocktake>> {
    let ids: Vec<StocktakeId> = headers.iter().map(|h| h.0).collect();
    let lines: Vec<(StocktakeId, StocktakeLine)> = stocktake_lines::table
        .filter(stocktake_lines::stocktake_id.eq_any(&ids))
        .order((stocktake_lines::stocktake_id, stocktake_lines::part_id))
        .select((
            stocktake_lines::stocktake_id,
            (
                stocktake_lines::part_id,
                stocktake_lines::expected,
                stocktake_lines::counted,
                stocktake_lines::movement_id,
            ),
        ))
        .load(conn)?;
    Ok(headers
        .into_iter()
        .map(
            |(id, warehouse_id, counted_at, posted_at, posted_by, note)| Stocktake {
                id,
                warehouse_id,
                counted_at,
                posted_at,
                posted_by,
                note,
                lines: lines
                    .iter()
                    .filter(|l| l.0 == id)
                    .map(|l| l.1.clone())
                    .collect(),
            },
        )
        .collect())
}

/// Stocktakes, newest last, optionally of one warehouse.
pub fn list(
    conn: &mut PgConnection,
    warehouse: Option<WarehouseId>,
    after: Option<StocktakeId>,
    limit: i64,
) -> QueryResult<Vec<Stocktake>> {
    let mut q = stocktakes::table
        .select((
            stocktakes::id,
            stocktakes::warehouse_id,
            stocktakes::counted_at,
            stocktakes::posted_at,
            stocktakes::posted_by,
            stocktakes::note,
        ))
        .order(stocktakes::id)
        .into_boxed();
    if let Some(w) = warehouse {
        q = q.filter(stocktakes::warehouse_id.eq(w));
    }
    if let Some(after) = after {
        q = q.filter(stocktakes::id.gt(after));
    }
    let headers: Vec<Header> = q.limit(limit).load(conn)?;
    with_lines(conn, headers)
}
