//! `mainspring-bench`: Mainspring's benchmarks, one command each, against private
//! services started for the run (see `stack`); results replace their section of
//! `BENCHMARKS.md`. The server runs as a child process (`mainspring-bench serve`) so
//! its resident memory is measured alone.

mod growth;
mod ingest;
mod load;
mod report;
mod rest;
mod stack;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "mainspring-bench", about = "Mainspring's benchmark suite")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

/// Settings every benchmark takes.
#[derive(clap::Args)]
pub struct Common {
    /// Where results go (their section is replaced).
    #[arg(long, global = true, default_value_os_t = report::default_path())]
    pub report: PathBuf,
    /// A PostgreSQL setting for the private server (`name=value`, repeatable), e.g.
    /// `shared_preload_libraries=pg_stat_statements` to profile; reported with the figures.
    #[arg(long = "pg-setting", global = true)]
    pub pg_settings: Vec<String>,
}

#[derive(Subcommand)]
enum Command {
    /// The server under test (started by the benchmarks themselves; configured by
    /// environment variables like `mainspring serve`).
    #[command(hide = true)]
    Serve,
    /// Sustained MQTT ingest at growing fleet sizes, beside a raw binary COPY.
    Ingest(ingest::IngestArgs),
    /// REST latencies under open-loop load (oha) with 1,000,000 tickets, and the 90-day
    /// forecast over 10,000 assets.
    Rest(rest::Options),
    /// Ingest rate and query latency as stored telemetry grows (1M to 100M readings).
    Growth(growth::GrowthArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve => serve(),
        Command::Ingest(a) => ingest::run(a, &cli.common),
        Command::Rest(o) => rest::run(o, &cli.common),
        Command::Growth(a) => growth::run(a, &cli.common),
    }
}

fn serve() -> anyhow::Result<()> {
    // as `mainspring serve` does
    mainspring::memory::limit_malloc_arenas();
    use mainspring::config::{Config, Sources};
    let config = Config::load(&Sources::from_process(None)?)?;
    mainspring::logging::init(&config);
    actix_web::rt::System::new()
        .block_on(mainspring::http::server::serve(config))
        .context("the server stopped")
}

/// A multi-threaded runtime for the benchmark drivers.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
