//! Nothing is lost (DESIGN.md): while a known set of readings is published, the broker
//! restarts, the database refuses the server for a while, and the server (the real
//! binary) is killed with SIGKILL while it holds received, uncommitted messages.
//! Afterwards every reading the broker acknowledged is stored, exactly once.

use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::json;

use crate::support::{admin_url, with_user, TestApp, ADMIN_KEY};
use crate::telemetry_support::*;
use mainspring::mqtt::broker::Broker;

/// The server process, killed when dropped (a failing test leaves nothing running).
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_server(database_url: &str, mqtt_url: &str, http: &str, log: &std::path::Path) -> Server {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_mainspring"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env("MQTT_URL", mqtt_url)
        .env("MQTT_CLIENT_ID", "nothing-lost-ingest")
        .env("HTTP_ADDR", http)
        .env("MAINSPRING_ADMIN_KEY", ADMIN_KEY)
        .env("MAINSPRING_ROLES", "http,ingest")
        .env("MAINSPRING_INGEST_FLUSH_MS", "50")
        .env("MAINSPRING_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("run the mainspring binary");
    Server(child)
}

async fn wait_ready(http: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = reqwest::get(format!("http://{http}/ready")).await {
            if r.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn admin(sql: &str) {
    let mut conn = PgConnection::establish(&admin_url()).unwrap();
    diesel::sql_query(sql).execute(&mut conn).unwrap();
}

/// Publish one message at QoS 1; true once the broker acknowledged it.
async fn publish_one(
    client: &AsyncClient,
    eventloop: &mut rumqttc::EventLoop,
    topic: &str,
    body: Vec<u8>,
) -> bool {
    if client
        .try_publish(topic, QoS::AtLeastOnce, false, body)
        .is_err()
    {
        return false;
    }
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(500), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => return true,
            Ok(Ok(_)) => {}
            Ok(Err(_)) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                return false;
            }
            Err(_) => {}
        }
    }
    false
}

#[derive(QueryableByName, PartialEq, Eq, Hash, Debug)]
struct Key {
    #[diesel(sql_type = Text)]
    device_id: String,
    #[diesel(sql_type = Text)]
    metric: String,
    #[diesel(sql_type = Timestamptz)]
    ts: chrono::DateTime<chrono::Utc>,
}

#[actix_web::test]
async fn broker_restart_database_outage_and_sigkill_lose_nothing() {
    let app = TestApp::start().await;
    let devs = devices(&app, 5).await;
    let mut broker = Broker::start_ephemeral("nothing-lost").expect("a private Mosquitto");
    // the server connects as its own role, so the database can refuse it alone
    let role = format!("ingest_{}", uuid::Uuid::now_v7().simple());
    admin(&format!("CREATE ROLE {role} LOGIN SUPERUSER PASSWORD 'pw'"));
    let url = with_user(&app.database_url, &role, "pw");
    let http = format!(
        "127.0.0.1:{}",
        mainspring::db::embedded::free_port().unwrap()
    );
    let log = tempfile::NamedTempFile::new().unwrap();
    let mut server = spawn_server(&url, &broker.url(), &http, log.path());
    wait_ready(&http).await;

    let (host, port) = ("127.0.0.1", broker.port());
    let mut options = MqttOptions::new("nothing-lost-publisher", host, port);
    options.set_keep_alive(Duration::from_secs(5));
    let (client, mut eventloop) = AsyncClient::new(options, 10);
    let t0 =
        chrono::SubsecRound::trunc_subsecs(chrono::Utc::now(), 3) - chrono::Duration::minutes(10);
    let total = 1500;
    let mut acknowledged: Vec<usize> = Vec::new();
    let started = Instant::now();
    let mut outage_until = None;
    let (mut restarted, mut outage, mut killed) = (false, false, false);
    for i in 0..total {
        let elapsed = started.elapsed();
        if !restarted && elapsed > Duration::from_secs(2) {
            broker.stop();
            tokio::time::sleep(Duration::from_millis(500)).await;
            broker.start_again().unwrap();
            restarted = true;
        }
        if !outage && elapsed > Duration::from_secs(4) {
            admin(&format!("ALTER ROLE {role} NOLOGIN"));
            admin(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{role}'"
            ));
            outage_until = Some(Instant::now() + Duration::from_secs(3));
            outage = true;
        }
        if outage && !killed && elapsed > Duration::from_secs(5) {
            // mid-outage: the server holds received messages it cannot commit
            let text = reqwest::get(format!("http://{http}/metrics"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let held: f64 = text
                .lines()
                .find(|l| l.starts_with("mainspring_telemetry_unacknowledged_messages "))
                .and_then(|l| l.rsplit(' ').next()?.parse().ok())
                .unwrap_or(0.0);
            assert!(
                held > 0.0,
                "the server holds no uncommitted message to lose"
            );
            server.0.kill().unwrap();
            server.0.wait().unwrap();
            killed = true;
        }
        if let Some(until) = outage_until {
            if Instant::now() > until {
                admin(&format!("ALTER ROLE {role} LOGIN"));
                outage_until = None;
                server = spawn_server(&url, &broker.url(), &http, log.path());
            }
        }
        let (device, _) = &devs[i % devs.len()];
        let ts = t0 + chrono::Duration::milliseconds(i as i64);
        let body =
            json!({"ts": ts.to_rfc3339(), "seq": i, "values": {"a": i, "b": i % 7, "c": true}});
        let topic = format!("mainspring/v1/devices/{device}/telemetry");
        if publish_one(
            &client,
            &mut eventloop,
            &topic,
            body.to_string().into_bytes(),
        )
        .await
        {
            acknowledged.push(i);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(restarted && outage && killed && outage_until.is_none());
    assert!(
        acknowledged.len() > total * 8 / 10,
        "{} acknowledged",
        acknowledged.len()
    );

    // everything acknowledged arrives, exactly once
    let expected: HashSet<Key> = acknowledged
        .iter()
        .flat_map(|i| {
            let (device, _) = &devs[i % devs.len()];
            let ts = t0 + chrono::Duration::milliseconds(*i as i64);
            ["a", "b", "c"].map(|m| Key {
                device_id: device.clone(),
                metric: m.into(),
                ts,
            })
        })
        .collect();
    let mut conn = app.conn();
    let deadline = Instant::now() + Duration::from_secs(60);
    let stored: Vec<Key> = loop {
        let stored: Vec<Key> = diesel::sql_query(
            "SELECT d.device_id, s.metric, r.ts FROM telemetry.readings r
             JOIN telemetry.series s ON s.id = r.series_id JOIN devices d ON d.id = s.device_id",
        )
        .load(&mut conn)
        .unwrap();
        let have: HashSet<&Key> = stored.iter().collect();
        if expected.iter().all(|k| have.contains(k)) || Instant::now() > deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let have: HashSet<&Key> = stored.iter().collect();
    let missing: Vec<&Key> = expected.iter().filter(|k| !have.contains(k)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged readings lost, e.g. {:?}; server log:\n{}",
        missing.len(),
        expected.len(),
        missing.first(),
        std::fs::read_to_string(log.path()).unwrap_or_default()
    );
    assert_eq!(have.len(), stored.len(), "a reading was stored twice");
    // nothing but what was published
    assert!(stored.len() <= total * 3);
    drop(server);
    drop(app);
    admin(&format!("DROP ROLE IF EXISTS {role}"));
}
