//! Shared fixtures of the rules tests: an asset with a device, rules made through the
//! API, and readings fed to `mainspring::rules` directly on a connection of the test's
//! database, the way ingest calls it inside its own transaction.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::{Connection, PgConnection};
use mainspring::ids::{AssetId, DeviceRecordId};
use mainspring::rules::Reading;
use serde_json::{json, Value};

use crate::support::{Fleet, TestApp};

/// Device time of the tests: second `s` after a fixed instant.
pub fn t(s: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap() + Duration::seconds(s)
}

pub fn id<T: std::str::FromStr>(v: &Value) -> T
where
    T::Err: std::fmt::Debug,
{
    v["id"].as_str().unwrap().parse().unwrap()
}

/// An asset `serial` of the fleet's model with a device `device_id`.
pub async fn asset_with_device(
    app: &TestApp,
    model: &str,
    hall: &str,
    serial: &str,
) -> (AssetId, DeviceRecordId) {
    let asset = app
        .create(
            "/api/v1/assets",
            json!({"model_id": model, "serial_number": serial, "site_id": hall, "name": format!("Filler {serial}")}),
        )
        .await;
    let device = app
        .create(
            "/api/v1/devices",
            json!({"device_id": format!("dev-{serial}"), "asset_id": asset["id"]}),
        )
        .await;
    (id(&asset), id(&device))
}

/// `> 80` on `temperature_c` of the fleet's asset, clearing at 75, plus `extra`.
pub async fn hot_rule(app: &TestApp, f: &Fleet, extra: Value) -> Value {
    let mut body = json!({"name": "Filler overheating", "asset_id": f.asset, "metric": "temperature_c",
        "condition": ">", "threshold": 80, "hysteresis": 5, "severity": "urgent"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.create("/api/v1/rules", body).await
}

/// Readings `(second, value)` of one device's `temperature_c`.
pub fn temps(asset: AssetId, device: DeviceRecordId, points: &[(i64, f64)]) -> Vec<Reading> {
    points
        .iter()
        .map(|(s, v)| Reading {
            device,
            asset,
            metric: "temperature_c".into(),
            ts: t(*s),
            value: *v,
        })
        .collect()
}

/// Feed one batch inside its own transaction, as ingest does.
pub fn feed(conn: &mut PgConnection, readings: &[Reading]) {
    conn.transaction(|c| mainspring::rules::on_readings(c, readings, Utc::now()))
        .unwrap();
}

/// Feed each reading as its own batch.
pub fn feed_each(conn: &mut PgConnection, readings: &[Reading]) {
    for r in readings {
        feed(conn, std::slice::from_ref(r));
    }
}

/// The tickets of an asset, oldest first.
pub async fn tickets_of(app: &TestApp, asset: AssetId) -> Vec<Value> {
    let (status, v) = app
        .get(&format!("/api/v1/tickets?asset_id={asset}&limit=500"))
        .await;
    assert_eq!(status, 200, "{v}");
    v["items"].as_array().unwrap().clone()
}

/// The kinds of a ticket's timeline events, in order.
pub async fn event_kinds(app: &TestApp, ticket: &Value) -> Vec<String> {
    let (status, v) = app
        .get(&format!(
            "/api/v1/tickets/{}/events?limit=500",
            ticket["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200, "{v}");
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

pub async fn asset_status(app: &TestApp, asset: AssetId) -> String {
    let (_, v) = app.get(&format!("/api/v1/assets/{asset}")).await;
    v["status"].as_str().unwrap().to_owned()
}

/// A 60-second breach of `> 80` (readings every 10 s from `from`), made final by
/// readings 30 s later.
pub fn breach_from(from: i64) -> Vec<(i64, f64)> {
    (0..=10).map(|i| (from + i * 10, 90.0)).collect()
}

/// Readings that clear `> 80` with hysteresis 5 (and make that final).
pub fn clear_from(from: i64) -> Vec<(i64, f64)> {
    (0..=4).map(|i| (from + i * 10, 70.0)).collect()
}

/// Move a ticket along the lifecycle through the API.
pub async fn go(app: &TestApp, ticket: &Value, body: Value) {
    let (status, v) = app
        .post(
            &format!(
                "/api/v1/tickets/{}/transitions",
                ticket["id"].as_str().unwrap()
            ),
            body.clone(),
        )
        .await;
    assert_eq!(status, 200, "{body}: {v}");
}

/// Wait for threads without blocking the test's runtime (its HTTP client must keep
/// noticing the server closing idle connections meanwhile).
pub async fn joined<T: Send + 'static>(handles: Vec<std::thread::JoinHandle<T>>) -> Vec<T> {
    tokio::task::spawn_blocking(move || {
        handles
            .into_iter()
            .map(|h| h.join().expect("thread finished"))
            .collect()
    })
    .await
    .unwrap()
}
