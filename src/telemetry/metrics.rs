//! Telemetry's counters in `/metrics`: messages, readings stored and duplicated, input
//! refused per reason, `seq` gaps, batch latency, the MQTT connection, and the broker's
//! own dropped-message count (read from `$SYS`).

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use super::payload::Reason;

#[derive(Clone)]
pub struct TelemetryMetrics {
    pub messages: IntCounterVec,
    pub stored: IntCounter,
    pub duplicates: IntCounter,
    pub rejected: IntCounterVec,
    pub seq_gaps: IntCounter,
    pub batch_seconds: Histogram,
    pub batch_failures: IntCounter,
    pub unacknowledged: IntGauge,
    pub connected: IntGauge,
    pub reconnects: IntCounter,
    pub broker_dropped: IntGauge,
}

fn counter(name: &str, help: &str) -> IntCounter {
    IntCounter::new(name, help).expect("valid metric")
}

impl TelemetryMetrics {
    pub fn register(registry: &Registry) -> Self {
        let m = Self {
            messages: IntCounterVec::new(
                Opts::new(
                    "mainspring_telemetry_messages_total",
                    "MQTT messages received, by topic kind",
                ),
                &["kind"],
            )
            .expect("valid metric"),
            stored: counter(
                "mainspring_telemetry_readings_stored_total",
                "readings committed",
            ),
            duplicates: counter(
                "mainspring_telemetry_readings_duplicate_total",
                "readings already stored (redelivered or repeated), kept once",
            ),
            rejected: IntCounterVec::new(
                Opts::new(
                    "mainspring_telemetry_rejected_total",
                    "input refused and dead-lettered, by reason",
                ),
                &["reason"],
            )
            .expect("valid metric"),
            seq_gaps: counter(
                "mainspring_telemetry_seq_gaps_total",
                "message numbers (seq) skipped by devices",
            ),
            batch_seconds: Histogram::with_opts(
                HistogramOpts::new(
                    "mainspring_telemetry_batch_seconds",
                    "time to commit one ingest batch",
                )
                .buckets(vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0]),
            )
            .expect("valid metric"),
            batch_failures: counter(
                "mainspring_telemetry_batch_failures_total",
                "batch commits that failed and were retried (database down or slow)",
            ),
            unacknowledged: IntGauge::new(
                "mainspring_telemetry_unacknowledged_messages",
                "messages received and not yet committed (each is acknowledged after its commit)",
            )
            .expect("valid metric"),
            connected: IntGauge::new(
                "mainspring_mqtt_connected",
                "1 while connected to the broker",
            )
            .expect("valid metric"),
            reconnects: counter(
                "mainspring_mqtt_connection_errors_total",
                "broker connection errors (each followed by a reconnect with backoff)",
            ),
            broker_dropped: IntGauge::new(
                "mainspring_mqtt_broker_messages_dropped",
                "the broker's $SYS/broker/publish/messages/dropped: messages it dropped for full queues",
            )
            .expect("valid metric"),
        };
        for reason in Reason::ALL {
            m.rejected.with_label_values(&[reason.as_str()]);
        }
        for c in [
            Box::new(m.messages.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.stored.clone()),
            Box::new(m.duplicates.clone()),
            Box::new(m.rejected.clone()),
            Box::new(m.seq_gaps.clone()),
            Box::new(m.batch_seconds.clone()),
            Box::new(m.batch_failures.clone()),
            Box::new(m.unacknowledged.clone()),
            Box::new(m.connected.clone()),
            Box::new(m.reconnects.clone()),
            Box::new(m.broker_dropped.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        m
    }

    pub fn reject(&self, reason: Reason) {
        self.rejected.with_label_values(&[reason.as_str()]).inc();
    }
}
