//! The open-loop load generator: `oha` (crates.io) at a fixed request rate with latency
//! correction, so a slow response delays no later request and its queueing counts in
//! the latency (no coordinated omission). Its JSON summary is parsed here. oha counts
//! any HTTP response as a success, so the status codes are checked separately.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};
use serde::Deserialize;

/// `oha` on the PATH, or how to install it.
pub fn find() -> anyhow::Result<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("oha"))
            .find(|p| p.is_file())
    });
    match found {
        Some(p) => Ok(p),
        None => bail!(
            "the REST benchmark needs the load generator `oha` on the PATH; install it with\n\n    \
             cargo install oha --locked\n\n(it lands in ~/.cargo/bin) and run the benchmark again"
        ),
    }
}

/// `oha --version`, for the report.
pub fn version(oha: &Path) -> String {
    Command::new(oha)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "oha (unknown version)".into())
}

/// What to request: one URL or a file of URLs (one picked at random per request), and
/// for POSTs a file of JSON bodies (one picked at random per request).
pub enum Target {
    Get { urls: PathBuf },
    Post { url: String, bodies: PathBuf },
}

/// One load run.
pub struct Load<'a> {
    pub target: &'a Target,
    pub rate: f64,
    pub seconds: u64,
    pub connections: usize,
    pub key: &'a str,
}

/// What oha measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub requests: usize,
    pub rps: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Status code → count.
    pub statuses: BTreeMap<String, usize>,
    /// Client errors (connection failures, timeouts) → count.
    pub errors: BTreeMap<String, usize>,
}

/// Requests still running when the duration ends are aborted by oha; they are not
/// failures of the server.
fn is_deadline(error: &str) -> bool {
    error.contains("deadline")
}

#[derive(Deserialize)]
struct Report {
    summary: Summary,
    metrics: Metrics,
    #[serde(rename = "statusCodeDistribution")]
    status_code_distribution: BTreeMap<String, usize>,
    #[serde(rename = "errorDistribution")]
    error_distribution: BTreeMap<String, usize>,
}

#[derive(Deserialize)]
struct Summary {
    #[serde(rename = "requestsPerSec")]
    requests_per_sec: f64,
}

#[derive(Deserialize)]
struct Metrics {
    latency_ms: LatencyMs,
}

#[derive(Deserialize)]
struct LatencyMs {
    p50: f64,
    p95: f64,
    p99: f64,
    max: f64,
}

/// Run oha and parse its summary; fails when any request got a non-2xx answer or a
/// client error.
pub fn run(oha: &Path, load: &Load<'_>) -> anyhow::Result<Outcome> {
    let mut cmd = Command::new(oha);
    cmd.args([
        "--no-tui",
        "--output-format",
        "json",
        "--latency-correction",
    ])
    .args(["-q", &load.rate.to_string()])
    .args(["-z", &format!("{}s", load.seconds)])
    .args(["-c", &load.connections.to_string()])
    .args(["-H", &format!("Authorization: Bearer {}", load.key)]);
    match load.target {
        Target::Get { urls } => {
            cmd.arg("--urls-from-file").arg(urls);
        }
        Target::Post { url, bodies } => {
            cmd.args(["-m", "POST", "-T", "application/json", "-Z"])
                .arg(bodies)
                .arg(url);
        }
    }
    let out = cmd.output().context("cannot run oha")?;
    if !out.status.success() {
        bail!(
            "oha failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let report: Report = serde_json::from_slice(&out.stdout).with_context(|| {
        format!(
            "cannot read oha's JSON output: {}",
            String::from_utf8_lossy(&out.stdout)
                .chars()
                .take(500)
                .collect::<String>()
        )
    })?;
    let outcome = Outcome {
        requests: report.status_code_distribution.values().sum(),
        rps: report.summary.requests_per_sec,
        p50_ms: report.metrics.latency_ms.p50,
        p95_ms: report.metrics.latency_ms.p95,
        p99_ms: report.metrics.latency_ms.p99,
        max_ms: report.metrics.latency_ms.max,
        statuses: report.status_code_distribution,
        errors: report.error_distribution,
    };
    let bad: Vec<String> = outcome
        .statuses
        .iter()
        .filter(|(s, _)| !s.starts_with('2'))
        .map(|(s, n)| format!("{n} × HTTP {s}"))
        .chain(
            outcome
                .errors
                .iter()
                .filter(|(e, _)| !is_deadline(e))
                .map(|(e, n)| format!("{n} × {e}")),
        )
        .collect();
    if !bad.is_empty() {
        bail!(
            "not every request succeeded ({} of {} answered 2xx): {}",
            outcome
                .statuses
                .iter()
                .filter(|(s, _)| s.starts_with('2'))
                .map(|(_, n)| n)
                .sum::<usize>(),
            outcome.requests,
            bad.join(", ")
        );
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_requests_cut_off_at_the_end_of_the_run_are_not_failures() {
        assert!(is_deadline("aborted due to deadline"));
        assert!(!is_deadline("connection refused"));
        assert!(!is_deadline("timeout"));
    }
}
