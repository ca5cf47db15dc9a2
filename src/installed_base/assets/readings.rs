//! `/api/v1/assets/{id}/meter-readings`: readings of an asset's meters. Each is stored
//! once per (meter, time); the meter's latest value follows the reading with the latest
//! time, so late or out-of-order readings never move it backwards. Telemetry ingest
//! records readings through [`record`] too.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::policy::{PlannersOrTechnicians, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{SubListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::AssetId;
use crate::schema::{asset_meters, meter_readings};
use crate::validate::Errors;

/// The most readings one request may carry.
pub const MAX_READINGS: usize = 1000;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = meter_readings, check_for_backend(diesel::pg::Pg))]
pub struct MeterReading {
    pub asset_id: AssetId,
    #[schema(example = "runtime_h")]
    pub meter: String,
    pub read_at: DateTime<Utc>,
    #[schema(example = 1234.5)]
    pub value: f64,
    /// `manual` (through this API) or `telemetry`.
    #[schema(example = "manual")]
    pub source: String,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// One reading to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReading {
    /// A meter the asset has.
    #[schema(example = "runtime_h")]
    pub meter: String,
    #[schema(example = 1234.5)]
    pub value: f64,
    /// When it was read; defaults to now; at most 5 minutes ahead.
    #[serde(default)]
    pub read_at: Option<DateTime<Utc>>,
}

/// Readings to record.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"readings": [{"meter": "runtime_h", "value": 1234.5, "read_at": "2026-11-23T07:00:00Z"}]}))]
pub struct NewReadings {
    pub readings: Vec<NewReading>,
}

/// What a recording did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Recorded {
    /// Readings stored now.
    pub stored: usize,
    /// Readings already stored for the same meter and time (kept once).
    pub duplicates: usize,
}

/// Store readings (already validated) and move each meter's latest value forward.
pub fn record(
    conn: &mut PgConnection,
    asset: AssetId,
    readings: &[(String, f64, DateTime<Utc>)],
    source: &str,
    who: &str,
) -> QueryResult<Recorded> {
    let rows: Vec<_> = readings
        .iter()
        .map(|(meter, value, at)| {
            (
                meter_readings::asset_id.eq(asset),
                meter_readings::meter.eq(meter),
                meter_readings::read_at.eq(*at),
                meter_readings::value.eq(*value),
                meter_readings::source.eq(source),
                meter_readings::recorded_by.eq(who),
            )
        })
        .collect();
    let stored = diesel::insert_into(meter_readings::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)?;
    // the newest reading of each meter becomes its value, unless a newer one is there
    let mut newest: Vec<&(String, f64, DateTime<Utc>)> = Vec::new();
    for r in readings {
        match newest.iter_mut().find(|n| n.0 == r.0) {
            Some(n) if r.2 > n.2 => *n = r,
            Some(_) => {}
            None => newest.push(r),
        }
    }
    for (meter, value, at) in newest {
        diesel::update(asset_meters::table.find((asset, meter)))
            .filter(
                asset_meters::read_at
                    .is_null()
                    .or(asset_meters::read_at.lt(*at)),
            )
            .set((
                asset_meters::value.eq(*value),
                asset_meters::read_at.eq(*at),
            ))
            .execute(conn)?;
    }
    Ok(Recorded {
        stored,
        duplicates: readings.len() - stored,
    })
}

/// Record readings of an asset's meters (duplicates of a stored (meter, time) are kept
/// once). Technicians post the readings they take on site.
#[guarded]
#[utoipa::path(
    tag = "assets",
    params(
        ("id" = AssetId, Path, description = "Asset id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewReadings,
    responses((status = 201, description = "Recorded", body = Recorded), UpdateErrors)
)]
#[post("/assets/{id}/meter-readings")]
pub async fn create(
    caller: Allowed<PlannersOrTechnicians>,
    state: web::Data<AppState>,
    id: web::Path<AssetId>,
    Json(body): Json<NewReadings>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let who = caller.name.clone();
    let recorded = state
        .db
        .transaction(move |conn| {
            if !super::store::exists(conn, id)? {
                return Err(AppError::not_found("asset", id));
            }
            let meters: Vec<String> = asset_meters::table
                .filter(asset_meters::asset_id.eq(id))
                .select(asset_meters::name)
                .load(conn)?;
            let now = Utc::now();
            let mut e = Errors::new();
            if body.readings.is_empty() || body.readings.len() > MAX_READINGS {
                e.add(
                    "readings",
                    format!("must hold 1 to {MAX_READINGS} readings"),
                );
            }
            let readings: Vec<(String, f64, DateTime<Utc>)> = body
                .readings
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let meter = r.meter.trim().to_owned();
                    if !meters.contains(&meter) {
                        e.add(
                            format!("readings[{i}].meter"),
                            format!("the asset has no meter `{meter}`"),
                        );
                    }
                    if !r.value.is_finite() {
                        e.add(format!("readings[{i}].value"), "must be a finite number");
                    }
                    let at = r.read_at.unwrap_or(now);
                    if at > now + Duration::minutes(5) {
                        e.add(
                            format!("readings[{i}].read_at"),
                            "must not be in the future",
                        );
                    }
                    e.time(&format!("readings[{i}].read_at"), Some(at));
                    (meter, r.value, at)
                })
                .collect();
            e.finish()?;
            Ok(record(conn, id, &readings, "manual", &who)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(recorded))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadingsQuery {
    /// Only this meter.
    pub meter: Option<String>,
    /// Read at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Read before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An asset's meter readings in time order.
#[guarded]
#[utoipa::path(
    tag = "assets",
    params(("id" = AssetId, Path, description = "Asset id"), ReadingsQuery),
    responses((status = 200, description = "A page of readings, oldest first", body = Page<MeterReading>), SubListErrors)
)]
#[get("/assets/{id}/meter-readings")]
pub async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<AssetId>,
    Query(q): Query<ReadingsQuery>,
) -> AppResult<web::Json<Page<MeterReading>>> {
    let id = id.into_inner();
    let (limit, after) = paging::<(DateTime<Utc>, String)>(q.limit, q.cursor.as_deref())?;
    let mut e = Errors::new();
    e.time("from", q.from);
    e.time("to", q.to);
    e.finish()?;
    let rows = state
        .db
        .run(move |conn| {
            if !super::store::exists(conn, id)? {
                return Err(AppError::not_found("asset", id));
            }
            let mut query = meter_readings::table
                .filter(meter_readings::asset_id.eq(id))
                .order((meter_readings::read_at, meter_readings::meter))
                .select(MeterReading::as_select())
                .into_boxed();
            if let Some(m) = &q.meter {
                query = query.filter(meter_readings::meter.eq(m.trim().to_owned()));
            }
            if let Some(from) = q.from {
                query = query.filter(meter_readings::read_at.ge(from));
            }
            if let Some(to) = q.to {
                query = query.filter(meter_readings::read_at.lt(to));
            }
            if let Some((at, meter)) = after {
                query = query.filter(
                    meter_readings::read_at.gt(at).or(meter_readings::read_at
                        .eq(at)
                        .and(meter_readings::meter.gt(meter))),
                );
            }
            Ok(query.limit(limit + 1).load(conn)?)
        })
        .await?;
    Ok(web::Json(page(rows, limit, |r| {
        (r.read_at, r.meter.clone())
    })))
}
