//! `GET /api/v1/dead-letters` (newest first, filtered, keyset pages) and
//! `POST /api/v1/dead-letters/replay`: telemetry refused because its device was unknown
//! or inactive is ingested again, through ingest's own commit path, once the device is
//! registered and active; the replayed dead letters are removed.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dead_letters::{self, DeadLetter, Filter};
use super::payload::{self, Reason, Window};
use super::store::{self, Committer, StoreSettings};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(replay);
}

/// Dead letters replayed by one call at most.
pub const MAX_REPLAY: i64 = 5000;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only this reason.
    #[param(inline)]
    pub reason: Option<Reason>,
    /// Only this MQTT `device_id`.
    pub device_id: Option<String>,
    /// Received at or after (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Received before (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Input ingest refused, newest first. The table keeps the newest
/// `MAINSPRING_DEAD_LETTER_CAP` rows.
#[guarded]
#[utoipa::path(
    tag = "telemetry",
    params(ListQuery),
    responses((status = 200, description = "A page of dead letters", body = Page<DeadLetter>), ListErrors)
)]
#[get("/dead-letters")]
pub async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<DeadLetter>>> {
    let (limit, before) = paging::<i64>(q.limit, q.cursor.as_deref())?;
    let mut e = Errors::new();
    e.time("from", q.from);
    e.time("to", q.to);
    e.finish()?;
    let filter = Filter {
        reason: q.reason,
        device_id: q.device_id,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .db
        .run(move |conn| Ok(dead_letters::list(conn, &filter, before, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |d| d.id)))
}

/// Which dead letters to replay (all replayable ones when empty).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"device_id": "filler-9.plc"}))]
pub struct ReplayRequest {
    /// Only this device's dead letters.
    pub device_id: Option<String>,
    /// Only these dead letters.
    pub ids: Option<Vec<i64>>,
}

/// What a replay did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"replayed": 12, "stored": 36, "duplicates": 0, "rejected": 1, "remaining": 0}))]
pub struct Replayed {
    /// Dead letters ingested again (and removed).
    pub replayed: usize,
    /// Readings stored by the replay.
    pub stored: u64,
    /// Readings that were already stored.
    pub duplicates: u64,
    /// New dead letters (a value refused again, say a timestamp now past retention).
    pub rejected: usize,
    /// Replayable dead letters left for another call (at most 5000 go per call).
    pub remaining: usize,
}

/// Ingest again the telemetry that was refused because its device was unknown or
/// inactive, now that it is registered and active. Other dead letters stay.
#[guarded]
#[utoipa::path(
    tag = "telemetry",
    request_body = ReplayRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Replayed", body = Replayed), CreateErrors)
)]
#[post("/dead-letters/replay")]
pub async fn replay(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<ReplayRequest>,
) -> AppResult<HttpResponse> {
    let cfg = state.telemetry.clone();
    let result = state
        .db
        .run(move |conn| {
            store::prepare_session(conn)?;
            Ok(conn.transaction(|conn| -> diesel::QueryResult<Replayed> {
                let letters = dead_letters::replayable(
                    conn,
                    body.device_id.as_deref(),
                    body.ids.as_deref(),
                    MAX_REPLAY + 1,
                )?;
                let remaining = letters.len().saturating_sub(MAX_REPLAY as usize);
                let letters = &letters[..letters.len().min(MAX_REPLAY as usize)];
                // the receive time stays the default `ts`; the accepted window is today's
                let items: Vec<store::Item> = letters
                    .iter()
                    .map(|l| store::Item::Telemetry {
                        device_id: l.device_id.clone().unwrap_or_default(),
                        topic: l.topic.clone(),
                        received_at: l.received_at,
                        payload: l.payload.clone(),
                        parsed: payload::parse(
                            &l.payload,
                            &Window {
                                received_at: l.received_at,
                                ..window(&cfg)
                            },
                        ),
                    })
                    .collect();
                let mut committer = Committer::new(StoreSettings {
                    auto_register: false,
                    dead_letter_cap: cfg.dead_letter_cap,
                    meter_sample: cfg.meter_sample,
                });
                let out = committer.commit(conn, &items)?;
                let ids: Vec<i64> = letters.iter().map(|l| l.id).collect();
                dead_letters::delete(conn, &ids)?;
                Ok(Replayed {
                    replayed: letters.len(),
                    stored: out.stored,
                    duplicates: out.duplicates,
                    rejected: out.rejected.len(),
                    remaining,
                })
            })?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}

fn window(cfg: &super::config::TelemetryConfig) -> Window {
    Window::new(
        Utc::now(),
        chrono::Duration::days(i64::from(cfg.retention_days)),
        chrono::Duration::from_std(cfg.clock_skew).unwrap_or_default(),
    )
}
