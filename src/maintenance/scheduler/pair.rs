//! One (plan, asset) in one scheduler run: its progress row, the calendar and meter
//! triggers, and opening the PM tickets they ask for through the tickets code path.
//! Runs inside the caller's transaction, under a row lock on the progress row.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamptz, Uuid as SqlUuid};

use super::due::{calendar_work, Late};
use super::survey::Covered;
use super::Options;
use crate::decimal::Quantity;
use crate::error::AppResult;
use crate::ids::{AssetId, PartId};
use crate::maintenance::meter::Counter;
use crate::maintenance::occurrence::{CalendarTrigger, IntervalMode};
use crate::maintenance::plans::model::{MeterTrigger, PlanRecord};
use crate::schema::{
    maintenance_plan_parts, maintenance_plans, maintenance_schedule, meter_readings, tickets,
};
use crate::tickets::model::{Channel, PmOrigin, PmTrigger, Source};
use crate::tickets::store::{self as tickets_store, Actor, Opening};
use crate::tickets::TicketKind;

/// The most meter readings one run reads for one (plan, asset); the rest next run.
const READINGS_PER_RUN: i64 = 10_000;

pub fn active_plans(conn: &mut PgConnection) -> QueryResult<Vec<PlanRecord>> {
    maintenance_plans::table
        .filter(maintenance_plans::active.eq(true))
        .order(maintenance_plans::id)
        .select(PlanRecord::as_select())
        .load(conn)
}

pub fn kit(conn: &mut PgConnection, plan: &PlanRecord) -> QueryResult<Vec<(PartId, Quantity)>> {
    maintenance_plan_parts::table
        .filter(maintenance_plan_parts::plan_id.eq(plan.id))
        .order(maintenance_plan_parts::part_id)
        .select((
            maintenance_plan_parts::part_id,
            maintenance_plan_parts::quantity,
        ))
        .load(conn)
}

#[derive(Debug, Clone, Queryable)]
struct Progress {
    covered_since: DateTime<Utc>,
    checked_through: DateTime<Utc>,
    meter_counted_from: Option<DateTime<Utc>>,
    meter_through: Option<DateTime<Utc>>,
    meter_last: Option<f64>,
    meter_usage: f64,
}

/// The pair's progress row, locked; created on first sight, covering the asset from
/// the later of the plan's start and the asset's creation.
fn lock_progress(
    conn: &mut PgConnection,
    plan: &PlanRecord,
    asset: &Covered,
) -> QueryResult<Progress> {
    let since = plan.starts_at.max(asset.created_at);
    diesel::insert_into(maintenance_schedule::table)
        .values((
            maintenance_schedule::plan_id.eq(plan.id),
            maintenance_schedule::asset_id.eq(asset.id),
            maintenance_schedule::covered_since.eq(since),
            maintenance_schedule::checked_through.eq(since),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    maintenance_schedule::table
        .find((plan.id, asset.id))
        .select((
            maintenance_schedule::covered_since,
            maintenance_schedule::checked_through,
            maintenance_schedule::meter_counted_from,
            maintenance_schedule::meter_through,
            maintenance_schedule::meter_last,
            maintenance_schedule::meter_usage,
        ))
        .for_update()
        .first(conn)
}

#[derive(QueryableByName)]
struct History {
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_end: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    unresolved: bool,
}

/// When the plan's latest ticket for the asset was resolved (or cancelled), and
/// whether one is still being worked on.
fn history(conn: &mut PgConnection, plan: &PlanRecord, asset: AssetId) -> QueryResult<History> {
    diesel::sql_query(
        "SELECT max(CASE WHEN status = 'cancelled' THEN closed_at ELSE resolved_at END)
                    FILTER (WHERE status IN ('resolved', 'closed', 'cancelled')) AS last_end,
                coalesce(bool_or(status NOT IN ('resolved', 'closed', 'cancelled')), false) AS unresolved
         FROM tickets WHERE plan_id = $1 AND asset_id = $2",
    )
    .bind::<SqlUuid, _>(plan.id)
    .bind::<SqlUuid, _>(asset)
    .get_result(conn)
}

/// One (plan, asset) being handled.
struct Pair<'a> {
    plan: &'a PlanRecord,
    kit: &'a [(PartId, Quantity)],
    asset: &'a Covered,
    opts: Options,
}

impl Pair<'_> {
    fn open(&self, conn: &mut PgConnection, pm: PmOrigin, note: Option<String>) -> AppResult<()> {
        open_ticket(conn, self.plan, self.kit, self.asset, pm, note, self.opts)
    }
}

/// Handle one (plan, asset) at `now`; returns how many tickets it opened.
pub fn handle(
    conn: &mut PgConnection,
    plan: &PlanRecord,
    kit: &[(PartId, Quantity)],
    asset: &Covered,
    now: DateTime<Utc>,
    opts: Options,
) -> AppResult<usize> {
    let pair = Pair {
        plan,
        kit,
        asset,
        opts,
    };
    let progress = lock_progress(conn, plan, asset)?;
    let history = history(conn, plan, asset.id)?;
    let mut opened = 0;
    if let Some(trigger) = plan.calendar() {
        opened += calendar(conn, &pair, &trigger, &progress, &history, now)?;
    }
    if let Some(meter) = plan.meter_trigger() {
        // whichever trigger comes first: a ticket opened or in work covers this cycle
        let blocked = opened > 0 || history.unresolved;
        opened += self::meter(conn, &pair, &meter, &progress, &history, now, blocked)?;
    }
    Ok(opened)
}

/// The calendar trigger: the late ticket and the ones inside the lead time.
fn calendar(
    conn: &mut PgConnection,
    pair: &Pair<'_>,
    trigger: &CalendarTrigger,
    progress: &Progress,
    history: &History,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let (plan, asset) = (pair.plan, pair.asset);
    // a floating interval counts from the resolution: nothing new until then
    let floating = matches!(
        trigger,
        CalendarTrigger::Interval {
            mode: IntervalMode::Floating,
            ..
        }
    );
    if floating && history.unresolved {
        return Ok(0);
    }
    let tz: Tz = asset.time_zone.parse().unwrap_or(Tz::UTC);
    let work = calendar_work(
        trigger,
        tz,
        Duration::days(plan.lead_days.into()),
        progress.checked_through,
        now,
        history.last_end,
    );
    let mut opened = 0;
    if let Some(Late { due, missed }) = work.late {
        pair.open(
            conn,
            calendar_origin(plan, due, missed),
            late_note(due, missed, now),
        )?;
        opened += 1;
    }
    for due in work.ahead {
        pair.open(conn, calendar_origin(plan, due, 0), None)?;
        opened += 1;
    }
    diesel::update(maintenance_schedule::table.find((plan.id, asset.id)))
        .set(maintenance_schedule::checked_through.eq(work.checked_through))
        .execute(conn)?;
    Ok(opened)
}

/// The meter trigger: count the readings that arrived since the last run and open the
/// cycle's ticket once usage reaches the interval, unless `blocked`.
fn meter(
    conn: &mut PgConnection,
    pair: &Pair<'_>,
    meter: &MeterTrigger,
    progress: &Progress,
    history: &History,
    now: DateTime<Utc>,
    blocked: bool,
) -> AppResult<usize> {
    let (plan, asset) = (pair.plan, pair.asset);
    let counted_from = history.last_end.unwrap_or(progress.covered_since);
    let mut counter = if progress.meter_counted_from == Some(counted_from) {
        Counter {
            last: progress.meter_through.zip(progress.meter_last),
            usage: progress.meter_usage,
        }
    } else {
        // a new cycle: from the plan's start value, or the reading in force then
        let base = match (history.last_end, plan.meter_start) {
            (None, Some(start)) => Some((counted_from, start)),
            _ => meter_readings::table
                .filter(meter_readings::asset_id.eq(asset.id))
                .filter(meter_readings::meter.eq(&meter.name))
                .filter(meter_readings::read_at.le(counted_from))
                .order(meter_readings::read_at.desc())
                .select((meter_readings::read_at, meter_readings::value))
                .first(conn)
                .optional()?,
        };
        Counter::from(base)
    };
    let after = counter
        .last
        .map_or(counted_from, |(at, _)| at.max(counted_from));
    let readings: Vec<(DateTime<Utc>, f64)> = meter_readings::table
        .filter(meter_readings::asset_id.eq(asset.id))
        .filter(meter_readings::meter.eq(&meter.name))
        .filter(meter_readings::read_at.gt(after))
        .filter(meter_readings::read_at.le(now))
        .order(meter_readings::read_at)
        .select((meter_readings::read_at, meter_readings::value))
        .limit(READINGS_PER_RUN)
        .load(conn)?;
    counter.feed(&readings, meter.every);
    diesel::update(maintenance_schedule::table.find((plan.id, asset.id)))
        .set((
            maintenance_schedule::meter_counted_from.eq(counted_from),
            maintenance_schedule::meter_through.eq(counter.last.map(|l| l.0)),
            maintenance_schedule::meter_last.eq(counter.last.map(|l| l.1)),
            maintenance_schedule::meter_usage.eq(counter.usage),
        ))
        .execute(conn)?;
    if counter.usage < meter.every
        || blocked
        || meter_ticket_exists(conn, plan, asset.id, counted_from)?
    {
        return Ok(0);
    }
    let (at, value) = counter.last.expect("usage implies a reading");
    let note = format!(
        "{} reached {value} at {} ({} used since {})",
        meter.name,
        at.to_rfc3339(),
        counter.usage,
        counted_from.to_rfc3339()
    );
    let pm = PmOrigin {
        plan_id: plan.id,
        trigger: PmTrigger::Meter,
        due_at: None,
        counted_from: Some(counted_from),
        missed_occurrences: 0,
    };
    pair.open(conn, pm, Some(note))?;
    Ok(1)
}

fn calendar_origin(plan: &PlanRecord, due: DateTime<Utc>, missed: usize) -> PmOrigin {
    PmOrigin {
        plan_id: plan.id,
        trigger: PmTrigger::Calendar,
        due_at: Some(due),
        counted_from: None,
        missed_occurrences: i32::try_from(missed).unwrap_or(i32::MAX),
    }
}

/// Why a calendar ticket opens late, if it does.
fn late_note(due: DateTime<Utc>, missed: usize, now: DateTime<Utc>) -> Option<String> {
    let due_s = due.to_rfc3339();
    match missed {
        0 if now - due > Duration::minutes(10) => Some(format!(
            "Opened late: due at {due_s}, while no scheduler was running."
        )),
        0 => None,
        n => Some(format!(
            "Opened late: {} occurrences fell due while no scheduler was running; this one \
             ticket, for the latest (due at {due_s}), stands for all of them.",
            n + 1
        )),
    }
}

fn meter_ticket_exists(
    conn: &mut PgConnection,
    plan: &PlanRecord,
    asset: AssetId,
    counted_from: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        tickets::table
            .filter(tickets::plan_id.eq(plan.id))
            .filter(tickets::asset_id.eq(asset))
            .filter(tickets::pm_trigger.eq(PmTrigger::Meter))
            .filter(tickets::pm_counted_from.eq(counted_from)),
    ))
    .get_result(conn)
}

/// Open one PM ticket through the tickets code path (numbering, SLA, dispatch policy,
/// checklist, kit reservation, timeline). A calendar occurrence that already has its
/// ticket (a previous run that committed) is skipped.
fn open_ticket(
    conn: &mut PgConnection,
    plan: &PlanRecord,
    kit: &[(PartId, Quantity)],
    asset: &Covered,
    pm: PmOrigin,
    note: Option<String>,
    opts: Options,
) -> AppResult<()> {
    if let Some(due) = pm.due_at {
        let exists: bool = diesel::select(diesel::dsl::exists(
            tickets::table
                .filter(tickets::plan_id.eq(plan.id))
                .filter(tickets::asset_id.eq(asset.id))
                .filter(tickets::pm_trigger.eq(PmTrigger::Calendar))
                .filter(tickets::pm_due_at.eq(due)),
        ))
        .get_result(conn)?;
        if exists {
            return Ok(());
        }
    }
    let mut description = plan.description.clone().unwrap_or_default();
    if let Some(note) = note {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&note);
    }
    if let Some(minutes) = plan.estimated_minutes {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&format!("Estimated duration: {minutes} minutes."));
    }
    // the ticket's title holds 300 characters, like the plan's
    let title = format!("{} — {}", plan.title, asset.label)
        .chars()
        .take(300)
        .collect();
    let opening = Opening {
        description: Some(description).filter(|d| !d.is_empty()),
        channel: Some(Channel::Schedule),
        pm_due: pm.due_at,
        auto_assign: opts.auto_assign,
        skills: plan.skills.0.clone(),
        checklist: plan.checklist.0.clone(),
        kit: kit.to_vec(),
        pm: Some(pm),
        ..Opening::new(
            asset.id,
            TicketKind::Preventive,
            Source::Schedule,
            plan.priority,
            title,
        )
    };
    tickets_store::open(conn, opening, &Actor::system("scheduler"))?;
    Ok(())
}
