//! `mainspring serve`: database (external or embedded), migrations, the HTTP server,
//! the maintenance scheduler, housekeeping, and graceful shutdown on SIGTERM and Ctrl-C.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpServer};
use anyhow::Context;

use super::{metrics::Metrics, router, AppState};
use crate::auth::keys::hash_key;
use crate::config::Config;
use crate::db::{self, embedded::Cluster, Db};

/// Where the database is: given by `DATABASE_URL`, or the embedded cluster (kept alive
/// as long as this value lives).
pub struct Database {
    pub url: String,
    pub cluster: Option<Cluster>,
}

impl Database {
    pub fn open(config: &Config) -> anyhow::Result<Self> {
        match &config.database_url {
            Some(url) => Ok(Self {
                url: url.clone(),
                cluster: None,
            }),
            None => {
                let root = config.data_dir.join("postgres");
                tracing::warn!(
                    data_dir = %root.display(),
                    "DATABASE_URL is not set: running the EMBEDDED PostgreSQL cluster in the data \
                     directory (fine for one machine; set DATABASE_URL in production)"
                );
                let cluster = Cluster::start_persistent(&root).with_context(|| {
                    format!("cannot start the embedded PostgreSQL in {}", root.display())
                })?;
                create_database(&cluster.url("postgres"), "mainspring")?;
                Ok(Self {
                    url: cluster.url("mainspring"),
                    cluster: Some(cluster),
                })
            }
        }
    }
}

/// `CREATE DATABASE name` unless it exists.
pub fn create_database(admin_url: &str, name: &str) -> anyhow::Result<()> {
    use diesel::{Connection, PgConnection, RunQueryDsl};
    let mut conn = PgConnection::establish(admin_url)?;
    #[derive(diesel::QueryableByName)]
    struct Exists {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        exists: bool,
    }
    let found: Exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(&mut conn)?;
    if !found.exists {
        diesel::sql_query(format!("CREATE DATABASE \"{name}\"")).execute(&mut conn)?;
    }
    Ok(())
}

pub fn state(config: &Config, db: Db, embedded: bool) -> web::Data<AppState> {
    state_with(config, db, embedded, Metrics::new(), None)
}

/// The state with metrics shared with ingest, and ingest's broker status.
pub fn state_with(
    config: &Config,
    db: Db,
    embedded: bool,
    metrics: Metrics,
    ingest: Option<Arc<crate::mqtt::client::Status>>,
) -> web::Data<AppState> {
    web::Data::new(AppState {
        db,
        admin_key_hash: config.admin_key.as_deref().map(hash_key),
        metrics,
        embedded_db: embedded,
        mqtt_configured: config.mqtt_url.is_some(),
        ingest,
        telemetry: config.telemetry.clone(),
        auto_assign: config.auto_assign,
    })
}

/// Bind the HTTP server (to the configured address) without starting it.
pub fn http_server(
    config: &Config,
    state: web::Data<AppState>,
) -> anyhow::Result<actix_web::dev::Server> {
    let listener = std::net::TcpListener::bind(config.http_addr)
        .with_context(|| format!("cannot listen on {}", config.http_addr))?;
    server_on(listener, config.http_workers, state)
}

/// Run the HTTP server on an already bound listener (tests bind port 0).
pub fn server_on(
    listener: std::net::TcpListener,
    workers: usize,
    state: web::Data<AppState>,
) -> anyhow::Result<actix_web::dev::Server> {
    let server = HttpServer::new(move || router::build(Some(state.clone())).0)
        .workers(workers)
        .shutdown_timeout(20)
        .listen(listener)?
        .run();
    Ok(server)
}

/// Periodic housekeeping: expired idempotency records.
pub fn spawn_housekeeping(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            match db
                .run(|conn| Ok(super::idempotency::purge_expired(conn)?))
                .await
            {
                Ok(n) if n > 0 => tracing::info!(removed = n, "purged expired idempotency records"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "idempotency purge failed; will retry"),
            }
        }
    });
}

/// How often the rules' periodic work runs: "no data" silence, and the idle flush of
/// readings waiting for their allowed lateness.
pub const RULES_TICK: Duration = Duration::from_secs(5);

/// The rules' periodic work (with the `ingest` role), every `every` ([`RULES_TICK`] in
/// `serve`). A failing run logs and continues; several instances may run it (the
/// silence check takes an advisory lock, the flush skips locked rows). Runs until the
/// runtime stops or the returned handle is aborted.
pub fn spawn_rules(db: Db, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            match db
                .run(move |conn| crate::rules::check_silence(conn, now))
                .await
            {
                Ok(n) if n > 0 => tracing::info!(opened = n, "no-data rules opened tickets"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "no-data rule check failed; will retry"),
            }
            match db
                .run(move |conn| crate::rules::flush_idle(conn, now))
                .await
            {
                Ok(n) if n > 0 => tracing::info!(opened = n, "threshold rules opened tickets"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "threshold rule flush failed; will retry"),
            }
        }
    })
}

pub async fn serve(config: Config) -> anyhow::Result<()> {
    let database = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || Database::open(&config)).await??
    };
    let applied = {
        let url = database.url.clone();
        tokio::task::spawn_blocking(move || db::migrate(&url)).await??
    };
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied migrations");
    }
    let pool = Db::connect(&database.url, config.db_pool_size)?;
    let metrics = Metrics::new();
    let ingest = match (&config.telemetry.broker, config.roles.ingest) {
        (None, _) => {
            tracing::warn!("MQTT_URL is not set: running without telemetry ingest");
            None
        }
        (Some(_), false) => None,
        (Some(broker), true) => {
            tracing::info!(broker = %broker.redacted(), client_id = %config.telemetry.client_id, "starting telemetry ingest");
            let ingest = crate::telemetry::ingest::start(
                config.telemetry.clone(),
                database.url.clone(),
                metrics.telemetry.clone(),
            )
            .await?;
            Some(ingest.status)
        }
    };
    if config.admin_key.is_none() {
        tracing::info!(
            "MAINSPRING_ADMIN_KEY is not set: create keys with `mainspring keys create`"
        );
    }
    spawn_housekeeping(pool.clone());
    // kept alive until serve returns
    let _scheduler = if config.roles.scheduler {
        let opts = crate::maintenance::scheduler::Options {
            auto_assign: config.auto_assign,
        };
        let s = crate::maintenance::scheduler::spawn(
            pool.clone(),
            opts,
            crate::maintenance::scheduler::EVERY_MINUTE,
        )?;
        tracing::info!("scheduler running: maintenance plans are checked every minute");
        Some(s)
    } else {
        None
    };
    if config.roles.ingest {
        spawn_rules(pool.clone(), RULES_TICK);
    }
    if config.roles.http {
        let state = state_with(&config, pool, database.cluster.is_some(), metrics, ingest);
        let server = http_server(&config, state)?;
        tracing::info!(addr = %config.http_addr, docs = %format!("http://{}/docs/", config.http_addr), "serving HTTP");
        server.await?;
    } else {
        tokio::signal::ctrl_c().await?;
    }
    tracing::info!("stopped");
    drop(database);
    Ok(())
}
