//! Runs a fleet: builds the devices, optionally registers them, opens the connections,
//! shows progress, stops on time or on Ctrl-C / SIGTERM (marking every device
//! `offline`), and returns the summary.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Result;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::fleet;
use crate::mqtt::broker::{Broker, Tuning};
use crate::mqtt::connection::{self, Shared};
use crate::register::{self, api::Api};
use crate::scenario::Scenario;
use crate::stats::{self, Stats, Summary};

/// How to run, beyond what the scenario says.
#[derive(Debug, Clone)]
pub struct RunOptions {
    pub broker: Broker,
    pub prefix: String,
    pub tuning: Tuning,
    pub seed: u64,
    /// `None`: until Ctrl-C or SIGTERM.
    pub duration: Option<Duration>,
    pub per_connection: Option<usize>,
    pub gateway_pattern: String,
    /// Seconds between two publishes of one device (default: interval × batch).
    pub period_s: Option<f64>,
    /// Register through the REST API first: (server URL, API key).
    pub register: Option<(String, String)>,
    pub progress: bool,
    /// Write every telemetry publish to this file (JSON lines, see `record`).
    pub record: Option<std::path::PathBuf>,
}

impl RunOptions {
    /// The library's defaults: default tuning, seed 1, until stopped, gateways of the
    /// default size and pattern, the scenario's own pace, no registration, no progress
    /// line, nothing recorded. Callers change what they need with struct update.
    pub fn new(broker: Broker, prefix: impl Into<String>) -> Self {
        Self {
            broker,
            prefix: prefix.into(),
            tuning: Tuning::default(),
            seed: 1,
            duration: None,
            per_connection: None,
            gateway_pattern: "{scenario}-gw-{n:04}".into(),
            period_s: None,
            register: None,
            progress: false,
            record: None,
        }
    }
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Runs until `opts.duration` has passed or Ctrl-C / SIGTERM.
pub async fn run(s: &Scenario, opts: &RunOptions, mode: &'static str) -> Result<Summary> {
    let until = async {
        match opts.duration {
            Some(d) => {
                tokio::select! {
                    _ = tokio::time::sleep(d) => {}
                    _ = stop_signal() => {}
                }
            }
            None => stop_signal().await,
        }
    };
    run_until(s, opts, mode, until).await
}

/// Runs until `until` completes (for callers with their own stop, such as a demo);
/// `opts.duration` is not consulted.
pub async fn run_until(
    s: &Scenario,
    opts: &RunOptions,
    mode: &'static str,
    until: impl std::future::Future<Output = ()>,
) -> Result<Summary> {
    let record = opts
        .record
        .as_deref()
        .map(crate::record::Recorder::create)
        .transpose()?;
    let devices = fleet::build(s, opts.seed)?;
    if let Some((url, key)) = &opts.register {
        let api = Api::new(url, key)?;
        let reg = register::register(&api, s, &devices).await?;
        eprintln!(
            "registered {} devices at {url}: customer {}, {} assets created, {} devices written, {} rules created{}",
            devices.len(),
            reg.customer_id,
            reg.assets_created,
            reg.devices_written,
            reg.rules_created,
            reg.rules_skipped
                .map(|r| format!(" (rules skipped: {r})"))
                .unwrap_or_default()
        );
    }

    let ids: Vec<String> = devices.iter().map(|d| d.id().to_owned()).collect();
    let own: Vec<bool> = devices.iter().map(|d| d.needs_own_connection()).collect();
    let per = fleet::per_connection(opts.per_connection, devices.len());
    let plans = fleet::plan(&ids, &own, per, &opts.gateway_pattern, &s.name, opts.seed)?;

    let stats = Arc::new(Stats::default());
    stats
        .devices
        .store(devices.len() as u64, std::sync::atomic::Ordering::Relaxed);
    stats
        .connections
        .store(plans.len() as u64, std::sync::atomic::Ordering::Relaxed);
    let (stop_tx, stop_rx) = watch::channel(false);
    let start = Instant::now();
    let shared = Arc::new(Shared {
        broker: opts.broker.clone(),
        tuning: opts.tuning.clone(),
        prefix: opts.prefix.clone(),
        stats: stats.clone(),
        start,
        period_s: opts
            .period_s
            .unwrap_or(s.interval_ms as f64 / 1000.0 * s.batch as f64),
        stop: stop_rx.clone(),
        record,
    });

    let mut slots: Vec<Option<crate::emit::DeviceSim>> = devices.into_iter().map(Some).collect();
    let count = plans.len();
    let mut tasks = Vec::with_capacity(count);
    for (k, plan) in plans.into_iter().enumerate() {
        let mine = plan
            .devices
            .iter()
            .map(|i| slots[*i].take().expect("each device in one connection"))
            .collect();
        let stagger = k as f64 / count as f64;
        let seed = opts.seed.wrapping_add(k as u64);
        tasks.push(tokio::spawn(connection::drive(
            plan,
            mine,
            shared.clone(),
            stagger,
            seed,
        )));
    }
    let progress = opts.progress.then(|| {
        tokio::spawn(stats::report_progress(
            stats.clone(),
            start.into_std(),
            stop_rx.clone(),
        ))
    });

    until.await;
    let elapsed = start.elapsed();
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    if let Some(p) = progress {
        let _ = p.await;
    }
    if let Some(r) = &shared.record {
        r.flush()?;
    }
    Ok(Summary::new(
        mode,
        &s.name,
        opts.seed,
        stats.snapshot(),
        elapsed,
    ))
}
