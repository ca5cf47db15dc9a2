//! The ingest pipeline: MQTT client → bounded channel → a collector that parses and
//! batches (by readings and by time) → a committer that writes each batch in one
//! transaction on its own sync connection (on the blocking pool), retrying with backoff
//! while the database is down, and acknowledges the batch's messages only after the
//! commit. The collector fills the next batch while one commits. Also runs partition
//! and rollup upkeep.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::{Connection, PgConnection, RunQueryDsl};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::config::TelemetryConfig;
use super::metrics::TelemetryMetrics;
use super::payload::{self, Reason, Reject, Window};
use super::store::{self, Committer, Item, StoreSettings};
use crate::mqtt::client::{self, AckToken, Acker, ClientSettings, Received, Status};
use crate::mqtt::topics::{self, Topic};

/// Messages in a batch at most (status messages carry no readings).
const MAX_BATCH_MESSAGES: usize = 8192;
/// Messages waiting for the collector at most.
const CHANNEL_MESSAGES: usize = 16_384;
const RETRY_START: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(5);
/// How often acknowledgements waiting for room in the event loop's queue are retried.
const ACK_FLUSH: Duration = Duration::from_millis(5);
/// How often partitions and rollups are looked after.
const UPKEEP_EVERY: Duration = Duration::from_secs(300);

/// Turn one received message into what the commit needs (pure but for the clock).
pub fn prepare(
    prefix: &str,
    topic: &str,
    body: &[u8],
    received_at: chrono::DateTime<Utc>,
    cfg: &TelemetryConfig,
) -> Item {
    match topics::parse(prefix, topic) {
        Topic::Telemetry { device_id } => {
            let window = Window::new(
                received_at,
                chrono::Duration::days(i64::from(cfg.retention_days)),
                chrono::Duration::from_std(cfg.clock_skew).unwrap_or_default(),
            );
            Item::Telemetry {
                parsed: payload::parse(body, &window),
                device_id,
                topic: topic.to_owned(),
                received_at,
                payload: body.to_vec(),
            }
        }
        Topic::Status { device_id } => match std::str::from_utf8(body).map(str::trim) {
            Ok("online") => Item::Status {
                device_id,
                topic: topic.to_owned(),
                received_at,
                online: true,
            },
            Ok("offline") => Item::Status {
                device_id,
                topic: topic.to_owned(),
                received_at,
                online: false,
            },
            _ => Item::Refused {
                device_id: Some(device_id),
                topic: topic.to_owned(),
                received_at,
                reject: Reject {
                    reason: Reason::BadStatus,
                    detail: "a status payload is `online` or `offline`".into(),
                    payload: body.to_vec(),
                },
            },
        },
        Topic::Bad | Topic::BrokerDropped => Item::Refused {
            device_id: None,
            topic: topic.to_owned(),
            received_at,
            reject: Reject {
                reason: Reason::BadTopic,
                detail: format!(
                    "`{topic}` is not {prefix}/v1/devices/{{device_id}}/telemetry or /status"
                ),
                payload: body.to_vec(),
            },
        },
    }
}

struct Batch {
    items: Vec<Item>,
    acks: Vec<AckToken>,
    _permits: Vec<OwnedSemaphorePermit>,
    readings: usize,
}

/// A running ingest: its broker connection status (for `/ready`).
pub struct Ingest {
    pub status: Arc<Status>,
}

/// Start ingest: partitions first (so every accepted reading has a home), then the
/// MQTT session, the collector and the committer.
pub async fn start(
    cfg: TelemetryConfig,
    database_url: String,
    metrics: TelemetryMetrics,
) -> anyhow::Result<Ingest> {
    let broker = cfg
        .broker
        .clone()
        .ok_or_else(|| anyhow::anyhow!("MQTT_URL is not set"))?;
    {
        let (url, days) = (database_url.clone(), cfg.retention_days);
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let mut conn = PgConnection::establish(&url)?;
            super::partitions::maintain_partitions(&mut conn, Utc::now(), days)?;
            Ok(())
        })
        .await??;
    }
    let (tx, rx) = mpsc::channel(CHANNEL_MESSAGES);
    let budget = Arc::new(Semaphore::new(cfg.buffer_bytes));
    let settings = ClientSettings {
        broker,
        client_id: cfg.client_id.clone(),
        prefix: cfg.prefix.clone(),
        shared_group: cfg.shared_group.clone(),
        keep_alive: Duration::from_secs(30),
    };
    let (acker, status) = client::spawn(settings, tx, budget, metrics.clone())?;
    let (batch_tx, batch_rx) = mpsc::channel(1);
    tokio::spawn(collect(rx, batch_tx, cfg.clone(), metrics.clone()));
    tokio::spawn(commit_loop(
        batch_rx,
        acker,
        database_url.clone(),
        cfg.clone(),
        metrics,
    ));
    tokio::spawn(upkeep(database_url, cfg));
    Ok(Ingest { status })
}

async fn collect(
    mut rx: mpsc::Receiver<Received>,
    batches: mpsc::Sender<Batch>,
    cfg: TelemetryConfig,
    metrics: TelemetryMetrics,
) {
    while let Some(first) = rx.recv().await {
        let mut batch = Batch {
            items: Vec::new(),
            acks: Vec::new(),
            _permits: Vec::new(),
            readings: 0,
        };
        let deadline = tokio::time::Instant::now() + cfg.flush;
        let mut next = Some(first);
        while let Some(m) = next.take() {
            let item = prepare(&cfg.prefix, &m.topic, &m.payload, m.received_at, &cfg);
            let kind = match &item {
                Item::Telemetry { parsed, .. } => {
                    batch.readings += parsed.readings.len();
                    "telemetry"
                }
                Item::Status { .. } => "status",
                Item::Refused { .. } => "other",
            };
            metrics.messages.with_label_values(&[kind]).inc();
            batch.items.push(item);
            batch.acks.push(m.ack);
            batch._permits.push(m.permit);
            if batch.readings >= cfg.batch_readings || batch.items.len() >= MAX_BATCH_MESSAGES {
                break;
            }
            next = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .ok()
                .flatten();
        }
        if batches.send(batch).await.is_err() {
            return;
        }
    }
}

/// A sync connection for ingest, with its staging table and a bound on statements (the
/// rollup's late marks rely on a batch not lasting long).
pub fn connect(url: &str) -> anyhow::Result<PgConnection> {
    let mut conn = PgConnection::establish(url)?;
    diesel::sql_query("SET statement_timeout = '60s'").execute(&mut conn)?;
    store::prepare_session(&mut conn)?;
    Ok(conn)
}

async fn commit_loop(
    mut batches: mpsc::Receiver<Batch>,
    acker: Acker,
    url: String,
    cfg: TelemetryConfig,
    metrics: TelemetryMetrics,
) {
    let mut conn: Option<PgConnection> = None;
    let mut committer = Some(Committer::new(StoreSettings {
        auto_register: cfg.auto_register,
        dead_letter_cap: cfg.dead_letter_cap,
        meter_sample: cfg.meter_sample,
    }));
    // committed, not yet handed to the event loop (it drains one request per network
    // read, so under load acknowledgements wait here rather than block ingest)
    let mut acks: VecDeque<AckToken> = VecDeque::new();
    let mut flush = tokio::time::interval(ACK_FLUSH);
    loop {
        let next = tokio::select! {
            b = batches.recv() => b,
            _ = flush.tick() => {
                acker.ack_pending(&mut acks);
                continue;
            }
        };
        let Some(mut batch) = next else { return };
        let mut delay = RETRY_START;
        loop {
            let started = Instant::now();
            let (c, mut cm, items) = (
                conn.take(),
                committer.take().expect("committer"),
                std::mem::take(&mut batch.items),
            );
            let url2 = url.clone();
            let days = cfg.retention_days;
            let joined = tokio::task::spawn_blocking(move || {
                let result = (|| -> anyhow::Result<(PgConnection, store::Outcome)> {
                    let mut conn = match c {
                        Some(c) => c,
                        None => connect(&url2)?,
                    };
                    match cm.commit(&mut conn, &items) {
                        Ok(out) => Ok((conn, out)),
                        Err(e) => {
                            if e.to_string().contains("no partition") {
                                let _ = super::partitions::maintain_partitions(
                                    &mut conn,
                                    Utc::now(),
                                    days,
                                );
                            }
                            Err(e.into())
                        }
                    }
                })();
                (cm, items, result)
            })
            .await;
            let Ok((cm, items, result)) = joined else {
                tracing::error!("the ingest commit panicked; stopping ingest");
                return;
            };
            committer = Some(cm);
            batch.items = items;
            match result {
                Ok((c, out)) => {
                    conn = Some(c);
                    metrics
                        .batch_seconds
                        .observe(started.elapsed().as_secs_f64());
                    metrics.stored.inc_by(out.stored);
                    metrics.duplicates.inc_by(out.duplicates);
                    metrics.seq_gaps.inc_by(out.seq_gaps.max(0) as u64);
                    for r in &out.rejected {
                        metrics.reject(*r);
                    }
                    break;
                }
                Err(e) => {
                    metrics.batch_failures.inc();
                    tracing::warn!(error = %e, retry_in_ms = delay.as_millis() as u64, "ingest batch not committed; holding its messages unacknowledged");
                    acker.ack_pending(&mut acks);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        }
        acks.extend(batch.acks.iter().copied());
        acker.ack_pending(&mut acks);
        metrics.unacknowledged.sub(batch.acks.len() as i64);
    }
}

async fn upkeep(url: String, cfg: TelemetryConfig) {
    let mut tick = tokio::time::interval(UPKEEP_EVERY);
    loop {
        tick.tick().await;
        let (url, cfg) = (url.clone(), cfg.clone());
        let result = tokio::task::spawn_blocking(move || -> anyhow::Result<(usize, usize, i64)> {
            let mut conn = PgConnection::establish(&url)?;
            let now = Utc::now();
            let (created, dropped) =
                super::partitions::maintain_partitions(&mut conn, now, cfg.retention_days)?;
            let hours = super::partitions::roll_up(
                &mut conn,
                now,
                cfg.retention_days,
                cfg.rollup_retention_days,
            )?;
            Ok((created, dropped, hours))
        })
        .await;
        match result {
            Ok(Ok((c, d, h))) if c + d > 0 || h > 0 => {
                tracing::info!(
                    partitions_created = c,
                    partitions_dropped = d,
                    hours_rolled_up = h,
                    "telemetry upkeep"
                )
            }
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "telemetry upkeep failed; will retry"),
            Err(e) => tracing::error!(error = %e, "telemetry upkeep panicked"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Sources;

    fn cfg() -> TelemetryConfig {
        TelemetryConfig::load(&Sources::from_maps(Default::default(), Default::default())).unwrap()
    }

    #[test]
    fn topics_are_sorted_into_telemetry_status_and_refusals() {
        let now = Utc::now();
        let c = cfg();
        let item = prepare(
            "mainspring",
            "mainspring/v1/devices/d1/telemetry",
            br#"{"values": {"a": 1}}"#,
            now,
            &c,
        );
        assert!(
            matches!(item, Item::Telemetry { ref device_id, ref parsed, .. } if device_id == "d1" && parsed.readings.len() == 1)
        );
        for (body, online) in [(&b"online"[..], true), (b" offline\n", false)] {
            let item = prepare(
                "mainspring",
                "mainspring/v1/devices/d1/status",
                body,
                now,
                &c,
            );
            assert!(matches!(item, Item::Status { online: o, .. } if o == online));
        }
        let item = prepare(
            "mainspring",
            "mainspring/v1/devices/d1/status",
            b"on",
            now,
            &c,
        );
        assert!(
            matches!(item, Item::Refused { ref reject, .. } if reject.reason == Reason::BadStatus)
        );
        let item = prepare(
            "mainspring",
            "mainspring/v1/devices/bad*id/telemetry",
            b"{}",
            now,
            &c,
        );
        assert!(
            matches!(item, Item::Refused { ref reject, ref device_id, .. } if reject.reason == Reason::BadTopic && device_id.is_none())
        );
    }
}
