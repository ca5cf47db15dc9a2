//! Which (plan, asset) pairs a run must look at closely. One query per plan reads every
//! covered asset with its progress, its ticket history under the plan and its meter's
//! latest reading time; a pure check then keeps only the pairs where something may be
//! due (an occurrence, new meter readings, a new cycle, or no progress row yet). The
//! rest cost nothing more: no row lock, no write. [`super::pair::handle`] re-reads
//! everything under a lock, so a stale survey can only make it look for nothing.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Float8, Nullable, Text, Timestamptz, Uuid as SqlUuid};

use super::due::calendar_work;
use crate::ids::AssetId;
use crate::maintenance::occurrence::{CalendarTrigger, IntervalMode};
use crate::maintenance::plans::model::PlanRecord;

/// An asset a plan covers, with what scheduling needs of it.
#[derive(Debug, Clone, QueryableByName)]
pub struct Covered {
    #[diesel(sql_type = SqlUuid)]
    pub id: AssetId,
    /// The asset's name, or its serial number.
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub time_zone: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    covered_since: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    checked_through: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    meter_counted_from: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    meter_through: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Float8>)]
    meter_usage: Option<f64>,
    /// The time of the asset meter's latest reading.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    meter_read_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_end: Option<DateTime<Utc>>,
    #[diesel(sql_type = Bool)]
    unresolved: bool,
}

/// Every asset the plan covers (its asset, or every asset of its model; retired ones
/// left out), with progress and history.
pub fn covered(conn: &mut PgConnection, plan: &PlanRecord) -> QueryResult<Vec<Covered>> {
    diesel::sql_query(
        "SELECT a.id, coalesce(a.name, a.serial_number) AS label, a.created_at, s.time_zone,
                ms.covered_since, ms.checked_through, ms.meter_counted_from, ms.meter_through,
                ms.meter_usage, am.read_at AS meter_read_at, h.last_end,
                coalesce(h.unresolved, false) AS unresolved
         FROM assets a
         JOIN sites s ON s.id = a.site_id
         LEFT JOIN maintenance_schedule ms ON ms.plan_id = $1 AND ms.asset_id = a.id
         LEFT JOIN asset_meters am ON am.asset_id = a.id AND am.name = $4
         LEFT JOIN (
             SELECT asset_id,
                    max(CASE WHEN status = 'cancelled' THEN closed_at ELSE resolved_at END)
                        FILTER (WHERE status IN ('resolved', 'closed', 'cancelled')) AS last_end,
                    bool_or(status NOT IN ('resolved', 'closed', 'cancelled')) AS unresolved
             FROM tickets WHERE plan_id = $1 GROUP BY asset_id
         ) h ON h.asset_id = a.id
         WHERE a.status <> 'retired' AND (a.id = $2 OR a.model_id = $3)
         ORDER BY a.id",
    )
    .bind::<SqlUuid, _>(plan.id)
    .bind::<Nullable<SqlUuid>, _>(plan.asset_id)
    .bind::<Nullable<SqlUuid>, _>(plan.model_id)
    .bind::<Nullable<Text>, _>(plan.meter.clone())
    .load(conn)
}

/// Whether a run must handle this pair at `now`.
pub fn needs_attention(plan: &PlanRecord, c: &Covered, now: DateTime<Utc>) -> bool {
    let (Some(covered_since), Some(checked_through)) = (c.covered_since, c.checked_through) else {
        return true;
    };
    if let Some(trigger) = plan.calendar() {
        let floating = matches!(
            trigger,
            CalendarTrigger::Interval {
                mode: IntervalMode::Floating,
                ..
            }
        );
        if !(floating && c.unresolved) {
            let tz: Tz = c.time_zone.parse().unwrap_or(Tz::UTC);
            let lead = Duration::days(plan.lead_days.into());
            let work = calendar_work(&trigger, tz, lead, checked_through, now, c.last_end);
            if work.late.is_some() || !work.ahead.is_empty() {
                return true;
            }
        }
    }
    if let Some(meter) = plan.meter_trigger() {
        let counted_from = c.last_end.unwrap_or(covered_since);
        if c.meter_counted_from != Some(counted_from) {
            return true;
        }
        let newer = match (c.meter_read_at, c.meter_through) {
            (Some(read), Some(through)) => read > through,
            (Some(read), None) => read > counted_from,
            (None, _) => false,
        };
        let due = c.meter_usage.unwrap_or(0.0) >= meter.every && !c.unresolved;
        if newer || due {
            return true;
        }
    }
    false
}
