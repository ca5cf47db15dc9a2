//! Reads what the forecast needs in a few set queries (plans, kits, covered assets,
//! ticket history, meter outlooks, stock), projects every (plan, asset), and covers the
//! kits cumulatively in due order across every plan, so stock shared by sites is
//! counted once. Filters only choose what is listed and summed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use diesel::prelude::*;
use diesel::sql_types::{Array, Float8, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid};
use rust_decimal::Decimal;

use super::project::{self, Due, MeterOutlook, PairOutlook};
use crate::decimal::Quantity;
use crate::error::AppResult;
use crate::ids::{AssetId, ModelId, PartId, PlanId, SiteId, TicketId, WarehouseId};
use crate::maintenance::occurrence::{CalendarTrigger, IntervalMode};
use crate::maintenance::plans::model::PlanRecord;
use crate::schema::{
    maintenance_plan_parts, maintenance_plans, maintenance_schedule, parts, tickets,
};
use crate::tickets::model::PmTrigger;

/// The days of meter history an average daily usage is taken over.
const USAGE_DAYS: i64 = 30;

/// Which occurrences to list and sum.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// These sites (a site and everything under it).
    pub sites: Option<HashSet<SiteId>>,
    pub asset_id: Option<AssetId>,
    pub model_id: Option<ModelId>,
    pub plan_id: Option<PlanId>,
}

/// A covered asset as the forecast needs it.
#[derive(Debug, Clone, QueryableByName)]
pub struct AssetRow {
    #[diesel(sql_type = SqlUuid)]
    pub id: AssetId,
    #[diesel(sql_type = SqlUuid)]
    pub model_id: ModelId,
    #[diesel(sql_type = Text)]
    pub label: String,
    #[diesel(sql_type = SqlUuid)]
    pub site_id: SiteId,
    #[diesel(sql_type = Text)]
    pub time_zone: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub warehouse_id: Option<WarehouseId>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A kit line of a plan.
#[derive(Debug, Clone)]
pub struct KitLine {
    pub part_id: PartId,
    pub sku: String,
    pub quantity: Decimal,
}

/// One occurrence, before it is shown.
#[derive(Debug, Clone)]
pub struct Item {
    pub due: Due,
    pub plan: usize,
    pub asset: usize,
    pub ticket: Option<(TicketId, i64)>,
    /// Per kit line: the shortfall (0 when covered).
    pub shortfall: Vec<Decimal>,
}

/// Everything projected, in due order, with what the listing needs to show it.
pub struct Forecast {
    pub plans: Vec<PlanRecord>,
    pub kits: HashMap<PlanId, Vec<KitLine>>,
    pub assets: Vec<AssetRow>,
    pub items: Vec<Item>,
    pub available: HashMap<(PartId, WarehouseId), Decimal>,
    /// Reserved for an opened ticket, per (ticket, part).
    pub reserved: HashMap<(TicketId, PartId), Decimal>,
    pub truncated: bool,
}

impl Forecast {
    pub fn matches(&self, item: &Item, f: &Filter) -> bool {
        let (plan, asset) = (&self.plans[item.plan], &self.assets[item.asset]);
        f.plan_id.is_none_or(|p| p == plan.id)
            && f.asset_id.is_none_or(|a| a == asset.id)
            && f.model_id.is_none_or(|m| m == asset.model_id)
            && f.sites.as_ref().is_none_or(|s| s.contains(&asset.site_id))
    }
}

fn covered_assets(conn: &mut PgConnection, plans: &[PlanRecord]) -> QueryResult<Vec<AssetRow>> {
    let ids: Vec<AssetId> = plans.iter().filter_map(|p| p.asset_id).collect();
    let models: Vec<ModelId> = plans.iter().filter_map(|p| p.model_id).collect();
    diesel::sql_query(
        "SELECT a.id, a.model_id, coalesce(a.name, a.serial_number) AS label, s.id AS site_id,
                s.time_zone, s.serving_warehouse_id AS warehouse_id, a.created_at
         FROM assets a JOIN sites s ON s.id = a.site_id
         WHERE a.status <> 'retired' AND (a.id = ANY($1) OR a.model_id = ANY($2))
         ORDER BY a.id",
    )
    .bind::<Array<SqlUuid>, _>(ids)
    .bind::<Array<SqlUuid>, _>(models)
    .load(conn)
}

#[derive(QueryableByName)]
struct HistoryRow {
    #[diesel(sql_type = SqlUuid)]
    plan_id: PlanId,
    #[diesel(sql_type = SqlUuid)]
    asset_id: AssetId,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_end: Option<DateTime<Utc>>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    in_work: bool,
}

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = SqlUuid)]
    asset_id: AssetId,
    #[diesel(sql_type = Text)]
    meter: String,
    #[diesel(sql_type = Timestamptz)]
    first_at: DateTime<Utc>,
    #[diesel(sql_type = Float8)]
    first_value: f64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    last_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Float8)]
    last_value: f64,
}

#[derive(QueryableByName)]
struct Sum {
    #[diesel(sql_type = Nullable<Float8>)]
    used: Option<f64>,
}

/// Average daily usage of each (asset, meter) over the last 30 days: the rise from the
/// first reading in that time to the latest, over the time between them; where the
/// counter went backwards in between, the readings are summed in order.
fn daily_usage(
    conn: &mut PgConnection,
    pairs: &[(AssetId, String)],
    now: DateTime<Utc>,
) -> QueryResult<HashMap<(AssetId, String), f64>> {
    let since = now - Duration::days(USAGE_DAYS);
    let rows: Vec<UsageRow> = diesel::sql_query(
        "SELECT x.asset_id, x.meter, f.read_at AS first_at, f.value AS first_value,
                m.read_at AS last_at, m.value AS last_value
         FROM unnest($1::uuid[], $2::text[]) AS x(asset_id, meter)
         -- a meter whose latest reading is older has none in the window: no probe
         JOIN asset_meters m ON m.asset_id = x.asset_id AND m.name = x.meter AND m.read_at >= $3
         CROSS JOIN LATERAL (
             SELECT read_at, value FROM meter_readings r
             WHERE r.asset_id = x.asset_id AND r.meter = x.meter AND r.read_at >= $3
             ORDER BY r.read_at LIMIT 1) f",
    )
    .bind::<Array<SqlUuid>, _>(pairs.iter().map(|p| p.0).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>())
    .bind::<Timestamptz, _>(since)
    .load(conn)?;
    let mut out = HashMap::new();
    for r in rows {
        let Some(last_at) = r.last_at.filter(|l| *l > r.first_at) else {
            continue;
        };
        let used = if r.last_value >= r.first_value {
            r.last_value - r.first_value
        } else {
            let s: Sum = diesel::sql_query(
                "SELECT sum(CASE WHEN value >= prev THEN value - prev ELSE greatest(value, 0) END) AS used
                 FROM (SELECT value, lag(value) OVER (ORDER BY read_at) AS prev FROM meter_readings
                       WHERE asset_id = $1 AND meter = $2 AND read_at >= $3) t
                 WHERE prev IS NOT NULL",
            )
            .bind::<SqlUuid, _>(r.asset_id)
            .bind::<Text, _>(&r.meter)
            .bind::<Timestamptz, _>(since)
            .get_result(conn)?;
            s.used.unwrap_or(0.0)
        };
        let days = (last_at - r.first_at).num_seconds() as f64 / 86_400.0;
        out.insert((r.asset_id, r.meter), used / days);
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct Stock {
    #[diesel(sql_type = SqlUuid)]
    part_id: PartId,
    #[diesel(sql_type = SqlUuid)]
    warehouse_id: WarehouseId,
    #[diesel(sql_type = Numeric)]
    available: Quantity,
}

#[derive(QueryableByName)]
struct Held {
    #[diesel(sql_type = SqlUuid)]
    ticket_id: TicketId,
    #[diesel(sql_type = SqlUuid)]
    part_id: PartId,
    #[diesel(sql_type = Numeric)]
    quantity: Quantity,
    #[diesel(sql_type = Numeric)]
    shortage: Quantity,
}

fn floating(calendar: Option<&CalendarTrigger>) -> bool {
    matches!(
        calendar,
        Some(CalendarTrigger::Interval {
            mode: IntervalMode::Floating,
            ..
        })
    )
}

/// The covered assets (indexes into the forecast's list) by model and by id, so each
/// plan finds its own without looking at every asset.
struct Coverage {
    by_model: HashMap<ModelId, Vec<usize>>,
    by_id: HashMap<AssetId, usize>,
}

impl Coverage {
    fn of(assets: &[AssetRow]) -> Self {
        let mut c = Coverage {
            by_model: HashMap::new(),
            by_id: HashMap::with_capacity(assets.len()),
        };
        for (i, a) in assets.iter().enumerate() {
            c.by_model.entry(a.model_id).or_default().push(i);
            c.by_id.insert(a.id, i);
        }
        c
    }

    /// The plan's assets, in the order of the list.
    fn assets(&self, plan: &PlanRecord) -> &[usize] {
        match (plan.asset_id, plan.model_id) {
            (Some(id), _) => self.by_id.get(&id).map_or(&[], std::slice::from_ref),
            (None, Some(m)) => self.by_model.get(&m).map_or(&[], Vec::as_slice),
            _ => &[],
        }
    }
}

/// Per (plan, asset): when its latest ticket ended, and whether one is in work.
type History = HashMap<(PlanId, AssetId), (Option<DateTime<Utc>>, bool)>;
/// Per (plan, asset): since when the plan covers it, and the meter count (from, used).
type Progress = HashMap<(PlanId, AssetId), (DateTime<Utc>, Option<DateTime<Utc>>, f64)>;

/// Project every active plan over (`now`, `to`] and cover the kits.
pub fn forecast(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    to: DateTime<Utc>,
) -> AppResult<Forecast> {
    let plans: Vec<PlanRecord> = maintenance_plans::table
        .filter(maintenance_plans::active.eq(true))
        .filter(maintenance_plans::starts_at.le(to))
        .order(maintenance_plans::id)
        .select(PlanRecord::as_select())
        .load(conn)?;
    let mut kits: HashMap<PlanId, Vec<KitLine>> = HashMap::new();
    let kit_rows: Vec<(PlanId, PartId, String, Quantity)> = maintenance_plan_parts::table
        .inner_join(parts::table)
        .filter(
            maintenance_plan_parts::plan_id.eq_any(plans.iter().map(|p| p.id).collect::<Vec<_>>()),
        )
        .order((maintenance_plan_parts::plan_id, parts::sku))
        .select((
            maintenance_plan_parts::plan_id,
            parts::id,
            parts::sku,
            maintenance_plan_parts::quantity,
        ))
        .load(conn)?;
    for (plan, part_id, sku, q) in kit_rows {
        kits.entry(plan).or_default().push(KitLine {
            part_id,
            sku,
            quantity: q.0,
        });
    }
    let assets = covered_assets(conn, &plans)?;
    // Only meter triggers and floating intervals project from the history (and meter
    // triggers from their progress); fixed calendars, most plans, are due when they
    // are due. Reading the history of those alone keeps years of closed calendar
    // tickets out of every forecast.
    let from_history: Vec<PlanId> = plans
        .iter()
        .filter(|p| p.meter.is_some() || floating(p.calendar().as_ref()))
        .map(|p| p.id)
        .collect();
    let history: History = diesel::sql_query(
        "SELECT plan_id, asset_id,
                max(CASE WHEN status = 'cancelled' THEN closed_at ELSE resolved_at END)
                    FILTER (WHERE status IN ('resolved', 'closed', 'cancelled')) AS last_end,
                coalesce(bool_or(status NOT IN ('resolved', 'closed', 'cancelled')), false) AS in_work
         FROM tickets WHERE plan_id = ANY($1) GROUP BY plan_id, asset_id",
    )
    .bind::<Array<SqlUuid>, _>(&from_history)
    .load::<HistoryRow>(conn)?
    .into_iter()
    .map(|h| ((h.plan_id, h.asset_id), (h.last_end, h.in_work)))
    .collect();
    let opened: HashMap<(PlanId, AssetId, DateTime<Utc>), (TicketId, i64)> = tickets::table
        .filter(tickets::pm_trigger.eq(PmTrigger::Calendar))
        .filter(tickets::pm_due_at.gt(now))
        .filter(tickets::pm_due_at.le(to))
        .filter(tickets::status.ne("cancelled"))
        .select((
            tickets::plan_id.assume_not_null(),
            tickets::asset_id,
            tickets::pm_due_at.assume_not_null(),
            tickets::id,
            tickets::number,
        ))
        .load::<(PlanId, AssetId, DateTime<Utc>, TicketId, i64)>(conn)?
        .into_iter()
        .map(|(p, a, d, t, n)| ((p, a, d), (t, n)))
        .collect();
    let metered: Vec<PlanId> = plans
        .iter()
        .filter(|p| p.meter.is_some())
        .map(|p| p.id)
        .collect();
    let progress: Progress = maintenance_schedule::table
        .filter(maintenance_schedule::plan_id.eq_any(&metered))
        .select((
            maintenance_schedule::plan_id,
            maintenance_schedule::asset_id,
            maintenance_schedule::covered_since,
            maintenance_schedule::meter_counted_from,
            maintenance_schedule::meter_usage,
        ))
        .load::<(PlanId, AssetId, DateTime<Utc>, Option<DateTime<Utc>>, f64)>(conn)?
        .into_iter()
        .map(|(p, a, c, m, u)| ((p, a), (c, m, u)))
        .collect();

    // which assets each plan covers, and which meters need an outlook
    let coverage = Coverage::of(&assets);
    let zones: Vec<Tz> = assets
        .iter()
        .map(|a| a.time_zone.parse().unwrap_or(Tz::UTC))
        .collect();
    let mut meter_pairs: Vec<(AssetId, String)> = Vec::new();
    for plan in &plans {
        if let Some(m) = &plan.meter {
            for &ai in coverage.assets(plan) {
                meter_pairs.push((assets[ai].id, m.clone()));
            }
        }
    }
    meter_pairs.sort();
    meter_pairs.dedup();
    let usage = daily_usage(conn, &meter_pairs, now)?;

    let mut items: Vec<Item> = Vec::new();
    let mut truncated = false;
    // per (plan, time zone): a plain plan's projection, a fixed calendar's occurrences
    let mut shared: HashMap<(PlanId, Tz), Vec<Due>> = HashMap::new();
    let mut calendars: HashMap<(PlanId, Tz), Vec<DateTime<Utc>>> = HashMap::new();
    for (pi, plan) in plans.iter().enumerate() {
        let calendar = plan.calendar();
        let meter = plan.meter_trigger();
        let fixed = calendar.as_ref().filter(|c| !floating(Some(c)));
        let plain = meter.is_none() && !floating(calendar.as_ref());
        for &ai in coverage.assets(plan) {
            let (a, tz) = (&assets[ai], zones[ai]);
            let (last_end, in_work) = history
                .get(&(plan.id, a.id))
                .copied()
                .unwrap_or((None, false));
            let start = now.max(plan.starts_at).max(a.created_at);
            let calendar_dues = match fixed {
                // a fixed calendar ignores the last resolution
                Some(c) if start == now => Some(
                    calendars
                        .entry((plan.id, tz))
                        .or_insert_with(|| c.occurrences_between(tz, now, to, None))
                        .as_slice(),
                ),
                _ => None,
            };
            let outlook = PairOutlook {
                calendar_dues,
                calendar: calendar.as_ref(),
                tz,
                last_resolution: last_end,
                meter: meter.as_ref().map(|m| {
                    let covered_since = progress.get(&(plan.id, a.id)).map(|p| p.0);
                    let counted_from = last_end.or(covered_since);
                    let used = match progress.get(&(plan.id, a.id)) {
                        Some((_, Some(from), used)) if Some(*from) == counted_from => *used,
                        _ => 0.0,
                    };
                    MeterOutlook {
                        every: m.every,
                        used,
                        per_day: usage.get(&(a.id, m.name.clone())).copied().unwrap_or(0.0),
                    }
                }),
                in_work,
            };
            let dues = if plain && start == now {
                shared
                    .entry((plan.id, tz))
                    .or_insert_with(|| project::project(&outlook, now, to))
                    .clone()
            } else {
                project::project(&outlook, start, to)
            };
            truncated |= dues.len() == project::MAX_PER_PAIR;
            let kit_len = kits.get(&plan.id).map_or(0, Vec::len);
            items.extend(dues.into_iter().map(|due| {
                Item {
                    due,
                    plan: pi,
                    asset: ai,
                    ticket: (due.trigger == PmTrigger::Calendar)
                        .then(|| opened.get(&(plan.id, a.id, due.at)).copied())
                        .flatten(),
                    shortfall: vec![Decimal::ZERO; kit_len],
                }
            }));
        }
    }
    // due order, then plan and asset id: plans and assets are listed in id order, so
    // their indexes sort the same (and each (plan, asset) is due at most once at a time)
    items.sort_unstable_by_key(|i| (i.due.at, i.plan, i.asset));

    // stock: what each warehouse has available, and what opened tickets already hold
    let part_ids: Vec<PartId> = kits.values().flatten().map(|k| k.part_id).collect();
    let available: HashMap<(PartId, WarehouseId), Decimal> = diesel::sql_query(
        "SELECT part_id, warehouse_id, on_hand - reserved AS available FROM stock_balances WHERE part_id = ANY($1)",
    )
    .bind::<Array<SqlUuid>, _>(part_ids)
    .load::<Stock>(conn)?
    .into_iter()
    .map(|s| ((s.part_id, s.warehouse_id), s.available.0))
    .collect();
    let ticket_ids: Vec<TicketId> = items.iter().filter_map(|i| i.ticket.map(|t| t.0)).collect();
    let mut reserved: HashMap<(TicketId, PartId), Decimal> = HashMap::new();
    let mut short: HashMap<(TicketId, PartId), Decimal> = HashMap::new();
    if !ticket_ids.is_empty() {
        let held: Vec<Held> = diesel::sql_query(
            "SELECT ticket_id, part_id, sum(quantity) AS quantity, sum(shortage) AS shortage
             FROM stock_reservations WHERE ticket_id = ANY($1) AND status = 'open'
             GROUP BY ticket_id, part_id",
        )
        .bind::<Array<SqlUuid>, _>(ticket_ids)
        .load(conn)?;
        for h in held {
            reserved.insert((h.ticket_id, h.part_id), h.quantity.0);
            short.insert((h.ticket_id, h.part_id), h.shortage.0);
        }
    }
    // each kit line in due order: an opened ticket's kit is held by its reservations
    // (short by what they lack), not taken again; the others take from what is left
    let mut stock = project::Stock::new(&available);
    for item in &mut items {
        let Some(kit) = kits.get(&plans[item.plan].id) else {
            continue;
        };
        let warehouse = assets[item.asset].warehouse_id;
        for (k, shortfall) in kit.iter().zip(item.shortfall.iter_mut()) {
            *shortfall = match item.ticket {
                Some((t, _)) => short.get(&(t, k.part_id)).copied().unwrap_or_default(),
                None => stock.take(warehouse, k.part_id, k.quantity).shortfall,
            };
        }
    }
    Ok(Forecast {
        plans,
        kits,
        assets,
        items,
        available,
        reserved,
        truncated,
    })
}
