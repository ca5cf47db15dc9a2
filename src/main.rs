//! The `mainspring` binary: parses the command line and configuration, then hands over
//! to the library. A malformed setting stops it with one line naming the setting.

use clap::Parser;
use mainspring::cli::{Cli, Command};
use mainspring::config::{Config, Sources};
use mainspring::http::server::{serve, Database};

fn main() {
    mainspring::memory::limit_malloc_arenas();
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", mainspring::http::router::openapi_json());
        return;
    }
    let config = match Sources::from_process(cli.config.as_deref()).and_then(|s| Config::load(&s)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("mainspring: {e}");
            std::process::exit(2);
        }
    };
    mainspring::logging::init(&config);
    if let Err(e) = run(cli.command, config, cli.config.as_deref()) {
        eprintln!("mainspring: {e:#}");
        std::process::exit(1);
    }
}

fn run(
    command: Command,
    config: Config,
    config_path: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    match command {
        Command::Demo => mainspring::cli::demo::run(config_path),
        Command::Openapi => unreachable!("handled before configuration"),
        Command::Serve => actix_web::rt::System::new().block_on(serve(config)),
        Command::Migrate => {
            let database = Database::open(&config)?;
            let applied = mainspring::db::migrate(&database.url)?;
            if applied.is_empty() {
                println!("the database is up to date");
            } else {
                for v in applied {
                    println!("applied {v}");
                }
            }
            Ok(())
        }
        Command::Keys(cmd) => {
            let database = Database::open(&config)?;
            mainspring::db::migrate(&database.url)?;
            mainspring::cli::keys::run(cmd, &database.url)
        }
    }
}
