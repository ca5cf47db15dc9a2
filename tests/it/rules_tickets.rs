//! Threshold rules against a real PostgreSQL: a breach held for its duration opens one
//! ticket; further breaches add occurrences; a breach of a resolved ticket reopens it;
//! after closing, a new one opens; delivery order within the lateness, duplicates and
//! restarts do not change the outcome; the asset status follows.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::rules_support::*;
use crate::support::{Fleet, TestApp};

#[actix_web::test]
async fn a_60_second_breach_opens_exactly_one_ticket_from_the_rule() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let rule = hot_rule(
        &app,
        &f,
        json!({"duration_s": 60, "title_template": "{asset} {metric} {value} {condition} ({rule})"}),
    )
    .await;
    let mut conn = app.conn();
    // held for 50 s only, then below: nothing
    feed_each(
        &mut conn,
        &temps(
            f.asset,
            f.device,
            &[(0, 90.0), (25, 95.0), (50, 91.0), (60, 70.0)],
        ),
    );
    feed_each(&mut conn, &temps(f.asset, f.device, &clear_from(70)));
    assert!(tickets_of(&app, f.asset).await.is_empty());
    // held for 60 s: one ticket, however many readings keep breaching afterwards
    feed_each(&mut conn, &temps(f.asset, f.device, &breach_from(200)));
    feed_each(&mut conn, &temps(f.asset, f.device, &breach_from(310)));
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    let t = &tickets[0];
    assert_eq!(t["rule_id"], rule["id"]);
    assert_eq!(
        (
            t["kind"].as_str(),
            t["source"].as_str(),
            t["priority"].as_str(),
            t["channel"].as_str()
        ),
        (
            Some("corrective"),
            Some("threshold"),
            Some("urgent"),
            Some("device")
        )
    );
    assert_eq!(t["status"], "open");
    assert_eq!(
        t["title"],
        "Filler SN-1 temperature_c 90 > 80 (Filler overheating)"
    );
    assert_eq!(t["occurrences"], 1);
    assert_eq!(
        t["last_occurred_at"], "2026-11-23T03:04:20Z",
        "the reading at 200 + 60 s"
    );
    assert_eq!(t["created_by"], "rules");
}

#[actix_web::test]
async fn further_breaches_add_occurrences_and_clearing_is_an_event() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({"duration_s": 60})).await;
    let mut conn = app.conn();
    for start in [0, 1000, 2000] {
        feed_each(&mut conn, &temps(f.asset, f.device, &breach_from(start)));
        feed_each(
            &mut conn,
            &temps(f.asset, f.device, &clear_from(start + 500)),
        );
    }
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["occurrences"], 3);
    assert_eq!(tickets[0]["last_occurred_at"], "2026-11-23T03:34:20Z");
    let kinds = event_kinds(&app, &tickets[0]).await;
    assert_eq!(
        kinds,
        [
            "created",
            "cleared",
            "occurrence",
            "cleared",
            "occurrence",
            "cleared"
        ]
    );
}

#[actix_web::test]
async fn a_breach_after_resolution_reopens_the_ticket_as_a_recurrence() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({})).await;
    let tech = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let mut conn = app.conn();
    feed_each(&mut conn, &temps(f.asset, f.device, &breach_from(0)));
    let t = tickets_of(&app, f.asset).await.remove(0);
    go(
        &app,
        &t,
        json!({"to": "assigned", "assignee_id": tech["id"]}),
    )
    .await;
    go(&app, &t, json!({"to": "in_progress"})).await;
    feed_each(&mut conn, &temps(f.asset, f.device, &clear_from(200)));
    go(
        &app,
        &t,
        json!({"to": "resolved", "resolution": "cleaned the cooler"}),
    )
    .await;

    feed_each(&mut conn, &temps(f.asset, f.device, &breach_from(1000)));
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1, "reopened, not a new ticket");
    let t = &tickets[0];
    assert_eq!(t["status"], "in_progress");
    assert_eq!(t["assignee_id"], tech["id"]);
    assert_eq!(t["resolved_at"], serde_json::Value::Null);
    assert_eq!(t["occurrences"], 2);
    let kinds = event_kinds(&app, t).await;
    assert_eq!(kinds[kinds.len() - 2..], ["transition", "recurrence"]);
}

#[actix_web::test]
async fn a_resolved_ticket_without_assignee_reopens_to_open() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({"duration_s": 0, "allowed_lateness_s": 0})).await;
    let tech = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let mut conn = app.conn();
    feed(
        &mut conn,
        &temps(f.asset, f.device, &[(0, 90.0), (1, 70.0)]),
    );
    let t = tickets_of(&app, f.asset).await.remove(0);
    go(
        &app,
        &t,
        json!({"to": "assigned", "assignee_id": tech["id"]}),
    )
    .await;
    go(&app, &t, json!({"to": "in_progress"})).await;
    go(&app, &t, json!({"to": "resolved", "resolution": "reset"})).await;
    let (status, v) = app
        .patch(
            &format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()),
            json!({"assignee_id": null}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    feed(&mut conn, &temps(f.asset, f.device, &[(2, 90.0)]));
    let t = tickets_of(&app, f.asset).await.remove(0);
    assert_eq!(
        (t["status"].as_str(), t["occurrences"].as_i64()),
        (Some("open"), Some(2))
    );
}

#[actix_web::test]
async fn after_closing_or_cancelling_a_new_breach_opens_a_new_ticket() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({"duration_s": 0, "allowed_lateness_s": 0})).await;
    let tech = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let mut conn = app.conn();
    feed(
        &mut conn,
        &temps(f.asset, f.device, &[(0, 90.0), (1, 70.0)]),
    );
    let first = tickets_of(&app, f.asset).await.remove(0);
    go(
        &app,
        &first,
        json!({"to": "assigned", "assignee_id": tech["id"]}),
    )
    .await;
    go(&app, &first, json!({"to": "in_progress"})).await;
    go(
        &app,
        &first,
        json!({"to": "resolved", "resolution": "reset"}),
    )
    .await;
    go(&app, &first, json!({"to": "closed"})).await;

    feed(
        &mut conn,
        &temps(f.asset, f.device, &[(2, 90.0), (3, 70.0)]),
    );
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 2);
    assert_eq!(tickets[0]["status"], "closed");
    assert_eq!(
        tickets[0]["occurrences"], 1,
        "a closed ticket takes no occurrence"
    );
    assert_eq!(
        (
            tickets[1]["status"].as_str(),
            tickets[1]["occurrences"].as_i64()
        ),
        (Some("open"), Some(1))
    );

    go(&app, &tickets[1], json!({"to": "cancelled"})).await;
    feed(&mut conn, &temps(f.asset, f.device, &[(4, 90.0)]));
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 3);
    assert_eq!(tickets[2]["status"], "open");
}

/// The rule's state and its ticket, comparable across assets.
async fn outcome(
    app: &TestApp,
    asset: mainspring::ids::AssetId,
) -> (Vec<(String, i64)>, Vec<String>, String) {
    let tickets = tickets_of(app, asset).await;
    let mut kinds = Vec::new();
    for t in &tickets {
        kinds.extend(event_kinds(app, t).await);
    }
    let phase: String = mainspring::schema::rule_states::table
        .filter(mainspring::schema::rule_states::asset_id.eq(asset))
        .select(mainspring::schema::rule_states::phase)
        .first(&mut app.conn())
        .unwrap();
    (
        tickets
            .iter()
            .map(|t| {
                (
                    t["status"].as_str().unwrap().to_owned(),
                    t["occurrences"].as_i64().unwrap(),
                )
            })
            .collect(),
        kinds,
        phase,
    )
}

#[actix_web::test]
async fn out_of_order_and_duplicate_readings_within_the_lateness_give_the_ordered_outcome() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let (other, other_device) = asset_with_device(&app, &f.model, &f.hall, "SN-2").await;
    // one rule on both assets through their model
    app.create(
        "/api/v1/rules",
        json!({"name": "Hot", "model_id": f.model, "metric": "temperature_c", "condition": ">",
               "threshold": 80, "hysteresis": 5, "duration_s": 30, "allowed_lateness_s": 30}),
    )
    .await;
    // in time order the dips at 25, 60 and 125 break each 30-second hold, so only the
    // run from 140 breaches (at 200), and 245 clears it; an engine applying readings as
    // they arrive would breach at 35 when the dip at 25 comes after it
    let points: Vec<(i64, f64)> = vec![
        (0, 90.0),
        (10, 90.0),
        (25, 70.0),
        (35, 90.0),
        (50, 90.0),
        (60, 77.0),
        (100, 85.0),
        (115, 85.0),
        (125, 60.0),
        (140, 85.0),
        (150, 85.0),
        (165, 85.0),
        (200, 90.0),
        (215, 90.0),
        (230, 90.0),
        (245, 74.0),
        (260, 90.0),
        (300, 60.0),
        (340, 60.0),
        (380, 60.0),
    ];
    let mut conn = app.conn();
    feed_each(&mut conn, &temps(f.asset, f.device, &points));

    // the same readings for the other asset: each dip delivered after the readings up
    // to 20 s newer, in uneven batches, some twice
    let r = |s: i64| {
        let v = points.iter().find(|(p, _)| *p == s).unwrap().1;
        temps(other, other_device, &[(s, v)])
    };
    let batches: Vec<Vec<i64>> = vec![
        vec![0, 10],
        vec![35],
        vec![25, 50, 10],
        vec![60, 100, 115],
        vec![140],
        vec![125, 150, 140],
        vec![165, 215, 200],
        vec![230, 260],
        vec![245, 300],
        vec![340, 380, 300],
    ];
    for b in batches {
        let readings: Vec<_> = b.iter().flat_map(|s| r(*s)).collect();
        feed(&mut conn, &readings);
    }
    let ordered = outcome(&app, f.asset).await;
    assert_eq!(ordered.0, [("open".to_owned(), 1)], "{ordered:?}");
    assert_eq!(ordered.1, ["created", "cleared"]);
    assert_eq!(outcome(&app, other).await, ordered);
}

#[actix_web::test]
async fn readings_later_than_the_lateness_do_not_change_the_rule_state() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({"duration_s": 0, "allowed_lateness_s": 30})).await;
    let mut conn = app.conn();
    feed(&mut conn, &temps(f.asset, f.device, &[(100, 50.0)]));
    let state = |conn: &mut PgConnection| -> (String, Option<chrono::DateTime<Utc>>, Vec<u8>) {
        use mainspring::schema::rule_states::dsl::*;
        rule_states
            .select((phase, applied_through, buffer))
            .first(conn)
            .unwrap()
    };
    let before = state(&mut conn);
    // 30 s and more behind the newest: stored by ingest, ignored by the rule
    feed(
        &mut conn,
        &temps(f.asset, f.device, &[(0, 99.0), (50, 99.0), (70, 99.0)]),
    );
    assert_eq!(state(&mut conn), before);
    feed(&mut conn, &temps(f.asset, f.device, &[(200, 50.0)]));
    assert!(tickets_of(&app, f.asset).await.is_empty());
}

#[actix_web::test]
async fn rule_state_survives_a_restart() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({"duration_s": 60})).await;
    let points = breach_from(0);
    {
        // the first instance sees the first 40 seconds, then goes away
        let mut conn = app.conn();
        feed_each(&mut conn, &temps(f.asset, f.device, &points[..5]));
    }
    // a new pool, as after a restart
    let pool = mainspring::db::Db::connect(&app.database_url, 2).unwrap();
    let mut conn = pool.pool().get().unwrap();
    feed_each(&mut conn, &temps(f.asset, f.device, &points[5..]));
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1, "the 60 s hold spanned the restart");
    assert_eq!(tickets[0]["last_occurred_at"], "2026-11-23T03:01:00Z");
}

#[actix_web::test]
async fn a_device_that_stops_sending_gets_its_ticket_from_the_idle_flush() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(
        &app,
        &f,
        json!({"duration_s": 20, "allowed_lateness_s": 30}),
    )
    .await;
    let mut conn = app.conn();
    feed(
        &mut conn,
        &temps(f.asset, f.device, &[(0, 90.0), (10, 90.0), (20, 90.0)]),
    );
    assert_eq!(
        mainspring::rules::flush_idle(&mut conn, Utc::now()).unwrap(),
        0,
        "not due yet"
    );
    assert!(tickets_of(&app, f.asset).await.is_empty());
    let later = Utc::now() + Duration::seconds(31);
    assert_eq!(mainspring::rules::flush_idle(&mut conn, later).unwrap(), 1);
    assert_eq!(
        mainspring::rules::flush_idle(&mut conn, later).unwrap(),
        0,
        "once"
    );
    assert_eq!(tickets_of(&app, f.asset).await.len(), 1);
}

#[actix_web::test]
async fn the_asset_status_follows_the_rule_and_is_restored_on_clear() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(
        &app,
        &f,
        json!({"allowed_lateness_s": 0, "asset_status": "down"}),
    )
    .await;
    // a second rule holding `degraded` on the same asset
    app.create(
        "/api/v1/rules",
        json!({"name": "Vibration", "asset_id": f.asset, "metric": "vibration_mm_s", "condition": ">=",
               "threshold": 7.1, "allowed_lateness_s": 0, "asset_status": "degraded"}),
    )
    .await;
    let vib = |s: i64, v: f64| mainspring::rules::Reading {
        device: f.device,
        asset: f.asset,
        metric: "vibration_mm_s".into(),
        ts: t(s),
        value: v,
    };
    let mut conn = app.conn();
    feed(&mut conn, &[vib(0, 9.0)]);
    assert_eq!(asset_status(&app, f.asset).await, "degraded");
    feed(&mut conn, &temps(f.asset, f.device, &[(1, 95.0)]));
    assert_eq!(asset_status(&app, f.asset).await, "down");
    // the temperature clears: back to what the vibration rule still holds
    feed(&mut conn, &temps(f.asset, f.device, &[(2, 60.0)]));
    assert_eq!(asset_status(&app, f.asset).await, "degraded");
    feed(&mut conn, &[vib(3, 1.0)]);
    assert_eq!(asset_status(&app, f.asset).await, "operational");
    let t = &tickets_of(&app, f.asset).await[0];
    assert!(event_kinds(&app, t)
        .await
        .contains(&"asset_status".to_owned()));
}

#[actix_web::test]
async fn a_model_rule_covers_an_asset_added_later_and_inactive_rules_do_nothing() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let rule = app
        .create(
            "/api/v1/rules",
            json!({"name": "Hot", "model_id": f.model, "metric": "temperature_c", "condition": ">",
                   "threshold": 80, "allowed_lateness_s": 0}),
        )
        .await;
    let (later, later_device) = asset_with_device(&app, &f.model, &f.hall, "SN-9").await;
    let mut conn = app.conn();
    feed(&mut conn, &temps(later, later_device, &[(0, 99.0)]));
    let tickets = tickets_of(&app, later).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["rule_id"], rule["id"]);

    let (status, _) = app
        .patch(
            &format!("/api/v1/rules/{}", rule["id"].as_str().unwrap()),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, 200);
    feed(&mut conn, &temps(f.asset, f.device, &[(0, 99.0)]));
    assert!(tickets_of(&app, f.asset).await.is_empty());
}

#[actix_web::test]
async fn readings_no_rule_watches_leave_no_state_behind() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({})).await;
    let mut conn = app.conn();
    let other_metric = mainspring::rules::Reading {
        metric: "pressure_bar".into(),
        ..temps(f.asset, f.device, &[(0, 99.0)]).remove(0)
    };
    feed(&mut conn, &[other_metric]);
    let states: i64 = mainspring::schema::rule_states::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(states, 0);
}
