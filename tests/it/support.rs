//! The test harness: a real PostgreSQL (`DATABASE_URL` when given, otherwise a private
//! cluster started from the system's binaries and removed afterwards), a migrated
//! template database, and per test a fresh database cloned from it with a real HTTP
//! server on a free port, so tests run in parallel and never share state. A real MQTT
//! broker the same way (`MQTT_URL`, else a private Mosquitto); tests running ingest
//! get their own topic prefix and client id on it.

use std::sync::OnceLock;

use diesel::{Connection, PgConnection, RunQueryDsl};
use mainspring::config::{Config, Sources};
use mainspring::db::{embedded::Cluster, Db};
use mainspring::mqtt::broker::Broker;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

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

/// A running server on its own database.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub database_url: String,
    database: String,
    handle: actix_web::dev::ServerHandle,
    /// The MQTT topic prefix of this app's ingest.
    pub prefix: String,
    pub mqtt_url: String,
    /// The rules' periodic work (silence, idle flush), when started.
    rules: Option<tokio::task::JoinHandle<()>>,
}

impl TestApp {
    pub async fn start() -> TestApp {
        Self::start_with(&[]).await
    }

    /// A server with these settings (environment variable names) besides the defaults.
    pub async fn start_with(settings: &[(&str, &str)]) -> TestApp {
        Self::start_inner(settings, false, None).await
    }

    /// A server that also runs telemetry ingest from the test broker, under its own
    /// topic prefix (`self.prefix`) and client id.
    pub async fn start_ingest(settings: &[(&str, &str)]) -> TestApp {
        Self::start_inner(settings, true, None).await
    }

    /// The whole telemetry side as `serve` runs it: ingest, and the rules' periodic
    /// work ("no data" silence, the idle flush) every `rules_tick` instead of 5 s.
    pub async fn start_ingest_and_rules(
        settings: &[(&str, &str)],
        rules_tick: std::time::Duration,
    ) -> TestApp {
        Self::start_inner(settings, true, Some(rules_tick)).await
    }

    async fn start_inner(
        settings: &[(&str, &str)],
        ingest: bool,
        rules_tick: Option<std::time::Duration>,
    ) -> TestApp {
        if let Ok(filter) = std::env::var("TEST_LOG") {
            // logs of the servers under test, e.g. TEST_LOG=mainspring=debug
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let (database_url, database) = fresh_database().await;
        let prefix = format!("t{}", uuid::Uuid::now_v7().simple());
        let mqtt_url = broker_url();
        let client_id = format!("ingest-{prefix}");
        let mut env: std::collections::HashMap<String, String> = [
            ("MAINSPRING_ADMIN_KEY", ADMIN_KEY),
            ("DATABASE_URL", database_url.as_str()),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if ingest {
            for (k, v) in [
                ("MQTT_URL", mqtt_url.as_str()),
                ("MQTT_TOPIC_PREFIX", prefix.as_str()),
                ("MQTT_CLIENT_ID", client_id.as_str()),
                ("MAINSPRING_INGEST_FLUSH_MS", "20"),
            ] {
                env.insert(k.into(), v.into());
            }
        }
        for (k, v) in settings {
            env.insert(k.to_string(), v.to_string());
        }
        let config = Config::load(&Sources::from_maps(env, Default::default())).unwrap();
        let db = Db::connect(&database_url, 8).expect("pool");
        let rules =
            rules_tick.map(|every| mainspring::http::server::spawn_rules(db.clone(), every));
        let metrics = mainspring::http::metrics::Metrics::new();
        let status = if ingest {
            let started = mainspring::telemetry::ingest::start(
                config.telemetry.clone(),
                database_url.clone(),
                metrics.telemetry.clone(),
            )
            .await
            .expect("start ingest");
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            while !started.status.subscribed() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "ingest did not subscribe"
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            Some(started.status)
        } else {
            None
        };
        let state = mainspring::http::server::state_with(&config, db, false, metrics, status);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = mainspring::http::server::server_on(listener, 2, state).unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        TestApp {
            base,
            client: reqwest::Client::new(),
            database_url,
            database,
            handle,
            prefix,
            mqtt_url,
            rules,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// A request with `key` (no header when `None`).
    pub fn request(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let b = self.client.request(method, self.url(path));
        match key {
            Some(k) => b.bearer_auth(k),
            None => b,
        }
    }

    /// Send JSON as admin and return status and body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        self.call_as(ADMIN_KEY, method, path, body).await
    }

    pub async fn call_as(
        &self,
        key: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut b = self.request(method, path, Some(key));
        if let Some(body) = body {
            b = b.json(&body);
        }
        let res = b.send().await.expect("request sent");
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, None).await
    }

    /// POST a CSV body as admin and return status and body.
    pub async fn post_csv(&self, path: &str, csv: impl Into<String>) -> (StatusCode, Value) {
        let res = self
            .request(Method::POST, path, Some(ADMIN_KEY))
            .header("content-type", "text/csv")
            .body(csv.into())
            .send()
            .await
            .expect("request sent");
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// GET as admin, insisting on 200, and return the body as text (CSV exports).
    pub async fn get_text(&self, path: &str) -> String {
        let res = self
            .request(Method::GET, path, Some(ADMIN_KEY))
            .send()
            .await
            .expect("request sent");
        assert_eq!(res.status(), StatusCode::OK, "GET {path}");
        res.text().await.unwrap()
    }

    /// POST and insist on 201, returning the body.
    pub async fn create(&self, path: &str, body: Value) -> Value {
        let (status, v) = self.post(path, body).await;
        assert_eq!(status, StatusCode::CREATED, "POST {path}: {v}");
        v
    }

    /// A key with `role` (and technician binding) made through the API.
    pub async fn key(&self, role: &str, technician: Option<&str>) -> String {
        let mut body = serde_json::json!({"name": format!("{role} key"), "role": role});
        if let Some(t) = technician {
            body["technician_id"] = Value::String(t.to_owned());
        }
        let v = self.create("/api/v1/keys", body).await;
        v["key"].as_str().unwrap().to_owned()
    }

    /// A direct database connection, for checks the API does not expose.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.database_url).unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(rules) = &self.rules {
            rules.abort();
        }
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
        // a separate thread: drop may run inside the async runtime
        drop_database(&self.database);
    }
}

/// Assert a problem+json error with `status`, returning its body.
pub fn assert_problem(status: StatusCode, body: &Value, expected: u16) -> &Value {
    assert_eq!(status.as_u16(), expected, "unexpected status; body: {body}");
    assert_eq!(
        body["status"].as_u64(),
        Some(u64::from(expected)),
        "problem body: {body}"
    );
    assert!(
        body["type"].as_str().is_some() && body["title"].as_str().is_some(),
        "problem body: {body}"
    );
    body
}

/// The fields named by a validation problem.
pub fn problem_fields(body: &Value) -> Vec<String> {
    body["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}
