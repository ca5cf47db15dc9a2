//! One verified run of a scenario: register the fleet and its rules through the REST
//! API, publish for `run_s` while recording every publish, check the live expectations
//! at `run_s` before the fleet stops, then `stored_once` against the record.

use std::time::Duration;

use anyhow::{Context, Result};
use chrono::Utc;

use super::{after_stop, live, Fleet, Report};
use crate::register::{self, api::Api};
use crate::run::{run_until, RunOptions};
use crate::scenario::Scenario;
use crate::stats::Summary;

/// A verified run's outcome.
pub struct Verified {
    pub summary: Summary,
    pub report: Report,
}

/// Removes the record file made for the run, unless the caller asked for one.
struct TempRecord(Option<std::path::PathBuf>);

impl Drop for TempRecord {
    fn drop(&mut self) {
        if let Some(p) = &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Runs `s` for `run_s` against the server behind `api` (its broker and prefix in
/// `opts`; `opts.register` and `opts.duration` are not consulted) and checks every
/// expectation. `settle` bounds the wait for ingest to store the last readings.
pub async fn run_and_verify(
    s: &Scenario,
    opts: &RunOptions,
    api: &Api,
    settle: Duration,
) -> Result<Verified> {
    let since = Utc::now();
    let devices = crate::fleet::build(s, opts.seed)?;
    let reg = register::register(api, s, &devices)
        .await
        .context("registering the fleet")?;
    if let Some(why) = &reg.rules_skipped {
        anyhow::bail!("the scenario's rules could not be created: {why}");
    }
    let temp = TempRecord(opts.record.is_none().then(|| {
        std::env::temp_dir().join(format!(
            "mainspring-sim-{}-{}-{}.jsonl",
            s.name,
            std::process::id(),
            since.timestamp_nanos_opt().unwrap_or_default()
        ))
    }));
    let mut opts = opts.clone();
    opts.register = None;
    opts.record = opts.record.clone().or_else(|| temp.0.clone());
    let fleet = Fleet {
        api,
        scenario: s,
        device_ids: devices.iter().map(|d| d.id().to_owned()).collect(),
        assets: reg.assets,
        since,
        start: Utc::now(),
    };
    let mut checks = Vec::new();
    let run_s = Duration::from_secs_f64(s.run_s);
    let summary = run_until(s, &opts, "verify", async {
        tokio::time::sleep(run_s).await;
        checks = live(&fleet).await;
    })
    .await?;
    let records = match opts.record.as_deref() {
        Some(path) => crate::record::read(path)?,
        None => vec![],
    };
    checks.extend(after_stop(&fleet, &records, settle).await);
    checks.sort_by_key(|c| c.index);
    Ok(Verified {
        summary,
        report: Report {
            scenario: s.name.clone(),
            checks,
        },
    })
}
