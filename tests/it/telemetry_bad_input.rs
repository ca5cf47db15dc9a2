//! Bad input never stops ingest: a fuzzed stream of garbage beside good messages from
//! another device; each refusal counted per reason in `/metrics` and kept as a dead
//! letter (listed, paged, bounded); unknown devices' telemetry replayed once registered,
//! or registered automatically when that is turned on.

use chrono::{Duration, SubsecRound, Utc};
use serde_json::json;

use crate::support::TestApp;
use crate::telemetry_support::*;

/// A small deterministic generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const REASONS: [&str; 8] = [
    "malformed_json",
    "bad_message",
    "bad_value",
    "timestamp_out_of_window",
    "oversized",
    "unknown_device",
    "bad_topic",
    "bad_status",
];

#[actix_web::test]
async fn garbage_never_stops_good_messages_and_each_reason_is_counted() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 2).await;
    let good_topic = telemetry_topic(&app, &devs[0].0);
    let bad_topic = telemetry_topic(&app, &devs[1].0);
    let t0 = Utc::now().trunc_subsecs(3) - Duration::minutes(30);
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut expected = [0i64; 8];
    let mut messages = Vec::new();
    let good = 60;
    for i in 0..good {
        let ts = (t0 + Duration::seconds(i)).to_rfc3339();
        messages.push((
            good_topic.clone(),
            json!({"ts": ts, "values": {"temperature_c": i}})
                .to_string()
                .into_bytes(),
        ));
        // two pieces of garbage after each good message
        for _ in 0..2 {
            let kind = rng.below(8) as usize;
            expected[kind] += 1;
            let (topic, payload): (String, Vec<u8>) = match kind {
                0 => {
                    let mut bytes = b"{\x01".to_vec();
                    bytes.extend((0..rng.below(64)).map(|_| rng.next() as u8));
                    (bad_topic.clone(), bytes)
                }
                1 => {
                    let shapes = [
                        json!({"values": 5}),
                        json!({"ts": "yesterday", "values": {"a": 1}}),
                        json!({"seq": -3, "values": {"a": 1}}),
                        json!("just text"),
                    ];
                    let s = &shapes[rng.below(4) as usize];
                    (bad_topic.clone(), s.to_string().into_bytes())
                }
                2 => (
                    bad_topic.clone(),
                    json!({"values": {"a": "hot"}}).to_string().into_bytes(),
                ),
                3 => (
                    bad_topic.clone(),
                    json!({"ts": 631152000000i64, "values": {"a": 1}})
                        .to_string()
                        .into_bytes(),
                ),
                4 => (bad_topic.clone(), vec![b' '; 300 * 1024]),
                5 => (
                    telemetry_topic(&app, &format!("ghost-{}", rng.below(3))),
                    json!({"values": {"a": 1}}).to_string().into_bytes(),
                ),
                // matches the subscription, but the device id has characters the
                // contract does not allow
                6 => (
                    telemetry_topic(&app, "bad*device"),
                    json!({"values": {"a": 1}}).to_string().into_bytes(),
                ),
                _ => (status_topic(&app, &devs[1].0), b"maybe".to_vec()),
            };
            messages.push((topic, payload));
        }
    }
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        good,
        30,
    )
    .await;
    let total: i64 = expected.iter().sum();
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.dead_letters",
        total,
        30,
    )
    .await;
    let mut conn = app.conn();
    for (reason, n) in REASONS.iter().zip(expected) {
        let stored = count(
            &mut conn,
            &format!("SELECT count(*) AS n FROM telemetry.dead_letters WHERE reason = '{reason}'"),
        );
        assert_eq!(stored, n, "dead letters for {reason}");
        wait_metric(
            &app,
            "mainspring_telemetry_rejected_total",
            &format!("reason=\"{reason}\""),
            n as f64,
            10,
        )
        .await;
    }
    // the device whose topic carried the garbage still gets its good messages stored
    publish(
        &app.mqtt_url,
        &[(
            bad_topic.clone(),
            json!({"values": {"ok": 1}}).to_string().into_bytes(),
        )],
    )
    .await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        good + 1,
        20,
    )
    .await;
    // an oversized payload is kept truncated
    if expected[4] > 0 {
        let (_, page) = app
            .get("/api/v1/dead-letters?reason=oversized&limit=1")
            .await;
        assert_eq!(page["items"][0]["payload_truncated"], true, "{page}");
        assert_eq!(page["items"][0]["payload"].as_str().unwrap().len(), 4096);
    }
}

#[actix_web::test]
async fn dead_letters_are_listed_newest_first_in_pages_and_filtered() {
    let app = TestApp::start_ingest(&[]).await;
    let messages: Vec<(String, Vec<u8>)> = (0..5)
        .map(|i| {
            (
                telemetry_topic(&app, &format!("ghost-{i}")),
                json!({"values": {"a": i}}).to_string().into_bytes(),
            )
        })
        .chain([(telemetry_topic(&app, "ghost-0"), b"{".to_vec())])
        .collect();
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.dead_letters",
        6,
        20,
    )
    .await;
    let (status, first) = app
        .get("/api/v1/dead-letters?reason=unknown_device&limit=2")
        .await;
    assert_eq!(status, 200, "{first}");
    let items = first["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert!(items[0]["id"].as_i64() > items[1]["id"].as_i64());
    let mut seen = 2;
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let (_, next) = app
            .get(&format!(
                "/api/v1/dead-letters?reason=unknown_device&limit=2&cursor={c}"
            ))
            .await;
        seen += next["items"].as_array().unwrap().len();
        cursor = next["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, 5);
    let (_, ghost) = app.get("/api/v1/dead-letters?device_id=ghost-0").await;
    assert_eq!(ghost["items"].as_array().unwrap().len(), 2);
    assert_eq!(ghost["items"][0]["reason"], "malformed_json");
    let (status, bad) = app.get("/api/v1/dead-letters?reason=nonsense").await;
    assert_eq!(status, 422, "{bad}");
    let viewer = app.key("viewer", None).await;
    let (status, _) = app
        .call_as(&viewer, reqwest::Method::GET, "/api/v1/dead-letters", None)
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call_as(
            &viewer,
            reqwest::Method::POST,
            "/api/v1/dead-letters/replay",
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn unknown_devices_telemetry_is_replayed_once_registered() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 1).await;
    let t0 = Utc::now().trunc_subsecs(3) - Duration::minutes(5);
    let messages: Vec<(String, Vec<u8>)> = (0..3)
        .map(|i| {
            (
                telemetry_topic(&app, "late-comer"),
                json!({"ts": (t0 + Duration::seconds(i)).to_rfc3339(), "values": {"a": i, "b": true}})
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect();
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.dead_letters WHERE reason = 'unknown_device'",
        3,
        20,
    )
    .await;
    // nothing to replay while the device is unknown
    let (status, r) = app.post("/api/v1/dead-letters/replay", json!({})).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r["replayed"], 0);
    app.create(
        "/api/v1/devices",
        json!({"device_id": "late-comer", "asset_id": devs[0].1}),
    )
    .await;
    let (status, r) = app
        .post(
            "/api/v1/dead-letters/replay",
            json!({"device_id": "late-comer"}),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (
            r["replayed"].as_u64(),
            r["stored"].as_u64(),
            r["remaining"].as_u64()
        ),
        (Some(3), Some(6), Some(0))
    );
    let mut conn = app.conn();
    let rows = readings(&mut conn, "late-comer");
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[0].ts, t0);
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM telemetry.dead_letters"
        ),
        0
    );
}

#[actix_web::test]
async fn auto_registration_binds_a_device_named_like_one_assets_serial() {
    let app = TestApp::start_ingest(&[("MAINSPRING_AUTO_REGISTER_DEVICES", "true")]).await;
    let devs = devices(&app, 1).await; // its asset has serial number SN-0
    publish(
        &app.mqtt_url,
        &[
            (
                telemetry_topic(&app, "SN-0"),
                json!({"values": {"a": 1}}).to_string().into_bytes(),
            ),
            (
                telemetry_topic(&app, "nobody"),
                json!({"values": {"a": 1}}).to_string().into_bytes(),
            ),
        ],
    )
    .await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        1,
        20,
    )
    .await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.dead_letters WHERE reason = 'unknown_device'",
        1,
        20,
    )
    .await;
    let (_, found) = app.get("/api/v1/devices?device_id=SN-0").await;
    assert_eq!(found["items"][0]["asset_id"], devs[0].1.as_str(), "{found}");
}

#[actix_web::test]
async fn the_dead_letter_table_keeps_only_the_newest_rows() {
    let app = TestApp::start_ingest(&[("MAINSPRING_DEAD_LETTER_CAP", "100")]).await;
    let messages: Vec<(String, Vec<u8>)> = (0..160)
        .map(|i| {
            (
                telemetry_topic(&app, "ghost"),
                format!("{{{i}").into_bytes(),
            )
        })
        .collect();
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*)::int8 AS n FROM telemetry.dead_letters WHERE convert_from(payload, 'UTF8') = '{159'",
        1,
        20,
    )
    .await;
    let mut conn = app.conn();
    let n = count(
        &mut conn,
        "SELECT count(*) AS n FROM telemetry.dead_letters",
    );
    assert!(n <= 100, "{n} dead letters kept");
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM telemetry.dead_letters WHERE convert_from(payload, 'UTF8') = '{0'"
        ),
        0
    );
    wait_metric(
        &app,
        "mainspring_telemetry_rejected_total",
        "reason=\"malformed_json\"",
        160.0,
        10,
    )
    .await;
}
