//! Posting to the ledger: receipts, issues, returns, transfers, adjustments and
//! reversals. Each runs in the caller's transaction and locks the balances it touches
//! (`balance::lock`, in key order when there are two) before it checks anything, so
//! concurrent requests on one balance are serialised and the checks hold when the
//! movement is written. The database holds the same rules again: `on_hand >= 0`,
//! `reserved <= on_hand`, append-only movements, one reversal per movement.

use diesel::prelude::*;
use rust_decimal::Decimal;

use super::balance::{self, Level};
use super::movement::{Movement, MovementKind, NewMovement};
use super::reservation;
use super::rules;
use crate::decimal::{Money, Quantity};
use crate::error::{AppError, AppResult};
use crate::ids::{MovementId, PartId, TicketId, WarehouseId};
use crate::inventory::parts::store as parts;
use crate::schema::{parts as parts_table, stock_balances, stock_movements, warehouses};
use crate::validate::Errors;

/// Post one movement request; returns what was written (two legs for a transfer).
pub fn post(conn: &mut PgConnection, new: NewMovement, who: &str) -> AppResult<Vec<Movement>> {
    match new {
        NewMovement::Receipt {
            part_id,
            warehouse_id,
            quantity,
            unit_cost,
            supplier,
            reference,
            note,
        } => {
            let mut e = Errors::new();
            positive(&mut e, quantity);
            if unit_cost.is_negative() {
                e.add("unit_cost", "must not be negative");
            }
            let supplier = e.opt_text("supplier", supplier.as_deref(), 200);
            let reference = e.opt_text("reference", reference.as_deref(), 200);
            let note = e.opt_text("note", note.as_deref(), 2000);
            refs(conn, &mut e, part_id, &[("warehouse_id", warehouse_id)])?;
            e.finish()?;
            let part = parts::lock(conn, part_id)?;
            if !part.active {
                return Err(AppError::conflict(format!(
                    "part {} is inactive and cannot be received",
                    part.sku
                )));
            }
            receiving_warehouse(conn, warehouse_id)?;
            revalue(conn, part_id, part.unit_cost, quantity.0, unit_cost)?;
            let level = balance::lock(conn, part_id, warehouse_id)?;
            let mut m =
                Movement::draft(MovementKind::Receipt, part_id, warehouse_id, quantity, who);
            m.unit_cost = Some(unit_cost);
            m.supplier = supplier;
            m.reference = reference;
            m.note = note;
            Ok(vec![apply(conn, &level, m)?])
        }
        NewMovement::Issue {
            part_id,
            warehouse_id,
            quantity,
            ticket_id,
            note,
        } => {
            let note = check_line(conn, part_id, warehouse_id, quantity, ticket_id, note)?;
            let m = issue(conn, part_id, warehouse_id, quantity, ticket_id, note, who)?;
            Ok(vec![m])
        }
        NewMovement::Return {
            part_id,
            warehouse_id,
            quantity,
            ticket_id,
            note,
        } => {
            let note = check_line(conn, part_id, warehouse_id, quantity, ticket_id, note)?;
            let m = give_back(conn, part_id, warehouse_id, quantity, ticket_id, note, who)?;
            Ok(vec![m])
        }
        NewMovement::Transfer {
            part_id,
            from_warehouse_id,
            to_warehouse_id,
            quantity,
            reference,
            note,
        } => {
            let mut e = Errors::new();
            positive(&mut e, quantity);
            if from_warehouse_id == to_warehouse_id {
                e.add("to_warehouse_id", "must differ from from_warehouse_id");
            }
            let reference = e.opt_text("reference", reference.as_deref(), 200);
            let note = e.opt_text("note", note.as_deref(), 2000);
            refs(
                conn,
                &mut e,
                part_id,
                &[
                    ("from_warehouse_id", from_warehouse_id),
                    ("to_warehouse_id", to_warehouse_id),
                ],
            )?;
            e.finish()?;
            receiving_warehouse(conn, to_warehouse_id)?;
            let legs = [
                (from_warehouse_id, Quantity(-quantity.0)),
                (to_warehouse_id, quantity),
            ];
            transfer(conn, part_id, legs, None, reference, note, who)
        }
        NewMovement::Adjustment {
            part_id,
            warehouse_id,
            quantity,
            reason,
            note,
        } => {
            let mut e = Errors::new();
            if quantity.is_zero() {
                e.add("quantity", "must not be 0");
            }
            let reason = e.code("reason", &reason, 32);
            let note = e.opt_text("note", note.as_deref(), 2000);
            refs(conn, &mut e, part_id, &[("warehouse_id", warehouse_id)])?;
            e.finish()?;
            let mut m = Movement::draft(
                MovementKind::Adjustment,
                part_id,
                warehouse_id,
                quantity,
                who,
            );
            m.reason = Some(reason);
            m.note = note;
            Ok(vec![adjust(conn, m)?])
        }
    }
}

/// Check an issue, return or reservation line: a positive quantity, a short note, a
/// known part, warehouse and ticket. Returns the trimmed note.
pub(super) fn check_line(
    conn: &mut PgConnection,
    part: PartId,
    warehouse: WarehouseId,
    quantity: Quantity,
    ticket: TicketId,
    note: Option<String>,
) -> AppResult<Option<String>> {
    let mut e = Errors::new();
    positive(&mut e, quantity);
    let note = e.opt_text("note", note.as_deref(), 2000);
    refs(conn, &mut e, part, &[("warehouse_id", warehouse)])?;
    if !crate::tickets::store::exists(conn, ticket)? {
        e.add("ticket_id", format!("no ticket {ticket}"));
    }
    e.finish()?;
    Ok(note)
}

fn positive(e: &mut Errors, q: Quantity) {
    if !q.is_positive() {
        e.add("quantity", "must be more than 0");
    }
}

/// The part and warehouses a body names must exist (422 naming the field otherwise).
fn refs(
    conn: &mut PgConnection,
    e: &mut Errors,
    part: PartId,
    whs: &[(&str, WarehouseId)],
) -> AppResult<()> {
    if !parts::exists(conn, part)? {
        e.add("part_id", format!("no part {part}"));
    }
    for (field, w) in whs {
        if !crate::inventory::warehouses::store::exists(conn, *w)? {
            e.add(*field, format!("no warehouse {w}"));
        }
    }
    Ok(())
}

/// Stock may only arrive at an active warehouse.
fn receiving_warehouse(conn: &mut PgConnection, w: WarehouseId) -> AppResult<()> {
    let (code, active): (String, bool) = warehouses::table
        .find(w)
        .select((warehouses::code, warehouses::active))
        .first(conn)?;
    if !active {
        return Err(AppError::conflict(format!(
            "warehouse {code} is inactive and takes no new stock"
        )));
    }
    Ok(())
}

/// Move the part's moving-average cost for `qty` (signed: a receipt, or its reversal)
/// at `cost`, before the movement is written; the part is locked.
fn revalue(
    conn: &mut PgConnection,
    part: PartId,
    average: Money,
    qty: Decimal,
    cost: Money,
) -> AppResult<()> {
    let total: Option<Quantity> = stock_balances::table
        .filter(stock_balances::part_id.eq(part))
        .select(diesel::dsl::sum(stock_balances::on_hand))
        .first(conn)?;
    let on_hand = total.map(|t| t.0).unwrap_or_default();
    let next = rules::moving_average(on_hand, average, qty, cost);
    if next != average {
        diesel::update(parts_table::table.find(part))
            .set(parts_table::unit_cost.eq(next))
            .execute(conn)?;
    }
    Ok(())
}

/// Write a movement whose balance is locked. A decrease must fit what is available.
fn insert(conn: &mut PgConnection, m: Movement) -> AppResult<Movement> {
    Ok(diesel::insert_into(stock_movements::table)
        .values(&m)
        .returning(Movement::as_returning())
        .get_result(conn)?)
}

/// Write `m` to its locked balance: a decrease only from unreserved stock, an increase
/// followed by filling the shortages waiting there.
fn apply(conn: &mut PgConnection, level: &Level, m: Movement) -> AppResult<Movement> {
    if m.quantity.is_negative() {
        return take_available(conn, level, m);
    }
    let m = insert(conn, m)?;
    reservation::fill_shortages(conn, level)?;
    Ok(m)
}

/// Take `m` (a decrease) out of a locked balance's unreserved stock.
fn take_available(conn: &mut PgConnection, level: &Level, m: Movement) -> AppResult<Movement> {
    let wanted = Quantity(-m.quantity.0);
    if wanted.0 > level.available().0 {
        return Err(reservation::insufficient(
            conn,
            level,
            wanted,
            level.available(),
        ));
    }
    insert(conn, m)
}

/// Issue to a ticket: its reservation at the warehouse first, then free stock.
fn issue(
    conn: &mut PgConnection,
    part: PartId,
    warehouse: WarehouseId,
    qty: Quantity,
    ticket: TicketId,
    note: Option<String>,
    who: &str,
) -> AppResult<Movement> {
    let level = balance::lock(conn, part, warehouse)?;
    let held = reservation::open_for_ticket(conn, &level, ticket)?;
    let held_qty = held.as_ref().map(|r| r.quantity.0).unwrap_or_default();
    let split = rules::split_issue(qty.0, held_qty, level.available().0)
        .map_err(|can| reservation::insufficient(conn, &level, qty, Quantity(can)))?;
    if let Some(r) = &held {
        // the need this issue meets leaves the shortage too
        let shortage = r.shortage.0 - r.shortage.0.min(split.from_free);
        reservation::set_amounts(
            conn,
            r,
            r.quantity.0 - split.from_reservation,
            shortage,
            r.issued.0 + qty.0,
        )?;
    }
    let mut m = Movement::draft(MovementKind::Issue, part, warehouse, Quantity(-qty.0), who);
    m.ticket_id = Some(ticket);
    m.unit_cost = Some(current_cost(conn, part)?);
    m.note = note;
    insert(conn, m)
}

/// The part's moving-average cost now: what an issue or return is valued at.
fn current_cost(conn: &mut PgConnection, part: PartId) -> QueryResult<Money> {
    parts_table::table
        .find(part)
        .select(parts_table::unit_cost)
        .first(conn)
}

/// What has gone to a ticket of a part, net of returns and reversals.
fn net_issued(conn: &mut PgConnection, part: PartId, ticket: TicketId) -> QueryResult<Decimal> {
    let sum: Option<Quantity> = stock_movements::table
        .filter(stock_movements::ticket_id.eq(ticket))
        .filter(stock_movements::part_id.eq(part))
        .select(diesel::dsl::sum(stock_movements::quantity))
        .first(conn)?;
    Ok(-sum.map(|s| s.0).unwrap_or_default())
}

/// Serialise returns (and issue reversals) of one ticket, which may touch several
/// warehouses, so "no more back than went out" holds under concurrency.
fn lock_ticket(conn: &mut PgConnection, ticket: TicketId) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 7))")
        .bind::<diesel::sql_types::Text, _>(ticket.to_string())
        .execute(conn)?;
    Ok(())
}

/// Unused parts back from a ticket.
fn give_back(
    conn: &mut PgConnection,
    part: PartId,
    warehouse: WarehouseId,
    qty: Quantity,
    ticket: TicketId,
    note: Option<String>,
    who: &str,
) -> AppResult<Movement> {
    lock_ticket(conn, ticket)?;
    let out = net_issued(conn, part, ticket)?;
    if qty.0 > out {
        return Err(AppError::conflict(format!(
            "only {} of this part went to ticket {ticket} (net of returns), so {qty} cannot come back",
            Quantity(out)
        )));
    }
    receiving_warehouse(conn, warehouse)?;
    let level = balance::lock(conn, part, warehouse)?;
    let mut m = Movement::draft(MovementKind::Return, part, warehouse, qty, who);
    m.ticket_id = Some(ticket);
    m.unit_cost = Some(current_cost(conn, part)?);
    m.note = note;
    apply(conn, &level, m)
}

/// Both legs of a transfer (or of its reversal), balances locked in key order.
fn transfer(
    conn: &mut PgConnection,
    part: PartId,
    legs: [(WarehouseId, Quantity); 2],
    reverses: Option<[MovementId; 2]>,
    reference: Option<String>,
    note: Option<String>,
    who: &str,
) -> AppResult<Vec<Movement>> {
    let mut order = [0usize, 1];
    order.sort_by_key(|i| legs[*i].0);
    let mut levels = [None, None];
    for i in order {
        levels[i] = Some(balance::lock(conn, part, legs[i].0)?);
    }
    let transfer_id = uuid::Uuid::now_v7();
    let mut written = Vec::with_capacity(2);
    // the leg out first: it is the one that can fail
    let mut by_direction = [0usize, 1];
    by_direction.sort_by_key(|i| !legs[*i].1.is_negative());
    for i in by_direction {
        let (w, qty) = legs[i];
        let level = levels[i].expect("locked above");
        let mut m = Movement::draft(MovementKind::Transfer, part, w, qty, who);
        m.transfer_id = Some(transfer_id);
        m.reverses_id = reverses.map(|r| r[i]);
        m.reference = reference.clone();
        m.note = note.clone();
        written.push(apply(conn, &level, m)?);
    }
    Ok(written)
}

/// A signed correction: a decrease may take stock that is reserved (it is gone), which
/// turns the newest reservations' excess into shortage; on_hand cannot go below 0.
pub fn adjust(conn: &mut PgConnection, m: Movement) -> AppResult<Movement> {
    let level = balance::lock(conn, m.part_id, m.warehouse_id)?;
    let after = level.on_hand.0 + m.quantity.0;
    if after < Decimal::ZERO {
        return Err(reservation::insufficient(
            conn,
            &level,
            Quantity(-m.quantity.0),
            level.on_hand,
        ));
    }
    reservation::trim_to(conn, &level, after)?;
    let increase = m.quantity.is_positive();
    let m = insert(conn, m)?;
    if increase {
        reservation::fill_shortages(conn, &level)?;
    }
    Ok(m)
}

/// Undo a movement with one that moves the same stock back and references it (both legs
/// of a transfer). A reversal cannot itself be reversed, and nothing is reversed twice.
pub fn reverse(
    conn: &mut PgConnection,
    id: MovementId,
    note: Option<String>,
    who: &str,
) -> AppResult<Vec<Movement>> {
    let mut e = Errors::new();
    let note = e.opt_text("note", note.as_deref(), 2000);
    e.finish()?;
    let original = super::movement::find(conn, id)?
        .ok_or_else(|| AppError::not_found("stock movement", id))?;
    if original.reverses_id.is_some() {
        return Err(AppError::conflict(format!(
            "movement {id} is itself a reversal; post a new movement instead"
        )));
    }
    let legs: Vec<Movement> = match original.transfer_id {
        Some(t) => stock_movements::table
            .filter(stock_movements::transfer_id.eq(t))
            .order(stock_movements::id)
            .select(Movement::as_select())
            .load(conn)?,
        None => vec![original.clone()],
    };
    let leg_ids: Vec<MovementId> = legs.iter().map(|m| m.id).collect();
    let reversed: bool = diesel::select(diesel::dsl::exists(
        stock_movements::table.filter(stock_movements::reverses_id.eq_any(&leg_ids)),
    ))
    .get_result(conn)?;
    if reversed {
        return Err(AppError::conflict(format!(
            "movement {id} has already been reversed"
        )));
    }
    let back = |m: &Movement| {
        let mut r = Movement::draft(
            m.kind,
            m.part_id,
            m.warehouse_id,
            Quantity(-m.quantity.0),
            who,
        );
        r.reverses_id = Some(m.id);
        r.ticket_id = m.ticket_id;
        r.unit_cost = m.unit_cost;
        r.supplier = m.supplier.clone();
        r.reference = m.reference.clone();
        r.reason = m.reason.clone();
        r.note = note.clone();
        r
    };
    match original.kind {
        MovementKind::Transfer => {
            let [a, b] = legs.as_slice() else {
                return Err(AppError::Internal(format!(
                    "transfer of movement {id} does not have two legs"
                )));
            };
            transfer(
                conn,
                original.part_id,
                [
                    (a.warehouse_id, Quantity(-a.quantity.0)),
                    (b.warehouse_id, Quantity(-b.quantity.0)),
                ],
                Some([a.id, b.id]),
                a.reference.clone(),
                note,
                who,
            )
        }
        MovementKind::Receipt => {
            let part = parts::lock(conn, original.part_id)?;
            let level = balance::lock(conn, original.part_id, original.warehouse_id)?;
            // revalued with the receipt's units still in stock, as a receipt is; if they
            // are no longer available the whole transaction rolls back
            let cost = original.unit_cost.unwrap_or(part.unit_cost);
            revalue(
                conn,
                original.part_id,
                part.unit_cost,
                -original.quantity.0,
                cost,
            )?;
            Ok(vec![take_available(conn, &level, back(&original))?])
        }
        MovementKind::Issue | MovementKind::Return | MovementKind::Adjustment => {
            if let Some(t) = original.ticket_id {
                lock_ticket(conn, t)?;
            }
            if original.quantity.is_negative() {
                receiving_warehouse(conn, original.warehouse_id)?;
            }
            let level = balance::lock(conn, original.part_id, original.warehouse_id)?;
            Ok(vec![apply(conn, &level, back(&original))?])
        }
    }
}
