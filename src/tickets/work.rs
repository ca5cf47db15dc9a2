//! The work record beside the ticket's own fields: the checklist (copied from a plan or
//! added by hand; each item done with an optional reading) and the labour booked.
//! Technicians record work on the tickets assigned to them; planners on any.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::events;
use super::model::{format_number, TicketRecord};
use super::store::{self, Actor};
use crate::auth::policy::{PlannersOrTechnicians, Staff};
use crate::auth::{guarded, Allowed, Role};
use crate::error::{AppError, AppResult};
use crate::http::docs::{GetErrors, UpdateErrors};
use crate::http::extract::Json;
use crate::http::AppState;
use crate::ids::{TechnicianId, TicketId};
use crate::schema::{technicians, ticket_checklist_items, ticket_labour};
use crate::validate::Errors;

/// The most checklist items one ticket may carry.
pub const MAX_ITEMS: usize = 200;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(checklist)
        .service(add_items)
        .service(check_item)
        .service(labour)
        .service(book_labour);
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = ticket_checklist_items, check_for_backend(diesel::pg::Pg))]
pub struct ChecklistItem {
    #[serde(skip)]
    pub ticket_id: TicketId,
    /// The item's place in the list, from 0; addresses it in PATCH.
    pub position: i16,
    #[schema(example = "Check hydraulic pressure")]
    pub text: String,
    pub done: bool,
    /// A value read while doing it.
    #[schema(example = "182 bar")]
    pub reading: Option<String>,
    pub done_by: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
}

/// Items to append to a ticket's checklist.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"items": ["Check hydraulic pressure", "Replace filter"]}))]
pub struct NewItems {
    pub items: Vec<String>,
}

/// Tick (or untick) an item and record a reading.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"done": true, "reading": "182 bar"}))]
pub struct ItemPatch {
    pub done: Option<bool>,
    #[serde(default, deserialize_with = "crate::validate::nullable")]
    #[schema(value_type = Option<String>)]
    pub reading: Option<Option<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = ticket_labour, check_for_backend(diesel::pg::Pg))]
pub struct LabourEntry {
    pub id: uuid::Uuid,
    pub ticket_id: TicketId,
    pub technician_id: TechnicianId,
    #[schema(example = 90)]
    pub minutes: i32,
    pub note: Option<String>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// A ticket's labour and its total.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Labour {
    pub entries: Vec<LabourEntry>,
    pub total_minutes: i64,
}

/// Labour to book.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"minutes": 90, "note": "replaced the main seal"}))]
pub struct NewLabour {
    /// Defaults to the calling technician.
    #[serde(default)]
    pub technician_id: Option<TechnicianId>,
    /// 1 to 1440 minutes per entry.
    #[schema(minimum = 1, maximum = 1440)]
    pub minutes: i32,
    #[serde(default)]
    pub note: Option<String>,
}

/// Lock a ticket the caller may work on and that still takes work.
fn workable(conn: &mut PgConnection, id: TicketId, actor: &Actor) -> AppResult<TicketRecord> {
    let t = store::lock(conn, id)?;
    actor.may_work_on(&t)?;
    if t.status.is_final() {
        return Err(AppError::conflict(format!(
            "ticket {} is {} and takes no more work",
            format_number(t.number),
            t.status
        )));
    }
    Ok(t)
}

fn items(conn: &mut PgConnection, id: TicketId) -> QueryResult<Vec<ChecklistItem>> {
    ticket_checklist_items::table
        .filter(ticket_checklist_items::ticket_id.eq(id))
        .order(ticket_checklist_items::position)
        .select(ChecklistItem::as_select())
        .load(conn)
}

/// Append items to a ticket's checklist (a plan's checklist is copied the same way).
pub fn append(
    conn: &mut PgConnection,
    id: TicketId,
    texts: &[String],
    actor: &str,
) -> AppResult<Vec<ChecklistItem>> {
    let mut e = Errors::new();
    let texts: Vec<String> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| e.text(&format!("items[{i}]"), t, 500))
        .collect();
    let existing = items(conn, id)?;
    if texts.is_empty() {
        e.add("items", "must list at least one item");
    }
    if existing.len() + texts.len() > MAX_ITEMS {
        e.add(
            "items",
            format!("a checklist holds at most {MAX_ITEMS} items"),
        );
    }
    e.finish()?;
    let start = existing.len();
    let rows: Vec<_> = texts
        .iter()
        .enumerate()
        .map(|(i, text)| {
            (
                ticket_checklist_items::ticket_id.eq(id),
                ticket_checklist_items::position.eq((start + i) as i16),
                ticket_checklist_items::text.eq(text),
            )
        })
        .collect();
    diesel::insert_into(ticket_checklist_items::table)
        .values(&rows)
        .execute(conn)?;
    events::record(
        conn,
        id,
        actor,
        "checklist",
        None,
        Some(json!({"added": texts})),
        None,
    )?;
    Ok(items(conn, id)?)
}

/// A ticket's checklist, in order.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, description = "The checklist", body = Vec<ChecklistItem>), GetErrors)
)]
#[get("/tickets/{id}/checklist")]
async fn checklist(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
) -> AppResult<web::Json<Vec<ChecklistItem>>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| {
                store::require(conn, id)?;
                Ok(items(conn, id)?)
            })
            .await?,
    ))
}

/// Append items to a ticket's checklist.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewItems,
    responses((status = 201, description = "The whole checklist", body = Vec<ChecklistItem>), UpdateErrors)
)]
#[post("/tickets/{id}/checklist")]
async fn add_items(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Json(body): Json<NewItems>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = Actor::from(caller.caller());
    let list = state
        .db
        .transaction(move |conn| {
            workable(conn, id, &actor)?;
            append(conn, id, &body.items, &actor.name)
        })
        .await?;
    Ok(HttpResponse::Created().json(list))
}

/// Tick or untick a checklist item, with an optional reading.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "Ticket id"),
        ("position" = i16, Path, description = "The item's position (from 0)"),
    ),
    request_body = ItemPatch,
    responses((status = 200, description = "The item", body = ChecklistItem), UpdateErrors)
)]
#[patch("/tickets/{id}/checklist/{position}")]
async fn check_item(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    path: web::Path<(TicketId, i16)>,
    Json(body): Json<ItemPatch>,
) -> AppResult<web::Json<ChecklistItem>> {
    let (id, position) = path.into_inner();
    let actor = Actor::from(caller.caller());
    let mut e = Errors::new();
    let reading = body
        .reading
        .as_ref()
        .map(|r| e.opt_text("reading", r.as_deref(), 200));
    e.finish()?;
    Ok(web::Json(
        state
            .db
            .transaction(move |conn| {
                workable(conn, id, &actor)?;
                let item: ChecklistItem = ticket_checklist_items::table
                    .find((id, position))
                    .select(ChecklistItem::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| {
                        AppError::NotFound(format!("ticket {id} has no checklist item {position}"))
                    })?;
                let done = body.done.unwrap_or(item.done);
                let reading = reading.unwrap_or(item.reading.clone());
                let (by, at) = if done && !item.done {
                    (Some(actor.name.clone()), Some(Utc::now()))
                } else if done {
                    (item.done_by.clone(), item.done_at)
                } else {
                    (None, None)
                };
                let after: ChecklistItem =
                    diesel::update(ticket_checklist_items::table.find((id, position)))
                        .set((
                            ticket_checklist_items::done.eq(done),
                            ticket_checklist_items::reading.eq(&reading),
                            ticket_checklist_items::done_by.eq(&by),
                            ticket_checklist_items::done_at.eq(at),
                        ))
                        .returning(ChecklistItem::as_returning())
                        .get_result(conn)?;
                events::record(
                    conn,
                    id,
                    &actor.name,
                    "checklist",
                    Some(json!({"position": position, "done": item.done, "reading": item.reading})),
                    Some(json!({"position": position, "done": done, "reading": reading})),
                    None,
                )?;
                Ok(after)
            })
            .await?,
    ))
}

/// The labour booked on a ticket.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, description = "Labour entries and their total", body = Labour), GetErrors)
)]
#[get("/tickets/{id}/labour")]
async fn labour(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
) -> AppResult<web::Json<Labour>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| {
                store::require(conn, id)?;
                let entries: Vec<LabourEntry> = ticket_labour::table
                    .filter(ticket_labour::ticket_id.eq(id))
                    .order(ticket_labour::id)
                    .select(LabourEntry::as_select())
                    .load(conn)?;
                let total_minutes = entries.iter().map(|e| i64::from(e.minutes)).sum();
                Ok(Labour {
                    entries,
                    total_minutes,
                })
            })
            .await?,
    ))
}

/// Book labour on a ticket (technicians book their own time on their own tickets).
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewLabour,
    responses((status = 201, description = "Booked", body = LabourEntry), UpdateErrors)
)]
#[post("/tickets/{id}/labour")]
async fn book_labour(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Json(body): Json<NewLabour>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = Actor::from(caller.caller());
    let entry = state
        .db
        .transaction(move |conn| {
            let t = workable(conn, id, &actor)?;
            let mut e = Errors::new();
            let note = e.opt_text("note", body.note.as_deref(), 2000);
            if !(1..=1440).contains(&body.minutes) {
                e.add("minutes", "must be 1 to 1440");
            }
            let technician = body.technician_id.or(actor.technician).or(t.assignee_id);
            match technician {
                None => e.add("technician_id", "name the technician who did the work"),
                Some(tech) => {
                    if actor.role == Role::Technician && Some(tech) != actor.technician {
                        return Err(AppError::Forbidden(
                            "a technician books only their own time".into(),
                        ));
                    }
                    let known: bool =
                        diesel::select(diesel::dsl::exists(technicians::table.find(tech)))
                            .get_result(conn)?;
                    if !known {
                        e.add("technician_id", format!("no technician {tech}"));
                    }
                }
            }
            e.finish()?;
            let entry: LabourEntry = diesel::insert_into(ticket_labour::table)
                .values((
                    ticket_labour::id.eq(uuid::Uuid::now_v7()),
                    ticket_labour::ticket_id.eq(id),
                    ticket_labour::technician_id.eq(technician.expect("checked above")),
                    ticket_labour::minutes.eq(body.minutes),
                    ticket_labour::note.eq(&note),
                    ticket_labour::recorded_by.eq(&actor.name),
                ))
                .returning(LabourEntry::as_returning())
                .get_result(conn)?;
            events::record(
                conn,
                id,
                &actor.name,
                "labour",
                None,
                Some(json!({"technician_id": entry.technician_id, "minutes": entry.minutes})),
                note.as_deref(),
            )?;
            Ok(entry)
        })
        .await?;
    Ok(HttpResponse::Created().json(entry))
}
