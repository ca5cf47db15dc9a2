//! `mainspring-bench`: Mainspring's benchmarks, one command each, against private
//! services started for the run (see `stack`); results replace their section of
//! `BENCHMARKS.md`. The server runs as a child process (`mainspring-bench serve`) so
//! its resident memory is measured alone.

mod report;
mod rest;
mod stack;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "mainspring-bench", about = "Mainspring's benchmark suite")]
struct Cli {
    /// Where results go (their section is replaced).
    #[arg(long, global = true, default_value_os_t = report::default_path())]
    report: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The server under test (started by the benchmarks themselves; configured by
    /// environment variables like `mainspring serve`).
    #[command(hide = true)]
    Serve,
    /// REST latencies under open-loop load (oha) with 1,000,000 tickets, and the 90-day
    /// forecast over 10,000 assets.
    Rest(rest::Options),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve => serve(),
        Command::Rest(o) => rest::run(&cli.report, o),
    }
}

fn serve() -> anyhow::Result<()> {
    use mainspring::config::{Config, Sources};
    let config = Config::load(&Sources::from_process(None)?)?;
    mainspring::logging::init(&config);
    actix_web::rt::System::new()
        .block_on(mainspring::http::server::serve(config))
        .context("the server stopped")
}

/// A multi-threaded runtime for the benchmark drivers.
#[allow(dead_code)]
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
