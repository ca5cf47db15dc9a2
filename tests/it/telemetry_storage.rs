//! Storage over time: the query API answers raw readings in pages, or buckets from raw
//! rows and hourly rollups as the range requires; late readings roll their hour up
//! again; daily partitions are created ahead and dropped after the retention period.

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::support::TestApp;
use crate::telemetry_support::*;
use mainspring::telemetry::partitions;

fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::hours(1)).unwrap()
}

fn q(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[actix_web::test]
async fn series_come_raw_in_pages_or_bucketed_from_rollups_and_raw_rows() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 1).await;
    let now = Utc::now();
    let h0 = hour_floor(now) - Duration::hours(3);
    // six readings an hour for three hours: 0..17
    let messages: Vec<(String, Vec<u8>)> = (0..18)
        .map(|i| {
            let ts = h0 + Duration::minutes(10 * i);
            (
                telemetry_topic(&app, &devs[0].0),
                json!({"ts": ts.to_rfc3339(), "values": {"temperature_c": i}})
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect();
    publish(&app.mqtt_url, &messages).await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        18,
        20,
    )
    .await;
    let range = format!(
        "/api/v1/telemetry?device=dev-0&metric=temperature_c&from={}&to={}",
        q(h0),
        q(h0 + Duration::hours(3))
    );

    // raw, in pages
    let mut values = Vec::new();
    let mut path = format!("{range}&limit=5");
    loop {
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200, "{page}");
        assert_eq!(page["source"], "raw");
        values.extend(
            page["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["value"].as_f64().unwrap()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("{range}&limit=5&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(values, (0..18).map(f64::from).collect::<Vec<_>>());

    // hourly buckets from raw rows (nothing rolled up yet)
    let buckets = |v: &Value| -> Vec<(f64, f64, f64, i64)> {
        v["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["min"].as_f64().unwrap(),
                    p["max"].as_f64().unwrap(),
                    p["avg"].as_f64().unwrap(),
                    p["count"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let (status, raw) = app.get(&format!("{range}&bucket=1h")).await;
    assert_eq!(status, 200, "{raw}");
    let expected = vec![
        (0.0, 5.0, 2.5, 6),
        (6.0, 11.0, 8.5, 6),
        (12.0, 17.0, 14.5, 6),
    ];
    assert_eq!(buckets(&raw), expected);

    // roll up the completed hours: the same answer, now from the rollups
    let mut conn = app.conn();
    diesel::sql_query("UPDATE telemetry.rollup_state SET done_until = $1")
        .bind::<diesel::sql_types::Timestamptz, _>(h0)
        .execute(&mut conn)
        .unwrap();
    let hours = partitions::roll_up(&mut conn, now, 30, 730).unwrap();
    assert!(hours >= 2, "{hours} hours rolled up");
    let (_, rolled) = app.get(&format!("{range}&bucket=1h")).await;
    assert_ne!(rolled["source"], "raw", "{rolled}");
    assert_eq!(buckets(&rolled), expected);
    // a six-hour bucket merges rollups and raw rows
    let (_, wide) = app.get(&format!("{range}&bucket=6h")).await;
    let total: i64 = buckets(&wide).iter().map(|b| b.3).sum();
    assert_eq!(total, 18);

    // a late reading in a rolled-up hour is rolled up again
    publish(
        &app.mqtt_url,
        &[(
            telemetry_topic(&app, &devs[0].0),
            json!({"ts": (h0 + Duration::minutes(5)).to_rfc3339(), "values": {"temperature_c": -1}})
                .to_string()
                .into_bytes(),
        )],
    )
    .await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        19,
        20,
    )
    .await;
    let marked = format!(
        "SELECT count(*) AS n FROM telemetry.rollup_dirty WHERE hour = '{}'",
        h0.to_rfc3339()
    );
    assert_eq!(
        count(&mut conn, &marked),
        1,
        "the late reading marks its hour"
    );
    partitions::roll_up(&mut conn, Utc::now(), 30, 730).unwrap();
    let (_, again) = app.get(&format!("{range}&bucket=1h")).await;
    assert_eq!(buckets(&again)[0], (-1.0, 5.0, 2.0, 7));
}

#[actix_web::test]
async fn bad_series_queries_are_refused_by_field() {
    let app = TestApp::start().await;
    devices(&app, 1).await;
    for (query, field) in [
        ("device=dev-0&metric=a&bucket=2m", "bucket"),
        ("device=ghost&metric=a", "device"),
        (
            "device=dev-0&metric=a&from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z",
            "from",
        ),
        ("device=dev-0&metric=a&limit=0", "limit"),
        (
            "device=dev-0&metric=a&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z&bucket=1m",
            "bucket",
        ),
    ] {
        let (status, body) = app.get(&format!("/api/v1/telemetry?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(
            crate::support::problem_fields(&body),
            vec![field],
            "{query}"
        );
    }
    let (status, _) = app.get("/api/v1/telemetry?device=dev-0").await;
    assert_eq!(status, 422, "metric is required");
    let (status, _) = app
        .get(&format!(
            "/api/v1/assets/{}/telemetry/latest",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert_eq!(status, 404);
    // a long range without a bucket comes in hours
    let (status, body) = app
        .get("/api/v1/telemetry?device=dev-0&metric=a&from=2026-11-01T00:00:00Z&to=2026-11-03T00:00:00Z")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["bucket"], "1h");
}

#[actix_web::test]
async fn partitions_are_made_ahead_and_dropped_after_retention() {
    let app = TestApp::start_ingest(&[]).await;
    let devs = devices(&app, 1).await;
    publish(
        &app.mqtt_url,
        &[(
            telemetry_topic(&app, &devs[0].0),
            json!({"values": {"a": 1}}).to_string().into_bytes(),
        )],
    )
    .await;
    wait_for(
        &app.database_url,
        "SELECT count(*) AS n FROM telemetry.readings",
        1,
        20,
    )
    .await;
    let mut conn = app.conn();
    let partitions_sql =
        "SELECT count(*) AS n FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent \
                          JOIN pg_namespace s ON s.oid = p.relnamespace \
                          WHERE s.nspname = 'telemetry' AND p.relname = 'readings'";
    // ingest made the retention period's days and three ahead
    assert_eq!(count(&mut conn, partitions_sql), 34);
    // 40 days on, today's partition is past the 30-day retention: dropped, new ones made
    let later = Utc::now() + Duration::days(40);
    let (created, dropped) = partitions::maintain_partitions(&mut conn, later, 30).unwrap();
    assert_eq!((created, dropped), (34, 34));
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM telemetry.readings"),
        0
    );
    assert_eq!(count(&mut conn, partitions_sql), 34);
}
