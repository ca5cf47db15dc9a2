//! The `mainspring` command line: `serve`, `migrate`, `openapi`, `keys`, `demo`.

pub mod demo;
pub mod keys;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "mainspring",
    version,
    about = "Spare-parts and asset-maintenance server"
)]
pub struct Cli {
    /// A TOML configuration file (environment variables take precedence).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (and, as configured, MQTT ingest and the scheduler).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI document (regenerates openapi/openapi.json).
    Openapi,
    /// Create, list and revoke API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Start a private PostgreSQL and Mosquitto, the server, sample data and a
    /// simulated fleet; Ctrl-C stops everything and removes them.
    Demo,
}
