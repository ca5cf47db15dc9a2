//! The timeline of a ticket: every change is an event saying who, when, what, and the
//! values before and after.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::types::Json;
use crate::ids::TicketId;
use crate::schema::ticket_events;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = ticket_events, check_for_backend(diesel::pg::Pg))]
pub struct TicketEvent {
    pub id: uuid::Uuid,
    pub ticket_id: TicketId,
    pub at: DateTime<Utc>,
    /// The key's name, or `scheduler` / `rules` for automatic changes.
    #[schema(example = "Planning office")]
    pub actor: String,
    /// `created`, `transition`, `assignment`, `priority`, `updated`, `parts`,
    /// `checklist`, `labour`, `feedback`, `occurrence`, `recurrence`, `cleared`.
    #[schema(example = "transition")]
    pub kind: String,
    #[schema(value_type = Option<Object>, example = json!({"status": "assigned"}))]
    pub before: Option<Json<Value>>,
    #[schema(value_type = Option<Object>, example = json!({"status": "in_progress"}))]
    pub after: Option<Json<Value>>,
    pub note: Option<String>,
}

/// Append an event to a ticket's timeline.
pub fn record(
    conn: &mut PgConnection,
    ticket: TicketId,
    actor: &str,
    kind: &str,
    before: Option<Value>,
    after: Option<Value>,
    note: Option<&str>,
) -> QueryResult<()> {
    diesel::insert_into(ticket_events::table)
        .values((
            ticket_events::id.eq(uuid::Uuid::now_v7()),
            ticket_events::ticket_id.eq(ticket),
            ticket_events::actor.eq(actor),
            ticket_events::kind.eq(kind),
            ticket_events::before.eq(before.map(Json)),
            ticket_events::after.eq(after.map(Json)),
            ticket_events::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}

/// A ticket's events in order.
pub fn list(
    conn: &mut PgConnection,
    ticket: TicketId,
    after: Option<uuid::Uuid>,
    limit: i64,
) -> QueryResult<Vec<TicketEvent>> {
    let mut q = ticket_events::table
        .filter(ticket_events::ticket_id.eq(ticket))
        .order(ticket_events::id)
        .select(TicketEvent::as_select())
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(ticket_events::id.gt(after));
    }
    q.limit(limit).load(conn)
}
