//! The `mainspring-sim` command line: `run` a fleet (optionally a scenario file),
//! `load` at a steady rate for benchmarks, `check` scenario files, list `profiles`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use mainspring_sim::fleet;
use mainspring_sim::mqtt::broker::{Broker, Tuning};
use mainspring_sim::payload::TsFormat;
use mainspring_sim::profile;
use mainspring_sim::register::api::Api;
use mainspring_sim::run::{self, RunOptions};
use mainspring_sim::scenario::Scenario;
use mainspring_sim::verify::run::run_and_verify;

#[derive(Parser)]
#[command(
    name = "mainspring-sim",
    version,
    about = "Simulated device fleet and MQTT load generator for Mainspring"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a fleet: a scenario file, or N healthy devices.
    Run(RunArgs),
    /// Publish at a steady target rate and report what the broker acknowledged.
    Load(LoadArgs),
    /// Parse and validate scenario files (all problems, one per line).
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the equipment-model profiles and their metrics.
    Profiles,
}

#[derive(Args, Clone)]
struct Common {
    /// The broker: mqtt://[user[:password]@]host[:port].
    #[arg(long, env = "MQTT_URL", default_value = "mqtt://127.0.0.1:1883")]
    mqtt_url: String,
    /// Topic prefix (`{prefix}/v1/devices/{id}/telemetry`).
    #[arg(long, default_value = "mainspring")]
    prefix: String,
    /// Same seed, same fleet: phases, counters and noise.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Devices per MQTT connection (default: 1 up to 100 devices, else 500 per gateway).
    #[arg(long)]
    per_connection: Option<usize>,
    /// Gateway client ids; `{n}` numbers them.
    #[arg(long, default_value = "{scenario}-gw-{n:04}")]
    gateway_pattern: String,
    /// Device ids (`{n}`, `{n:05}`, `{scenario}`, `{profile}`, `{seed}`); overrides the scenario's.
    #[arg(long)]
    id_pattern: Option<String>,
    /// QoS 1 messages in flight per connection.
    #[arg(long, default_value_t = 100)]
    inflight: u16,
    /// Start a clean MQTT session on every connect (unacknowledged messages are then not resent).
    #[arg(long)]
    clean_session: bool,
    /// How `ts` is written.
    #[arg(long, value_enum)]
    ts_format: Option<TsFormat>,
    /// Synthetic metrics (aux_01…, up to 32) per message beside the profile's five.
    #[arg(long)]
    extra_metrics: Option<usize>,
    /// Register the fleet through this server's REST API first (http://host:port).
    #[arg(long, requires = "key")]
    register: Option<String>,
    /// API key (admin or planner) for --register.
    #[arg(long, env = "MAINSPRING_API_KEY", hide_env_values = true)]
    key: Option<String>,
    /// No progress line.
    #[arg(long, short)]
    quiet: bool,
    /// Write every telemetry publish to this file (JSON lines: device_id, malformed, payload).
    #[arg(long)]
    record: Option<PathBuf>,
}

#[derive(Args)]
struct RunArgs {
    /// A scenario file (simulators/scenarios/*.toml).
    scenario: Option<PathBuf>,
    /// Without a scenario: how many devices.
    #[arg(long, default_value_t = 10, conflicts_with = "scenario")]
    devices: usize,
    /// Without a scenario: a profile, or `mix` for all of them.
    #[arg(long, default_value = "mix", conflicts_with = "scenario")]
    profile: String,
    /// Milliseconds between a device's samples (default: the scenario's, else 1000).
    #[arg(long)]
    interval_ms: Option<u64>,
    /// Samples per publish (an array batch when above 1).
    #[arg(long)]
    batch: Option<u32>,
    /// Publishes per second, all devices together (instead of one per interval × batch).
    #[arg(long)]
    rate: Option<f64>,
    /// Seconds to run (default: the scenario's run_s; without a scenario until Ctrl-C).
    #[arg(long)]
    duration: Option<f64>,
    /// Check the scenario's [[expect]] entries through the REST API at run_s (needs
    /// --register); exits non-zero naming every one that failed.
    #[arg(
        long,
        requires = "register",
        requires = "scenario",
        conflicts_with = "duration"
    )]
    verify: bool,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct LoadArgs {
    /// Target publishes per second, all devices together.
    #[arg(long)]
    rate: f64,
    #[arg(long, default_value_t = 1000)]
    devices: usize,
    /// Seconds to run.
    #[arg(long, default_value_t = 60.0)]
    duration: f64,
    /// Samples per publish (an array batch when above 1).
    #[arg(long, default_value_t = 1)]
    batch: u32,
    #[arg(long, default_value = "compressor")]
    profile: String,
    #[command(flatten)]
    common: Common,
}

fn options(c: &Common, duration: Option<f64>, period_s: Option<f64>) -> Result<RunOptions> {
    if let Some(d) = duration {
        if !(d > 0.0 && d.is_finite()) {
            bail!("--duration must be a positive number of seconds");
        }
    }
    Ok(RunOptions {
        broker: Broker::parse(&c.mqtt_url)?,
        prefix: c.prefix.clone(),
        tuning: Tuning {
            inflight: c.inflight.max(1),
            clean_session: c.clean_session,
            ..Tuning::default()
        },
        seed: c.seed,
        duration: duration.map(Duration::from_secs_f64),
        per_connection: c.per_connection,
        gateway_pattern: c.gateway_pattern.clone(),
        period_s,
        register: c.register.clone().zip(c.key.clone()),
        progress: !c.quiet,
        record: c.record.clone(),
    })
}

fn apply_common(s: &mut Scenario, c: &Common) -> Result<()> {
    if let Some(p) = &c.id_pattern {
        s.id_pattern = p.clone();
    }
    if let Some(f) = c.ts_format {
        s.ts_format = f;
    }
    if let Some(n) = c.extra_metrics {
        if n > profile::AUX_METRICS.len() {
            bail!("--extra-metrics is at most {}", profile::AUX_METRICS.len());
        }
        s.extra_metrics = n;
    }
    fleet::device_ids(s, c.seed)?;
    Ok(())
}

fn check_profile(p: &str) -> Result<()> {
    if p != "mix" && profile::find(p).is_none() {
        bail!(
            "unknown profile `{p}` (one of {}, or mix)",
            profile::keys().join(", ")
        );
    }
    Ok(())
}

async fn run_cmd(a: RunArgs) -> Result<()> {
    let mut s = match &a.scenario {
        Some(path) => Scenario::load(path)?,
        None => {
            check_profile(&a.profile)?;
            if a.devices == 0 {
                bail!("--devices must be at least 1");
            }
            Scenario::plain("sim", a.devices, &a.profile, 1000, 1)
        }
    };
    if let Some(ms) = a.interval_ms {
        s.interval_ms = ms.max(1);
    }
    if let Some(b) = a.batch {
        s.batch = b.clamp(1, 1000);
    }
    apply_common(&mut s, &a.common)?;
    let duration = a.duration.or(a.scenario.as_ref().map(|_| s.run_s));
    let period_s = match a.rate {
        Some(r) if r > 0.0 && r.is_finite() => Some(s.device_count() as f64 / r),
        Some(_) => bail!("--rate must be positive"),
        None => None,
    };
    let opts = options(&a.common, duration, period_s)?;
    if a.verify {
        return verify_cmd(&s, &opts).await;
    }
    let summary = run::run(&s, &opts, "run").await?;
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

async fn verify_cmd(s: &Scenario, opts: &RunOptions) -> Result<()> {
    let (url, key) = opts
        .register
        .clone()
        .context("--verify needs --register and --key")?;
    let api = Api::new(&url, &key)?;
    let verified = run_and_verify(s, opts, &api, Duration::from_secs(30)).await?;
    println!("{}", serde_json::to_string(&verified.summary)?);
    eprint!("{}", verified.report);
    if !verified.report.passed() {
        bail!(
            "scenario {}: {} of {} expectations failed",
            s.name,
            verified.report.failures().count(),
            verified.report.checks.len()
        );
    }
    Ok(())
}

async fn load_cmd(a: LoadArgs) -> Result<()> {
    check_profile(&a.profile)?;
    if !(a.rate > 0.0 && a.rate.is_finite()) || a.devices == 0 || a.batch == 0 {
        bail!("--rate, --devices and --batch must be positive");
    }
    let period_s = a.devices as f64 / a.rate;
    let interval_ms = ((period_s * 1000.0) / a.batch as f64).round().max(1.0) as u64;
    let mut s = Scenario::plain("load", a.devices, &a.profile, interval_ms, a.batch);
    apply_common(&mut s, &a.common)?;
    let opts = options(&a.common, Some(a.duration), Some(period_s))?;
    eprintln!(
        "load: {} devices, each publishing every {:.3} s: target {} msg/s, {} readings/s",
        a.devices,
        period_s,
        a.rate,
        a.rate * a.batch as f64 * (readings_per_sample(&a.profile) + s.extra_metrics) as f64
    );
    let mut summary = run::run(&s, &opts, "load").await?;
    summary.target_messages_per_s = Some(a.rate);
    println!("{}", serde_json::to_string(&summary)?);
    Ok(())
}

/// Readings in one sample of a profile (of the first profile for `mix`).
fn readings_per_sample(key: &str) -> usize {
    profile::find(key)
        .unwrap_or(&profile::PROFILES[0])
        .metrics()
        .count()
}

fn check_cmd(files: &[PathBuf]) -> Result<()> {
    let mut bad = 0;
    for f in files {
        match Scenario::load(f) {
            Ok(s) => eprintln!(
                "{}: ok ({} devices, {} faults, {} rules, {} expectations)",
                f.display(),
                s.device_count(),
                s.faults.len(),
                s.rules.len(),
                s.expect.len()
            ),
            Err(e) => {
                bad += 1;
                eprintln!("{:#}", e);
            }
        }
    }
    if bad > 0 {
        bail!("{bad} of {} scenario files have problems", files.len());
    }
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Run(a) => rt.block_on(run_cmd(a)),
        Command::Load(a) => rt.block_on(load_cmd(a)),
        Command::Check { files } => check_cmd(&files),
        Command::Profiles => {
            for p in profile::PROFILES {
                let metrics: Vec<_> = p.metrics().collect();
                println!(
                    "{:<11} {} {} ({}): {}",
                    p.key,
                    p.manufacturer,
                    p.model_number,
                    p.name,
                    metrics.join(", ")
                );
            }
            Ok(())
        }
    }
}
