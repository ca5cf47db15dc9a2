//! `mainspring-bench growth`: ingest rate and query latency as stored telemetry grows
//! (by default 1, 10 and 100 million readings). One private stack and one registered
//! fleet throughout; before each size, historical readings of the fleet's own series
//! are added by COPY (with their rollups), then the fleet publishes at the offered rate
//! for a while and the three query shapes of `queries` are timed.

mod fill;
mod queries;

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::ensure;
use chrono::{DurationRound, Utc};
use clap::Args;
use mainspring_sim::register::{self, api::Api};
use mainspring_sim::scenario::Scenario;
use mainspring_sim::{fleet, profile};

use crate::load::{sustain, Metrics};
use crate::report;
use crate::stack::{Stack, StackOptions};

#[derive(Args, Clone)]
pub struct GrowthArgs {
    /// Stored readings at each step.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "1000000,10000000,100000000"
    )]
    pub sizes: Vec<u64>,
    #[arg(long, default_value_t = 10_000)]
    pub devices: usize,
    /// Offered readings per second during each step's ingest run.
    #[arg(long, default_value_t = 50_000.0)]
    pub rate: f64,
    /// Seconds of ingest per step.
    #[arg(long, default_value_t = 30.0)]
    pub duration: f64,
    /// Requests per query shape per step.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
}

struct Step {
    rows: i64,
    bytes: i64,
    fill_s: f64,
    ingest_per_s: f64,
    drain_s: f64,
    dropped: i64,
    latencies: Vec<(f64, f64)>,
}

const PROFILE: &str = "compressor";

pub fn run(args: GrowthArgs, common: &crate::Common) -> anyhow::Result<()> {
    ensure!(
        args.rate > 0.0 && args.duration > 0.0 && args.devices > 0 && !args.sizes.is_empty(),
        "--rate, --duration, --devices and --sizes must be positive"
    );
    crate::runtime()?.block_on(async {
        let stack = Stack::start(StackOptions {
            mqtt: true,
            env: Vec::new(),
            pg_settings: common.pg_settings.clone(),
        })
        .await?;
        let api = Api::new(&stack.base, &stack.key)?;
        let per_message = profile::find(PROFILE).expect("profile").metrics().count() as f64;
        let period_s = args.devices as f64 * per_message / args.rate;
        let mut load = Scenario::plain(
            "growth",
            args.devices,
            PROFILE,
            (period_s * 1000.0).round() as u64,
            1,
        );
        load.id_pattern = "growth-{n:06}".into();
        register::register(&api, &load, &fleet::build(&load, 1)?).await?;

        let mut conn = stack.connect()?;
        let pg = report::postgres_version(&mut conn);
        let now = Utc::now();
        fill::mark_rolled_up(&mut conn, now.duration_trunc(chrono::Duration::hours(1))?)?;
        // a short run makes every series of the fleet exist
        eprintln!("bench growth: warming up (every series gets its first readings)");
        sustain(
            &stack,
            &load,
            period_s,
            Duration::from_secs(5),
            async { Ok(()) },
            0,
        )
        .await?;
        let series = fill::series(&mut conn)?;
        let ids: Vec<i32> = series.iter().map(|s| s.id).collect();
        let mut cursor =
            (now - chrono::Duration::hours(2)).duration_trunc(chrono::Duration::minutes(1))?;
        let query_to = cursor;

        let mut steps = Vec::new();
        for &size in &args.sizes {
            let have = fill::count(&mut conn)?;
            let t = std::time::Instant::now();
            if (have as u64) < size {
                eprintln!("bench growth: adding {} readings", size - have as u64);
                cursor = fill::fill(&mut conn, &ids, cursor, size - have as u64)?;
            }
            let fill_s = t.elapsed().as_secs_f64();
            eprintln!("bench growth: ingest at {size} stored readings");
            let (run, ()) = sustain(
                &stack,
                &load,
                period_s,
                Duration::from_secs_f64(args.duration),
                async { Ok(()) },
                0,
            )
            .await?;
            let latencies =
                queries::measure(&stack.base, &stack.key, &series, query_to, args.queries).await?;
            let step = Step {
                rows: fill::count(&mut conn)?,
                bytes: fill::size_bytes(&mut conn)?,
                fill_s,
                ingest_per_s: run.stored_per_s,
                drain_s: run.drain_s,
                dropped: Metrics::new(&stack).broker_dropped().await?,
                latencies,
            };
            eprintln!(
                "bench growth: {} rows: {:.0} readings/s; queries p50/p99 {:?}",
                step.rows, step.ingest_per_s, step.latencies
            );
            steps.push(step);
            // each step's figures are kept even if a later, larger step fails
            report::write_section(&common.report, "growth", &render(&args, &steps, &pg))?;
        }
        Ok(())
    })
}

fn render(args: &GrowthArgs, steps: &[Step], pg: &str) -> String {
    let mut s = String::from("## Growth\n\n");
    s.push_str(&report::preamble(pg));
    let _ = writeln!(
        s,
        "- {} `{PROFILE}` devices ({} series); each step: historical readings added by COPY \
         (one a minute per series, going back), then {} s of ingest at {} readings/s offered, \
         then {} requests per query shape over spread series, one at a time\n",
        args.devices,
        args.devices * profile::find(PROFILE).expect("profile").metrics().count(),
        args.duration,
        args.rate,
        args.queries
    );
    s.push_str("| stored readings | on disk | ingest readings/s | drain | broker drops |");
    for q in queries::SHAPES {
        let _ = write!(s, " {} p50 / p99 |", q.name);
    }
    s.push_str(" fill time |\n|---|---|---|---|---|");
    for _ in queries::SHAPES {
        s.push_str("---|");
    }
    s.push_str("---|\n");
    for st in steps {
        let _ = write!(
            s,
            "| {} | {:.1} GiB | {:.0} | {:.1} s | {} |",
            st.rows,
            st.bytes as f64 / (1u64 << 30) as f64,
            st.ingest_per_s,
            st.drain_s,
            st.dropped
        );
        for (p50, p99) in &st.latencies {
            let _ = write!(s, " {p50:.1} / {p99:.1} ms |");
        }
        let _ = writeln!(s, " {:.0} s |", st.fill_s);
    }
    s
}
