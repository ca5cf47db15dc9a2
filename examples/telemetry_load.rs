//! A quick end-to-end ingest load run (not the formal benchmark, which lives in
//! `simulators/`): a fresh database with registered devices, a private Mosquitto (or
//! `MQTT_URL`), the release `mainspring serve`, and a QoS 1 publisher at a target rate.
//! Reports readings/s from first publish to last commit, the broker's dropped count,
//! the server's peak memory, and, on the same rows, table and indexes, a raw binary
//! COPY for comparison.
//!
//! cargo build --release && cargo run --release --example telemetry_load -- \
//!     postgres://postgres@127.0.0.1:5432/postgres 50000 20
//! (admin database URL, target readings/s, seconds)

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

const DEVICES: usize = 200;
const METRICS: usize = 10;

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql)
        .get_result::<N>(conn)
        .map(|r| r.n)
        .unwrap_or(-1)
}

fn setup(admin_url: &str) -> anyhow::Result<(String, String)> {
    let name = format!("ms_load_{}", uuid::Uuid::now_v7().simple());
    let mut admin = PgConnection::establish(admin_url)?;
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin)?;
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => anyhow::bail!("the admin URL needs a database path"),
    };
    mainspring::db::migrate(&url)?;
    let mut conn = PgConnection::establish(&url)?;
    diesel::sql_query(format!(
        "WITH c AS (INSERT INTO customers (id, name) VALUES (gen_random_uuid(), 'Load') RETURNING id),
              s AS (INSERT INTO sites (id, name, customer_id, time_zone)
                    SELECT gen_random_uuid(), 'Plant', id, 'UTC' FROM c RETURNING id),
              m AS (INSERT INTO equipment_models (id, manufacturer, model_number)
                    VALUES (gen_random_uuid(), 'Load', 'L1') RETURNING id),
              a AS (INSERT INTO assets (id, model_id, serial_number, site_id)
                    SELECT gen_random_uuid(), m.id, 'SN-' || g, s.id
                    FROM m, s, generate_series(0, {last}) g RETURNING id, serial_number)
         INSERT INTO devices (id, device_id, asset_id)
         SELECT gen_random_uuid(), 'dev-' || substr(serial_number, 4), id FROM a",
        last = DEVICES - 1
    ))
    .execute(&mut conn)?;
    Ok((url, name))
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let admin_url = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let rate: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50_000);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let (url, name) = tokio::task::spawn_blocking({
        let admin_url = admin_url.clone();
        move || setup(&admin_url)
    })
    .await??;
    let broker = match std::env::var("MQTT_URL") {
        Ok(u) => (u, None),
        Err(_) => {
            let b = mainspring::mqtt::broker::Broker::start_ephemeral("load")?;
            (b.url(), Some(b))
        }
    };
    let exe = std::env::current_exe()?
        .parent()
        .and_then(|p| p.parent())
        .map(|p| p.join("mainspring"))
        .ok_or_else(|| anyhow::anyhow!("no binary folder"))?;
    let http = format!("127.0.0.1:{}", mainspring::db::embedded::free_port()?);
    let mut server = Command::new(&exe)
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("MQTT_URL", &broker.0)
        .env("MQTT_CLIENT_ID", format!("load-{name}"))
        .env("HTTP_ADDR", &http)
        .env("MAINSPRING_ROLES", "http,ingest")
        .env("MAINSPRING_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let pid = server.id();
    loop {
        if let Ok(r) = reqwest_ready(&http).await {
            if r {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let (host, port) = broker
        .0
        .trim_start_matches("mqtt://")
        .rsplit_once(':')
        .map(|(h, p)| (h.to_owned(), p.parse::<u16>().unwrap()))
        .unwrap();
    let mut o = MqttOptions::new(format!("load-pub-{name}"), host, port);
    o.set_keep_alive(Duration::from_secs(30));
    o.set_inflight(1000);
    let (client, mut eventloop) = AsyncClient::new(o, 10_000);
    let messages_per_s = rate / METRICS;
    let total_messages = messages_per_s * seconds as usize;
    let acks = tokio::spawn(async move {
        let mut acked = 0usize;
        while acked < total_messages {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("publisher: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        acked
    });
    let start = Instant::now();
    let t0 = chrono::Utc::now() - chrono::Duration::minutes(30);
    let tick = Duration::from_millis(10);
    let per_tick = (messages_per_s / 100).max(1);
    let mut sent = 0usize;
    let mut next = Instant::now();
    while sent < total_messages {
        for _ in 0..per_tick.min(total_messages - sent) {
            let device = sent % DEVICES;
            let seq = sent / DEVICES;
            let ts = (t0 + chrono::Duration::milliseconds(seq as i64)).timestamp_millis();
            let mut body = format!("{{\"ts\":{ts},\"seq\":{seq},\"values\":{{");
            for m in 0..METRICS {
                if m > 0 {
                    body.push(',');
                }
                body.push_str(&format!("\"m{m}\":{}.{}", seq % 1000, m));
            }
            body.push_str("}}");
            client
                .publish(
                    format!("mainspring/v1/devices/dev-{device}/telemetry"),
                    QoS::AtLeastOnce,
                    false,
                    body.into_bytes(),
                )
                .await?;
            sent += 1;
        }
        next += tick;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            tokio::time::sleep(wait).await;
        }
    }
    let publish_secs = start.elapsed().as_secs_f64();
    let acked = acks.await?;
    let expected = (total_messages * METRICS) as i64;
    let mut conn = PgConnection::establish(&url)?;
    let mut last = 0;
    let mut stalled = Instant::now();
    loop {
        let n = count(&mut conn, "SELECT count(*) AS n FROM telemetry.readings");
        if n >= expected {
            break;
        }
        if n != last {
            last = n;
            stalled = Instant::now();
        } else if stalled.elapsed() > Duration::from_secs(20) {
            eprintln!("ingest stalled at {n} of {expected}");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let e2e_secs = start.elapsed().as_secs_f64();
    let stored = count(&mut conn, "SELECT count(*) AS n FROM telemetry.readings");
    let metrics = reqwest_text(&format!("http://{http}/metrics"))
        .await
        .unwrap_or_default();
    let dropped = metrics
        .lines()
        .find(|l| l.starts_with("mainspring_mqtt_broker_messages_dropped "))
        .map(|l| l.to_owned())
        .unwrap_or_default();
    let batches: Vec<String> = metrics
        .lines()
        .filter(|l| {
            (l.starts_with("mainspring_telemetry") || l.starts_with("mainspring_mqtt"))
                && !l.contains("_bucket")
                && !l.ends_with(" 0")
        })
        .map(str::to_owned)
        .collect();
    let rss = peak_rss_kib(pid);
    let _ = server.kill();
    let _ = server.wait();

    // raw binary COPY of the same rows into the same (emptied) table
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        series_id: i32,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        ts: chrono::DateTime<chrono::Utc>,
        #[diesel(sql_type = diesel::sql_types::Double)]
        value: f64,
    }
    let rows: Vec<Row> =
        diesel::sql_query("SELECT series_id, ts, value FROM telemetry.readings").load(&mut conn)?;
    let rows: Vec<(i32, chrono::DateTime<chrono::Utc>, f64)> = rows
        .into_iter()
        .map(|r| (r.series_id, r.ts, r.value))
        .collect();
    diesel::sql_query("TRUNCATE telemetry.readings").execute(&mut conn)?;
    diesel::sql_query("CHECKPOINT").execute(&mut conn)?;
    let data = mainspring::telemetry::copy::encode(&rows);
    let copy_start = Instant::now();
    diesel::sql_query("BEGIN").execute(&mut conn)?;
    // COPY straight into the partitioned table, through diesel's copy_from
    diesel::table! {
        telemetry.readings (series_id, ts) {
            series_id -> Int4,
            ts -> Timestamptz,
            value -> Float8,
        }
    }
    diesel::copy_from(readings::table)
        .from_raw_data(readings::table, |w| {
            std::io::Write::write_all(w, &data)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(diesel::pg::CopyFormat::Binary)
        .execute(&mut conn)?;
    diesel::sql_query("COMMIT").execute(&mut conn)?;
    let copy_secs = copy_start.elapsed().as_secs_f64();
    let copy_rate = rows.len() as f64 / copy_secs;
    let e2e_rate = stored as f64 / e2e_secs;
    println!("target            {rate} readings/s for {seconds} s ({DEVICES} devices x {METRICS} metrics a message)");
    println!(
        "published         {} messages ({} acknowledged) in {publish_secs:.1} s",
        total_messages, acked
    );
    println!(
        "stored            {stored} of {expected} readings, all committed after {e2e_secs:.1} s"
    );
    println!("end to end        {e2e_rate:.0} readings/s");
    println!("raw binary COPY   {} rows in {copy_secs:.2} s = {copy_rate:.0} rows/s (same table and indexes)", rows.len());
    println!("ratio             {:.2}", e2e_rate / copy_rate);
    println!("broker dropped    {dropped}");
    println!("server peak RSS   {} MiB", rss / 1024);
    println!("server counters   {}", batches.join("\n                  "));
    drop(conn);
    let mut admin = PgConnection::establish(&admin_url)?;
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin)?;
    drop(broker);
    Ok(())
}

async fn reqwest_ready(http: &str) -> anyhow::Result<bool> {
    Ok(reqwest::get(format!("http://{http}/ready")).await?.status() == 200)
}

async fn reqwest_text(url: &str) -> anyhow::Result<String> {
    Ok(reqwest::get(url).await?.text().await?)
}
