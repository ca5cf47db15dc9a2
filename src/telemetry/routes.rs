//! `GET /api/v1/telemetry` (raw readings, or buckets answered from raw rows and hourly
//! rollups as the range requires) and `GET /api/v1/assets/{id}/telemetry/latest`.
//! Every role reads; devices publish over MQTT only.

use actix_web::{get, web};
use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Interval, Nullable, Text, Timestamptz, Uuid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::partitions::rolled_up_until;
use crate::auth::policy::Staff;
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{ListErrors, SubListErrors};
use crate::http::extract::Query;
use crate::http::pagination::{decode_cursor, encode_cursor};
use crate::http::AppState;
use crate::ids::AssetId;
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(series).service(latest);
    super::dead_letter_routes::configure(cfg);
}

/// The most raw points or buckets one answer holds.
pub const MAX_POINTS: i64 = 10_000;

/// Bucket widths (UTC-aligned).
const BUCKETS: &[(&str, i64)] = &[
    ("1m", 60),
    ("5m", 300),
    ("15m", 900),
    ("1h", 3600),
    ("6h", 21_600),
    ("1d", 86_400),
];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// The device's MQTT `device_id`.
    #[param(example = "filler-2.plc")]
    pub device: String,
    #[param(example = "temperature_c")]
    pub metric: String,
    /// From (inclusive, RFC 3339); default 24 hours before `to`.
    pub from: Option<DateTime<Utc>>,
    /// To (exclusive, RFC 3339); default now.
    pub to: Option<DateTime<Utc>>,
    /// `1m`, `5m`, `15m`, `1h`, `6h` or `1d`: min/max/avg/count per bucket. Without it
    /// a range up to 24 hours gives raw readings, a longer one `1h` buckets. Buckets of
    /// an hour or more come from the hourly rollups (kept longer than raw readings).
    #[param(example = "1h")]
    pub bucket: Option<String>,
    /// Raw readings per page (1 to 10000, default 1000).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page of raw readings.
    pub cursor: Option<String>,
}

/// One raw reading, or one bucket.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct Point {
    /// The reading's time, or the bucket's start.
    #[diesel(sql_type = Timestamptz)]
    pub ts: DateTime<Utc>,
    /// Raw readings only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[diesel(sql_type = Nullable<Double>)]
    pub value: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[diesel(sql_type = Nullable<Double>)]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[diesel(sql_type = Nullable<Double>)]
    pub max: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[diesel(sql_type = Nullable<Double>)]
    pub avg: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[diesel(sql_type = Nullable<BigInt>)]
    pub count: Option<i64>,
}

/// Readings of one device metric.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "device": "filler-2.plc", "metric": "temperature_c", "bucket": "1h",
    "from": "2026-12-01T00:00:00Z", "to": "2026-12-03T00:00:00Z", "source": "rollup+raw",
    "points": [{"ts": "2026-12-01T00:00:00Z", "min": 68.2, "max": 74.9, "avg": 71.3, "count": 3600}],
    "next_cursor": null
}))]
pub struct Series {
    pub device: String,
    pub metric: String,
    /// `null` for raw readings.
    pub bucket: Option<String>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// `raw`, `rollup` or `rollup+raw` (hours not rolled up yet come from raw readings).
    #[schema(example = "raw")]
    pub source: String,
    pub points: Vec<Point>,
    /// Raw readings: pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

#[derive(QueryableByName)]
struct SeriesId {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[derive(QueryableByName)]
struct DeviceExists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    found: bool,
}

/// Readings of one device metric over a time range: raw, or in buckets.
#[guarded]
#[utoipa::path(
    tag = "telemetry",
    params(SeriesQuery),
    responses((status = 200, description = "The readings or buckets, oldest first", body = Series), ListErrors)
)]
#[get("/telemetry")]
pub async fn series(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<SeriesQuery>,
) -> AppResult<web::Json<Series>> {
    let mut e = Errors::new();
    let to = q.to.unwrap_or_else(Utc::now);
    let from = q.from.unwrap_or(to - Duration::hours(24));
    e.time("from", Some(from));
    e.time("to", Some(to));
    if from >= to {
        e.add("from", "must be before `to`");
    }
    let bucket = match q.bucket.as_deref() {
        Some(b) => match BUCKETS.iter().find(|(name, _)| *name == b) {
            Some(found) => Some(*found),
            None => {
                e.add("bucket", "must be one of 1m, 5m, 15m, 1h, 6h, 1d");
                None
            }
        },
        None if to - from > Duration::hours(24) => Some(BUCKETS[3]),
        None => None,
    };
    if let Some((_, secs)) = bucket {
        if (to - from).num_seconds() / secs > MAX_POINTS {
            e.add(
                "bucket",
                format!("the range holds more than {MAX_POINTS} buckets; choose a wider bucket"),
            );
        }
    }
    let limit = q.limit.unwrap_or(1000);
    if !(1..=MAX_POINTS).contains(&limit) {
        e.add("limit", format!("must be 1 to {MAX_POINTS}"));
    }
    let after: Option<DateTime<Utc>> = q.cursor.as_deref().map(decode_cursor).transpose()?;
    e.finish()?;
    let (device, metric) = (q.device.clone(), q.metric.clone());
    let (points, source, from) = state
        .db
        .run(move |conn| {
            let found: DeviceExists = diesel::sql_query(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = $1) AS found",
            )
            .bind::<Text, _>(&device)
            .get_result(conn)?;
            if !found.found {
                return Err(AppError::invalid("device", format!("no device `{device}`")));
            }
            let id: Option<SeriesId> = diesel::sql_query(
                "SELECT s.id FROM telemetry.series s JOIN devices d ON d.id = s.device_id
                 WHERE d.device_id = $1 AND s.metric = $2",
            )
            .bind::<Text, _>(&device)
            .bind::<Text, _>(&metric)
            .get_result(conn)
            .optional()?;
            query_points(conn, id.map(|s| s.id), from, to, bucket, after, limit)
        })
        .await?;
    let mut points = points;
    let next_cursor = if bucket.is_none() && points.len() as i64 > limit {
        points.truncate(limit as usize);
        points.last().map(|p| encode_cursor(&p.ts))
    } else {
        None
    };
    Ok(web::Json(Series {
        device: q.device,
        metric: q.metric,
        bucket: bucket.map(|(name, _)| name.to_owned()),
        from,
        to,
        source,
        points,
        next_cursor,
    }))
}

fn query_points(
    conn: &mut PgConnection,
    series_id: Option<i32>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Option<(&str, i64)>,
    after: Option<DateTime<Utc>>,
    limit: i64,
) -> AppResult<(Vec<Point>, String, DateTime<Utc>)> {
    let Some((_, secs)) = bucket else {
        let points = match series_id {
            None => Vec::new(),
            Some(id) => diesel::sql_query(
                "SELECT ts, value, NULL::float8 AS min, NULL::float8 AS max, NULL::float8 AS avg,
                        NULL::int8 AS count
                 FROM telemetry.readings WHERE series_id = $1 AND ts >= $2 AND ts < $3
                   AND ($4::timestamptz IS NULL OR ts > $4)
                 ORDER BY ts LIMIT $5",
            )
            .bind::<Integer, _>(id)
            .bind::<Timestamptz, _>(from)
            .bind::<Timestamptz, _>(to)
            .bind::<Nullable<Timestamptz>, _>(after)
            .bind::<BigInt, _>(limit + 1)
            .load(conn)?,
        };
        return Ok((points, "raw".into(), from));
    };
    let width = Duration::seconds(secs);
    // whole buckets, aligned in UTC
    let from = from
        .duration_trunc(width.min(Duration::days(1)))
        .map_err(|e| AppError::invalid("from", e.to_string()))?;
    let rolled = if secs >= 3600 {
        rolled_up_until(conn)?.map(|d| d.clamp(from, to))
    } else {
        None
    };
    let source = match rolled {
        Some(d) if d >= to => "rollup",
        Some(d) if d > from => "rollup+raw",
        _ => "raw",
    };
    let raw_from = rolled.unwrap_or(from);
    let Some(id) = series_id else {
        return Ok((Vec::new(), source.into(), from));
    };
    let points = diesel::sql_query(
        "WITH parts AS (
            SELECT date_bin($5, hour, '2000-01-01 00:00:00+00') AS bucket, min, max, sum, count
            FROM telemetry.rollups_hourly
            WHERE series_id = $1 AND hour >= $2 AND hour < $4
          UNION ALL
            SELECT date_bin($5, ts, '2000-01-01 00:00:00+00'), min(value), max(value), sum(value), count(*)
            FROM telemetry.readings WHERE series_id = $1 AND ts >= $4 AND ts < $3
            GROUP BY 1
        )
        SELECT bucket AS ts, NULL::float8 AS value, min(min) AS min, max(max) AS max,
               sum(sum) / sum(count) AS avg, sum(count)::int8 AS count
        FROM parts GROUP BY bucket ORDER BY bucket",
    )
    .bind::<Integer, _>(id)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Timestamptz, _>(raw_from)
    .bind::<Interval, _>(diesel::data_types::PgInterval::from_microseconds(
        secs * 1_000_000,
    ))
    .load(conn)?;
    Ok((points, source.into(), from))
}

/// The latest value of one device metric.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct LatestValue {
    #[diesel(sql_type = Text)]
    #[schema(example = "filler-2.plc")]
    pub device_id: String,
    #[diesel(sql_type = Text)]
    #[schema(example = "temperature_c")]
    pub metric: String,
    #[diesel(sql_type = Timestamptz)]
    pub ts: DateTime<Utc>,
    #[diesel(sql_type = Double)]
    #[schema(example = 71.5)]
    pub value: f64,
}

/// A device of the asset and its connection.
#[derive(Debug, Serialize, Deserialize, ToSchema, QueryableByName)]
pub struct DeviceStatus {
    #[diesel(sql_type = Text)]
    pub device_id: String,
    /// From the status topic (and the Last Will); `null` before any status.
    #[diesel(sql_type = Nullable<diesel::sql_types::Bool>)]
    pub online: Option<bool>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub status_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// An asset's latest telemetry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "asset_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
    "items": [{"device_id": "filler-2.plc", "metric": "temperature_c", "ts": "2026-12-03T10:00:00Z", "value": 71.5}],
    "devices": [{"device_id": "filler-2.plc", "online": true, "status_at": "2026-12-03T08:00:00Z", "last_seen_at": "2026-12-03T10:00:01Z"}]
}))]
pub struct Latest {
    pub asset_id: AssetId,
    /// The newest reading of each metric of each of the asset's devices.
    pub items: Vec<LatestValue>,
    pub devices: Vec<DeviceStatus>,
}

/// The newest value of every metric the asset's devices report, and their status.
#[guarded]
#[utoipa::path(
    tag = "telemetry",
    params(("id" = AssetId, Path, description = "Asset id")),
    responses((status = 200, description = "The latest values", body = Latest), SubListErrors)
)]
#[get("/assets/{id}/telemetry/latest")]
pub async fn latest(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<AssetId>,
) -> AppResult<web::Json<Latest>> {
    let id = id.into_inner();
    let (items, devices) = state
        .db
        .run(move |conn| {
            if !crate::installed_base::assets::store::exists(conn, id)? {
                return Err(AppError::not_found("asset", id));
            }
            let items: Vec<LatestValue> = diesel::sql_query(
                "SELECT d.device_id, s.metric, r.ts, r.value
                 FROM devices d JOIN telemetry.series s ON s.device_id = d.id
                 CROSS JOIN LATERAL (
                     SELECT ts, value FROM telemetry.readings
                     WHERE series_id = s.id ORDER BY ts DESC LIMIT 1
                 ) r
                 WHERE d.asset_id = $1
                 ORDER BY d.device_id, s.metric",
            )
            .bind::<Uuid, _>(id)
            .load(conn)?;
            let devices: Vec<DeviceStatus> = diesel::sql_query(
                "SELECT d.device_id, st.online, st.status_at, d.last_seen_at
                 FROM devices d LEFT JOIN telemetry.device_state st ON st.device_id = d.id
                 WHERE d.asset_id = $1 ORDER BY d.device_id",
            )
            .bind::<Uuid, _>(id)
            .load(conn)?;
            Ok((items, devices))
        })
        .await?;
    Ok(web::Json(Latest {
        asset_id: id,
        items,
        devices,
    }))
}
