//! Breach-to-ticket latency under load: probe devices (their own equipment model, with
//! a rule that breaches on one reading: duration 0, allowed lateness 0) each publish one
//! breaching reading while the load runs; the latency is the ticket's `created_at`
//! (server clock) minus the moment the reading was handed to the client (same machine).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use mainspring_sim::register::api::Api;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use serde_json::json;

/// The probe rule's metric and threshold.
pub const METRIC: &str = "bench_probe";
const THRESHOLD: f64 = 100.0;

/// The rule on the probes' model: the engine makes a breach final at once.
pub async fn create_rule(api: &Api, model_id: &str) -> anyhow::Result<()> {
    api.post(
        "rules",
        &json!({
            "name": "Benchmark probe",
            "model_id": model_id,
            "kind": "threshold",
            "metric": METRIC,
            "condition": ">",
            "threshold": THRESHOLD,
            "duration_s": 0,
            "allowed_lateness_s": 0,
            "severity": "urgent",
            "title_template": "{asset}: probe breach",
        }),
    )
    .await
    .context("creating the probe rule")?;
    Ok(())
}

/// Publish one breaching reading per probe device, `every` apart; when each was sent.
pub async fn publish(
    mqtt_url: &str,
    prefix: &str,
    devices: &[String],
    every: Duration,
) -> anyhow::Result<HashMap<String, DateTime<Utc>>> {
    let broker = mainspring_sim::mqtt::broker::Broker::parse(mqtt_url)?;
    let mut opts = MqttOptions::new(
        format!("bench-probe-{}", std::process::id()),
        broker.host,
        broker.port,
    );
    opts.set_keep_alive(Duration::from_secs(30));
    let (client, mut events) = AsyncClient::new(opts, 64);
    let poll = tokio::spawn(async move {
        loop {
            if events.poll().await.is_err() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let mut sent = HashMap::new();
    for device in devices {
        tokio::time::sleep(every).await;
        let at = Utc::now();
        let payload = json!({"ts": at.to_rfc3339(), "values": {METRIC: THRESHOLD + 50.0}});
        client
            .publish(
                format!("{prefix}/v1/devices/{device}/telemetry"),
                QoS::AtLeastOnce,
                false,
                payload.to_string(),
            )
            .await?;
        sent.insert(device.clone(), at);
    }
    // let the last publishes leave before the client goes
    tokio::time::sleep(Duration::from_secs(1)).await;
    poll.abort();
    Ok(sent)
}

/// Latencies in milliseconds, sorted, of the probes that opened a ticket; and how many
/// opened none.
pub async fn latencies(
    api: &Api,
    sent: &HashMap<String, DateTime<Utc>>,
    asset_of: &HashMap<String, String>,
) -> anyhow::Result<(Vec<f64>, usize)> {
    let tickets = api
        .list_all("tickets", &[("source", "threshold".to_owned())])
        .await?;
    let opened: HashMap<&str, DateTime<Utc>> = tickets
        .iter()
        .filter_map(|t| {
            let asset = t["asset_id"].as_str()?;
            let at = t["created_at"].as_str()?.parse().ok()?;
            Some((asset, at))
        })
        .collect();
    let mut ms = Vec::new();
    let mut missing = 0;
    for (device, at) in sent {
        match asset_of.get(device).and_then(|a| opened.get(a.as_str())) {
            Some(t) => ms.push((*t - *at).num_microseconds().unwrap_or(0) as f64 / 1000.0),
            None => missing += 1,
        }
    }
    ms.sort_by(f64::total_cmp);
    Ok((ms, missing))
}
