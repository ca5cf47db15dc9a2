//! The test databases: a real PostgreSQL (`DATABASE_URL` when given, otherwise a
//! private cluster started from the system's binaries and removed afterwards), a
//! migrated template database, and per test a fresh database cloned from it. A real
//! MQTT broker the same way (`MQTT_URL`, else a private Mosquitto).

use std::sync::OnceLock;

use diesel::{Connection, PgConnection, RunQueryDsl};
use mainspring::db::embedded::Cluster;
use mainspring::mqtt::broker::Broker;

struct Server {
    /// A URL to a maintenance database where databases can be created.
    admin_url: String,
    template: String,
    _cluster: Option<Cluster>,
}

fn with_database(url: &str, db: &str) -> String {
    // replace the path of a postgres:// URL, keeping the query string
    let (base, query) = url
        .split_once('?')
        .map(|(b, q)| (b, Some(q)))
        .unwrap_or((url, None));
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_end = base[scheme_end..]
        .find('/')
        .map(|i| scheme_end + i)
        .unwrap_or(base.len());
    let mut out = format!("{}/{db}", &base[..host_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (admin_url, cluster) =
            match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
                Some(url) => (url, None),
                None => {
                    let cluster =
                        Cluster::start_ephemeral("test").expect("start a private PostgreSQL");
                    (cluster.url("postgres"), Some(cluster))
                }
            };
        let template = format!(
            "ms_tpl_{}_{}",
            std::process::id(),
            uuid::Uuid::now_v7().simple()
        );
        let mut conn = PgConnection::establish(&admin_url).expect("connect to PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {template}"))
            .execute(&mut conn)
            .expect("create template");
        mainspring::db::migrate(&with_database(&admin_url, &template))
            .expect("migrate the template");
        if cluster.is_none() {
            // an external server outlives us: remove the template when the process ends
            schedule_drop_at_exit(&admin_url, &template);
        }
        Server {
            admin_url,
            template,
            _cluster: cluster,
        }
    })
}

fn schedule_drop_at_exit(admin_url: &str, template: &str) {
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; \
         psql '{admin_url}' -qc 'DROP DATABASE IF EXISTS {template} WITH (FORCE)' >/dev/null 2>&1",
        pid = std::process::id()
    );
    let _ = std::process::Command::new("setsid")
        .args(["sh", "-c", &script])
        .spawn();
}

/// The shared broker's URL: `MQTT_URL` when set, else a private Mosquitto started once.
pub fn broker_url() -> String {
    static BROKER: OnceLock<(String, Option<Broker>)> = OnceLock::new();
    BROKER
        .get_or_init(
            || match std::env::var("MQTT_URL").ok().filter(|u| !u.is_empty()) {
                Some(url) => (url, None),
                None => {
                    let broker =
                        Broker::start_ephemeral("test").expect("start a private Mosquitto");
                    (broker.url(), Some(broker))
                }
            },
        )
        .0
        .clone()
}

/// A URL to the maintenance database of the test PostgreSQL (as a superuser).
pub fn admin_url() -> String {
    server().admin_url.clone()
}

/// `url` with another user and password (`postgres://user:pass@host:port/db`).
pub fn with_user(url: &str, user: &str, password: &str) -> String {
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let hostpath = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
    format!("postgres://{user}:{password}@{hostpath}")
}

/// A fresh database cloned from the migrated template; returns its URL.
pub async fn fresh_database() -> (String, String) {
    let srv = server();
    let database = format!("ms_t_{}", uuid::Uuid::now_v7().simple());
    {
        let (admin_url, template, database) = (
            srv.admin_url.clone(),
            srv.template.clone(),
            database.clone(),
        );
        tokio::task::spawn_blocking(move || {
            let mut conn = PgConnection::establish(&admin_url).expect("connect");
            let mut attempt = 0;
            loop {
                match diesel::sql_query(format!("CREATE DATABASE {database} TEMPLATE {template}"))
                    .execute(&mut conn)
                {
                    Ok(_) => break,
                    Err(e) if attempt < 20 => {
                        attempt += 1;
                        eprintln!("retrying CREATE DATABASE: {e}");
                        std::thread::sleep(std::time::Duration::from_millis(100));
                    }
                    Err(e) => panic!("cannot create the test database: {e}"),
                }
            }
        })
        .await
        .unwrap();
    }
    (with_database(&srv.admin_url, &database), database)
}

/// Drop a database made by [`fresh_database`] (connections are closed by force).
pub fn drop_database(database: &str) {
    let admin_url = server().admin_url.clone();
    let database = database.to_owned();
    let _ = std::thread::spawn(move || {
        if let Ok(mut conn) = PgConnection::establish(&admin_url) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .execute(&mut conn);
        }
    })
    .join();
}
