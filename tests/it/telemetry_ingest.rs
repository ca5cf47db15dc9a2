//! Telemetry ingest against a real Mosquitto and PostgreSQL: readings stored once
//! whatever the delivery (duplicates, out of order), the latest value and last-seen
//! kept, `seq` gaps counted, status from the status topic, a device publishing with
//! `mosquitto_pub`.

use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;

use crate::support::TestApp;
use crate::telemetry_support::*;

#[actix_web::test]
async fn readings_are_stored_once_whatever_the_order_and_repeats() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 2).await;
    let t0 = Utc::now().trunc_subsecs(3) - Duration::minutes(10);
    let ts = |s: i64| (t0 + Duration::seconds(s)).to_rfc3339();
    let topic = telemetry_topic(&app, &devs[0].0);
    let mut messages = Vec::new();
    // newest first, then older ones (out of order), then the same again (redelivery)
    for s in [5, 4, 1, 3, 2] {
        let body = json!({"ts": ts(s), "seq": s, "values": {"temperature_c": 20.0 + s as f64, "door_open": s % 2 == 0}});
        messages.push((topic.clone(), body.to_string().into_bytes()));
    }
    let repeats = messages.clone();
    messages.extend(repeats);
    // an array of two messages for the second device, with epoch-millisecond time
    let ms = (t0 + Duration::seconds(1)).timestamp_millis();
    messages.push((
        telemetry_topic(&app, &devs[1].0),
        json!([{"ts": ms, "values": {"pressure_bar": 2.5}}, {"ts": ms + 1000, "values": {"pressure_bar": 2.75}}])
            .to_string()
            .into_bytes(),
    ));
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        12,
        20,
    )
    .await;
    let mut conn = app.conn();
    let rows = readings(&mut conn, &devs[0].0);
    let temps: Vec<(i64, f64)> = rows
        .iter()
        .filter(|r| r.metric == "temperature_c")
        .map(|r| ((r.ts - t0).num_seconds(), r.value))
        .collect();
    assert_eq!(
        temps,
        vec![(1, 21.0), (2, 22.0), (3, 23.0), (4, 24.0), (5, 25.0)]
    );
    let doors: Vec<f64> = rows
        .iter()
        .filter(|r| r.metric == "door_open")
        .map(|r| r.value)
        .collect();
    assert_eq!(doors, vec![0.0, 1.0, 0.0, 1.0, 0.0]);
    let second = readings(&mut conn, &devs[1].0);
    assert_eq!(second.len(), 2);
    assert_eq!(second[0].ts.timestamp_millis(), ms);

    // every repeat was counted as a duplicate, after the batch that stored it committed
    wait_for(
        &app.database_url,
        "SELECT count(DISTINCT series_id) AS n FROM telemetry.readings",
        3,
        5,
    )
    .await;
    wait_metric(
        &app,
        "mainspring_telemetry_readings_stored_total",
        "",
        12.0,
        10,
    )
    .await;
    wait_metric(
        &app,
        "mainspring_telemetry_readings_duplicate_total",
        "",
        10.0,
        10,
    )
    .await;

    // the latest value is the newest by time, not by arrival
    let (status, latest) = app
        .get(&format!("/api/v1/assets/{}/telemetry/latest", devs[0].1))
        .await;
    assert_eq!(status, 200, "{latest}");
    let temp = latest["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["metric"] == "temperature_c")
        .unwrap()
        .clone();
    assert_eq!(temp["value"], 25.0);
    assert_eq!(temp["device_id"], devs[0].0.as_str());
    // last seen is set on the device
    let (_, device) = app.get("/api/v1/devices?device_id=dev-0").await;
    assert!(device["items"][0]["last_seen_at"].is_string(), "{device}");
}

#[actix_web::test]
async fn skipped_seq_numbers_are_counted_as_gaps() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 1).await;
    let topic = telemetry_topic(&app, &devs[0].0);
    let messages: Vec<(String, Vec<u8>)> = [1, 2, 5, 6, 10]
        .iter()
        .map(|s| {
            (
                topic.clone(),
                json!({"seq": s, "values": {"x": *s}})
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect();
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT seq_gaps AS n FROM telemetry.device_state",
        5,
        20,
    )
    .await;
    wait_metric(&app, "mainspring_telemetry_seq_gaps_total", "", 5.0, 10).await;
}

#[actix_web::test]
async fn a_device_publishing_with_mosquitto_pub_is_stored_and_its_status_followed() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 1).await;
    let url = app.mqtt_url.trim_start_matches("mqtt://").to_owned();
    let (host, port) = url.rsplit_once(':').unwrap();
    let pub_ = |topic: String, message: String, retain: bool| {
        let mut cmd = std::process::Command::new("mosquitto_pub");
        cmd.args([
            "-h", host, "-p", port, "-q", "1", "-t", &topic, "-m", &message,
        ]);
        if retain {
            cmd.arg("-r");
        }
        let out = cmd
            .output()
            .expect("mosquitto_pub (package mosquitto-clients) runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    pub_(
        telemetry_topic(&app, &devs[0].0),
        r#"{"seq": 1, "values": {"vibration_mm_s": 2.1, "runtime_h": 1234.5}}"#.into(),
        false,
    );
    pub_(status_topic(&app, &devs[0].0), "online".into(), true);
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.device_state WHERE online",
        1,
        20,
    )
    .await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        2,
        20,
    )
    .await;
    // runtime_h is also a meter of the asset: it got a reading from telemetry
    let (_, asset) = app.get(&format!("/api/v1/assets/{}", devs[0].1)).await;
    let meter = asset["meters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "runtime_h")
        .unwrap()
        .clone();
    assert_eq!(meter["value"], 1234.5, "{asset}");
    // the Last Will (or a clean offline) flips it back
    pub_(status_topic(&app, &devs[0].0), "offline".into(), true);
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.device_state WHERE online = false",
        1,
        20,
    )
    .await;
    // clear the retained message so the shared broker holds nothing of this test
    pub_(status_topic(&app, &devs[0].0), String::new(), true);
    // the broker's own dropped count is exposed beside the server's counters
    let text = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("\nmainspring_mqtt_broker_messages_dropped "),
        "{text}"
    );
    let (status, ready) = app.get("/ready").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["broker"], "ok");
}
