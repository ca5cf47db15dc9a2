//! The sustained-load measurement both ingest benchmarks share: publish a fleet at a
//! steady rate for a while (beside any other work, such as latency probes), then wait
//! until the server has stored everything the broker acknowledged, reading the server's
//! own counters from `/metrics`.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use mainspring_sim::mqtt::broker::Broker as SimBroker;
use mainspring_sim::run::{self, RunOptions};
use mainspring_sim::scenario::Scenario;

use crate::stack::Stack;

/// What one sustained run measured.
pub struct Sustained {
    /// Readings published and acknowledged by the broker.
    pub published: u64,
    pub acked: u64,
    /// Readings the server stored during the run (from its counter).
    pub stored: u64,
    /// `stored` over the time from the first publish to the last commit.
    pub stored_per_s: f64,
    /// How long after the load stopped the server was still committing.
    pub drain_s: f64,
}

/// Run `fleet` (one publish per device every `period_s`) for `duration`, with `beside`
/// running concurrently; `extra` readings are expected on top of the fleet's (those
/// `beside` publishes).
pub async fn sustain<R>(
    stack: &Stack,
    fleet: &Scenario,
    period_s: f64,
    duration: Duration,
    beside: impl Future<Output = anyhow::Result<R>>,
    extra: u64,
) -> anyhow::Result<(Sustained, R)> {
    let mqtt_url = stack
        .mqtt_url
        .as_deref()
        .context("the stack runs no broker")?;
    let opts = RunOptions {
        duration: Some(duration),
        period_s: Some(period_s),
        progress: true,
        ..RunOptions::new(SimBroker::parse(mqtt_url)?, stack.prefix.clone())
    };
    let metrics = Metrics::new(stack);
    let before = metrics.stored().await?;
    let started = Instant::now();
    let (summary, side) = tokio::join!(run::run(fleet, &opts, "load"), beside);
    let (summary, side) = (summary?, side?);
    let load_s = started.elapsed().as_secs_f64();
    let expected = summary.totals.acked_readings + extra;
    let (stored, last_growth) = metrics.wait_stored(before, expected).await?;
    let elapsed = (last_growth - started).as_secs_f64();
    Ok((
        Sustained {
            published: summary.totals.readings,
            acked: summary.totals.acked_readings,
            stored,
            stored_per_s: stored as f64 / elapsed,
            drain_s: (elapsed - load_s).max(0.0),
        },
        side,
    ))
}

/// The server's Prometheus counters.
pub struct Metrics {
    http: reqwest::Client,
    url: String,
    key: String,
}

impl Metrics {
    pub fn new(stack: &Stack) -> Self {
        Self {
            http: reqwest::Client::new(),
            url: format!("{}/metrics", stack.base),
            key: stack.key.clone(),
        }
    }

    /// The sum of every series of the metric `name`.
    async fn value(&self, name: &str) -> anyhow::Result<f64> {
        let text = self
            .http
            .get(&self.url)
            .bearer_auth(&self.key)
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        Ok(text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter(|l| l.split([' ', '{']).next() == Some(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum())
    }

    pub async fn stored(&self) -> anyhow::Result<u64> {
        Ok(self
            .value("mainspring_telemetry_readings_stored_total")
            .await? as u64)
    }

    pub async fn broker_dropped(&self) -> anyhow::Result<i64> {
        Ok(self
            .value("mainspring_mqtt_broker_messages_dropped")
            .await? as i64)
    }

    /// Wait until `expected` readings are stored since `before`, or nothing is stored
    /// for 45 s (a server that lost its broker reconnects with backoff up to 30 s); the
    /// count and when it last grew.
    async fn wait_stored(&self, before: u64, expected: u64) -> anyhow::Result<(u64, Instant)> {
        let mut last = self.stored().await? - before;
        let mut grew = Instant::now();
        while last < expected && grew.elapsed() < Duration::from_secs(45) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let now = self.stored().await.context("reading /metrics")? - before;
            if now > last {
                last = now;
                grew = Instant::now();
            }
        }
        Ok((last, grew))
    }
}
