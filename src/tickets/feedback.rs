//! The customer's follow-up: satisfaction (1–5), a comment and how it was collected,
//! once per resolved or closed ticket; and the list of tickets still waiting for it,
//! overdue 24 hours after resolution.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::events;
use super::model::{format_number, Status};
use super::store::{self, Actor};
use crate::auth::policy::{PlannersOrTechnicians, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{CustomerId, TicketId};
use crate::schema::{ticket_feedback, tickets};
use crate::validate::Errors;

/// Follow-up is due this long after resolution.
pub const FOLLOW_UP_HOURS: i64 = 24;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create).service(read).service(follow_ups);
}

crate::text_enum! {
    /// How the customer's feedback was collected.
    pub enum FeedbackChannel {
        Phone = "phone",
        Email = "email",
        Portal = "portal",
        /// On site, by the technician.
        Visit = "visit",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = ticket_feedback, check_for_backend(diesel::pg::Pg))]
pub struct Feedback {
    pub ticket_id: TicketId,
    /// 1 (very unhappy) to 5 (very happy).
    #[schema(minimum = 1, maximum = 5, example = 4)]
    pub satisfaction: i16,
    #[schema(example = "Quick and tidy, but the first visit lacked the seal kit.")]
    pub comment: Option<String>,
    pub channel: Option<FeedbackChannel>,
    /// The name of the key that recorded it.
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// The customer's follow-up of a ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"satisfaction": 4, "comment": "Quick and tidy", "channel": "phone"}))]
pub struct NewFeedback {
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: i16,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub channel: Option<FeedbackChannel>,
}

/// Record the customer's follow-up of a resolved or closed ticket (once; 409 before
/// resolution or when it is already recorded). Technicians record feedback they
/// collected on their own tickets.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(
        ("id" = TicketId, Path, description = "Ticket id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewFeedback,
    responses((status = 201, description = "Recorded", body = Feedback), UpdateErrors)
)]
#[post("/tickets/{id}/feedback")]
async fn create(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
    Json(body): Json<NewFeedback>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let actor = Actor::from(caller.caller());
    let mut e = Errors::new();
    if !(1..=5).contains(&body.satisfaction) {
        e.add("satisfaction", "must be 1 to 5");
    }
    let comment = e.opt_text("comment", body.comment.as_deref(), 5000);
    e.finish()?;
    let feedback = state
        .db
        .transaction(move |conn| {
            let t = store::lock(conn, id)?;
            actor.may_work_on(&t)?;
            if !matches!(t.status, Status::Resolved | Status::Closed) {
                return Err(AppError::conflict(format!(
                    "ticket {} is {}: feedback follows resolution",
                    format_number(t.number),
                    t.status
                )));
            }
            let exists: bool = diesel::select(diesel::dsl::exists(ticket_feedback::table.find(id)))
                .get_result(conn)?;
            if exists {
                return Err(AppError::duplicate(format!(
                    "ticket {} already has the customer's feedback",
                    format_number(t.number)
                )));
            }
            let f: Feedback = diesel::insert_into(ticket_feedback::table)
                .values((
                    ticket_feedback::ticket_id.eq(id),
                    ticket_feedback::satisfaction.eq(body.satisfaction),
                    ticket_feedback::comment.eq(&comment),
                    ticket_feedback::channel.eq(body.channel),
                    ticket_feedback::recorded_by.eq(&actor.name),
                ))
                .returning(Feedback::as_returning())
                .get_result(conn)?;
            events::record(
                conn,
                id,
                &actor.name,
                "feedback",
                None,
                Some(json!({"satisfaction": f.satisfaction, "channel": f.channel})),
                comment.as_deref(),
            )?;
            Ok(f)
        })
        .await?;
    Ok(HttpResponse::Created().json(feedback))
}

/// The customer's follow-up of a ticket (404 until it is recorded).
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, description = "The feedback", body = Feedback), GetErrors)
)]
#[get("/tickets/{id}/feedback")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
) -> AppResult<web::Json<Feedback>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| {
                ticket_feedback::table
                    .find(id)
                    .select(Feedback::as_select())
                    .first(conn)
                    .optional()?
                    .ok_or_else(|| {
                        AppError::NotFound(format!(
                            "ticket {id} has no feedback (or does not exist)"
                        ))
                    })
            })
            .await?,
    ))
}

/// The columns a follow-up is made from.
type FollowUpRow = (
    TicketId,
    i64,
    String,
    Status,
    Option<CustomerId>,
    DateTime<Utc>,
);

/// A resolved or closed ticket still waiting for the customer's follow-up.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FollowUp {
    pub ticket_id: TicketId,
    #[schema(example = "T-000123")]
    pub number: String,
    pub title: String,
    pub status: Status,
    pub customer_id: Option<CustomerId>,
    pub resolved_at: DateTime<Utc>,
    /// 24 hours after resolution.
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FollowUpQuery {
    /// `true`: only those more than 24 hours past resolution; `false`: only those not yet.
    pub overdue: Option<bool>,
    pub customer_id: Option<CustomerId>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Resolved and closed tickets without the customer's feedback, oldest resolution first,
/// each flagged `overdue` 24 hours after resolution.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(FollowUpQuery),
    responses((status = 200, description = "A page of tickets awaiting follow-up", body = Page<FollowUp>), ListErrors)
)]
#[get("/follow-ups")]
async fn follow_ups(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<FollowUpQuery>,
) -> AppResult<web::Json<Page<FollowUp>>> {
    let (limit, after) = paging::<(DateTime<Utc>, TicketId)>(q.limit, q.cursor.as_deref())?;
    let now = Utc::now();
    let cutoff = now - Duration::hours(FOLLOW_UP_HOURS);
    let rows = state
        .db
        .run(move |conn| {
            let mut query = tickets::table
                .filter(tickets::status.eq_any([Status::Resolved, Status::Closed]))
                .filter(diesel::dsl::not(diesel::dsl::exists(
                    ticket_feedback::table.filter(ticket_feedback::ticket_id.eq(tickets::id)),
                )))
                .select((
                    tickets::id,
                    tickets::number,
                    tickets::title,
                    tickets::status,
                    tickets::customer_id,
                    tickets::resolved_at.assume_not_null(),
                ))
                .order((tickets::resolved_at, tickets::id))
                .into_boxed();
            match q.overdue {
                Some(true) => query = query.filter(tickets::resolved_at.le(cutoff)),
                Some(false) => query = query.filter(tickets::resolved_at.gt(cutoff)),
                None => {}
            }
            if let Some(c) = q.customer_id {
                query = query.filter(tickets::customer_id.eq(c));
            }
            if let Some((at, id)) = after {
                query = query.filter(
                    tickets::resolved_at
                        .gt(at)
                        .or(tickets::resolved_at.eq(at).and(tickets::id.gt(id))),
                );
            }
            let rows: Vec<FollowUpRow> = query.limit(limit + 1).load(conn)?;
            Ok(rows
                .into_iter()
                .map(
                    |(ticket_id, number, title, status, customer_id, resolved_at)| {
                        let due_at = resolved_at + Duration::hours(FOLLOW_UP_HOURS);
                        FollowUp {
                            ticket_id,
                            number: format_number(number),
                            title,
                            status,
                            customer_id,
                            resolved_at,
                            due_at,
                            overdue: now > due_at,
                        }
                    },
                )
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(web::Json(page(rows, limit, |f| {
        (f.resolved_at, f.ticket_id)
    })))
}
