//! Scale-out: two ingest instances on one shared subscription split the telemetry
//! between them, and every reading is stored once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::TestApp;
use crate::telemetry_support::*;
use mainspring::config::{Config, Sources};

#[actix_web::test]
async fn two_instances_on_one_shared_subscription_split_the_messages() {
    let app = TestApp::start_ingest(&[("MQTT_SHARED_GROUP", "ingest")]).await;
    let devs = devices(&app, 4).await;
    // a second instance: same database, prefix and group, its own session
    let env: HashMap<String, String> = [
        ("DATABASE_URL", app.database_url.as_str()),
        ("MQTT_URL", app.mqtt_url.as_str()),
        ("MQTT_TOPIC_PREFIX", app.prefix.as_str()),
        ("MQTT_SHARED_GROUP", "ingest"),
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
    let deadline = Instant::now() + Duration::from_secs(20);
    while !second.status.subscribed() {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let t0 = chrono::Utc::now() - chrono::Duration::minutes(20);
    let messages: Vec<(String, Vec<u8>)> = (0..400)
        .map(|i| {
            let (device, _) = &devs[i % 4];
            let ts = t0 + chrono::Duration::milliseconds(i as i64 * 10);
            (
                telemetry_topic(&app, device),
                json!({"ts": ts.to_rfc3339(), "seq": i / 4, "values": {"a": i, "b": i * 2}})
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect();
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        800,
        30,
    )
    .await;
    wait_metric(
        &app,
        "mainspring_telemetry_unacknowledged_messages",
        "",
        0.0,
        10,
    )
    .await;
    let first_stored = metric(&app, "mainspring_telemetry_readings_stored_total", "").await as u64;
    let second_stored = metrics.telemetry.stored.get();
    assert!(
        first_stored > 0 && second_stored > 0,
        "both instances stored: {first_stored} and {second_stored}"
    );
    assert_eq!(first_stored + second_stored, 800);
}
