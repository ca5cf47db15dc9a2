//! Ticket records, their kinds and states, and the request bodies that open and change
//! them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::sla::{self, Sla};
use crate::db::types::TextList;
use crate::ids::{AssetId, CustomerId, PlanId, RuleId, SiteId, TechnicianId, TicketId};
use crate::schema::tickets;
use crate::validate::nullable;

crate::text_enum! {
    /// What kind of work a ticket is.
    pub enum TicketKind {
        /// Planned maintenance from a plan.
        Preventive = "preventive",
        /// A failure to repair.
        Corrective = "corrective",
        Inspection = "inspection",
        /// A customer's request (with a category: installation, repair, return,
        /// consumables, complaint, …).
        Request = "request",
    }
}

crate::text_enum! {
    /// What opened a ticket.
    pub enum Source {
        /// A maintenance plan fell due.
        Schedule = "schedule",
        /// A telemetry threshold rule was breached.
        Threshold = "threshold",
        /// A device went silent or offline.
        Offline = "offline",
        /// A person, through the API.
        Manual = "manual",
    }
}

crate::text_enum! {
    /// How urgent a ticket is: selects its SLA targets.
    pub enum Priority {
        Normal = "normal",
        Urgent = "urgent",
        Critical = "critical",
    }
}

crate::text_enum! {
    /// Where a ticket is in its lifecycle.
    pub enum Status {
        Open = "open",
        Assigned = "assigned",
        InProgress = "in_progress",
        OnHold = "on_hold",
        Resolved = "resolved",
        Closed = "closed",
        Cancelled = "cancelled",
    }
}

crate::text_enum! {
    /// Why a ticket is on hold.
    pub enum HoldReason {
        WaitingForParts = "waiting_for_parts",
        /// Does not count toward the resolution SLA.
        WaitingForCustomer = "waiting_for_customer",
    }
}

crate::text_enum! {
    /// How a request reached the service team.
    pub enum Channel {
        Phone = "phone",
        Email = "email",
        Portal = "portal",
        Device = "device",
        Schedule = "schedule",
    }
}

impl Status {
    /// Closed and cancelled tickets take no more work.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }
}

/// A ticket as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tickets, check_for_backend(diesel::pg::Pg))]
pub struct TicketRecord {
    pub id: TicketId,
    pub number: i64,
    pub kind: TicketKind,
    pub category: Option<String>,
    pub source: Source,
    pub priority: Priority,
    pub status: Status,
    pub hold_reason: Option<HoldReason>,
    pub asset_id: AssetId,
    pub site_id: SiteId,
    pub customer_id: Option<CustomerId>,
    pub title: String,
    pub description: Option<String>,
    pub reporter: Option<String>,
    pub channel: Option<Channel>,
    pub assignee_id: Option<TechnicianId>,
    pub response_due_at: Option<DateTime<Utc>>,
    pub resolution_due_at: DateTime<Utc>,
    pub responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub customer_hold_seconds: i64,
    pub hold_started_at: Option<DateTime<Utc>>,
    pub failure_problem: Option<String>,
    pub failure_cause: Option<String>,
    pub failure_remedy: Option<String>,
    pub resolution: Option<String>,
    pub downtime_minutes: Option<i32>,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<DateTime<Utc>>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    pub plan_id: Option<PlanId>,
    pub pm_trigger: Option<PmTrigger>,
    pub pm_due_at: Option<DateTime<Utc>>,
    pub pm_counted_from: Option<DateTime<Utc>>,
    pub missed_occurrences: i32,
    #[diesel(deserialize_as = Vec<Option<String>>)]
    pub skills: TextList,
    pub rule_id: Option<RuleId>,
    pub occurrences: i32,
    pub last_occurred_at: Option<DateTime<Utc>>,
}

crate::text_enum! {
    /// Which trigger of a maintenance plan opened a PM ticket.
    pub enum PmTrigger {
        Calendar = "calendar",
        Meter = "meter",
    }
}

/// Where a PM ticket came from: its plan and the occurrence it is for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PmOrigin {
    pub plan_id: PlanId,
    pub trigger: PmTrigger,
    /// The calendar occurrence it is for.
    pub due_at: Option<DateTime<Utc>>,
    /// For a meter trigger: the time the meter's usage was counted from (the previous
    /// resolution of the plan's ticket for the asset, or when the plan began covering it).
    pub counted_from: Option<DateTime<Utc>>,
    /// Occurrences that fell due while no scheduler was running, which this one late
    /// ticket stands for besides its own.
    pub missed_occurrences: i32,
}

/// The failure code of a ticket: problem → cause → remedy, from the catalogue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FailureCode {
    #[schema(example = "leak")]
    pub problem: Option<String>,
    #[schema(example = "worn_seal")]
    pub cause: Option<String>,
    #[schema(example = "replace_seal")]
    pub remedy: Option<String>,
}

/// The customer's sign-off of the work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignOff {
    #[schema(example = "Maria Keller")]
    pub name: String,
    pub at: DateTime<Utc>,
}

/// A maintenance ticket (work order).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ticket {
    pub id: TicketId,
    /// The human-readable number.
    #[schema(example = "T-000123")]
    pub number: String,
    pub kind: TicketKind,
    /// For requests: installation, repair, return, consumables, complaint, …
    #[schema(example = "repair")]
    pub category: Option<String>,
    pub source: Source,
    pub priority: Priority,
    pub status: Status,
    /// Set while `on_hold`.
    pub hold_reason: Option<HoldReason>,
    pub asset_id: AssetId,
    /// The asset's site when the ticket was opened.
    pub site_id: SiteId,
    /// The site's customer when the ticket was opened.
    pub customer_id: Option<CustomerId>,
    #[schema(example = "Filler leaks hydraulic oil")]
    pub title: String,
    pub description: Option<String>,
    /// Who reported it.
    #[schema(example = "Maria Keller")]
    pub reporter: Option<String>,
    pub channel: Option<Channel>,
    pub assignee_id: Option<TechnicianId>,
    /// When work must have started (none for PM tickets).
    pub response_due_at: Option<DateTime<Utc>>,
    /// When the ticket must be resolved (pushed back by time waiting for the customer).
    pub resolution_due_at: DateTime<Utc>,
    /// The first `in_progress`: stops the response clock.
    pub responded_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    /// When it was closed or cancelled.
    pub closed_at: Option<DateTime<Utc>>,
    /// Time spent on hold waiting for the customer, not counted toward resolution.
    pub customer_hold_seconds: i64,
    pub sla: Sla,
    pub failure: FailureCode,
    pub resolution: Option<String>,
    pub downtime_minutes: Option<i32>,
    pub sign_off: Option<SignOff>,
    /// The name of the key (or the scheduler or rules engine) that opened it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back to refuse lost updates.
    pub version: i32,
    /// Skill codes the work needs besides those of the asset's model (a plan's).
    #[schema(value_type = Vec<String>, example = json!(["hydraulics"]))]
    pub skills: TextList,
    /// For PM tickets: the plan and occurrence.
    pub maintenance: Option<PmOrigin>,
    /// The threshold or "no data" rule that opened it.
    pub rule_id: Option<RuleId>,
    /// How often its rule breached while it was open (1 for the breach that opened it).
    #[schema(example = 1)]
    pub occurrences: i32,
    /// The device time of the latest breach.
    pub last_occurred_at: Option<DateTime<Utc>>,
}

/// The ticket number as people read it.
pub fn format_number(n: i64) -> String {
    format!("T-{n:06}")
}

impl Ticket {
    pub fn from_record(r: TicketRecord, now: DateTime<Utc>) -> Self {
        let end = r.resolved_at.or(if r.status == Status::Cancelled {
            r.closed_at
        } else {
            None
        });
        let sla = sla::sla(
            r.created_at,
            r.response_due_at,
            r.responded_at,
            r.resolution_due_at,
            end,
            r.hold_started_at,
            now,
        );
        Self {
            id: r.id,
            number: format_number(r.number),
            kind: r.kind,
            category: r.category,
            source: r.source,
            priority: r.priority,
            status: r.status,
            hold_reason: r.hold_reason,
            asset_id: r.asset_id,
            site_id: r.site_id,
            customer_id: r.customer_id,
            title: r.title,
            description: r.description,
            reporter: r.reporter,
            channel: r.channel,
            assignee_id: r.assignee_id,
            response_due_at: r.response_due_at,
            resolution_due_at: r.resolution_due_at,
            responded_at: r.responded_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            customer_hold_seconds: r.customer_hold_seconds,
            sla,
            failure: FailureCode {
                problem: r.failure_problem,
                cause: r.failure_cause,
                remedy: r.failure_remedy,
            },
            resolution: r.resolution,
            downtime_minutes: r.downtime_minutes,
            sign_off: match (r.signed_off_by, r.signed_off_at) {
                (Some(name), Some(at)) => Some(SignOff { name, at }),
                _ => None,
            },
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
            skills: r.skills,
            maintenance: match (r.plan_id, r.pm_trigger) {
                (Some(plan_id), Some(trigger)) => Some(PmOrigin {
                    plan_id,
                    trigger,
                    due_at: r.pm_due_at,
                    counted_from: r.pm_counted_from,
                    missed_occurrences: r.missed_occurrences,
                }),
                _ => None,
            },
            rule_id: r.rule_id,
            occurrences: r.occurrences,
            last_occurred_at: r.last_occurred_at,
        }
    }
}

/// A new ticket, opened through the API.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"asset_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f", "kind": "corrective",
    "priority": "urgent", "title": "Filler leaks hydraulic oil", "reporter": "Maria Keller", "channel": "phone"}))]
pub struct NewTicket {
    pub asset_id: AssetId,
    pub kind: TicketKind,
    /// A category code; requests need one (installation, repair, return, consumables,
    /// complaint, …).
    #[serde(default)]
    pub category: Option<String>,
    /// Defaults to `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub reporter: Option<String>,
    #[serde(default)]
    pub channel: Option<Channel>,
    /// Assign at once (the ticket opens `assigned`).
    #[serde(default)]
    pub assignee_id: Option<TechnicianId>,
}

/// Changes to a ticket's details and work record: absent fields stay; `null` clears a
/// nullable one. State changes go through `/transitions`.
#[derive(Debug, Default, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"priority": "critical", "version": 2}))]
pub struct TicketPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    /// Recomputes the SLA due times.
    pub priority: Option<Priority>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub reporter: Option<Option<String>>,
    /// Reassign (planners); the ticket's state does not change.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<TechnicianId>)]
    pub assignee_id: Option<Option<TechnicianId>>,
    /// Codes from the failure catalogue.
    pub failure: Option<FailureCode>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub resolution: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>, minimum = 0)]
    pub downtime_minutes: Option<Option<i32>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SignOff>)]
    pub sign_off: Option<Option<SignOff>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// Move a ticket to another state.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"to": "on_hold", "hold_reason": "waiting_for_parts", "note": "seal kit ordered"}))]
pub struct NewTransition {
    pub to: Status,
    #[serde(default)]
    pub note: Option<String>,
    /// Needed for `on_hold`.
    #[serde(default)]
    pub hold_reason: Option<HoldReason>,
    /// For `assigned`: who (planners; a technician may only name themselves).
    #[serde(default)]
    pub assignee_id: Option<TechnicianId>,
    /// For `resolved` or `closed`: the resolution, if not recorded yet.
    #[serde(default)]
    pub resolution: Option<String>,
    /// The version the change is based on; a different current version is 409.
    #[serde(default)]
    pub version: Option<i32>,
}
