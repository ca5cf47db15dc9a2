//! `/api/v1/tickets`: open, read, list, change, transition, and the timeline.
//! Planners and admins open and manage tickets; technicians transition and record work
//! on the tickets assigned to them; every role reads.

use actix_web::{get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::events::{self, TicketEvent};
use super::model::{
    NewTicket, NewTransition, Priority, Source, Status, Ticket, TicketKind, TicketPatch,
};
use super::store::{self, Actor, Cursor, Opening, SlaFilter, Sort, TicketFilter};
use crate::auth::policy::{Planners, PlannersOrTechnicians, Staff};
use crate::auth::{guarded, Allowed, Caller};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, GetErrors, ListErrors, SubListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{AssetId, CustomerId, SiteId, TechnicianId, TicketId};
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(transition)
        .service(timeline);
    super::parts::configure(cfg);
    super::work::configure(cfg);
    super::feedback::configure(cfg);
    super::dispatch::configure(cfg);
    super::catalogue::routes::configure(cfg);
}

impl From<&Caller> for Actor {
    fn from(c: &Caller) -> Self {
        Actor {
            name: c.name.clone(),
            role: c.role,
            technician: c.technician_id,
        }
    }
}

/// Filters of the ticket list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// One status, or several separated by commas (`open,assigned`).
    #[param(example = "open,assigned")]
    pub status: Option<String>,
    pub priority: Option<Priority>,
    pub kind: Option<TicketKind>,
    pub category: Option<String>,
    pub source: Option<Source>,
    pub asset_id: Option<AssetId>,
    /// At this site or any of its sub-sites.
    pub site_id: Option<SiteId>,
    pub customer_id: Option<CustomerId>,
    pub assignee_id: Option<TechnicianId>,
    /// `breached`: a clock ran past its due time; `at_risk`: less than 20% of a running
    /// clock's window left.
    #[param(inline)]
    pub sla: Option<SlaFilter>,
    /// Opened at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Opened before (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    /// Resolution due at or after (RFC 3339).
    pub due_from: Option<DateTime<Utc>>,
    /// Resolution due before (RFC 3339).
    pub due_to: Option<DateTime<Utc>>,
    /// Title contains this (ignoring case).
    pub q: Option<String>,
    /// `created` (default, oldest first) or `due` (soonest resolution due first).
    #[param(inline)]
    pub sort: Option<Sort>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (of the same sort order).
    pub cursor: Option<String>,
}

/// List tickets, filtered, by creation or by due time.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(ListQuery),
    responses((status = 200, description = "A page of tickets", body = Page<Ticket>), ListErrors)
)]
#[get("/tickets")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Ticket>>> {
    let (limit, after) = paging::<Cursor>(q.limit, q.cursor.as_deref())?;
    let mut e = Errors::new();
    let status: Vec<Status> = q
        .status
        .as_deref()
        .map(|s| {
            s.split(',')
                .filter(|v| !v.trim().is_empty())
                .filter_map(|v| match v.trim().parse() {
                    Ok(s) => Some(s),
                    Err(why) => {
                        e.add("status", why);
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let category = q.category.as_deref().map(|c| e.code("category", c, 32));
    for (field, t) in [
        ("created_from", q.created_from),
        ("created_to", q.created_to),
        ("due_from", q.due_from),
        ("due_to", q.due_to),
    ] {
        e.time(field, t);
    }
    e.finish()?;
    let sort = q.sort.unwrap_or_default();
    let rows = state
        .db
        .run(move |conn| {
            let site_ids = match q.site_id {
                Some(root) => Some(crate::installed_base::sites::store::subtree(conn, root)?),
                None => None,
            };
            let filter = TicketFilter {
                status,
                priority: q.priority,
                kind: q.kind,
                category,
                source: q.source,
                asset_id: q.asset_id,
                site_ids,
                customer_id: q.customer_id,
                assignee_id: q.assignee_id,
                sla: q.sla,
                created_from: q.created_from,
                created_to: q.created_to,
                due_from: q.due_from,
                due_to: q.due_to,
                q: q.q,
            };
            store::list(conn, &filter, sort, after, limit + 1)
        })
        .await?;
    Ok(web::Json(page(rows, limit, |t| match sort {
        Sort::Created => Cursor::Created(t.id),
        Sort::Due => Cursor::Due(t.resolution_due_at, t.id),
    })))
}

/// Open a ticket. Its number, SLA due times and `created` event are set here, as for
/// tickets the scheduler and the rules engine open. When the server runs with
/// `MAINSPRING_AUTO_ASSIGN=true`, a ticket without `assignee_id` opens `assigned` to the
/// best of its dispatch suggestions that has every needed skill (if there is one).
#[guarded]
#[utoipa::path(
    tag = "tickets",
    request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Opened", body = Ticket), CreateErrors)
)]
#[post("/tickets")]
async fn create(
    caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewTicket>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(caller.caller());
    let opening = Opening {
        auto_assign: state.auto_assign,
        ..Opening::manual(body)
    };
    let ticket = state
        .db
        .transaction(move |conn| store::open(conn, opening, &actor))
        .await?;
    Ok(HttpResponse::Created().json(ticket))
}

/// Read one ticket with its SLA state.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, description = "The ticket", body = Ticket), GetErrors)
)]
#[get("/tickets/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
) -> AppResult<web::Json<Ticket>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a ticket's details (planners: title, category, priority, assignee) or its
/// work record (failure code, resolution, downtime, sign-off; also the assigned
/// technician). A new priority recomputes the SLA due times.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    request_body = TicketPatch,
    responses((status = 200, description = "The changed ticket", body = Ticket), UpdateErrors)
)]
#[patch("/tickets/{id}")]
async fn update(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Json(body): Json<TicketPatch>,
) -> AppResult<web::Json<Ticket>> {
    let id = id.into_inner();
    let actor = Actor::from(caller.caller());
    Ok(web::Json(
        state
            .db
            .transaction(move |conn| store::update(conn, id, body, &actor))
            .await?,
    ))
}

/// Move a ticket to another state. Anything DESIGN.md's lifecycle does not allow is 409
/// with the allowed targets in `allowed`. Closing or cancelling releases the ticket's
/// reservations.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewTransition,
    responses((status = 200, description = "The ticket in its new state", body = Ticket), UpdateErrors)
)]
#[post("/tickets/{id}/transitions")]
async fn transition(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Json(body): Json<NewTransition>,
) -> AppResult<web::Json<Ticket>> {
    let id = id.into_inner();
    let actor = Actor::from(caller.caller());
    Ok(web::Json(
        state
            .db
            .transaction(move |conn| store::transition(conn, id, body, &actor))
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A ticket's timeline: every change, who made it, when, before and after.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id"), EventsQuery),
    responses((status = 200, description = "A page of events, oldest first", body = Page<TicketEvent>), SubListErrors)
)]
#[get("/tickets/{id}/events")]
async fn timeline(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Query(q): Query<EventsQuery>,
) -> AppResult<web::Json<Page<TicketEvent>>> {
    let id = id.into_inner();
    let (limit, after) = paging::<uuid::Uuid>(q.limit, q.cursor.as_deref())?;
    let rows = state
        .db
        .run(move |conn| {
            store::require(conn, id)?;
            Ok(events::list(conn, id, after, limit + 1)?)
        })
        .await?;
    Ok(web::Json(page(rows, limit, |e| e.id)))
}
