//! `mainspring-bench ingest`: sustained end-to-end ingest through Mosquitto at growing
//! fleet sizes. Per fleet size, on fresh private services: register the fleet through
//! the REST API, publish at the offered rate (many devices per gateway connection) for
//! the run's duration while probe devices measure breach-to-ticket latency, wait until
//! the server has stored everything the broker acknowledged, then COPY the same rows
//! into the same table as the baseline. Reported: stored readings/s, broker drops,
//! readings lost, the ratio to COPY, latency p50/p99, the server's peak RSS.

mod baseline;
mod probe;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use anyhow::ensure;
use clap::Args;
use mainspring_sim::register::{self, api::Api};
use mainspring_sim::scenario::Scenario;
use mainspring_sim::{fleet, profile};
use serde_json::json;

use crate::load::{sustain, Metrics};
use crate::report;
use crate::stack::{Stack, StackOptions};

#[derive(Args, Clone)]
pub struct IngestArgs {
    /// Fleet sizes, run one after the other on fresh services.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000,100000")]
    pub devices: Vec<usize>,
    /// Offered readings per second (all devices together).
    #[arg(long, default_value_t = 50_000.0)]
    pub rate: f64,
    /// Seconds of load per fleet size.
    #[arg(long, default_value_t = 60.0)]
    pub duration: f64,
    /// Probe devices (one breach each) for the latency figures.
    #[arg(long, default_value_t = 50)]
    pub probes: usize,
}

/// The figures of one fleet size.
struct Step {
    devices: usize,
    register_s: f64,
    offered_per_s: f64,
    published: u64,
    acked: u64,
    lost: u64,
    stored: u64,
    ingest_per_s: f64,
    drain_s: f64,
    broker_dropped: i64,
    copy_per_s: f64,
    latency_ms: Vec<f64>,
    no_ticket: usize,
    peak_rss_mib: f64,
}

const PROFILE: &str = "compressor";

pub fn run(args: IngestArgs, common: &crate::Common) -> anyhow::Result<()> {
    ensure!(
        args.rate > 0.0 && args.duration > 0.0 && !args.devices.is_empty(),
        "--rate, --duration and --devices must be positive"
    );
    let rt = crate::runtime()?;
    let mut steps = Vec::new();
    let mut pg = String::new();
    for &n in &args.devices {
        eprintln!(
            "bench ingest: {n} devices, {} readings/s offered",
            args.rate
        );
        let (step, version) = rt.block_on(step(n, &args, common))?;
        eprintln!(
            "bench ingest: {n} devices: {:.0} readings/s stored ({:.2} of COPY), p50 {:.0} ms, p99 {:.0} ms",
            step.ingest_per_s,
            step.ingest_per_s / step.copy_per_s,
            report::percentile(&step.latency_ms, 50.0),
            report::percentile(&step.latency_ms, 99.0)
        );
        steps.push(step);
        pg = version;
    }
    report::write_section(&common.report, "ingest", &render(&args, &steps, &pg))
}

async fn step(
    n: usize,
    args: &IngestArgs,
    common: &crate::Common,
) -> anyhow::Result<(Step, String)> {
    let mut stack = Stack::start(StackOptions {
        mqtt: true,
        env: Vec::new(),
        pg_settings: common.pg_settings.clone(),
    })
    .await?;
    let mqtt_url = stack.mqtt_url.clone().expect("ingest runs a broker");
    let api = Api::new(&stack.base, &stack.key)?;

    // the fleet: one message per device turn, every reading of the profile in it
    let per_message = profile::find(PROFILE).expect("profile").metrics().count() as f64;
    let period_s = n as f64 * per_message / args.rate;
    let mut load = Scenario::plain("load", n, PROFILE, (period_s * 1000.0).round() as u64, 1);
    load.id_pattern = "load-{n:06}".into();
    let devices = fleet::build(&load, 1)?;
    let t = Instant::now();
    let reg = register::register(&api, &load, &devices).await?;
    let register_s = t.elapsed().as_secs_f64();
    // a rule the engine evaluates on every temperature reading of the fleet
    api.post(
        "rules",
        &json!({
            "name": "Compressor overheating", "model_id": reg.models[PROFILE],
            "kind": "threshold", "metric": "temperature_c", "condition": ">",
            "threshold": 150, "duration_s": 60, "severity": "critical"
        }),
    )
    .await?;

    // the probes
    let mut probes = Scenario::plain("probe", args.probes.max(1), "pump", 1000, 1);
    probes.id_pattern = "probe-{n:04}".into();
    probes.register.customer = "Benchmark probes".into();
    let probe_devices = fleet::build(&probes, 1)?;
    let probe_reg = register::register(&api, &probes, &probe_devices).await?;
    probe::create_rule(&api, &probe_reg.models["pump"]).await?;
    let probe_ids: Vec<String> = probe_devices.iter().map(|d| d.id().to_owned()).collect();
    let asset_of: HashMap<String, String> = probe_ids
        .iter()
        .cloned()
        .zip(probe_reg.assets.iter().cloned())
        .collect();

    // steady state: first contact (series, device and rule state rows, caches) is made
    // by a warm-up of two publish rounds, at least 5 s, outside the measurement
    let warmup = Duration::from_secs_f64((2.0 * period_s).max(5.0));
    eprintln!("bench ingest: warming up for {:.0} s", warmup.as_secs_f64());
    sustain(&stack, &load, period_s, warmup, async { Ok(()) }, 0).await?;
    let every = Duration::from_secs_f64(args.duration / (probe_ids.len() + 1) as f64);
    let (load_run, sent) = sustain(
        &stack,
        &load,
        period_s,
        Duration::from_secs_f64(args.duration),
        probe::publish(&mqtt_url, &stack.prefix, &probe_ids, every),
        probe_ids.len() as u64,
    )
    .await?;
    let broker_dropped = Metrics::new(&stack).broker_dropped().await?;
    let peak_rss_mib = stack.server_peak_rss_mib()?;
    let (latency_ms, no_ticket) = probe::latencies(&api, &sent, &asset_of).await?;

    stack.stop_server();
    let mut conn = stack.connect()?;
    let version = report::postgres_version(&mut conn);
    let copied = tokio::task::spawn_blocking(move || baseline::copy_back(&mut conn)).await??;
    Ok((
        Step {
            devices: n,
            register_s,
            offered_per_s: args.rate,
            published: load_run.published,
            acked: load_run.acked,
            lost: (load_run.acked + sent.len() as u64).saturating_sub(load_run.stored),
            stored: load_run.stored,
            ingest_per_s: load_run.stored_per_s,
            drain_s: load_run.drain_s,
            broker_dropped,
            copy_per_s: copied.rows_per_s(),
            latency_ms,
            no_ticket,
            peak_rss_mib,
        },
        version,
    ))
}

fn render(args: &IngestArgs, steps: &[Step], pg: &str) -> String {
    let mut s = String::from("## Ingest\n\n");
    s.push_str(&report::preamble(pg));
    let _ = writeln!(
        s,
        "- Load: `{PROFILE}` devices, one JSON message per device turn with {} readings, \
         QoS 1, {} s per fleet size after a warm-up of two publish rounds (at least 5 s: \
         first contact creates series and state rows), {} probe devices for latency\n",
        profile::find(PROFILE).expect("profile").metrics().count(),
        args.duration,
        args.probes
    );
    s.push_str(
        "| devices | offered readings/s | readings stored | stored readings/s | drain after load | broker drops | \
         acked but not stored | binary COPY rows/s | ingest ÷ COPY | breach→ticket p50 | p99 | \
         server peak RSS | registration |\n",
    );
    s.push_str("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for st in steps {
        let _ = writeln!(
            s,
            "| {} | {:.0} | {} | **{:.0}** | {:.1} s | {} | {} | {:.0} | {:.2} | {:.0} ms | {:.0} ms | {:.0} MiB | {:.1} s |",
            st.devices,
            st.offered_per_s,
            st.stored,
            st.ingest_per_s,
            st.drain_s,
            st.broker_dropped,
            st.lost,
            st.copy_per_s,
            st.ingest_per_s / st.copy_per_s,
            report::percentile(&st.latency_ms, 50.0),
            report::percentile(&st.latency_ms, 99.0),
            st.peak_rss_mib,
            st.register_s,
        );
    }
    s.push_str(
        "\nStored readings/s is every stored reading over the time from the first publish to \
         the last commit (so a backlog drained after the load counts against it). The COPY \
         baseline writes exactly the stored rows into the same partitioned table, with its \
         key and indexes, as one binary stream. Latency: the probe rule has duration 0 and \
         allowed lateness 0; with the default 30 s lateness a breach is final 30 s of device \
         time later (or after 30 s of server time without newer readings), on top of this.\n",
    );
    for st in steps {
        if st.no_ticket > 0 || st.published != st.acked {
            let _ = writeln!(
                s,
                "\n{} devices: {} probes opened no ticket; {} readings published, {} acknowledged by the broker.",
                st.devices, st.no_ticket, st.published, st.acked
            );
        }
    }
    s
}
