//! Ticket queries and changes. Every ticket, whoever opens it (the API, the scheduler,
//! the rules engine), goes through [`open`], so numbering, SLA, assignment and the
//! timeline are the same for all. Changes lock the ticket row first, so two concurrent
//! transitions cannot both win: the second sees the first's result and gets its 409.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::dispatch;
use super::events;
use super::lifecycle::{self, Facts, Refusal};
use super::model::*;
use super::sla::{self, Targets};
use crate::auth::Role;
use crate::decimal::Quantity;
use crate::error::{AppError, AppResult};
use crate::ids::{
    AssetId, CustomerId, PartId, RuleId, SiteId, TechnicianId, TicketId, WarehouseId,
};
use crate::inventory::stock::reservation;
use crate::schema::{
    assets, customers, failure_codes, sites, sla_targets, technicians, ticket_feedback, tickets,
};
use crate::validate::{check_version, Errors};

/// Who is acting: the key's name for the timeline, and for technicians whose tickets
/// they may work on.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub role: Role,
    pub technician: Option<TechnicianId>,
}

impl Actor {
    /// The scheduler or the rules engine.
    pub fn system(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            role: Role::Admin,
            technician: None,
        }
    }

    /// Whether this actor may act on `t`: admins, planners and warehouse staff (where
    /// the operation's policy admits them) on any ticket, technicians only on tickets
    /// assigned to them, anyone else on none. The match is exhaustive on purpose: a
    /// role added later must say here what it may touch.
    pub fn may_work_on(&self, t: &TicketRecord) -> AppResult<()> {
        match self.role {
            Role::Admin | Role::Planner | Role::Warehouse => Ok(()),
            Role::Technician if self.technician.is_some() && t.assignee_id == self.technician => {
                Ok(())
            }
            Role::Technician => Err(AppError::Forbidden(format!(
                "ticket {} is not assigned to this technician",
                format_number(t.number)
            ))),
            Role::Viewer => Err(AppError::Forbidden(format!(
                "the role {} may not change ticket {}",
                self.role,
                format_number(t.number)
            ))),
        }
    }
}

/// A ticket to open, from whatever source.
#[derive(Debug, Clone)]
pub struct Opening {
    pub asset_id: AssetId,
    pub kind: TicketKind,
    pub category: Option<String>,
    pub source: Source,
    pub priority: Priority,
    pub title: String,
    pub description: Option<String>,
    pub reporter: Option<String>,
    pub channel: Option<Channel>,
    pub assignee_id: Option<TechnicianId>,
    /// A PM ticket's occurrence: its resolution is due then.
    pub pm_due: Option<DateTime<Utc>>,
    /// Without an assignee, assign the best dispatch suggestion that has every skill
    /// the work needs (`MAINSPRING_AUTO_ASSIGN`); none such leaves it open.
    pub auto_assign: bool,
    /// Skills the work needs besides those of the asset's model.
    pub skills: Vec<String>,
    /// Copied onto the ticket's checklist.
    pub checklist: Vec<String>,
    /// Parts reserved at the site's serving warehouse; what is not available is
    /// recorded as a shortage.
    pub kit: Vec<(PartId, Quantity)>,
    /// A PM ticket's plan and occurrence (one ticket per occurrence: a unique index).
    pub pm: Option<PmOrigin>,
    /// The rule whose breach opened it: at most one open ticket per (rule, asset), held
    /// by the unique index `tickets_one_open_per_rule` (a second is a 409).
    pub rule_id: Option<RuleId>,
}

impl Opening {
    /// The essentials; everything else empty (fill in with struct update syntax).
    pub fn new(
        asset_id: AssetId,
        kind: TicketKind,
        source: Source,
        priority: Priority,
        title: String,
    ) -> Self {
        Self {
            asset_id,
            kind,
            category: None,
            source,
            priority,
            title,
            description: None,
            reporter: None,
            channel: None,
            assignee_id: None,
            pm_due: None,
            auto_assign: false,
            skills: Vec::new(),
            checklist: Vec::new(),
            kit: Vec::new(),
            pm: None,
            rule_id: None,
        }
    }

    pub fn manual(n: NewTicket) -> Self {
        Self {
            category: n.category,
            description: n.description,
            reporter: n.reporter,
            channel: n.channel,
            assignee_id: n.assignee_id,
            ..Self::new(
                n.asset_id,
                n.kind,
                Source::Manual,
                n.priority.unwrap_or(Priority::Normal),
                n.title,
            )
        }
    }
}

/// The SLA targets for a customer tier and priority (the tier's own, else the default).
pub fn targets(
    conn: &mut PgConnection,
    tier: Option<&str>,
    priority: Priority,
) -> QueryResult<Targets> {
    let rows: Vec<(String, Option<i32>, i32)> = sla_targets::table
        .filter(sla_targets::priority.eq(priority.as_str()))
        .filter(sla_targets::tier.eq_any(vec!["*", tier.unwrap_or("*")]))
        .select((
            sla_targets::tier,
            sla_targets::response_hours,
            sla_targets::resolution_hours,
        ))
        .load(conn)?;
    let pick = rows
        .iter()
        .find(|r| Some(r.0.as_str()) == tier)
        .or_else(|| rows.iter().find(|r| r.0 == "*"));
    Ok(match pick {
        Some((_, response_hours, resolution_hours)) => Targets {
            response_hours: *response_hours,
            resolution_hours: *resolution_hours,
        },
        // the migration seeds the defaults; a deleted row falls back to the normal target
        None => Targets {
            response_hours: Some(8),
            resolution_hours: 72,
        },
    })
}

/// Where an asset is: its site, the site's customer, that customer's service tier and
/// the site's serving warehouse.
type Placement = (
    SiteId,
    Option<CustomerId>,
    Option<String>,
    Option<WarehouseId>,
);

/// The asset's site, the site's customer and that customer's service tier.
fn placement(conn: &mut PgConnection, asset: AssetId) -> QueryResult<Option<Placement>> {
    assets::table
        .inner_join(sites::table)
        .left_join(customers::table.on(sites::customer_id.eq(customers::id.nullable())))
        .filter(assets::id.eq(asset))
        .select((
            sites::id,
            sites::customer_id,
            customers::service_tier.nullable(),
            sites::serving_warehouse_id,
        ))
        .first(conn)
        .optional()
}

/// A technician who may be assigned: exists and is active (422 on `field` otherwise).
fn check_assignee(
    conn: &mut PgConnection,
    e: &mut Errors,
    field: &str,
    t: TechnicianId,
) -> QueryResult<()> {
    let active: Option<bool> = technicians::table
        .find(t)
        .select(technicians::active)
        .first(conn)
        .optional()?;
    match active {
        None => e.add(field, format!("no technician {t}")),
        Some(false) => e.add(field, format!("technician {t} is inactive")),
        Some(true) => {}
    }
    Ok(())
}

/// Open a ticket: validate, number it, compute its SLA, dispatch it when asked, record
/// `created`.
pub fn open(conn: &mut PgConnection, o: Opening, actor: &Actor) -> AppResult<Ticket> {
    let mut e = Errors::new();
    let title = e.text("title", &o.title, 300);
    let description = e.opt_text("description", o.description.as_deref(), 20_000);
    let reporter = e.opt_text("reporter", o.reporter.as_deref(), 200);
    let category = o
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| e.code("category", c, 32));
    if o.kind == TicketKind::Request && category.is_none() {
        e.add(
            "category",
            "a request needs a category (installation, repair, return, consumables, complaint, …)",
        );
    }
    let place = placement(conn, o.asset_id)?;
    if place.is_none() {
        e.add("asset_id", format!("no asset {}", o.asset_id));
    }
    if let Some(t) = o.assignee_id {
        check_assignee(conn, &mut e, "assignee_id", t)?;
    }
    e.time("pm_due", o.pm_due);
    e.finish()?;
    let (site_id, customer_id, tier, serving) = place.expect("checked above");
    let now = Utc::now();
    let targets = targets(conn, tier.as_deref(), o.priority)?;
    // a PM ticket without a calendar occurrence (a meter fell due) is due within the
    // resolution target, and like every PM ticket has no response target
    let pm_due = o.pm_due.or_else(|| {
        o.pm.as_ref()
            .map(|_| now + chrono::Duration::hours(targets.resolution_hours.into()))
    });
    let (response_due, resolution_due) = sla::due_times(now, targets, pm_due, 0);
    let id = TicketId::new();
    let dispatched = match o.assignee_id {
        None if o.auto_assign => {
            let work = dispatch::Needs {
                skills: o.skills.clone(),
                parts: dispatch::kit_needs(conn, &o.kit)?,
            };
            dispatch::candidates(conn, id, o.asset_id, site_id, work)?
                .into_iter()
                .find(|s| s.missing_skills.is_empty())
        }
        _ => None,
    };
    let assignee = o
        .assignee_id
        .or(dispatched.as_ref().map(|s| s.technician_id));
    let status = if assignee.is_some() {
        Status::Assigned
    } else {
        Status::Open
    };
    diesel::insert_into(tickets::table)
        .values((
            tickets::id.eq(id),
            tickets::kind.eq(o.kind),
            tickets::category.eq(&category),
            tickets::source.eq(o.source),
            tickets::priority.eq(o.priority),
            tickets::status.eq(status),
            tickets::asset_id.eq(o.asset_id),
            tickets::site_id.eq(site_id),
            tickets::customer_id.eq(customer_id),
            tickets::title.eq(&title),
            tickets::description.eq(&description),
            tickets::reporter.eq(&reporter),
            tickets::channel.eq(o.channel),
            tickets::assignee_id.eq(assignee),
            tickets::rule_id.eq(o.rule_id),
            tickets::response_due_at.eq(response_due),
            tickets::resolution_due_at.eq(resolution_due),
            tickets::created_by.eq(&actor.name),
            tickets::created_at.eq(now),
            tickets::updated_at.eq(now),
            tickets::skills.eq(&o.skills),
            tickets::plan_id.eq(o.pm.as_ref().map(|p| p.plan_id)),
            tickets::pm_trigger.eq(o.pm.as_ref().map(|p| p.trigger)),
            tickets::pm_due_at.eq(o.pm.as_ref().and_then(|p| p.due_at)),
            tickets::pm_counted_from.eq(o.pm.as_ref().and_then(|p| p.counted_from)),
            tickets::missed_occurrences.eq(o.pm.as_ref().map_or(0, |p| p.missed_occurrences)),
        ))
        .execute(conn)?;
    events::record(
        conn,
        id,
        &actor.name,
        "created",
        None,
        Some(
            json!({"status": status, "priority": o.priority, "kind": o.kind, "source": o.source,
                    "assignee_id": assignee, "title": title, "maintenance": o.pm}),
        ),
        dispatched
            .map(|s| {
                format!(
                    "assigned automatically to {} (dispatch score {}): {}",
                    s.name,
                    s.score,
                    s.reasons.join("; ")
                )
            })
            .as_deref(),
    )?;
    if !o.checklist.is_empty() {
        super::work::append(conn, id, &o.checklist, &actor.name)?;
    }
    if !o.kit.is_empty() {
        reserve_kit(conn, id, serving, &o.kit, &actor.name)?;
    }
    get(conn, id)
}

/// Reserve a kit at the serving warehouse, recording what is short; one `parts` event
/// says what was reserved and what is missing.
fn reserve_kit(
    conn: &mut PgConnection,
    id: TicketId,
    serving: Option<WarehouseId>,
    kit: &[(PartId, Quantity)],
    who: &str,
) -> AppResult<()> {
    let Some(warehouse_id) = serving else {
        events::record(
            conn,
            id,
            who,
            "parts",
            None,
            None,
            Some("the site has no serving warehouse: the parts kit was not reserved"),
        )?;
        return Ok(());
    };
    let (mut lines, mut short) = (Vec::new(), false);
    for (part_id, quantity) in kit {
        let r = reservation::reserve(
            conn,
            &reservation::NewReservation {
                ticket_id: id,
                part_id: *part_id,
                warehouse_id,
                quantity: *quantity,
                allow_shortage: true,
                note: Some("parts kit of the maintenance plan".into()),
            },
            who,
        )?;
        short |= !r.shortage.is_zero();
        lines.push(json!({"part_id": part_id, "reserved": r.quantity, "shortage": r.shortage}));
    }
    events::record(
        conn,
        id,
        who,
        "parts",
        None,
        Some(json!({"warehouse_id": warehouse_id, "kit": lines})),
        Some(if short {
            "parts kit reserved; some parts are short"
        } else {
            "parts kit reserved"
        }),
    )?;
    Ok(())
}

pub fn find(conn: &mut PgConnection, id: TicketId) -> QueryResult<Option<TicketRecord>> {
    tickets::table
        .find(id)
        .select(TicketRecord::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut PgConnection, id: TicketId) -> AppResult<Ticket> {
    let r = find(conn, id)?.ok_or_else(|| AppError::not_found("ticket", id))?;
    Ok(Ticket::from_record(r, Utc::now()))
}

/// 404 unless the ticket exists (for reads of what hangs off a ticket).
pub fn require(conn: &mut PgConnection, id: TicketId) -> AppResult<()> {
    if exists(conn, id)? {
        Ok(())
    } else {
        Err(AppError::not_found("ticket", id))
    }
}

pub fn exists(conn: &mut PgConnection, id: TicketId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(tickets::table.find(id))).get_result(conn)
}

/// The ticket, locked for the rest of the transaction.
pub fn lock(conn: &mut PgConnection, id: TicketId) -> AppResult<TicketRecord> {
    tickets::table
        .find(id)
        .select(TicketRecord::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("ticket", id))
}

fn touch(conn: &mut PgConnection, id: TicketId) -> QueryResult<()> {
    diesel::update(tickets::table.find(id))
        .set((
            tickets::version.eq(tickets::version + 1),
            tickets::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Check failure codes against the catalogue.
fn check_failure(conn: &mut PgConnection, e: &mut Errors, f: &FailureCode) -> QueryResult<()> {
    for (kind, code) in [
        ("problem", &f.problem),
        ("cause", &f.cause),
        ("remedy", &f.remedy),
    ] {
        if let Some(code) = code {
            let known: bool = diesel::select(diesel::dsl::exists(
                failure_codes::table.find((kind, code.trim().to_ascii_lowercase())),
            ))
            .get_result(conn)?;
            if !known {
                e.add(
                    format!("failure.{kind}"),
                    format!("`{code}` is not a {kind} code in the failure catalogue"),
                );
            }
        }
    }
    Ok(())
}

/// Write one changed column of a ticket and record the change as an event of `kind`
/// with the value before and after; an unchanged (or absent) value writes nothing.
macro_rules! set_field {
    ($conn:expr, $t:expr, $actor:expr, $kind:literal, $col:ident, $new:expr) => {
        if let Some(new) = $new.filter(|v| *v != $t.$col) {
            diesel::update(tickets::table.find($t.id))
                .set(tickets::$col.eq(&new))
                .execute($conn)?;
            events::record(
                $conn,
                $t.id,
                $actor,
                $kind,
                Some(json!({ stringify!($col): $t.$col })),
                Some(json!({ stringify!($col): new })),
                None,
            )?;
        }
    };
}

/// Change a ticket's details and work record; every changed field is an event.
pub fn update(
    conn: &mut PgConnection,
    id: TicketId,
    p: TicketPatch,
    actor: &Actor,
) -> AppResult<Ticket> {
    let t = lock(conn, id)?;
    actor.may_work_on(&t)?;
    check_version(p.version, t.version)?;
    if t.status.is_final() {
        return Err(AppError::conflict(format!(
            "ticket {} is {} and takes no more changes",
            format_number(t.number),
            t.status
        )));
    }
    let planner_only = p.title.is_some()
        || p.category.is_some()
        || p.priority.is_some()
        || p.assignee_id.is_some();
    if actor.role == Role::Technician && planner_only {
        return Err(AppError::Forbidden(
            "technicians record work (failure, resolution, downtime, sign-off); planners change title, category, priority and assignee".into(),
        ));
    }
    let mut e = Errors::new();
    let title = p.title.as_deref().map(|v| e.text("title", v, 300));
    let description = p
        .description
        .as_ref()
        .map(|d| e.opt_text("description", d.as_deref(), 20_000));
    let category = p.category.as_ref().map(|c| {
        c.as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| e.code("category", c, 32))
    });
    if t.kind == TicketKind::Request && matches!(category, Some(None)) {
        e.add("category", "a request needs a category");
    }
    let reporter = p
        .reporter
        .as_ref()
        .map(|r| e.opt_text("reporter", r.as_deref(), 200));
    let resolution = p
        .resolution
        .as_ref()
        .map(|r| e.opt_text("resolution", r.as_deref(), 20_000));
    if let Some(Some(m)) = p.downtime_minutes {
        if m < 0 {
            e.add("downtime_minutes", "must not be negative");
        }
    }
    if let Some(Some(a)) = p.assignee_id {
        check_assignee(conn, &mut e, "assignee_id", a)?;
    }
    if let Some(f) = &p.failure {
        check_failure(conn, &mut e, f)?;
    }
    let sign_off = p.sign_off.as_ref().map(|s| {
        s.as_ref().map(|s| {
            e.time("sign_off.at", Some(s.at));
            SignOff {
                name: e.text("sign_off.name", &s.name, 200),
                at: s.at,
            }
        })
    });
    e.finish()?;
    if matches!(p.assignee_id, Some(None))
        && matches!(t.status, Status::Assigned | Status::InProgress)
    {
        return Err(AppError::conflict(
            "an assigned or in-progress ticket keeps an assignee: transition it to `open` to unassign",
        ));
    }

    let name = &actor.name;
    set_field!(conn, t, name, "updated", title, title);
    set_field!(conn, t, name, "updated", description, description);
    set_field!(conn, t, name, "updated", category, category);
    set_field!(conn, t, name, "updated", reporter, reporter);
    if let Some(priority) = p.priority.filter(|v| *v != t.priority) {
        set_priority(conn, &t, priority, name)?;
    }
    set_field!(conn, t, name, "assignment", assignee_id, p.assignee_id);
    if let Some(f) = p.failure {
        let f = FailureCode {
            problem: f.problem.map(|c| c.trim().to_ascii_lowercase()),
            cause: f.cause.map(|c| c.trim().to_ascii_lowercase()),
            remedy: f.remedy.map(|c| c.trim().to_ascii_lowercase()),
        };
        let before = FailureCode {
            problem: t.failure_problem.clone(),
            cause: t.failure_cause.clone(),
            remedy: t.failure_remedy.clone(),
        };
        if f != before {
            diesel::update(tickets::table.find(id))
                .set((
                    tickets::failure_problem.eq(&f.problem),
                    tickets::failure_cause.eq(&f.cause),
                    tickets::failure_remedy.eq(&f.remedy),
                ))
                .execute(conn)?;
            events::record(
                conn,
                id,
                name,
                "work",
                Some(json!({"failure": before})),
                Some(json!({"failure": f})),
                None,
            )?;
        }
    }
    set_field!(conn, t, name, "work", resolution, resolution);
    set_field!(conn, t, name, "work", downtime_minutes, p.downtime_minutes);
    if let Some(s) = sign_off {
        let (by, at) = match &s {
            Some(s) => (Some(s.name.clone()), Some(s.at)),
            None => (None, None),
        };
        if by != t.signed_off_by || at != t.signed_off_at {
            diesel::update(tickets::table.find(id))
                .set((
                    tickets::signed_off_by.eq(&by),
                    tickets::signed_off_at.eq(at),
                ))
                .execute(conn)?;
            events::record(
                conn,
                id,
                name,
                "sign_off",
                Some(json!({"name": t.signed_off_by, "at": t.signed_off_at})),
                Some(json!({"name": by, "at": at})),
                None,
            )?;
        }
    }
    touch(conn, id)?;
    get(conn, id)
}

/// A new priority recomputes the due times from the same start (PM tickets keep their
/// occurrence).
fn set_priority(
    conn: &mut PgConnection,
    t: &TicketRecord,
    priority: Priority,
    actor: &str,
) -> AppResult<()> {
    let tier: Option<String> = match t.customer_id {
        Some(c) => customers::table
            .find(c)
            .select(customers::service_tier)
            .first(conn)
            .optional()?,
        None => None,
    };
    let pm_due = (t.kind == TicketKind::Preventive && t.source == Source::Schedule)
        .then_some(t.resolution_due_at);
    let (response_due, resolution_due) = sla::due_times(
        t.created_at,
        targets(conn, tier.as_deref(), priority)?,
        pm_due,
        t.customer_hold_seconds,
    );
    diesel::update(tickets::table.find(t.id))
        .set((
            tickets::priority.eq(priority),
            tickets::response_due_at.eq(response_due),
            tickets::resolution_due_at.eq(resolution_due),
        ))
        .execute(conn)?;
    events::record(
        conn,
        t.id,
        actor,
        "priority",
        Some(
            json!({"priority": t.priority, "response_due_at": t.response_due_at, "resolution_due_at": t.resolution_due_at}),
        ),
        Some(
            json!({"priority": priority, "response_due_at": response_due, "resolution_due_at": resolution_due}),
        ),
        None,
    )?;
    Ok(())
}

/// Move a ticket along its lifecycle under a row lock.
pub fn transition(
    conn: &mut PgConnection,
    id: TicketId,
    tr: NewTransition,
    actor: &Actor,
) -> AppResult<Ticket> {
    let t = lock(conn, id)?;
    actor.may_work_on(&t)?;
    check_version(tr.version, t.version)?;
    let mut e = Errors::new();
    let note = e.opt_text("note", tr.note.as_deref(), 2000);
    let resolution = e.opt_text("resolution", tr.resolution.as_deref(), 20_000);
    if let Some(a) = tr.assignee_id {
        check_assignee(conn, &mut e, "assignee_id", a)?;
        if actor.role == Role::Technician && Some(a) != actor.technician {
            return Err(AppError::Forbidden(
                "a technician can only name themselves as assignee".into(),
            ));
        }
    }
    if tr.hold_reason.is_some() && tr.to != Status::OnHold {
        e.add("hold_reason", "only for `on_hold`");
    }
    e.finish()?;
    let has_feedback: bool =
        diesel::select(diesel::dsl::exists(ticket_feedback::table.find(id))).get_result(conn)?;
    let assignee = match tr.to {
        Status::Open => None,
        _ => tr.assignee_id.or(t.assignee_id),
    };
    let facts = Facts {
        category_is_complaint: t.category.as_deref() == Some("complaint"),
        has_assignee: assignee.is_some(),
        hold_reason: tr.hold_reason,
        has_resolution: resolution.is_some() || t.resolution.is_some(),
        has_feedback,
    };
    lifecycle::check(t.status, tr.to, &facts).map_err(|r| match r {
        Refusal::NotAllowed { allowed } => AppError::transition(
            format!(
                "ticket {} is {}; it can go to {}",
                format_number(t.number),
                t.status,
                if allowed.is_empty() {
                    "nothing (it is final)".to_owned()
                } else {
                    allowed
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
            allowed.iter().map(|s| s.as_str().to_owned()).collect(),
        ),
        Refusal::Missing { field, reason } => AppError::invalid(field, reason),
        Refusal::Unmet(why) => AppError::conflict(why),
    })?;

    let now = Utc::now();
    // leaving a hold for the customer: that time does not count toward resolution
    let (mut hold_seconds, mut resolution_due) = (t.customer_hold_seconds, t.resolution_due_at);
    if let Some(started) = t.hold_started_at {
        let held = (now - started).num_seconds().max(0);
        hold_seconds += held;
        resolution_due += chrono::Duration::seconds(held);
    }
    let hold_started = (tr.to == Status::OnHold
        && tr.hold_reason == Some(HoldReason::WaitingForCustomer))
    .then_some(now);
    let responded = match tr.to {
        Status::InProgress => t.responded_at.or(Some(now)),
        _ => t.responded_at,
    };
    let resolved = match tr.to {
        Status::Resolved => Some(now),
        Status::InProgress => None, // reopened
        _ => t.resolved_at,
    };
    let closed = matches!(tr.to, Status::Closed | Status::Cancelled).then_some(now);
    diesel::update(tickets::table.find(id))
        .set((
            tickets::status.eq(tr.to),
            tickets::hold_reason.eq(tr.hold_reason),
            tickets::assignee_id.eq(assignee),
            tickets::customer_hold_seconds.eq(hold_seconds),
            tickets::resolution_due_at.eq(resolution_due),
            tickets::hold_started_at.eq(hold_started),
            tickets::responded_at.eq(responded),
            tickets::resolved_at.eq(resolved),
            tickets::closed_at.eq(closed),
            tickets::resolution.eq(resolution.clone().or(t.resolution.clone())),
            tickets::version.eq(tickets::version + 1),
            tickets::updated_at.eq(now),
        ))
        .execute(conn)?;
    events::record(
        conn,
        id,
        &actor.name,
        "transition",
        Some(
            json!({"status": t.status, "hold_reason": t.hold_reason, "assignee_id": t.assignee_id}),
        ),
        Some(json!({"status": tr.to, "hold_reason": tr.hold_reason, "assignee_id": assignee})),
        note.as_deref(),
    )?;
    if tr.to.is_final() {
        let reason = if tr.to == Status::Closed {
            "ticket_closed"
        } else {
            "ticket_cancelled"
        };
        let released = reservation::release_for_ticket(conn, id, reason)?;
        if released > 0 {
            events::record(
                conn,
                id,
                &actor.name,
                "parts",
                None,
                Some(json!({"released_reservations": released})),
                Some(reason),
            )?;
        }
    }
    get(conn, id)
}

/// Reopen a `resolved` ticket because its failure came back (the rules engine): to
/// `in_progress` with its assignee, as the lifecycle has it. A resolved ticket whose
/// assignee was removed cannot be `in_progress`; it goes back to `open`, to be
/// dispatched again, recorded as a `transition` like any other.
pub fn reopen(
    conn: &mut PgConnection,
    id: TicketId,
    note: &str,
    actor: &Actor,
) -> AppResult<Ticket> {
    let t = lock(conn, id)?;
    if t.status != Status::Resolved {
        return Err(AppError::conflict(format!(
            "ticket {} is {}, not resolved",
            format_number(t.number),
            t.status
        )));
    }
    if t.assignee_id.is_some() {
        let to_in_progress = NewTransition {
            to: Status::InProgress,
            note: Some(note.to_owned()),
            hold_reason: None,
            assignee_id: None,
            resolution: None,
            version: None,
        };
        return transition(conn, id, to_in_progress, actor);
    }
    diesel::update(tickets::table.find(id))
        .set((
            tickets::status.eq(Status::Open),
            tickets::resolved_at.eq(None::<DateTime<Utc>>),
            tickets::version.eq(tickets::version + 1),
            tickets::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    events::record(
        conn,
        id,
        &actor.name,
        "transition",
        Some(json!({"status": t.status, "hold_reason": null, "assignee_id": null})),
        Some(json!({"status": Status::Open, "hold_reason": null, "assignee_id": null})),
        Some(&format!("{note} (no assignee: back to open for dispatch)")),
    )?;
    get(conn, id)
}

/// Sort orders of the ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Oldest first.
    #[default]
    Created,
    /// Soonest resolution due first.
    Due,
}

/// SLA filters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaFilter {
    Breached,
    AtRisk,
}

#[derive(Debug, Default, Clone)]
pub struct TicketFilter {
    pub status: Vec<Status>,
    pub priority: Option<Priority>,
    pub kind: Option<TicketKind>,
    pub category: Option<String>,
    pub source: Option<Source>,
    pub asset_id: Option<AssetId>,
    /// These sites (a site and its sub-sites).
    pub site_ids: Option<Vec<SiteId>>,
    pub customer_id: Option<CustomerId>,
    pub assignee_id: Option<TechnicianId>,
    pub sla: Option<SlaFilter>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub due_from: Option<DateTime<Utc>>,
    pub due_to: Option<DateTime<Utc>>,
    pub q: Option<String>,
}

/// Where a page starts, by sort order.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum Cursor {
    Due(DateTime<Utc>, TicketId),
    Created(TicketId),
}

pub fn list(
    conn: &mut PgConnection,
    f: &TicketFilter,
    sort: Sort,
    after: Option<Cursor>,
    limit: i64,
) -> AppResult<Vec<Ticket>> {
    let mut q = tickets::table
        .select(TicketRecord::as_select())
        .into_boxed();
    if !f.status.is_empty() {
        q = q.filter(tickets::status.eq_any(f.status.clone()));
    }
    if let Some(p) = f.priority {
        q = q.filter(tickets::priority.eq(p));
    }
    if let Some(k) = f.kind {
        q = q.filter(tickets::kind.eq(k));
    }
    if let Some(c) = &f.category {
        q = q.filter(tickets::category.eq(c.clone()));
    }
    if let Some(s) = f.source {
        q = q.filter(tickets::source.eq(s));
    }
    if let Some(a) = f.asset_id {
        q = q.filter(tickets::asset_id.eq(a));
    }
    if let Some(sites) = &f.site_ids {
        q = q.filter(tickets::site_id.eq_any(sites.clone()));
    }
    if let Some(c) = f.customer_id {
        q = q.filter(tickets::customer_id.eq(c));
    }
    if let Some(a) = f.assignee_id {
        q = q.filter(tickets::assignee_id.eq(a));
    }
    match f.sla {
        Some(SlaFilter::Breached) => {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                sla::BREACHED_SQL,
            ))
        }
        Some(SlaFilter::AtRisk) => {
            q = q.filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                &sla::at_risk_sql(),
            ))
        }
        None => {}
    }
    if let Some(t) = f.created_from {
        q = q.filter(tickets::created_at.ge(t));
    }
    if let Some(t) = f.created_to {
        q = q.filter(tickets::created_at.lt(t));
    }
    if let Some(t) = f.due_from {
        q = q.filter(tickets::resolution_due_at.ge(t));
    }
    if let Some(t) = f.due_to {
        q = q.filter(tickets::resolution_due_at.lt(t));
    }
    if let Some(text) = &f.q {
        q = q.filter(
            crate::db::sql::lower(tickets::title).like(crate::db::sql::contains_pattern(text)),
        );
    }
    q = match sort {
        Sort::Created => {
            if let Some(Cursor::Created(id)) = after {
                q = q.filter(tickets::id.gt(id));
            }
            q.order(tickets::id)
        }
        Sort::Due => {
            if let Some(Cursor::Due(due, id)) = after {
                q = q.filter(
                    tickets::resolution_due_at
                        .gt(due)
                        .or(tickets::resolution_due_at.eq(due).and(tickets::id.gt(id))),
                );
            }
            q.order((tickets::resolution_due_at, tickets::id))
        }
    };
    if after.is_some()
        && !matches!(
            (sort, after),
            (Sort::Created, Some(Cursor::Created(_))) | (Sort::Due, Some(Cursor::Due(..)))
        )
    {
        return Err(AppError::invalid(
            "cursor",
            "the cursor belongs to another sort order",
        ));
    }
    let now = Utc::now();
    Ok(q.limit(limit)
        .load(conn)?
        .into_iter()
        .map(|r| Ticket::from_record(r, now))
        .collect())
}
