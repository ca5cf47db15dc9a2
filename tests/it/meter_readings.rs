//! Meter readings: stored once per (meter, time), the meter's value follows the latest
//! time whatever the arrival order, bad readings refused precisely.

use reqwest::Method;
use serde_json::json;

use crate::support::Base;
use crate::support::{assert_problem, problem_fields, TestApp};

async fn asset_with_meter(app: &TestApp) -> String {
    let b = Base::new(app).await;
    app.create(
        "/api/v1/assets",
        json!({"model_id": b.model, "serial_number": "SN-1", "site_id": b.hall,
               "meters": [{"name": "runtime_h", "unit": "h"}, {"name": "cycles", "unit": ""}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn readings_are_kept_once_and_the_latest_time_wins() {
    let app = TestApp::start().await;
    let a = asset_with_meter(&app).await;
    let path = format!("/api/v1/assets/{a}/meter-readings");
    let r = app
        .create(
            &path,
            json!({"readings": [
                {"meter": "runtime_h", "value": 120.0, "read_at": "2026-11-20T10:00:00Z"},
                {"meter": "runtime_h", "value": 100.0, "read_at": "2026-11-19T10:00:00Z"},
                {"meter": "cycles", "value": 7, "read_at": "2026-11-19T10:00:00Z"}]}),
        )
        .await;
    assert_eq!(
        (r["stored"].as_u64(), r["duplicates"].as_u64()),
        (Some(3), Some(0))
    );
    // a late, older reading and a repeat change nothing
    let r = app
        .create(
            &path,
            json!({"readings": [
                {"meter": "runtime_h", "value": 90.0, "read_at": "2026-11-18T10:00:00Z"},
                {"meter": "runtime_h", "value": 120.0, "read_at": "2026-11-20T10:00:00Z"}]}),
        )
        .await;
    assert_eq!(
        (r["stored"].as_u64(), r["duplicates"].as_u64()),
        (Some(1), Some(1))
    );
    let (_, asset) = app.get(&format!("/api/v1/assets/{a}")).await;
    let runtime = asset["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "runtime_h")
        .unwrap()
        .clone();
    assert_eq!(runtime["value"], 120.0);
    assert_eq!(runtime["read_at"], "2026-11-20T10:00:00Z");

    let (_, list) = app.get(&format!("{path}?meter=runtime_h&limit=2")).await;
    let values: Vec<f64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["value"].as_f64().unwrap())
        .collect();
    assert_eq!(values, [90.0, 100.0]);
    let cursor = list["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("{path}?meter=runtime_h&limit=2&cursor={cursor}"))
        .await;
    assert_eq!(rest["items"][0]["value"], 120.0);
}

#[actix_web::test]
async fn bad_readings_are_refused_naming_each() {
    let app = TestApp::start().await;
    let a = asset_with_meter(&app).await;
    let path = format!("/api/v1/assets/{a}/meter-readings");
    let (status, body) = app
        .post(
            &path,
            json!({"readings": [
                {"meter": "odometer", "value": 1},
                {"meter": "runtime_h", "value": 1, "read_at": "2100-01-01T00:00:00Z"}]}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(
        problem_fields(&body),
        ["readings[0].meter", "readings[1].read_at"]
    );
    let (status, body) = app.post(&path, json!({"readings": []})).await;
    assert_problem(status, &body, 422);
    let (status, body) = app
        .post(
            &path,
            json!({"readings": [{"meter": "runtime_h", "value": "lots"}]}),
        )
        .await;
    assert_problem(status, &body, 422);
    let (status, body) = app
        .post(
            &format!("/api/v1/assets/{}/meter-readings", uuid::Uuid::now_v7()),
            json!({"readings": [{"meter": "x", "value": 1}]}),
        )
        .await;
    assert_problem(status, &body, 404);
    let viewer = app.key("viewer", None).await;
    let (status, _) = app
        .call_as(
            &viewer,
            Method::POST,
            &path,
            Some(json!({"readings": [{"meter": "runtime_h", "value": 1}]})),
        )
        .await;
    assert_eq!(status, 403);
}
