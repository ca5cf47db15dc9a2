//! Threshold and "no data" rules: telemetry readings and device status in, failure
//! tickets out. Ingest calls [`on_readings`] and [`on_status`] inside the transaction
//! that commits what it received; the server calls [`check_silence`] and
//! [`flush_idle`] periodically. Everything is safe to run from several instances at
//! once and to repeat: state lives in PostgreSQL, one row per (rule, asset) locked while
//! it is evaluated, and one open ticket per (rule, asset) is a partial unique index.
//!
//! `condition` and `engine` are pure (the state machine on device time with the allowed
//! lateness, documented there); `template` fills ticket titles; `model`, `store` and
//! `routes` are the `/api/v1/rules` resource; `state` persists the engine; `evaluate`
//! (threshold) and `silence` (no data) drive it; `effects` opens, counts, reopens and
//! clears tickets and makes the asset status follow.

pub mod condition;
pub mod effects;
pub mod engine;
pub mod evaluate;
pub mod model;
pub mod routes;
pub mod silence;
pub mod state;
pub mod store;
pub mod template;

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::error::AppResult;
use crate::ids::{AssetId, DeviceRecordId};

pub use model::{Rule, RuleKind};

/// One stored telemetry reading, as ingest hands it to the rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub device: DeviceRecordId,
    pub asset: AssetId,
    pub metric: String,
    pub ts: DateTime<Utc>,
    pub value: f64,
}

/// readings newly stored by one ingest batch (duplicates already removed; any order; may interleave devices)
pub fn on_readings(
    conn: &mut PgConnection,
    readings: &[Reading],
    now: DateTime<Utc>,
) -> AppResult<()> {
    evaluate::on_readings(conn, readings, now)
}

/// a device's status message (`online`/`offline`, including its Last Will)
pub fn on_status(
    conn: &mut PgConnection,
    device: DeviceRecordId,
    asset: AssetId,
    online: bool,
    at: DateTime<Utc>,
) -> AppResult<()> {
    silence::on_status(conn, device, asset, online, at)
}

/// Of these assets, the ones an active "no data" rule with `offline_status` covers (by
/// asset or by model): only their status changes need [`on_status`].
pub fn offline_rule_assets(
    conn: &mut PgConnection,
    assets: &[AssetId],
) -> AppResult<std::collections::HashSet<AssetId>> {
    silence::offline_rule_assets(conn, assets)
}

/// periodic: "no data" rules for devices silent for N seconds; returns tickets opened
pub fn check_silence(conn: &mut PgConnection, now: DateTime<Utc>) -> AppResult<usize> {
    silence::check_silence(conn, now)
}

/// periodic: apply the readings of (rule, asset) pairs that received nothing newer for
/// their allowed lateness (server time), so a breach is final even when the device
/// stops sending; returns tickets opened
pub fn flush_idle(conn: &mut PgConnection, now: DateTime<Utc>) -> AppResult<usize> {
    evaluate::flush_idle(conn, now)
}
