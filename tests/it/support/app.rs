//! [`TestApp`]: a real HTTP server on a fresh database of its own (cloned from the
//! migrated template), optionally with telemetry ingest from the test broker under its
//! own topic prefix, so tests run in parallel and never share state.

use diesel::{Connection, PgConnection};
use mainspring::config::{Config, Sources};
use mainspring::db::Db;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::database::{broker_url, drop_database, fresh_database};

pub const ADMIN_KEY: &str = "test-admin-key-0123456789abcdef";

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
