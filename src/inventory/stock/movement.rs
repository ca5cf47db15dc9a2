//! Stock movements: the lines of the append-only ledger, the bodies that post them, and
//! the queries that read them back. Writing is in `ledger`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::decimal::{Money, Quantity};
use crate::ids::{MovementId, PartId, StocktakeId, TicketId, WarehouseId};
use crate::schema::stock_movements;

crate::text_enum! {
    /// What moved stock.
    pub enum MovementKind {
        /// Goods received from a supplier.
        Receipt = "receipt",
        /// Parts issued to a ticket.
        Issue = "issue",
        /// Unused parts back from a ticket.
        Return = "return",
        /// One leg of a move between warehouses.
        Transfer = "transfer",
        /// A correction: a stocktake difference, damage, loss, an opening balance.
        Adjustment = "adjustment",
    }
}

/// One line of the ledger. `quantity` is the signed change of the balance's `on_hand`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = stock_movements, check_for_backend(diesel::pg::Pg))]
pub struct Movement {
    pub id: MovementId,
    pub kind: MovementKind,
    pub part_id: PartId,
    pub warehouse_id: WarehouseId,
    /// Signed: positive into the warehouse, negative out of it.
    pub quantity: Quantity,
    /// Receipts: the price paid per unit; issues and returns: the moving-average cost
    /// at that moment.
    pub unit_cost: Option<Money>,
    /// Receipts: who delivered.
    pub supplier: Option<String>,
    /// A delivery note, purchase order or other outside reference.
    pub reference: Option<String>,
    /// Issues and returns: the ticket.
    pub ticket_id: Option<TicketId>,
    /// Transfers: shared by the two legs.
    pub transfer_id: Option<uuid::Uuid>,
    /// Adjustments: why (`stocktake`, `damaged`, `lost`, `found`, `opening`, …).
    pub reason: Option<String>,
    pub note: Option<String>,
    /// Set on a reversal: the movement it undoes.
    pub reverses_id: Option<MovementId>,
    /// Set on a stocktake's adjustments.
    pub stocktake_id: Option<StocktakeId>,
    /// When the stock moved (a stocktake's adjustments: the time of counting).
    pub occurred_at: DateTime<Utc>,
    pub recorded_at: DateTime<Utc>,
    /// The name of the API key that recorded it.
    #[schema(example = "warehouse Hamburg")]
    pub recorded_by: String,
}

impl Movement {
    /// A movement about to be written, with the fields every kind shares.
    pub fn draft(
        kind: MovementKind,
        part: PartId,
        warehouse: WarehouseId,
        quantity: Quantity,
        who: &str,
    ) -> Self {
        let now = Utc::now();
        Self {
            id: MovementId::new(),
            kind,
            part_id: part,
            warehouse_id: warehouse,
            quantity,
            unit_cost: None,
            supplier: None,
            reference: None,
            ticket_id: None,
            transfer_id: None,
            reason: None,
            note: None,
            reverses_id: None,
            stocktake_id: None,
            occurred_at: now,
            recorded_at: now,
            recorded_by: who.to_owned(),
        }
    }
}

/// A movement to post. Quantities are positive; the kind gives the direction, except
/// for an adjustment, whose quantity is the signed change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({"kind": "receipt", "part_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
    "warehouse_id": "0193a4b2-7c1e-7d2a-9f00-2a2b3c4d5e6f", "quantity": "20", "unit_cost": "4.10",
    "supplier": "SKF", "reference": "DN-2026-0042"}))]
pub enum NewMovement {
    /// Goods in from a supplier; moves the part's moving-average cost.
    Receipt {
        part_id: PartId,
        warehouse_id: WarehouseId,
        quantity: Quantity,
        unit_cost: Money,
        #[serde(default)]
        supplier: Option<String>,
        #[serde(default)]
        reference: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// Parts out to a ticket: first from the ticket's reservation at the warehouse, the
    /// rest from unreserved stock.
    Issue {
        part_id: PartId,
        warehouse_id: WarehouseId,
        quantity: Quantity,
        ticket_id: TicketId,
        #[serde(default)]
        note: Option<String>,
    },
    /// Unused parts back from a ticket (at most what was issued to it, net of returns).
    Return {
        part_id: PartId,
        warehouse_id: WarehouseId,
        quantity: Quantity,
        ticket_id: TicketId,
        #[serde(default)]
        note: Option<String>,
    },
    /// Move unreserved stock between warehouses: both legs in one transaction.
    Transfer {
        part_id: PartId,
        from_warehouse_id: WarehouseId,
        to_warehouse_id: WarehouseId,
        quantity: Quantity,
        #[serde(default)]
        reference: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    /// A signed correction with a reason code. Taking stock below what is reserved turns
    /// the newest reservations' excess into shortages.
    Adjustment {
        part_id: PartId,
        warehouse_id: WarehouseId,
        /// The signed change of `on_hand`.
        quantity: Quantity,
        /// `[a-z0-9_-]{1,32}`: `damaged`, `lost`, `found`, `opening`, …
        reason: String,
        #[serde(default)]
        note: Option<String>,
    },
}

/// Undo a movement (both legs, for a transfer).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"note": "booked to the wrong warehouse"}))]
pub struct NewReversal {
    #[serde(default)]
    pub note: Option<String>,
}

/// The movements one request wrote (two for a transfer).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Posted {
    pub movements: Vec<Movement>,
}

/// Filters of the ledger; all given filters must match.
#[derive(Debug, Default, Clone)]
pub struct MovementFilter {
    pub part_id: Option<PartId>,
    pub warehouse_id: Option<WarehouseId>,
    pub ticket_id: Option<TicketId>,
    pub kind: Option<MovementKind>,
    pub stocktake_id: Option<StocktakeId>,
    /// `occurred_at >= from`.
    pub from: Option<DateTime<Utc>>,
    /// `occurred_at < to`.
    pub to: Option<DateTime<Utc>>,
}

pub fn find(conn: &mut PgConnection, id: MovementId) -> QueryResult<Option<Movement>> {
    stock_movements::table
        .find(id)
        .select(Movement::as_select())
        .first(conn)
        .optional()
}

/// The ledger in recording order.
pub fn list(
    conn: &mut PgConnection,
    f: &MovementFilter,
    after: Option<MovementId>,
    limit: i64,
) -> QueryResult<Vec<Movement>> {
    let mut q = stock_movements::table
        .select(Movement::as_select())
        .order(stock_movements::id)
        .into_boxed();
    if let Some(p) = f.part_id {
        q = q.filter(stock_movements::part_id.eq(p));
    }
    if let Some(w) = f.warehouse_id {
        q = q.filter(stock_movements::warehouse_id.eq(w));
    }
    if let Some(t) = f.ticket_id {
        q = q.filter(stock_movements::ticket_id.eq(t));
    }
    if let Some(k) = f.kind {
        q = q.filter(stock_movements::kind.eq(k));
    }
    if let Some(s) = f.stocktake_id {
        q = q.filter(stock_movements::stocktake_id.eq(s));
    }
    if let Some(from) = f.from {
        q = q.filter(stock_movements::occurred_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(stock_movements::occurred_at.lt(to));
    }
    if let Some(after) = after {
        q = q.filter(stock_movements::id.gt(after));
    }
    q.limit(limit).load(conn)
}
