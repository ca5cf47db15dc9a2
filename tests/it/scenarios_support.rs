//! Runs one scenario file of `simulators/scenarios/` against a full server (ingest, the
//! rules' periodic work, a private topic prefix on the test broker) through the
//! simulator library's verified run, and fails with its report unless every
//! expectation held. The settings shorten what would otherwise outlast a brief run.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use mainspring_sim::mqtt::broker::Broker;
use mainspring_sim::register::api::Api;
use mainspring_sim::run::RunOptions;
use mainspring_sim::scenario::Scenario;
use mainspring_sim::verify::run::{run_and_verify, Verified};

use crate::support::{TestApp, ADMIN_KEY};

/// Every meter reading from telemetry is recorded (the default keeps one per 15
/// minutes, so a counter reset within a 25 s run would never reach the meter).
const SETTINGS: &[(&str, &str)] = &[("MAINSPRING_METER_SAMPLE_SECONDS", "0")];

/// The rules' periodic work runs every second instead of every 5 s, so "no data"
/// silence is noticed as a serving server would, minus the tick's coarseness.
const RULES_TICK: Duration = Duration::from_secs(1);

/// How long ingest may take to store the last readings after the fleet stopped.
const SETTLE: Duration = Duration::from_secs(20);

pub fn scenarios_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("simulators/scenarios")
}

/// The scenario names (file stems) in `simulators/scenarios/`, sorted.
pub fn scenario_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(scenarios_dir())
        .expect("simulators/scenarios")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .filter_map(|p| Some(p.file_stem()?.to_str()?.to_owned()))
        .collect();
    names.sort();
    names
}

/// Runs `s` for its `run_s` against a fresh server and checks its expectations.
pub async fn verify(s: &Scenario) -> Verified {
    let app = TestApp::start_ingest_and_rules(SETTINGS, RULES_TICK).await;
    let api = Api::new(&app.base, ADMIN_KEY).unwrap();
    let opts = RunOptions::new(Broker::parse(&app.mqtt_url).unwrap(), app.prefix.clone());
    run_and_verify(s, &opts, &api, SETTLE)
        .await
        .unwrap_or_else(|e| panic!("{}: {e:#}", s.name))
}

/// Runs `simulators/scenarios/{name}.toml` and insists that every expectation held.
pub async fn run_scenario(name: &str) {
    let began = Instant::now();
    let s = Scenario::load(&scenarios_dir().join(format!("{name}.toml"))).unwrap();
    assert!(!s.expect.is_empty(), "{name} expects nothing");
    let verified = verify(&s).await;
    let report = &verified.report;
    eprintln!(
        "{report}{name}: {} messages published, {:.1} s in all",
        verified.summary.totals.messages,
        began.elapsed().as_secs_f64()
    );
    assert_eq!(report.checks.len(), s.expect.len(), "{report}");
    assert!(report.passed(), "{report}");
}
