//! Counters shared by every connection, the progress line (stderr, about once a
//! second) and the end-of-run summary (JSON on stdout, for benchmarks and tests).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

#[derive(Debug, Default)]
pub struct Stats {
    pub devices: AtomicU64,
    pub connections: AtomicU64,
    pub connected: AtomicI64,
    pub messages: AtomicU64,
    pub readings: AtomicU64,
    pub malformed: AtomicU64,
    pub statuses: AtomicU64,
    pub acked_messages: AtomicU64,
    pub acked_readings: AtomicU64,
    pub errors: AtomicU64,
    pub lost_messages: AtomicU64,
    pub lost_readings: AtomicU64,
    pub skipped_turns: AtomicU64,
}

/// The counters at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Serialize)]
pub struct Snapshot {
    pub devices: u64,
    pub connections: u64,
    pub connected: i64,
    /// Telemetry publishes (malformed ones included).
    pub messages: u64,
    /// Good readings in those publishes (every duplicate counted).
    pub readings: u64,
    pub malformed: u64,
    pub statuses: u64,
    /// Publishes (telemetry and status) the broker acknowledged.
    pub acked_messages: u64,
    /// Readings in acknowledged publishes.
    pub acked_readings: u64,
    /// Connection failures (each followed by a backed-off reconnect).
    pub errors: u64,
    /// Unacknowledged publishes dropped because the broker had lost the session.
    pub lost_messages: u64,
    pub lost_readings: u64,
    /// Publishing turns skipped to catch up after falling more than a second behind.
    pub skipped_turns: u64,
}

impl Stats {
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            devices: self.devices.load(Relaxed),
            connections: self.connections.load(Relaxed),
            connected: self.connected.load(Relaxed),
            messages: self.messages.load(Relaxed),
            readings: self.readings.load(Relaxed),
            malformed: self.malformed.load(Relaxed),
            statuses: self.statuses.load(Relaxed),
            acked_messages: self.acked_messages.load(Relaxed),
            acked_readings: self.acked_readings.load(Relaxed),
            errors: self.errors.load(Relaxed),
            lost_messages: self.lost_messages.load(Relaxed),
            lost_readings: self.lost_readings.load(Relaxed),
            skipped_turns: self.skipped_turns.load(Relaxed),
        }
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The progress line for the interval from `prev` to `cur` (`dt` seconds long).
pub fn progress_line(prev: &Snapshot, cur: &Snapshot, dt: f64, elapsed: Duration) -> String {
    let rate = |a: u64, b: u64| ((b.saturating_sub(a)) as f64 / dt.max(1e-3)).round() as u64;
    format!(
        "t={}s devices {} conns {}/{} | {} msg/s {} readings/s | acked {} readings | errors {}{}",
        elapsed.as_secs(),
        thousands(cur.devices),
        cur.connected.max(0),
        cur.connections,
        thousands(rate(prev.messages, cur.messages)),
        thousands(rate(prev.readings, cur.readings)),
        thousands(cur.acked_readings),
        thousands(cur.errors),
        if cur.malformed > 0 {
            format!(" | malformed {}", thousands(cur.malformed))
        } else {
            String::new()
        }
    )
}

/// Prints the progress line about once a second until `stop` is set: refreshed in place
/// on a terminal, one line every ten seconds otherwise.
pub async fn report_progress(
    stats: Arc<Stats>,
    start: Instant,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let tty = std::io::stderr().is_terminal();
    let every = if tty { 1 } else { 10 };
    let mut tick = tokio::time::interval(Duration::from_secs(every));
    tick.tick().await;
    let mut prev = stats.snapshot();
    let mut prev_at = Instant::now();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let cur = stats.snapshot();
        let line = progress_line(
            &prev,
            &cur,
            prev_at.elapsed().as_secs_f64(),
            start.elapsed(),
        );
        let mut err = std::io::stderr().lock();
        if tty {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
        prev = cur;
        prev_at = Instant::now();
    }
    if tty {
        eprintln!();
    }
}

/// The end-of-run report.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub mode: &'static str,
    pub scenario: String,
    pub seed: u64,
    pub duration_s: f64,
    #[serde(flatten)]
    pub totals: Snapshot,
    pub messages_per_s: f64,
    pub readings_per_s: f64,
    pub acked_readings_per_s: f64,
    /// Load mode: the target publish rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_messages_per_s: Option<f64>,
}

impl Summary {
    pub fn new(
        mode: &'static str,
        scenario: &str,
        seed: u64,
        totals: Snapshot,
        elapsed: Duration,
    ) -> Self {
        let secs = elapsed.as_secs_f64().max(1e-3);
        let round = |x: f64| (x * 10.0).round() / 10.0;
        Self {
            mode,
            scenario: scenario.to_owned(),
            seed,
            duration_s: round(secs),
            totals,
            messages_per_s: round(totals.messages as f64 / secs),
            readings_per_s: round(totals.readings as f64 / secs),
            acked_readings_per_s: round(totals.acked_readings as f64 / secs),
            target_messages_per_s: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_line_shows_rates_over_the_interval_and_totals() {
        let prev = Snapshot {
            messages: 1000,
            readings: 5000,
            ..Default::default()
        };
        let cur = Snapshot {
            devices: 100_000,
            connections: 200,
            connected: 199,
            messages: 11_000,
            readings: 55_000,
            acked_readings: 1_234_567,
            errors: 3,
            ..Default::default()
        };
        let line = progress_line(&prev, &cur, 2.0, Duration::from_secs(61));
        assert_eq!(
            line,
            "t=61s devices 100,000 conns 199/200 | 5,000 msg/s 25,000 readings/s | acked 1,234,567 readings | errors 3"
        );
    }

    #[test]
    fn progress_line_mentions_malformed_only_when_there_are_some() {
        let cur = Snapshot {
            malformed: 4,
            ..Default::default()
        };
        assert!(progress_line(&cur, &cur, 1.0, Duration::ZERO).ends_with("| malformed 4"));
    }

    #[test]
    fn summary_rates_divide_totals_by_the_duration() {
        let totals = Snapshot {
            messages: 300,
            readings: 1500,
            acked_readings: 1450,
            ..Default::default()
        };
        let s = Summary::new("load", "load", 1, totals, Duration::from_secs(3));
        assert_eq!(
            (s.messages_per_s, s.readings_per_s, s.acked_readings_per_s),
            (100.0, 500.0, 483.3)
        );
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["acked_readings"], 1450);
        assert!(json.get("target_messages_per_s").is_none());
    }
}
