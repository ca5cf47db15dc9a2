//! `GET /api/v1/schedule` (the forecast, paged, with the window's parts demand) and
//! `GET /api/v1/schedule.ics` (the same occurrences as an iCalendar feed, reachable with
//! an API key or a feed token in the URL). Every role reads.

use std::collections::{HashMap, HashSet};

use actix_web::{get, web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use utoipa::IntoParams;

use super::gather::{self, Filter, Forecast, Item};
use super::model::{Demand, Occurrence, Schedule, ScheduledPart};
use super::{feeds, ics};
use crate::auth::policy::{Staff, StaffOrFeedToken};
use crate::auth::{guarded, Allowed};
use crate::decimal::Quantity;
use crate::error::{AppError, AppResult};
use crate::http::docs::ListErrors;
use crate::http::extract::Query;
use crate::http::pagination::{encode_cursor, paging};
use crate::http::AppState;
use crate::ids::{AssetId, ModelId, PartId, PlanId, SiteId, WarehouseId};
use crate::tickets::model::{format_number, PmTrigger};
use crate::validate::Errors;

/// The default and the longest window.
const DEFAULT_DAYS: i64 = 90;
const MAX_DAYS: i64 = 366;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(schedule).service(schedule_ics);
    feeds::configure(cfg);
}

/// The window and filters of the forecast; all given filters must match.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ScheduleQuery {
    /// Start of the window (default now; occurrences before now are tickets already).
    pub from: Option<DateTime<Utc>>,
    /// End of the window (default 90 days after `from`; at most 366 days after it).
    pub to: Option<DateTime<Utc>>,
    /// Assets at this site or anywhere under it.
    pub site_id: Option<SiteId>,
    pub asset_id: Option<AssetId>,
    pub model_id: Option<ModelId>,
    pub plan_id: Option<PlanId>,
    /// How many occurrences to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// The filters of the calendar feed; all given filters must match.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct IcsQuery {
    /// Start of the window (default now).
    pub from: Option<DateTime<Utc>>,
    /// End of the window (default 90 days after `from`; at most 366 days after it).
    pub to: Option<DateTime<Utc>>,
    pub site_id: Option<SiteId>,
    pub asset_id: Option<AssetId>,
    pub model_id: Option<ModelId>,
    pub plan_id: Option<PlanId>,
    /// A feed token (`POST /schedule/feeds`), for calendar applications that cannot
    /// send an `Authorization` header.
    pub token: Option<String>,
}

type Key = (DateTime<Utc>, PlanId, AssetId);

/// The window, checked: (listing starts at, projection starts at, ends at).
fn window(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<(DateTime<Utc>, DateTime<Utc>)> {
    let mut e = Errors::new();
    e.time("from", from);
    e.time("to", to);
    e.finish()?;
    let from = from.unwrap_or(now);
    let to = to.unwrap_or(from + Duration::days(DEFAULT_DAYS));
    let mut e = Errors::new();
    if to <= from {
        e.add("to", "must be after `from`");
    } else if to - from > Duration::days(MAX_DAYS) {
        e.add("to", format!("the window is at most {MAX_DAYS} days"));
    }
    e.finish()?;
    Ok((from, to))
}

/// The sites a `site_id` filter stands for.
fn sites(
    conn: &mut diesel::PgConnection,
    site: Option<SiteId>,
) -> AppResult<Option<HashSet<SiteId>>> {
    let Some(site) = site else { return Ok(None) };
    let tree = crate::installed_base::sites::store::subtree(conn, site)?;
    if tree.is_empty() {
        return Err(AppError::invalid("site_id", format!("no site {site}")));
    }
    Ok(Some(tree.into_iter().collect()))
}

fn filter(
    conn: &mut diesel::PgConnection,
    site_id: Option<SiteId>,
    asset_id: Option<AssetId>,
    model_id: Option<ModelId>,
    plan_id: Option<PlanId>,
) -> AppResult<Filter> {
    Ok(Filter {
        sites: sites(conn, site_id)?,
        asset_id,
        model_id,
        plan_id,
    })
}

fn occurrence(f: &Forecast, i: &Item) -> Occurrence {
    let plan = &f.plans[i.plan];
    let asset = &f.assets[i.asset];
    let parts: Vec<ScheduledPart> = f
        .kits
        .get(&plan.id)
        .map(|kit| {
            kit.iter()
                .zip(&i.shortfall)
                .map(|(k, short)| ScheduledPart {
                    part_id: k.part_id,
                    sku: k.sku.clone(),
                    quantity: Quantity(k.quantity),
                    covered: short.is_zero(),
                    shortfall: Quantity(*short),
                })
                .collect()
        })
        .unwrap_or_default();
    Occurrence {
        due_at: i.due.at,
        plan_id: plan.id,
        plan_title: plan.title.clone(),
        asset_id: asset.id,
        asset: asset.label.clone(),
        site_id: asset.site_id,
        warehouse_id: asset.warehouse_id,
        trigger: i.due.trigger,
        projected: i.due.trigger == PmTrigger::Meter,
        estimated_minutes: plan.estimated_minutes,
        ticket_id: i.ticket.map(|t| t.0),
        ticket_number: i.ticket.map(|t| format_number(t.1)),
        covered: parts.iter().all(|p| p.covered),
        parts,
    }
}

/// The parts demand of `items`, per part and warehouse, in SKU order.
fn demand(f: &Forecast, items: &[&Item]) -> Vec<Demand> {
    // summed by ids (tens of thousands of kit lines), sorted by SKU once at the end
    let mut sums: HashMap<(PartId, Option<WarehouseId>), (&str, Decimal, Decimal)> = HashMap::new();
    for i in items {
        let Some(kit) = f.kits.get(&f.plans[i.plan].id) else {
            continue;
        };
        let warehouse = f.assets[i.asset].warehouse_id;
        for k in kit {
            let held = i
                .ticket
                .and_then(|(t, _)| f.reserved.get(&(t, k.part_id)).copied())
                .unwrap_or_default();
            let e = sums.entry((k.part_id, warehouse)).or_insert((
                k.sku.as_str(),
                Decimal::ZERO,
                Decimal::ZERO,
            ));
            e.1 += k.quantity;
            e.2 += held;
        }
    }
    let mut lines: Vec<_> = sums.into_iter().collect();
    lines.sort_unstable_by(|((pa, wa), (sa, ..)), ((pb, wb), (sb, ..))| {
        (sa, wa, pa).cmp(&(sb, wb, pb))
    });
    lines
        .into_iter()
        .map(|((part_id, warehouse_id), (sku, quantity, reserved))| {
            let available = warehouse_id
                .and_then(|w| f.available.get(&(part_id, w)).copied())
                .unwrap_or_default()
                .max(Decimal::ZERO);
            Demand {
                part_id,
                sku: sku.to_owned(),
                warehouse_id,
                quantity: Quantity(quantity),
                reserved: Quantity(reserved),
                available: Quantity(available),
                shortfall: Quantity((quantity - reserved - available).max(Decimal::ZERO)),
            }
        })
        .collect()
}

/// The PM forecast: every occurrence due in the window (calendar plans from their
/// triggers, meter plans projected from each asset's average usage over the last 30
/// days), in due order, each with its parts kit and whether the serving warehouse's
/// available stock covers it, taken cumulatively in due order across all plans; and
/// the parts demand over the whole window.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(ScheduleQuery),
    responses((status = 200, description = "A page of occurrences and the window's demand", body = Schedule), ListErrors)
)]
#[get("/schedule")]
async fn schedule(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ScheduleQuery>,
) -> AppResult<web::Json<Schedule>> {
    let now = Utc::now();
    let (from, to) = window(q.from, q.to, now)?;
    let (limit, after) = paging::<Key>(q.limit, q.cursor.as_deref())?;
    let schedule = state
        .db
        .run(move |conn| {
            let filter = filter(conn, q.site_id, q.asset_id, q.model_id, q.plan_id)?;
            let f = gather::forecast(conn, now, to)?;
            let listed: Vec<&Item> = f
                .items
                .iter()
                .filter(|i| i.due.at >= from && f.matches(i, &filter))
                .collect();
            let key = |i: &Item| -> Key { (i.due.at, f.plans[i.plan].id, f.assets[i.asset].id) };
            let page: Vec<&Item> = listed
                .iter()
                .filter(|i| after.is_none_or(|a| key(i) > a))
                .take(limit as usize + 1)
                .copied()
                .collect();
            let more = page.len() > limit as usize;
            let shown = &page[..page.len().min(limit as usize)];
            Ok(Schedule {
                from,
                to,
                items: shown.iter().map(|i| occurrence(&f, i)).collect(),
                next_cursor: more
                    .then(|| shown.last().map(|i| encode_cursor(&key(i))))
                    .flatten(),
                demand: demand(&f, &listed),
                truncated: f.truncated,
            })
        })
        .await?;
    Ok(web::Json(schedule))
}

/// The PM forecast as an iCalendar (RFC 5545) feed: one event per occurrence, in UTC,
/// with stable UIDs. Calendar applications subscribe with a feed token in the URL
/// (`?token=…`, from `POST /schedule/feeds`); an API key works too.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(IcsQuery),
    responses(
        (status = 200, description = "The calendar", content_type = "text/calendar", body = String,
         example = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:ICALENDAR-RS\r\nCALSCALE:GREGORIAN\r\nBEGIN:VEVENT\r\nUID:0193…-0193…-1800000000@mainspring\r\nDTSTART:20270115T060000Z\r\nDTEND:20270115T073000Z\r\nSUMMARY:Quarterly service — Filler 3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"),
        ListErrors
    )
)]
#[get("/schedule.ics")]
async fn schedule_ics(
    _caller: Allowed<StaffOrFeedToken>,
    state: web::Data<AppState>,
    Query(q): Query<IcsQuery>,
) -> AppResult<HttpResponse> {
    let now = Utc::now();
    let (from, to) = window(q.from, q.to, now)?;
    let body = state
        .db
        .run(move |conn| {
            let filter = filter(conn, q.site_id, q.asset_id, q.model_id, q.plan_id)?;
            let f = gather::forecast(conn, now, to)?;
            let listed: Vec<&Item> = f
                .items
                .iter()
                .filter(|i| i.due.at >= from && f.matches(i, &filter))
                .collect();
            Ok(ics::render(&f, &listed, now))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .body(body))
}
