//! `mainspring-bench rest`: the REST benchmark of issue 7 and the forecast figure of
//! issue 5. A private PostgreSQL is seeded with a million tickets and ten thousand
//! assets under preventive maintenance; the server (HTTP role only, so no scheduler
//! tick competes) then takes open-loop load from `oha` per endpoint, and the 90-day
//! forecast is also timed one request at a time. Results replace the `rest` section of
//! BENCHMARKS.md; a non-2xx answer fails the run.

mod cpu;
mod oha;
mod section;
mod seed;
mod workloads;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::stack::{Stack, StackOptions};
use workloads::{Rates, Window};

/// `mainspring-bench rest` options.
#[derive(Debug, clap::Args)]
pub struct Options {
    /// Tickets stored.
    #[arg(long, default_value_t = 1_000_000)]
    tickets: usize,
    /// Assets under maintenance.
    #[arg(long, default_value_t = 10_000)]
    assets: usize,
    /// Seconds of measured load per endpoint (each after a 5-second warm-up).
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Requests per second for the ticket lists.
    #[arg(long, default_value_t = 500.0)]
    list_rate: f64,
    /// Requests per second for stock movement POSTs.
    #[arg(long, default_value_t = 100.0)]
    movement_rate: f64,
    /// Requests per second for the 90-day forecast.
    #[arg(long, default_value_t = 2.0)]
    forecast_rate: f64,
    /// Timed one-at-a-time forecast requests (after one warm-up request).
    #[arg(long, default_value_t = 10)]
    forecast_samples: usize,
}

/// A load run's result, for the report.
pub struct Measured {
    pub workload: workloads::Workload,
    pub outcome: oha::Outcome,
    /// Where the machine's CPU time went during the run.
    pub cpu: cpu::Shares,
    /// The server's peak resident memory when the run ended.
    pub rss_mib: f64,
}

/// The forecast answered one request at a time.
pub struct Single {
    pub samples_ms: Vec<f64>,
    /// Occurrences in the window, those with an opened ticket, those short of parts.
    pub occurrences: usize,
    pub with_ticket: usize,
    pub short: usize,
    pub demand_lines: usize,
    pub truncated: bool,
    /// The server's peak resident memory after these requests.
    pub rss_mib: f64,
}

pub fn run(o: Options, common: &crate::Common) -> anyhow::Result<()> {
    let report = common.report.as_path();
    let oha = oha::find()?;
    let oha_version = oha::version(&oha);
    crate::runtime()?.block_on(async move {
        let stack = Stack::start(StackOptions {
            mqtt: false,
            env: vec![("MAINSPRING_ROLES".into(), "http".into())],
            pg_settings: common.pg_settings.clone(),
        })
        .await?;
        let mut conn = stack.connect()?;
        let postgres = crate::report::postgres_version(&mut conn);
        let sizes = seed::Sizes {
            tickets: o.tickets,
            assets: o.assets,
            customers: (o.assets / 35).max(4),
            parts: 1500,
        };
        let seeded = seed::seed(&mut conn, &sizes)?;
        eprintln!("bench: seeded in {:.0} s: {seeded:?}", seeded.seconds);
        let window = Window::ninety_days();
        let dir =
            std::env::temp_dir().join(format!("mainspring-bench-rest-{}", std::process::id()));
        let rates = Rates {
            list: o.list_rate,
            movements: o.movement_rate,
            forecast: o.forecast_rate,
        };
        // the users' own keys (a key lookup per request), not the bootstrap admin key
        let keys = Keys {
            planner: create_key(&stack, "bench planner", "planner").await?,
            warehouse: create_key(&stack, "bench goods-in", "warehouse").await?,
        };
        let loads = workloads::prepare(
            &mut conn,
            &dir,
            &stack.base,
            &window,
            &rates,
            seeded.tickets,
            seeded.assets,
        )?;
        let mut single =
            single_forecast(&stack, &keys.planner, &window, o.forecast_samples).await?;
        count_occurrences(&mut conn, &window, &mut single)?;
        single.rss_mib = stack.server_peak_rss_mib()?;
        let watched = cpu::Watched::new(stack.server_pid(), port(&stack.database_url));
        let mut measured = Vec::new();
        for workload in loads {
            let key = match workload.target {
                oha::Target::Post { .. } => &keys.warehouse,
                oha::Target::Get { .. } => &keys.planner,
            };
            let mut m = load(&oha, key, &watched, workload, o.seconds)?;
            m.rss_mib = stack.server_peak_rss_mib()?;
            measured.push(m);
        }
        let rss = stack.server_peak_rss_mib()?;
        let _ = std::fs::remove_dir_all(&dir);
        let body = section::render(&section::Inputs {
            postgres: &postgres,
            oha: &oha_version,
            seconds: o.seconds,
            seeded: &seeded,
            measured: &measured,
            single: &single,
            rss_mib: rss,
        });
        crate::report::write_section(report, "rest", &body)?;
        print!("{body}");
        Ok(())
    })
}

/// A 5-second warm-up at the same rate, then the measured run.
fn load(
    oha: &Path,
    key: &str,
    watched: &cpu::Watched,
    workload: workloads::Workload,
    seconds: u64,
) -> anyhow::Result<Measured> {
    let run = |seconds| {
        oha::run(
            oha,
            &oha::Load {
                target: &workload.target,
                rate: workload.rate,
                seconds,
                connections: workload.connections,
                key,
            },
        )
        .with_context(|| format!("{} at {}/s", workload.endpoint, workload.rate))
    };
    eprintln!("bench: {} at {}/s: warm-up …", workload.name, workload.rate);
    run(5)?;
    eprintln!(
        "bench: {} at {}/s for {seconds} s …",
        workload.name, workload.rate
    );
    let before = watched.sample();
    let outcome = run(seconds)?;
    let cpu = cpu::shares(before, watched.sample());
    eprintln!(
        "bench:   p50 {:.2} ms, p99 {:.2} ms, {:.0} req/s, {} requests; CPUs {:.0}% busy \
         (server {:.0}%, PostgreSQL {:.0}%, oha {:.0}%, other {:.0}%)",
        outcome.p50_ms,
        outcome.p99_ms,
        outcome.rps,
        outcome.requests,
        cpu.busy * 100.0,
        cpu.server * 100.0,
        cpu.postgres * 100.0,
        cpu.oha * 100.0,
        cpu.other() * 100.0
    );
    Ok(Measured {
        workload,
        outcome,
        cpu,
        rss_mib: 0.0,
    })
}

/// The port of a `postgres://…@host:port/db` URL.
fn port(url: &str) -> Option<u16> {
    let host = url.rsplit('@').next()?.split('/').next()?;
    host.rsplit(':').next()?.parse().ok()
}

/// API keys of the roles the workloads act as.
struct Keys {
    planner: String,
    warehouse: String,
}

async fn create_key(stack: &Stack, name: &str, role: &str) -> anyhow::Result<String> {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/keys", stack.base))
        .bearer_auth(&stack.key)
        .json(&serde_json::json!({"name": name, "role": role}))
        .send()
        .await?;
    let status = r.status();
    let body: serde_json::Value = r.json().await?;
    if !status.is_success() {
        bail!("creating the {role} key answered {status}: {body}");
    }
    body["key"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no key in {body}"))
}

/// The 90-day forecast, one request at a time (the issue-5 figure).
async fn single_forecast(
    stack: &Stack,
    key: &str,
    window: &Window,
    samples: usize,
) -> anyhow::Result<Single> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let url = window.url(&stack.base);
    let mut times = Vec::new();
    let mut last = serde_json::Value::Null;
    for i in 0..=samples {
        let start = Instant::now();
        let r = http.get(&url).bearer_auth(key).send().await?;
        let status = r.status();
        let body: serde_json::Value = r.json().await?;
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        if !status.is_success() {
            bail!("GET {url} answered {status}: {body}");
        }
        if i > 0 {
            times.push(ms);
        }
        eprintln!("bench: forecast request {i}: {ms:.0} ms");
        last = body;
    }
    times.sort_by(f64::total_cmp);
    let items = last["items"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(items > 0, "the forecast listed nothing: {last}");
    Ok(Single {
        samples_ms: times,
        occurrences: 0,
        with_ticket: 0,
        short: 0,
        demand_lines: last["demand"].as_array().map_or(0, Vec::len),
        truncated: last["truncated"].as_bool().unwrap_or(false),
        rss_mib: 0.0,
    })
}

/// What the forecast's window holds, computed in-process by the same code.
fn count_occurrences(
    conn: &mut diesel::PgConnection,
    window: &Window,
    single: &mut Single,
) -> anyhow::Result<()> {
    let f = mainspring::maintenance::forecast::gather::forecast(conn, window.from, window.to)
        .map_err(|e| anyhow::anyhow!("the forecast failed in-process: {e}"))?;
    single.occurrences = f.items.len();
    single.with_ticket = f.items.iter().filter(|i| i.ticket.is_some()).count();
    single.short = f
        .items
        .iter()
        .filter(|i| i.shortfall.iter().any(|s| !s.is_zero()))
        .count();
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_port_comes_from_the_database_url() {
        assert_eq!(
            super::port("postgres://postgres:secret@127.0.0.1:54321/mainspring"),
            Some(54321)
        );
        assert_eq!(super::port("postgres://localhost/db"), None);
    }
}
