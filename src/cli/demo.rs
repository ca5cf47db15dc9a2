//! `mainspring demo`: one command for a newcomer. A throwaway PostgreSQL and (unless
//! `MQTT_URL` names one) a private Mosquitto on free ports, the full server (API,
//! ingest, rules, scheduler) on them, a believable installed base, and the simulated
//! demo fleet from `simulators/scenarios/demo.toml`, whose faults open failure tickets
//! within the first minute. Ctrl-C stops everything and removes the private services.

mod seed;

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use mainspring_sim::mqtt::broker::Broker as SimBroker;
use mainspring_sim::register::{self, api::Api};
use mainspring_sim::run::{run_until, RunOptions};
use mainspring_sim::scenario::Scenario;

use crate::config::{Config, Sources};
use crate::db::embedded::Cluster;
use crate::http::server::{create_database, serve};
use crate::mqtt::broker::Broker;

/// The fleet the demo runs (compiled in, so the binary needs no source tree).
const SCENARIO: &str = include_str!("../../simulators/scenarios/demo.toml");

/// The private services, removed when this is dropped.
struct Services {
    _cluster: Cluster,
    _broker: Option<Broker>,
}

/// Run the demo until Ctrl-C.
pub fn run(config_path: Option<&Path>) -> anyhow::Result<()> {
    let mut sources = Sources::from_process(config_path)?;
    eprintln!("mainspring demo: starting a private PostgreSQL …");
    let cluster = Cluster::start_ephemeral("demo").context("cannot start PostgreSQL")?;
    create_database(&cluster.url("postgres"), "mainspring")?;
    let base = Config::load(&sources)?;
    let broker = match &base.mqtt_url {
        Some(_) => None,
        None => {
            eprintln!("mainspring demo: starting a private Mosquitto …");
            Some(Broker::start_ephemeral("demo").context("cannot start Mosquitto")?)
        }
    };
    let mqtt_url = base
        .mqtt_url
        .clone()
        .or_else(|| broker.as_ref().map(Broker::url))
        .expect("a broker");
    let key = base
        .admin_key
        .clone()
        .unwrap_or_else(|| format!("demo-{}", crate::auth::keys::random_token(16)));
    let addr = free_or(base.http_addr)?;
    sources.set("DATABASE_URL", &cluster.url("mainspring"));
    sources.set("MQTT_URL", &mqtt_url);
    sources.set("MAINSPRING_ADMIN_KEY", &key);
    sources.set("HTTP_ADDR", &addr.to_string());
    sources.set("MAINSPRING_AUTO_ASSIGN", "true");
    let config = Config::load(&sources)?;
    let services = Services {
        _cluster: cluster,
        _broker: broker,
    };
    let result = actix_web::rt::System::new().block_on(demo(config, key, mqtt_url));
    drop(services);
    eprintln!("mainspring demo: stopped; the private PostgreSQL and Mosquitto are removed");
    result
}

/// `wanted` when nothing listens there, else a free port on the same host.
fn free_or(wanted: std::net::SocketAddr) -> anyhow::Result<std::net::SocketAddr> {
    if std::net::TcpListener::bind(wanted).is_ok() {
        return Ok(wanted);
    }
    let any = std::net::TcpListener::bind((wanted.ip(), 0))?;
    Ok(any.local_addr()?)
}

async fn demo(config: Config, key: String, mqtt_url: String) -> anyhow::Result<()> {
    let addr = config.http_addr;
    let prefix = config.telemetry.prefix.clone();
    let base = format!("http://{addr}");
    let server = actix_web::rt::spawn(serve(config));
    wait_ready(&base, &server).await?;

    let scenario = Scenario::parse(SCENARIO)?;
    let api = Api::new(&base, &key)?;
    let devices = mainspring_sim::fleet::build(&scenario, 1)?;
    let reg = register::register(&api, &scenario, &devices).await?;
    let seeded = seed::seed(&api, &reg).await?;
    banner(
        &base,
        &key,
        &scenario,
        devices.len(),
        seeded.plans,
        seeded.stores.len(),
    );

    let opts = RunOptions::new(SimBroker::parse(&mqtt_url)?, prefix);
    // the fleet runs until the server stops (Ctrl-C or SIGTERM stops both)
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let fleet = actix_web::rt::spawn(async move {
        let until = async {
            let _ = stop_rx.await;
        };
        run_until(&scenario, &opts, "demo", until).await
    });
    let served = server.await;
    let _ = stop_tx.send(());
    if let Ok(Err(e)) = fleet.await {
        eprintln!("mainspring demo: the fleet stopped: {e:#}");
    }
    served.context("the server task failed")?
}

/// Wait until `/ready` answers 200 (the server also applies migrations first).
async fn wait_ready(
    base: &str,
    server: &actix_web::rt::task::JoinHandle<anyhow::Result<()>>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let http = reqwest::Client::new();
    loop {
        if server.is_finished() {
            bail!("the server stopped while starting (see the log above)");
        }
        if let Ok(r) = http.get(format!("{base}/ready")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        if Instant::now() > deadline {
            bail!("the server was not ready after 2 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn banner(base: &str, key: &str, s: &Scenario, devices: usize, plans: usize, stores: usize) {
    let host = base.trim_start_matches("http://");
    println!(
        "
Mainspring demo is running.

  Swagger UI   {base}/docs/
  API key      {key}     (an admin key; Authorization: Bearer …)

  {devices} simulated devices publish telemetry; {plans} maintenance plans and {stores}
  stores with parts are seeded. {}
  Failure tickets open within the first minute, PM tickets on the scheduler's first
  tick (at the next full minute).

Try:
  curl -s \"{host}/api/v1/tickets?source=threshold\" -H \"Authorization: Bearer {key}\"
  curl -s \"{host}/api/v1/schedule?limit=5\" -H \"Authorization: Bearer {key}\"
  curl -s \"{host}/api/v1/dead-letters\" -H \"Authorization: Bearer {key}\"

Ctrl-C stops everything and removes the private PostgreSQL and Mosquitto.
",
        s.description
    );
}
