//! Helpers for the telemetry tests: registered devices, a QoS 1 publisher that waits for
//! the broker's acknowledgements, and polling the database until ingest caught up.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text, Timestamptz};
use rumqttc::{AsyncClient, Event, MqttOptions, Outgoing, Packet, QoS};
use serde_json::json;

use crate::support::Base;
use crate::support::TestApp;

/// Register `n` devices `dev-0`.. on one asset each (with a `runtime_h` meter); returns
/// (device_id, asset id).
pub async fn devices(app: &TestApp, n: usize) -> Vec<(String, String)> {
    let b = Base::new(app).await;
    let mut out = Vec::new();
    for i in 0..n {
        let asset = app
            .create(
                "/api/v1/assets",
                json!({"model_id": b.model, "serial_number": format!("SN-{i}"), "site_id": b.hall,
                       "meters": [{"name": "runtime_h", "unit": "h"}]}),
            )
            .await["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let device_id = format!("dev-{i}");
        app.create(
            "/api/v1/devices",
            json!({"device_id": device_id, "asset_id": asset}),
        )
        .await;
        out.push((device_id, asset));
    }
    out
}

fn host_port(url: &str) -> (String, u16) {
    let rest = url.trim_start_matches("mqtt://");
    let rest = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    let (h, p) = rest.rsplit_once(':').unwrap_or((rest, "1883"));
    (h.to_owned(), p.parse().unwrap())
}

/// Publish every (topic, payload) at QoS 1 and return once the broker acknowledged all.
pub async fn publish(url: &str, messages: &[(String, Vec<u8>)]) {
    let (host, port) = host_port(url);
    let mut o = MqttOptions::new(format!("pub-{}", uuid::Uuid::now_v7().simple()), host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_max_packet_size(1024 * 1024, 1024 * 1024);
    o.set_inflight(200);
    let (client, mut eventloop) = AsyncClient::new(o, 1000);
    let total = messages.len();
    let sender = {
        let messages = messages.to_vec();
        let client = client.clone();
        tokio::spawn(async move {
            for (topic, payload) in messages {
                client
                    .publish(topic, QoS::AtLeastOnce, false, payload)
                    .await
                    .unwrap();
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut acked = 0;
    while acked < total {
        assert!(
            Instant::now() < deadline,
            "the broker acknowledged {acked} of {total}"
        );
        match tokio::time::timeout(Duration::from_secs(5), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(Event::Outgoing(Outgoing::Publish(_)))) | Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("publisher lost the broker: {e}"),
            Err(_) => {}
        }
    }
    sender.await.unwrap();
    let _ = client.disconnect().await;
    let _ = tokio::time::timeout(Duration::from_secs(1), eventloop.poll()).await;
}

pub fn telemetry_topic(app: &TestApp, device: &str) -> String {
    format!("{}/v1/devices/{device}/telemetry", app.prefix)
}

pub fn status_topic(app: &TestApp, device: &str) -> String {
    format!("{}/v1/devices/{device}/status", app.prefix)
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The value of a `SELECT count(*) AS n …` (or any bigint `n`).
pub fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .map(|r| r.n)
        .unwrap_or(-1)
}

/// Poll `sql` (a bigint `n`) until it equals `expected`; panics after `secs`.
pub async fn wait_for(database_url: &str, sql: &str, expected: i64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut conn = PgConnection::establish(database_url).unwrap();
    loop {
        let n = count(&mut conn, sql);
        if n == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{sql}: {n} after {secs} s, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[derive(QueryableByName, Debug, PartialEq)]
pub struct Row {
    #[diesel(sql_type = Text)]
    pub metric: String,
    #[diesel(sql_type = Timestamptz)]
    pub ts: chrono::DateTime<chrono::Utc>,
    #[diesel(sql_type = Double)]
    pub value: f64,
}

/// The stored readings of one device, by metric and time.
pub fn readings(conn: &mut PgConnection, device_id: &str) -> Vec<Row> {
    diesel::sql_query(
        "SELECT s.metric, r.ts, r.value FROM telemetry.readings r
         JOIN telemetry.series s ON s.id = r.series_id
         JOIN devices d ON d.id = s.device_id
         WHERE d.device_id = $1 ORDER BY s.metric, r.ts",
    )
    .bind::<Text, _>(device_id)
    .load(conn)
    .unwrap()
}

/// A metric's value in the `/metrics` text (summed over labels matching `labels`).
pub async fn metric(app: &TestApp, name: &str, labels: &str) -> f64 {
    let text = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| l.starts_with(name) && l.contains(labels))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Poll a `/metrics` value until it equals `expected` (counters move just after commit).
pub async fn wait_metric(app: &TestApp, name: &str, labels: &str, expected: f64, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let v = metric(app, name, labels).await;
        if v == expected {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name}{{{labels}}} = {v}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
