//! Parts on the job (`/tickets/{id}/parts`): reserve at a warehouse, issue to the
//! ticket, return what was unused — through the inventory's reservations and ledger, so
//! what the ticket shows is exactly what the stock ledger holds. Technicians may do this
//! on the tickets assigned to them.

use actix_web::{get, post, web};
use diesel::prelude::*;
use diesel::sql_types::{Text, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::events;
use super::store::{self, Actor};
use crate::auth::policy::{PlannersWarehouseOrTechnicians, Staff};
use crate::auth::{guarded, Allowed};
use crate::decimal::{Money, Quantity};
use crate::error::{AppError, AppResult};
use crate::http::docs::{GetErrors, UpdateErrors};
use crate::http::extract::Json;
use crate::http::AppState;
use crate::ids::{PartId, TicketId, WarehouseId};
use crate::inventory::stock::ledger;
use crate::inventory::stock::movement::NewMovement;
use crate::inventory::stock::reservation::{self, NewReservation};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(read).service(act);
}

/// One part at one warehouse on a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct PartLine {
    #[diesel(sql_type = SqlUuid)]
    pub part_id: PartId,
    #[diesel(sql_type = Text)]
    #[schema(example = "BRG-6204-2RS")]
    pub sku: String,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    #[schema(example = "each")]
    pub unit: String,
    #[diesel(sql_type = SqlUuid)]
    pub warehouse_id: WarehouseId,
    #[diesel(sql_type = Text)]
    #[schema(example = "VAN-7")]
    pub warehouse_code: String,
    /// Held for the ticket now.
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub reserved: Quantity,
    /// Wanted but not yet available.
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub shortage: Quantity,
    /// Issued to the ticket (net of reversed issues).
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub issued: Quantity,
    /// Returned unused (net of reversed returns).
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub returned: Quantity,
    /// The value of what the ticket kept, at the costs of the moments of issue and return.
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub cost: Money,
}

/// The parts of a ticket.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TicketParts {
    pub ticket_id: TicketId,
    pub lines: Vec<PartLine>,
    /// The sum of the lines' costs.
    pub total_cost: Money,
}

/// What to do with a part for the ticket.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PartAction {
    /// Hold stock at the warehouse for the ticket.
    Reserve,
    /// Take it out of the warehouse for the ticket (its reservation first).
    Issue,
    /// Bring unused parts back into the warehouse.
    Return,
}

/// A part action on a ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "reserve", "part_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
    "warehouse_id": "0193a4b2-7c1e-7d2a-9f00-2a2b3c4d5e6f", "quantity": "2", "allow_shortage": true}))]
pub struct NewPartAction {
    pub action: PartAction,
    pub part_id: PartId,
    pub warehouse_id: WarehouseId,
    /// More than 0.
    pub quantity: Quantity,
    /// For `reserve`: record what is not available as a shortage instead of refusing.
    #[serde(default)]
    pub allow_shortage: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// The parts of a ticket, per part and warehouse.
pub fn summary(conn: &mut PgConnection, ticket: TicketId) -> QueryResult<TicketParts> {
    let lines: Vec<PartLine> = diesel::sql_query(
        "WITH m AS (
             SELECT part_id, warehouse_id,
                    sum(CASE WHEN kind = 'issue' THEN -quantity ELSE 0 END) AS issued,
                    sum(CASE WHEN kind = 'return' THEN quantity ELSE 0 END) AS returned,
                    sum(-quantity * COALESCE(unit_cost, 0)) AS cost
             FROM stock_movements WHERE ticket_id = $1 GROUP BY part_id, warehouse_id),
         r AS (
             SELECT part_id, warehouse_id, sum(quantity) AS reserved, sum(shortage) AS shortage
             FROM stock_reservations WHERE ticket_id = $1 AND status = 'open'
             GROUP BY part_id, warehouse_id)
         SELECT p.id AS part_id, p.sku, p.name, p.unit, w.id AS warehouse_id, w.code AS warehouse_code,
                COALESCE(r.reserved, 0) AS reserved, COALESCE(r.shortage, 0) AS shortage,
                COALESCE(m.issued, 0) AS issued, COALESCE(m.returned, 0) AS returned,
                round(COALESCE(m.cost, 0), 4) AS cost
         FROM m FULL JOIN r ON m.part_id = r.part_id AND m.warehouse_id = r.warehouse_id
         JOIN parts p ON p.id = COALESCE(m.part_id, r.part_id)
         JOIN warehouses w ON w.id = COALESCE(m.warehouse_id, r.warehouse_id)
         ORDER BY p.sku, w.code",
    )
    .bind::<SqlUuid, _>(ticket)
    .load(conn)?;
    let total = lines
        .iter()
        .map(|l| l.cost.0)
        .sum::<rust_decimal::Decimal>();
    Ok(TicketParts {
        ticket_id: ticket,
        lines,
        total_cost: Money(total.normalize()),
    })
}

/// The parts reserved for, issued to and returned from a ticket, and their cost.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, description = "The ticket's parts", body = TicketParts), GetErrors)
)]
#[get("/tickets/{id}/parts")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
) -> AppResult<web::Json<TicketParts>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| {
                store::require(conn, id)?;
                Ok(summary(conn, id)?)
            })
            .await?,
    ))
}

/// Reserve, issue or return a part for a ticket. 409 with `available` when the stock is
/// not there (or reserve with `allow_shortage` to record a shortage and put the ticket
/// `on_hold` waiting for parts); 409 once the ticket is closed or cancelled.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewPartAction,
    responses((status = 200, description = "The ticket's parts after the action", body = TicketParts), UpdateErrors)
)]
#[post("/tickets/{id}/parts")]
async fn act(
    caller: Allowed<PlannersWarehouseOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Json(body): Json<NewPartAction>,
) -> AppResult<web::Json<TicketParts>> {
    let id = id.into_inner();
    let actor = Actor::from(caller.caller());
    Ok(web::Json(
        state
            .db
            .transaction(move |conn| {
                let t = store::lock(conn, id)?;
                actor.may_work_on(&t)?;
                if t.status.is_final() {
                    return Err(AppError::conflict(format!(
                        "ticket {} is {}: its parts can no longer change",
                        super::model::format_number(t.number),
                        t.status
                    )));
                }
                let who = actor.name.as_str();
                let (part_id, warehouse_id, quantity, note) = (body.part_id, body.warehouse_id, body.quantity, body.note.clone());
                let mut after = json!({"action": body.action, "part_id": part_id, "warehouse_id": warehouse_id, "quantity": quantity});
                match body.action {
                    PartAction::Reserve => {
                        let new = NewReservation {
                            ticket_id: id,
                            part_id,
                            warehouse_id,
                            quantity,
                            allow_shortage: body.allow_shortage,
                            note,
                        };
                        let r = reservation::reserve(conn, &new, who)?;
                        after["shortage"] = json!(r.shortage);
                    }
                    PartAction::Issue => {
                        ledger::post(conn, NewMovement::Issue { part_id, warehouse_id, quantity, ticket_id: id, note }, who)?;
                    }
                    PartAction::Return => {
                        ledger::post(conn, NewMovement::Return { part_id, warehouse_id, quantity, ticket_id: id, note }, who)?;
                    }
                }
                events::record(conn, id, who, "parts", None, Some(after), None)?;
                Ok(summary(conn, id)?)
            })
            .await?,
    ))
}
