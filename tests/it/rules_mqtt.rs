//! Rules end to end over a real Mosquitto: readings published by devices open, add to,
//! reopen and reopen anew failure tickets; out-of-order and duplicated delivery gives the
//! ordered outcome; two ingest instances on one shared subscription open exactly one
//! ticket per breach.

use std::collections::HashMap;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use mainspring::config::{Config, Sources};
use serde_json::{json, Value};

use crate::rules_support::{event_kinds, go};
use crate::support::TestApp;
use crate::telemetry_support::{devices, publish, telemetry_topic};

fn message(app: &TestApp, device: &str, ts: DateTime<Utc>, value: f64) -> (String, Vec<u8>) {
    (
        telemetry_topic(app, device),
        json!({"ts": ts.to_rfc3339(), "values": {"temperature_c": value}})
            .to_string()
            .into_bytes(),
    )
}

async fn rule(app: &TestApp, scope: Value, extra: Value) -> Value {
    let mut body = json!({"name": format!("hot {}", uuid::Uuid::now_v7()), "metric": "temperature_c",
        "condition": ">", "threshold": 80, "hysteresis": 5, "duration_s": 60, "severity": "urgent"});
    let o = body.as_object_mut().unwrap();
    o.extend(scope.as_object().unwrap().clone());
    o.extend(extra.as_object().unwrap().clone());
    app.create("/api/v1/rules", body).await
}

async fn tickets(app: &TestApp, asset: &str) -> Vec<Value> {
    let (status, v) = app
        .get(&format!("/api/v1/tickets?asset_id={asset}&limit=500"))
        .await;
    assert_eq!(status, 200, "{v}");
    let mut out = Vec::new();
    for t in v["items"].as_array().unwrap() {
        let (_, full) = app
            .get(&format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()))
            .await;
        out.push(full);
    }
    out
}

/// Poll until `check` holds for the asset's tickets (or fail after 20 s).
async fn until(
    app: &TestApp,
    asset: &str,
    what: &str,
    check: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + StdDuration::from_secs(20);
    loop {
        let t = tickets(app, asset).await;
        if check(&t) {
            return t;
        }
        assert!(Instant::now() < deadline, "{what}: {t:?}");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

/// Readings every 10 s from `from` for `secs` seconds (inclusive) at `value`.
fn span(
    app: &TestApp,
    device: &str,
    t0: DateTime<Utc>,
    from: i64,
    secs: i64,
    value: f64,
) -> Vec<(String, Vec<u8>)> {
    (0..=secs / 10)
        .map(|i| message(app, device, t0 + Duration::seconds(from + i * 10), value))
        .collect()
}

#[actix_web::test]
async fn a_sixty_second_breach_over_mqtt_opens_one_ticket_then_adds_reopens_and_opens_anew() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 1).await;
    let (device, asset) = (&devs[0].0, &devs[0].1);
    rule(
        &app,
        json!({"asset_id": asset}),
        json!({"allowed_lateness_s": 0}),
    )
    .await;
    let t0 = Utc::now() - Duration::minutes(30);

    // hot for 50 s: not yet
    publish(&app.mqtt_url, &span(&app, device, t0, 0, 50, 90.0)).await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert!(tickets(&app, asset).await.is_empty());
    // 60 s: one ticket, whatever follows while it holds
    publish(&app.mqtt_url, &span(&app, device, t0, 60, 40, 91.0)).await;
    let t = until(&app, asset, "one ticket", |t| t.len() == 1).await;
    assert_eq!(
        (t[0]["source"].as_str(), t[0]["priority"].as_str()),
        (Some("threshold"), Some("urgent"))
    );
    assert_eq!(t[0]["occurrences"], 1);

    // cleared, then breached again for 60 s: an occurrence on the open ticket
    publish(&app.mqtt_url, &span(&app, device, t0, 110, 20, 70.0)).await;
    publish(&app.mqtt_url, &span(&app, device, t0, 140, 60, 95.0)).await;
    let t = until(&app, asset, "a second occurrence", |t| {
        t.len() == 1 && t[0]["occurrences"] == 2
    })
    .await;
    let ticket = t[0].clone();

    // resolved, then a breach reopens it
    let tech = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    go(
        &app,
        &ticket,
        json!({"to": "assigned", "assignee_id": tech["id"]}),
    )
    .await;
    go(&app, &ticket, json!({"to": "in_progress"})).await;
    go(
        &app,
        &ticket,
        json!({"to": "resolved", "resolution": "fan replaced"}),
    )
    .await;
    publish(&app.mqtt_url, &span(&app, device, t0, 210, 20, 70.0)).await;
    publish(&app.mqtt_url, &span(&app, device, t0, 240, 60, 95.0)).await;
    let t = until(&app, asset, "reopened", |t| {
        t.len() == 1 && t[0]["status"] == "in_progress"
    })
    .await;
    assert!(event_kinds(&app, &t[0])
        .await
        .contains(&"recurrence".to_owned()));

    // closed: the next breach opens a new ticket
    go(&app, &t[0], json!({"to": "resolved"})).await;
    go(&app, &t[0], json!({"to": "closed"})).await;
    publish(&app.mqtt_url, &span(&app, device, t0, 310, 20, 70.0)).await;
    publish(&app.mqtt_url, &span(&app, device, t0, 340, 60, 95.0)).await;
    let t = until(&app, asset, "a new ticket", |t| t.len() == 2).await;
    assert_eq!(t.iter().filter(|t| t["status"] == "closed").count(), 1);
}

#[actix_web::test]
async fn out_of_order_and_duplicated_delivery_gives_the_ordered_outcome() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 2).await;
    let (asset_a, _) = (&devs[0].1, &devs[1].1);
    // one rule for the model: both assets, allowed lateness 30 s
    let (_, a) = app.get(&format!("/api/v1/assets/{asset_a}")).await;
    rule(&app, json!({"model_id": a["model_id"]}), json!({})).await;
    let t0 = Utc::now() - Duration::minutes(30);
    // a breach of 60 s, a short dip that does not clear (78 > 75), then 60 s more, then
    // a clear: in device time
    let mut series: Vec<(i64, f64)> = (0..=7).map(|i| (i * 10, 90.0)).collect();
    series.push((75, 78.0));
    series.extend((8..=14).map(|i| (i * 10, 92.0)));
    series.extend((15..=20).map(|i| (i * 10, 60.0)));
    // the device in order, one message each
    let ordered: Vec<_> = series
        .iter()
        .map(|(s, v)| message(&app, &devs[0].0, t0 + Duration::seconds(*s), *v))
        .collect();
    // the other: shuffled within 20 s, each delivered twice, in batches of three
    let mut shuffled = series.clone();
    for chunk in shuffled.chunks_mut(3) {
        chunk.reverse();
    }
    let mut twice = Vec::new();
    for part in shuffled.chunks(3) {
        let batch: Vec<Value> = part
            .iter()
            .map(|(s, v)| json!({"ts": (t0 + Duration::seconds(*s)).to_rfc3339(), "values": {"temperature_c": v}}))
            .collect();
        let payload = Value::Array(batch).to_string().into_bytes();
        twice.push((telemetry_topic(&app, &devs[1].0), payload.clone()));
        twice.push((telemetry_topic(&app, &devs[1].0), payload));
    }
    publish(&app.mqtt_url, &ordered).await;
    publish(&app.mqtt_url, &twice).await;
    // later readings make everything before them final on both
    let flush: Vec<_> = devs
        .iter()
        .map(|(d, _)| message(&app, d, t0 + Duration::seconds(300), 60.0))
        .collect();
    publish(&app.mqtt_url, &flush).await;
    let outcome = |t: &[Value]| -> Vec<(Value, Value, Value)> {
        t.iter()
            .map(|t| {
                (
                    t["status"].clone(),
                    t["occurrences"].clone(),
                    t["last_occurred_at"].clone(),
                )
            })
            .collect()
    };
    until(&app, &devs[0].1, "the ordered device's ticket", |t| {
        t.len() == 1
    })
    .await;
    until(&app, &devs[1].1, "the shuffled device's ticket", |t| {
        t.len() == 1
    })
    .await;
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    let (a, b) = (
        tickets(&app, &devs[0].1).await,
        tickets(&app, &devs[1].1).await,
    );
    assert_eq!(outcome(&a), outcome(&b));
    assert_eq!(a[0]["occurrences"], 1, "the dip did not clear: {a:?}");
    assert!(event_kinds(&app, &b[0])
        .await
        .contains(&"cleared".to_owned()));
}

#[actix_web::test]
async fn two_instances_on_a_shared_subscription_open_exactly_one_ticket_per_breach() {
    let app = TestApp::start_ingest(&[("MQTT_SHARED_GROUP", "rules")]).await;
    let devs = devices(&app, 4).await;
    let (_, a) = app.get(&format!("/api/v1/assets/{}", devs[0].1)).await;
    rule(&app, json!({"model_id": a["model_id"]}), json!({})).await;
    let env: HashMap<String, String> = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("MQTT_URL", app.mqtt_url.as_str()),
        ("MQTT_TOPIC_PREFIX", app.prefix.as_str()),
        ("MQTT_SHARED_GROUP", "rules"),
        ("MQTT_CLIENT_ID", &format!("second-{}", app.prefix)),
        ("MAINSPRING_INGEST_FLUSH_MS", "20"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = Config::load(&Sources::from_maps(env, Default::default())).unwrap();
    let metrics = mainspring::http::metrics::Metrics::new();
    let second = mainspring::telemetry::ingest::start(
        config.telemetry,
        app.database_url.clone(),
        metrics.telemetry.clone(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + StdDuration::from_secs(20);
    while !second.status.subscribed() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    // every device hot for three minutes, a reading every 5 s, interleaved
    let t0 = Utc::now() - Duration::minutes(30);
    let mut messages = Vec::new();
    for i in 0..=36 {
        for (d, _) in &devs {
            messages.push(message(
                &app,
                d,
                t0 + Duration::seconds(i * 5),
                90.0 + i as f64 / 10.0,
            ));
        }
    }
    publish(&app.mqtt_url, &messages).await;
    for (_, asset) in &devs {
        until(&app, asset, "one ticket", |t| t.len() == 1).await;
    }
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    for (_, asset) in &devs {
        let t = tickets(&app, asset).await;
        assert_eq!(t.len(), 1, "{t:?}");
        assert_eq!(t[0]["occurrences"], 1);
    }
    assert!(
        metrics.telemetry.stored.get() > 0,
        "the second instance took its share"
    );
}
