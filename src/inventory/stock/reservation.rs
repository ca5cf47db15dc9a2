//! Reservations: quantities held at a warehouse for a ticket. What a reservation holds
//! is counted in the balance's `reserved` (by a database trigger) and cannot be issued,
//! transferred or reserved for anything else. A request for more than is available is
//! refused, or, when the caller allows it, holds what there is and records the rest as a
//! shortage, which stock arriving later fills, oldest first.
//!
//! Every function here but `reserve` (which locks it) expects the balance to be locked
//! by the caller (`balance::lock`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::balance::{self, Level};
use super::rules;
use crate::decimal::Quantity;
use crate::error::{AppError, AppResult};
use crate::ids::{PartId, ReservationId, TicketId, WarehouseId};
use crate::schema::stock_reservations;

crate::text_enum! {
    /// Where a reservation is in its life.
    pub enum ReservationStatus {
        /// Holding stock (and maybe waiting for a shortage to be filled).
        Open = "open",
        /// Everything it asked for was issued.
        Fulfilled = "fulfilled",
        /// Let go: its ticket was cancelled or closed, or someone released it.
        Released = "released",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = stock_reservations, check_for_backend(diesel::pg::Pg))]
pub struct Reservation {
    pub id: ReservationId,
    pub ticket_id: TicketId,
    pub part_id: PartId,
    pub warehouse_id: WarehouseId,
    /// Held now (counted in the balance's `reserved`).
    pub quantity: Quantity,
    /// Asked for but not available; filled as stock arrives.
    pub shortage: Quantity,
    /// Issued to the ticket against this reservation so far.
    pub issued: Quantity,
    pub status: ReservationStatus,
    /// Why it was released (`ticket_cancelled`, `ticket_closed`, `manual`, …).
    pub release_reason: Option<String>,
    pub note: Option<String>,
    /// The name of the API key that made it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When it was fulfilled or released.
    pub closed_at: Option<DateTime<Utc>>,
}

/// Reserve a part at a warehouse for a ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"ticket_id": "0193a4b2-7c1e-7d2a-9f00-3a2b3c4d5e6f", "part_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
    "warehouse_id": "0193a4b2-7c1e-7d2a-9f00-2a2b3c4d5e6f", "quantity": "2", "allow_shortage": false}))]
pub struct NewReservation {
    pub ticket_id: TicketId,
    pub part_id: PartId,
    pub warehouse_id: WarehouseId,
    /// More than 0.
    pub quantity: Quantity,
    /// When not enough is available: `false` (default) refuses with 409 saying how much
    /// is; `true` holds what is available and records the rest as a shortage.
    #[serde(default)]
    pub allow_shortage: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// Release a reservation.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "manual"}))]
pub struct NewRelease {
    /// `[a-z0-9_-]{1,32}`; defaults to `manual`.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Filters of the reservation list; all given filters must match.
#[derive(Debug, Default, Clone)]
pub struct ReservationFilter {
    pub ticket_id: Option<TicketId>,
    pub part_id: Option<PartId>,
    pub warehouse_id: Option<WarehouseId>,
    pub status: Option<ReservationStatus>,
    /// Only those still short.
    pub short: Option<bool>,
}

pub fn find(conn: &mut PgConnection, id: ReservationId) -> QueryResult<Option<Reservation>> {
    stock_reservations::table
        .find(id)
        .select(Reservation::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut PgConnection,
    f: &ReservationFilter,
    after: Option<ReservationId>,
    limit: i64,
) -> QueryResult<Vec<Reservation>> {
    let mut q = stock_reservations::table
        .select(Reservation::as_select())
        .order(stock_reservations::id)
        .into_boxed();
    if let Some(t) = f.ticket_id {
        q = q.filter(stock_reservations::ticket_id.eq(t));
    }
    if let Some(p) = f.part_id {
        q = q.filter(stock_reservations::part_id.eq(p));
    }
    if let Some(w) = f.warehouse_id {
        q = q.filter(stock_reservations::warehouse_id.eq(w));
    }
    if let Some(s) = f.status {
        q = q.filter(stock_reservations::status.eq(s));
    }
    match f.short {
        Some(true) => q = q.filter(stock_reservations::shortage.gt(Quantity::ZERO)),
        Some(false) => q = q.filter(stock_reservations::shortage.eq(Quantity::ZERO)),
        None => {}
    }
    if let Some(after) = after {
        q = q.filter(stock_reservations::id.gt(after));
    }
    q.limit(limit).load(conn)
}

/// The open reservations of a locked balance, oldest first, locked.
fn open_at(conn: &mut PgConnection, level: &Level) -> QueryResult<Vec<Reservation>> {
    stock_reservations::table
        .filter(stock_reservations::part_id.eq(level.part_id))
        .filter(stock_reservations::warehouse_id.eq(level.warehouse_id))
        .filter(stock_reservations::status.eq(ReservationStatus::Open))
        .order(stock_reservations::id)
        .select(Reservation::as_select())
        .for_update()
        .load(conn)
}

/// The ticket's open reservation at a locked balance, locked.
pub fn open_for_ticket(
    conn: &mut PgConnection,
    level: &Level,
    ticket: TicketId,
) -> QueryResult<Option<Reservation>> {
    stock_reservations::table
        .filter(stock_reservations::ticket_id.eq(ticket))
        .filter(stock_reservations::part_id.eq(level.part_id))
        .filter(stock_reservations::warehouse_id.eq(level.warehouse_id))
        .filter(stock_reservations::status.eq(ReservationStatus::Open))
        .select(Reservation::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Overwrite what a reservation holds, lacks and has issued; it becomes fulfilled when it
/// holds and lacks nothing.
pub fn set_amounts(
    conn: &mut PgConnection,
    r: &Reservation,
    quantity: Decimal,
    shortage: Decimal,
    issued: Decimal,
) -> QueryResult<()> {
    let done = quantity.is_zero() && shortage.is_zero();
    let now = Utc::now();
    diesel::update(stock_reservations::table.find(r.id))
        .set((
            stock_reservations::quantity.eq(Quantity(quantity)),
            stock_reservations::shortage.eq(Quantity(shortage)),
            stock_reservations::issued.eq(Quantity(issued)),
            stock_reservations::status.eq(if done {
                ReservationStatus::Fulfilled
            } else {
                ReservationStatus::Open
            }),
            stock_reservations::closed_at.eq(done.then_some(now)),
            stock_reservations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The 409 for a request that wants more than a balance can give.
pub fn insufficient(
    conn: &mut PgConnection,
    level: &Level,
    wanted: Quantity,
    can_have: Quantity,
) -> AppError {
    let names = crate::schema::parts::table
        .find(level.part_id)
        .select((crate::schema::parts::sku, crate::schema::parts::unit))
        .first::<(String, String)>(conn)
        .ok();
    let code = crate::schema::warehouses::table
        .find(level.warehouse_id)
        .select(crate::schema::warehouses::code)
        .first::<String>(conn)
        .ok();
    let (sku, unit) = names.unwrap_or_else(|| (level.part_id.to_string(), String::new()));
    let code = code.unwrap_or_else(|| level.warehouse_id.to_string());
    AppError::InsufficientStock {
        detail: format!(
            "{wanted} {unit} of {sku} wanted at {code}, but only {can_have} available \
             ({} on hand, {} reserved)",
            level.on_hand, level.reserved
        ),
        available: can_have.to_string(),
    }
}

/// Reserve: check the request, lock the balance, then add to the ticket's open
/// reservation there or open one.
pub fn reserve(conn: &mut PgConnection, new: &NewReservation, who: &str) -> AppResult<Reservation> {
    let note = super::ledger::check_line(
        conn,
        new.part_id,
        new.warehouse_id,
        new.quantity,
        new.ticket_id,
        new.note.clone(),
    )?;
    let level = balance::lock(conn, new.part_id, new.warehouse_id)?;
    let available = level.available().0.max(Decimal::ZERO);
    let wanted = new.quantity.0;
    let (held, short) = if wanted <= available {
        (wanted, Decimal::ZERO)
    } else if new.allow_shortage {
        (available, wanted - available)
    } else {
        return Err(insufficient(
            conn,
            &level,
            new.quantity,
            Quantity(available),
        ));
    };
    let id = match open_for_ticket(conn, &level, new.ticket_id)? {
        Some(r) => {
            set_amounts(
                conn,
                &r,
                r.quantity.0 + held,
                r.shortage.0 + short,
                r.issued.0,
            )?;
            r.id
        }
        None => {
            let id = ReservationId::new();
            diesel::insert_into(stock_reservations::table)
                .values((
                    stock_reservations::id.eq(id),
                    stock_reservations::ticket_id.eq(new.ticket_id),
                    stock_reservations::part_id.eq(new.part_id),
                    stock_reservations::warehouse_id.eq(new.warehouse_id),
                    stock_reservations::quantity.eq(Quantity(held)),
                    stock_reservations::shortage.eq(Quantity(short)),
                    stock_reservations::note.eq(note),
                    stock_reservations::created_by.eq(who),
                ))
                .execute(conn)?;
            id
        }
    };
    Ok(find(conn, id)?.expect("the reservation was just written"))
}

/// Release one reservation (409 unless it is open), then let what it held fill other
/// tickets' shortages.
pub fn release(conn: &mut PgConnection, id: ReservationId, reason: &str) -> AppResult<Reservation> {
    let r = find(conn, id)?.ok_or_else(|| AppError::not_found("reservation", id))?;
    let level = balance::lock(conn, r.part_id, r.warehouse_id)?;
    let r = find(conn, id)?.ok_or_else(|| AppError::not_found("reservation", id))?;
    if r.status != ReservationStatus::Open {
        return Err(AppError::conflict(format!(
            "reservation {id} is {}, not open",
            r.status
        )));
    }
    close(conn, &r, reason)?;
    fill_shortages(conn, &level)?;
    Ok(find(conn, id)?.expect("the reservation exists"))
}

fn close(conn: &mut PgConnection, r: &Reservation, reason: &str) -> QueryResult<()> {
    let now = Utc::now();
    diesel::update(stock_reservations::table.find(r.id))
        .set((
            stock_reservations::status.eq(ReservationStatus::Released),
            stock_reservations::release_reason.eq(reason),
            stock_reservations::closed_at.eq(now),
            stock_reservations::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Release every open reservation of a ticket (when it is cancelled or closed). Balances
/// are locked in key order, so two tickets releasing at once cannot deadlock.
pub fn release_for_ticket(
    conn: &mut PgConnection,
    ticket: TicketId,
    reason: &str,
) -> AppResult<usize> {
    let mut open: Vec<Reservation> = stock_reservations::table
        .filter(stock_reservations::ticket_id.eq(ticket))
        .filter(stock_reservations::status.eq(ReservationStatus::Open))
        .select(Reservation::as_select())
        .load(conn)?;
    open.sort_by_key(|r| (r.part_id, r.warehouse_id));
    let mut released = 0;
    for r in open {
        let level = balance::lock(conn, r.part_id, r.warehouse_id)?;
        if let Some(current) = open_for_ticket(conn, &level, ticket)? {
            close(conn, &current, reason)?;
            fill_shortages(conn, &level)?;
            released += 1;
        }
    }
    Ok(released)
}

/// After stock arrived at (or was freed in) a locked balance, hand what is available to
/// the open shortages there, oldest reservation first.
pub fn fill_shortages(conn: &mut PgConnection, level: &Level) -> QueryResult<()> {
    let short: Vec<Reservation> = open_at(conn, level)?
        .into_iter()
        .filter(|r| r.shortage.is_positive())
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    let now: Level = balance::lock(conn, level.part_id, level.warehouse_id)?;
    let gives = rules::fill_shortages(
        now.available().0,
        &short.iter().map(|r| r.shortage.0).collect::<Vec<_>>(),
    );
    for (r, give) in short.iter().zip(gives) {
        if give > Decimal::ZERO {
            set_amounts(
                conn,
                r,
                r.quantity.0 + give,
                r.shortage.0 - give,
                r.issued.0,
            )?;
        }
    }
    Ok(())
}

/// Before `on_hand` of a locked balance drops to `new_on_hand` by an adjustment: turn
/// the part of the newest reservations that would no longer be covered into shortage.
pub fn trim_to(conn: &mut PgConnection, level: &Level, new_on_hand: Decimal) -> QueryResult<()> {
    let excess = level.reserved.0 - new_on_hand;
    if excess <= Decimal::ZERO {
        return Ok(());
    }
    let open = open_at(conn, level)?;
    let takes = rules::trim_reservations(
        excess,
        &open.iter().map(|r| r.quantity.0).collect::<Vec<_>>(),
    );
    for (r, take) in open.iter().zip(takes) {
        if take > Decimal::ZERO {
            set_amounts(
                conn,
                r,
                r.quantity.0 - take,
                r.shortage.0 + take,
                r.issued.0,
            )?;
        }
    }
    Ok(())
}
