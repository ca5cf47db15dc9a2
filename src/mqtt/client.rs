//! The ingest client: one persistent MQTT session (clean session off, a stable client
//! id, QoS 1) whose messages are acknowledged by hand, only when the caller says what
//! they carried is committed. The event loop task never blocks on the database: it
//! hands messages to a bounded channel under a byte budget, so when commits stall the
//! broker stops sending (no acknowledgements) and memory stays bounded. Connection
//! errors reconnect with exponential backoff, never in a tight loop.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rumqttc::{
    AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS, SubscribeFilter,
    SubscribeReasonCode, TlsConfiguration, Transport,
};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::topics::{self, SYS_DROPPED};
use super::url::BrokerUrl;
use crate::telemetry::metrics::TelemetryMetrics;

/// The largest packet accepted from the broker: far above the contract's 256 KiB, so an
/// oversized payload is dead-lettered instead of breaking the connection (which would
/// make the broker redeliver it forever). The broker's own `max_packet_size` should be
/// lower (the README says 1 MiB).
pub const MAX_INCOMING_PACKET: usize = 8 * 1024 * 1024;
/// Requests (acknowledgements, subscriptions) waiting for the event loop. Ingest never
/// waits for room here (see [`Acker::ack_pending`]).
const REQUEST_CAPACITY: usize = 65_536;
const BACKOFF_START: Duration = Duration::from_millis(250);
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// How to connect.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub broker: BrokerUrl,
    pub client_id: String,
    pub prefix: String,
    pub shared_group: Option<String>,
    pub keep_alive: Duration,
}

/// Identifies a received message for its acknowledgement: the packet id is only valid
/// on the connection it arrived on.
#[derive(Debug, Clone, Copy)]
pub struct AckToken {
    pkid: u16,
    connection: u64,
}

/// One received message, holding its share of the memory budget until dropped.
#[derive(Debug)]
pub struct Received {
    pub topic: String,
    pub payload: Vec<u8>,
    pub received_at: DateTime<Utc>,
    pub ack: AckToken,
    pub permit: OwnedSemaphorePermit,
}

/// The connection's state, for `/ready`.
#[derive(Debug, Default)]
pub struct Status {
    connected: AtomicBool,
    /// The broker confirmed the subscriptions on the current connection.
    subscribed: AtomicBool,
    connection: AtomicU64,
    last_error: Mutex<Option<String>>,
    pub broker: String,
}

impl Status {
    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::Acquire)
    }

    /// Connected, with the subscriptions confirmed: messages flow.
    pub fn subscribed(&self) -> bool {
        self.connected() && self.subscribed.load(Ordering::Acquire)
    }

    /// `ok`, or why the broker cannot be used.
    pub fn describe(&self) -> String {
        if self.subscribed() {
            return "ok".into();
        }
        if self.connected() {
            return format!("subscribing at {}", self.broker);
        }
        match self.last_error.lock().ok().and_then(|e| e.clone()) {
            Some(e) => format!("disconnected from {}: {e}", self.broker),
            None => format!("connecting to {}", self.broker),
        }
    }
}

/// Sends acknowledgements for committed messages.
#[derive(Clone)]
pub struct Acker {
    client: AsyncClient,
    status: Arc<Status>,
}

impl Acker {
    /// Hand acknowledgements to the event loop without ever waiting: the event loop may
    /// be waiting for ingest to take a message, and ingest must not wait for it in
    /// turn. Tokens from an earlier connection are dropped (the broker redelivers those
    /// messages on the new one, and they are stored once); what does not fit in the
    /// event loop's queue now stays in `pending` for the next call.
    pub fn ack_pending(&self, pending: &mut VecDeque<AckToken>) {
        let current = self.status.connection.load(Ordering::Acquire);
        while let Some(t) = pending.front().copied() {
            if t.connection != current {
                pending.pop_front();
                continue;
            }
            let mut p = Publish::new("", QoS::AtLeastOnce, Vec::new());
            p.pkid = t.pkid;
            match self.client.try_ack(&p) {
                Ok(()) => {
                    pending.pop_front();
                }
                Err(_) => return, // the queue is full (or the event loop is gone)
            }
        }
    }
}

fn options(s: &ClientSettings) -> anyhow::Result<MqttOptions> {
    let mut o = MqttOptions::new(&s.client_id, &s.broker.host, s.broker.port);
    o.set_keep_alive(s.keep_alive);
    o.set_clean_session(false);
    o.set_manual_acks(true);
    o.set_max_packet_size(MAX_INCOMING_PACKET, 64 * 1024);
    if let Some(user) = &s.broker.user {
        o.set_credentials(user, s.broker.password.clone().unwrap_or_default());
    }
    if s.broker.tls {
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(
            Arc::new(tls_config()?),
        )));
    }
    Ok(o)
}

/// rustls with the ring provider and the system's trusted roots.
fn tls_config() -> anyhow::Result<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        anyhow::bail!("no trusted root certificates found for mqtts:// (install ca-certificates)");
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth())
}

/// Start the session: returns the acknowledger and the connection status; received
/// messages go to `tx`, each holding permits of `budget` (one per payload byte).
pub fn spawn(
    settings: ClientSettings,
    tx: mpsc::Sender<Received>,
    budget: Arc<Semaphore>,
    metrics: TelemetryMetrics,
) -> anyhow::Result<(Acker, Arc<Status>)> {
    let (client, eventloop) = AsyncClient::new(options(&settings)?, REQUEST_CAPACITY);
    let status = Arc::new(Status {
        broker: settings.broker.redacted(),
        ..Status::default()
    });
    tokio::spawn(run(
        eventloop,
        client.clone(),
        settings,
        tx,
        budget,
        metrics,
        status.clone(),
    ));
    Ok((
        Acker {
            client,
            status: status.clone(),
        },
        status,
    ))
}

async fn run(
    mut eventloop: EventLoop,
    client: AsyncClient,
    settings: ClientSettings,
    tx: mpsc::Sender<Received>,
    budget: Arc<Semaphore>,
    metrics: TelemetryMetrics,
    status: Arc<Status>,
) {
    let mut backoff = BACKOFF_START;
    let filters: Vec<SubscribeFilter> =
        topics::subscriptions(&settings.prefix, settings.shared_group.as_deref())
            .into_iter()
            .map(|t| {
                let qos = if t == SYS_DROPPED {
                    QoS::AtMostOnce
                } else {
                    QoS::AtLeastOnce
                };
                SubscribeFilter::new(t, qos)
            })
            .collect();
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                status.connection.fetch_add(1, Ordering::AcqRel);
                status.subscribed.store(false, Ordering::Release);
                status.connected.store(true, Ordering::Release);
                metrics.connected.set(1);
                backoff = BACKOFF_START;
                tracing::info!(broker = %status.broker, session_present = ack.session_present, "connected to the MQTT broker");
                // (re)subscribing is harmless when the session kept the subscriptions;
                // from another task, so the event loop is never waiting on its own queue
                let (client, filters) = (client.clone(), filters.clone());
                tokio::spawn(async move { client.subscribe_many(filters).await });
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if p.topic == SYS_DROPPED {
                    if let Some(n) = std::str::from_utf8(&p.payload)
                        .ok()
                        .and_then(|s| s.trim().parse::<i64>().ok())
                    {
                        metrics.broker_dropped.set(n);
                    }
                    continue;
                }
                let received_at = Utc::now();
                let size = p.payload.len().clamp(1, MAX_INCOMING_PACKET) as u32;
                let Ok(permit) = budget.clone().acquire_many_owned(size).await else {
                    return;
                };
                let message = Received {
                    topic: p.topic,
                    payload: p.payload.to_vec(),
                    received_at,
                    ack: AckToken {
                        pkid: p.pkid,
                        connection: status.connection.load(Ordering::Acquire),
                    },
                    permit,
                };
                metrics.unacknowledged.inc();
                if tx.send(message).await.is_err() {
                    return; // ingest stopped
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                for (filter, code) in filters.iter().zip(&ack.return_codes) {
                    if matches!(code, SubscribeReasonCode::Failure) {
                        tracing::warn!(topic = %filter.path, "the broker refused the subscription");
                    }
                }
                status.subscribed.store(true, Ordering::Release);
            }
            Ok(_) => {}
            Err(e) => {
                if status.connected.swap(false, Ordering::AcqRel) {
                    tracing::warn!(error = %e, "lost the MQTT broker; reconnecting with backoff");
                } else {
                    tracing::debug!(error = %e, "MQTT broker still unavailable");
                }
                if let Ok(mut last) = status.last_error.lock() {
                    *last = Some(e.to_string());
                }
                metrics.connected.set(0);
                metrics.reconnects.inc();
                tokio::time::sleep(jitter(backoff)).await;
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
        }
    }
}

/// `d` plus up to a quarter more, so many instances do not reconnect in step.
fn jitter(d: Duration) -> Duration {
    let nanos = Utc::now().timestamp_subsec_nanos() as u64;
    d + Duration::from_millis(nanos % (d.as_millis() as u64 / 4 + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_jitter_stays_within_a_quarter() {
        for _ in 0..100 {
            let j = jitter(Duration::from_millis(400));
            assert!(j >= Duration::from_millis(400) && j <= Duration::from_millis(500));
        }
    }
}
