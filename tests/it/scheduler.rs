//! The PM scheduler against a real PostgreSQL, with time driven through the `now` of
//! each run: exactly one ticket per (plan, asset, occurrence) with two instances and
//! across restarts; daylight-saving changes; catch-up after downtime; meter plans
//! across counter resets and out-of-order readings; what a PM ticket opens with.

use chrono::{Duration, Timelike, Utc};
use chrono_tz::Europe::Berlin;
use diesel::RunQueryDsl;
use serde_json::json;

use crate::maintenance_support::*;
use crate::support::{Fleet, TestApp};

#[actix_web::test]
async fn a_daily_nine_oclock_plan_opens_at_nine_local_across_daylight_saving() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Daily check", "asset_id": f.assets[0], "calendar": {"cron": "0 9 * * *"},
               "starts_at": "2027-03-26T12:00:00Z"}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    // Berlin springs forward on 2027-03-28 and falls back on 2027-10-31
    assert_eq!(run_at(&app, utc(2027, 3, 27, 7, 59)).await.opened, 0);
    for (day, hour_utc) in [(27, 8), (28, 7), (29, 7)] {
        let before = run_at(&app, utc(2027, 3, day, hour_utc, 0) - Duration::minutes(1)).await;
        assert_eq!(
            before.opened, 0,
            "nothing before 09:00 local on March {day}"
        );
        let at = run_at(&app, utc(2027, 3, day, hour_utc, 0) + Duration::seconds(30)).await;
        assert_eq!(at.opened, 1, "09:00 local on March {day}");
    }
    let mut tickets = pm_tickets(&app, id).await;
    assert_eq!(
        dues(&tickets),
        [
            "2027-03-27T08:00:00+00:00",
            "2027-03-28T07:00:00+00:00",
            "2027-03-29T07:00:00+00:00"
        ]
    );
    // autumn (after a long stop, caught up by one late ticket): the Saturday before the
    // change in CEST, the Sunday of the change in CET
    assert_eq!(run_at(&app, utc(2027, 10, 29, 12, 0)).await.opened, 1);
    assert_eq!(run_at(&app, utc(2027, 10, 30, 7, 1)).await.opened, 1);
    assert_eq!(run_at(&app, utc(2027, 10, 31, 7, 59)).await.opened, 0);
    assert_eq!(run_at(&app, utc(2027, 10, 31, 8, 1)).await.opened, 1);
    tickets = pm_tickets(&app, id).await;
    let dues = dues(&tickets);
    assert_eq!(
        &dues[3..],
        [
            "2027-10-29T07:00:00+00:00",
            "2027-10-30T07:00:00+00:00",
            "2027-10-31T08:00:00+00:00"
        ]
    );
    for t in &tickets {
        let due: chrono::DateTime<Utc> = t["maintenance"]["due_at"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(due.with_timezone(&Berlin).hour(), 9);
        assert_eq!(t["resolution_due_at"], t["maintenance"]["due_at"]);
        assert_eq!(
            t["response_due_at"],
            serde_json::Value::Null,
            "PM tickets have no response target"
        );
    }
}

#[actix_web::test]
async fn a_local_time_that_does_not_exist_fires_once_at_the_next_valid_minute() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Night flush", "asset_id": f.assets[0], "calendar": {"cron": "30 2 * * *"},
               "starts_at": "2027-03-27T12:00:00Z"}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    // 02:30 does not exist in Berlin on 2027-03-28: 02:00 CET became 03:00 CEST (01:00 UTC)
    assert_eq!(run_at(&app, utc(2027, 3, 28, 0, 59)).await.opened, 0);
    assert_eq!(run_at(&app, utc(2027, 3, 28, 1, 0)).await.opened, 1);
    assert_eq!(run_at(&app, utc(2027, 3, 28, 1, 31)).await.opened, 0);
    assert_eq!(
        dues(&pm_tickets(&app, id).await),
        ["2027-03-28T01:00:00+00:00"]
    );
    // 02:30 happens twice on 2027-10-31: it fires once, at the first (after a stop that
    // ends with one late ticket)
    assert_eq!(run_at(&app, utc(2027, 10, 30, 12, 0)).await.opened, 1);
    assert_eq!(run_at(&app, utc(2027, 10, 31, 0, 31)).await.opened, 1);
    assert_eq!(run_at(&app, utc(2027, 10, 31, 1, 31)).await.opened, 0);
    assert_eq!(
        &dues(&pm_tickets(&app, id).await)[1..],
        ["2027-10-30T00:30:00+00:00", "2027-10-31T00:30:00+00:00"]
    );
}

#[actix_web::test]
async fn a_scheduler_stopped_for_three_occurrences_opens_one_late_ticket_per_plan_and_asset() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Daily check", "model_id": f.model, "calendar": {"cron": "0 9 * * *"},
               "starts_at": "2027-01-10T00:00:00Z"}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(run_at(&app, utc(2027, 1, 10, 8, 1)).await.opened, 2);
    // stopped through the 11th, 12th and 13th; restarted at noon on the 13th
    let r = run_at(&app, utc(2027, 1, 13, 11, 0)).await;
    assert_eq!((r.pairs, r.opened, r.failed), (2, 2, 0));
    let tickets = pm_tickets(&app, id).await;
    assert_eq!(tickets.len(), 4);
    for late in &tickets[2..] {
        assert_eq!(late["maintenance"]["due_at"], "2027-01-13T08:00:00Z");
        assert_eq!(late["maintenance"]["missed_occurrences"], 2);
        assert!(
            late["description"]
                .as_str()
                .unwrap()
                .contains("3 occurrences fell due"),
            "{late}"
        );
    }
    // running again changes nothing, and with nothing due it locks and writes nothing
    let again = run_at(&app, utc(2027, 1, 13, 11, 1)).await;
    assert_eq!((again.pairs, again.handled, again.opened), (2, 0, 0));
}

#[actix_web::test]
async fn two_scheduler_instances_open_exactly_one_ticket_per_occurrence() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Hourly check", "model_id": f.model, "calendar": {"cron": "0 * * * *"},
               "starts_at": "2027-02-01T00:00:00Z"}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    // two instances tick through the same day on one clock, each on its own
    // connection, at the same moments
    let clock = std::sync::Arc::new(std::sync::Barrier::new(2));
    let instance = || {
        let (url, clock) = (app.database_url.clone(), clock.clone());
        tokio::task::spawn_blocking(move || {
            use diesel::Connection;
            let mut conn = diesel::PgConnection::establish(&url).unwrap();
            let (mut opened, mut skipped) = (0, 0);
            for minute in (1..24 * 60).step_by(7) {
                clock.wait();
                let now = utc(2027, 2, 1, 0, 0) + Duration::minutes(minute);
                let r = mainspring::maintenance::scheduler::run_once(
                    &mut conn,
                    now,
                    Default::default(),
                )
                .unwrap();
                opened += r.opened;
                skipped += usize::from(r.skipped);
            }
            (opened, skipped)
        })
    };
    let (a, b) = (instance(), instance());
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let tickets = pm_tickets(&app, &id).await;
    assert_eq!(a.0 + b.0, tickets.len());
    assert!(tickets
        .iter()
        .all(|t| t["maintenance"]["missed_occurrences"] == 0));
    // every hour of the day, for both assets, once
    let mut keys: Vec<(String, String)> = tickets
        .iter()
        .map(|t| {
            (
                t["asset_id"].as_str().unwrap().to_owned(),
                t["maintenance"]["due_at"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "a duplicate ticket");
    assert_eq!(n, 2 * 23, "01:00 to 23:00 for two assets");
    // a restart (a new connection, the same database) opens none again
    assert_eq!(run_at(&app, utc(2027, 2, 1, 23, 59)).await.opened, 0);
    // and the database itself refuses a second ticket for an occurrence
    let dup = diesel::sql_query(format!(
        "INSERT INTO tickets (id, kind, source, priority, asset_id, site_id, title, resolution_due_at, created_by,
                              plan_id, pm_trigger, pm_due_at)
         SELECT gen_random_uuid(), kind, source, priority, asset_id, site_id, title, resolution_due_at, 'sql',
                plan_id, pm_trigger, pm_due_at FROM tickets WHERE plan_id = '{id}' LIMIT 1"
    ))
    .execute(&mut app.conn());
    let err = dup.expect_err("the unique index refuses it").to_string();
    assert!(err.contains("tickets_pm_calendar_once"), "{err}");
}

#[actix_web::test]
async fn a_failing_plan_and_asset_is_logged_and_the_others_still_get_their_tickets() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Daily check", "model_id": f.model, "calendar": {"cron": "0 9 * * *"},
               "starts_at": "2027-01-10T00:00:00Z"}),
    )
    .await;
    // the database refuses tickets for the first asset
    let mut conn = app.conn();
    diesel::sql_query(
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'refused for the test'; END $$",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(format!(
        "CREATE TRIGGER refuse BEFORE INSERT ON tickets FOR EACH ROW
         WHEN (NEW.asset_id = '{}') EXECUTE FUNCTION refuse()",
        f.assets[0]
    ))
    .execute(&mut conn)
    .unwrap();
    let r = run_at(&app, utc(2027, 1, 10, 8, 1)).await;
    assert_eq!((r.opened, r.failed), (1, 1));
    diesel::sql_query("DROP TRIGGER refuse ON tickets")
        .execute(&mut app.conn())
        .unwrap();
    // the next run catches the failed one up
    let r = run_at(&app, utc(2027, 1, 10, 8, 2)).await;
    assert_eq!((r.opened, r.failed), (1, 0));
    assert_eq!(pm_tickets(&app, p["id"].as_str().unwrap()).await.len(), 2);
}

#[actix_web::test]
async fn a_pm_ticket_opens_with_the_checklist_the_kit_reserved_and_the_dispatch_policy() {
    let app = TestApp::start_with(&[]).await;
    let f = Fleet::new(&app).await;
    let filter = stocked_part(&app, "FLT-1", &f.store, "1").await;
    let belt = stocked_part(&app, "BLT-1", &f.store, "5").await;
    let p = plan(
        &app,
        json!({"title": "Quarterly service", "asset_id": f.assets[0],
               "calendar": {"every": 3, "unit": "months", "anchor": "2027-01-15", "at": "07:00"},
               "checklist": ["Replace filter", "Tension belt"], "lead_days": 7, "priority": "urgent",
               "parts": [{"part_id": filter, "quantity": "2"}, {"part_id": belt, "quantity": "1"}],
               "skills": ["pneumatics"], "estimated_minutes": 90, "starts_at": "2027-01-01T00:00:00Z"}),
    )
    .await;
    // opens 7 days ahead of 2027-01-15 07:00 Berlin
    assert_eq!(run_at(&app, utc(2027, 1, 8, 5, 59)).await.opened, 0);
    assert_eq!(run_at(&app, utc(2027, 1, 8, 6, 0)).await.opened, 1);
    let t = &pm_tickets(&app, p["id"].as_str().unwrap()).await[0];
    assert_eq!(t["kind"], "preventive");
    assert_eq!(t["source"], "schedule");
    assert_eq!(t["priority"], "urgent");
    assert_eq!(t["skills"], json!(["pneumatics"]));
    assert_eq!(t["resolution_due_at"], "2027-01-15T06:00:00Z");
    assert!(t["title"]
        .as_str()
        .unwrap()
        .starts_with("Quarterly service — "));
    assert!(
        t["description"]
            .as_str()
            .unwrap_or_default()
            .contains("90 minutes"),
        "{t}"
    );
    let tid = t["id"].as_str().unwrap();
    let (_, checklist) = app.get(&format!("/api/v1/tickets/{tid}/checklist")).await;
    let texts: Vec<&str> = checklist
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Replace filter", "Tension belt"]);
    let (_, parts) = app.get(&format!("/api/v1/tickets/{tid}/parts")).await;
    let (_, res) = app
        .get(&format!("/api/v1/stock/reservations?ticket_id={tid}"))
        .await;
    let by_part = |p: &str| {
        res["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["part_id"] == p)
            .cloned()
            .unwrap_or_else(|| panic!("no reservation of {p}: {res} / {parts}"))
    };
    assert_eq!(
        (
            by_part(&filter)["quantity"].as_str(),
            by_part(&filter)["shortage"].as_str()
        ),
        (Some("1"), Some("1"))
    );
    assert_eq!(
        (
            by_part(&belt)["quantity"].as_str(),
            by_part(&belt)["shortage"].as_str()
        ),
        (Some("1"), Some("0"))
    );
    assert!(by_part(&belt)["warehouse_id"] == f.store.as_str());
    let (_, events) = app.get(&format!("/api/v1/tickets/{tid}/events")).await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "checklist", "parts"]);
    assert!(events["items"][2]["note"]
        .as_str()
        .unwrap()
        .contains("short"));
}

#[actix_web::test]
async fn pm_tickets_follow_the_dispatch_policy_when_it_is_on() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let tech = app
        .create(
            "/api/v1/technicians",
            json!({"name": "Ben", "skills": ["hydraulics", "pneumatics"]}),
        )
        .await;
    app.create(
        "/api/v1/technicians",
        json!({"name": "Ana", "skills": ["hydraulics"]}),
    )
    .await;
    let p = plan(
        &app,
        json!({"title": "Check", "asset_id": f.assets[0], "calendar": {"cron": "0 9 * * *"},
               "skills": ["pneumatics"], "starts_at": "2027-01-10T00:00:00Z"}),
    )
    .await;
    let mut conn = app.conn();
    let r = tokio::task::spawn_blocking(move || {
        mainspring::maintenance::scheduler::run_once(
            &mut conn,
            utc(2027, 1, 10, 8, 1),
            mainspring::maintenance::scheduler::Options { auto_assign: true },
        )
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(r.opened, 1);
    let t = &pm_tickets(&app, p["id"].as_str().unwrap()).await[0];
    assert_eq!(t["status"], "assigned");
    assert_eq!(
        t["assignee_id"], tech["id"],
        "only Ben has the plan's skill"
    );
}

async fn readings(app: &TestApp, asset: &str, values: &[(i64, f64)], base: chrono::DateTime<Utc>) {
    let readings: Vec<serde_json::Value> = values
        .iter()
        .map(|(n, v)| json!({"meter": "runtime_h", "value": v, "read_at": base + Duration::milliseconds(10 * n)}))
        .collect();
    app.create(
        &format!("/api/v1/assets/{asset}/meter-readings"),
        json!({ "readings": readings }),
    )
    .await;
}

#[actix_web::test]
async fn a_meter_plan_fires_at_the_right_reading_across_a_reset_and_out_of_order_readings() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let asset = &f.assets[0];
    let p = plan(
        &app,
        json!({"title": "Service every 100 h", "asset_id": asset, "meter": {"name": "runtime_h", "every": 100}}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let t0 = Utc::now();
    let later = t0 + Duration::minutes(10);
    // the first reading is the base; then 80 h, a reset (5), 10, 10: 105 at the last
    readings(&app, asset, &[(1, 1000.0), (2, 1080.0)], t0).await;
    // these arrive out of order
    readings(&app, asset, &[(4, 15.0), (3, 5.0)], t0).await;
    assert_eq!(run_at(&app, later).await.opened, 0);
    readings(&app, asset, &[(5, 25.0)], t0).await;
    assert_eq!(run_at(&app, later).await.opened, 1);
    let tickets = pm_tickets(&app, id).await;
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t["maintenance"]["trigger"], "meter");
    let note = t["description"].as_str().unwrap();
    assert!(note.contains("runtime_h reached 25"), "{note}");
    assert!(note.contains("(105 used since"), "{note}");
    // more use before it is resolved opens nothing more
    readings(&app, asset, &[(6, 200.0)], t0).await;
    assert_eq!(run_at(&app, later).await.opened, 0);
    // resolved: counting starts again from the value then (200)
    let tid = t["id"].as_str().unwrap();
    let tech = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    // every reading so far is in the past when it is resolved
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    for step in [
        json!({"to": "assigned", "assignee_id": tech["id"]}),
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "resolution": "serviced"}),
    ] {
        let (s, b) = app
            .post(&format!("/api/v1/tickets/{tid}/transitions"), step)
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let t1 = Utc::now() + Duration::milliseconds(100);
    readings(&app, asset, &[(1, 250.0), (2, 299.0)], t1).await;
    assert_eq!(run_at(&app, t1 + Duration::minutes(10)).await.opened, 0);
    readings(&app, asset, &[(3, 300.0)], t1).await;
    assert_eq!(run_at(&app, t1 + Duration::minutes(10)).await.opened, 1);
    assert_eq!(pm_tickets(&app, id).await.len(), 2);
}

#[actix_web::test]
async fn a_plan_with_both_triggers_opens_one_ticket_for_whichever_comes_first() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let asset = &f.assets[0];
    let now = Utc::now();
    let p = plan(
        &app,
        json!({"title": "Service", "asset_id": asset, "meter": {"name": "runtime_h", "every": 50, "start": 0},
               "calendar": {"every": 1, "unit": "days", "anchor": (now + Duration::days(3)).date_naive(), "at": "12:00"}}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    // the meter comes first (read after the plan began covering the asset)
    let now = Utc::now();
    readings(&app, asset, &[(1, 60.0)], now).await;
    assert_eq!(run_at(&app, now + Duration::minutes(5)).await.opened, 1);
    // the calendar's occurrences still open their own tickets later
    assert_eq!(
        pm_tickets(&app, id).await[0]["maintenance"]["trigger"],
        "meter"
    );
    // but the meter does not fire again while that ticket is in work
    readings(&app, asset, &[(2, 500.0)], now).await;
    assert_eq!(run_at(&app, now + Duration::minutes(6)).await.opened, 0);
}

#[actix_web::test]
async fn the_periodic_tick_runs_the_scheduler_on_its_own() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Daily", "asset_id": f.assets[0], "calendar": {"cron": "0 9 * * *"}, "lead_days": 2}),
    )
    .await;
    let db = mainspring::db::Db::connect(&app.database_url, 2).unwrap();
    let ticker = mainspring::maintenance::scheduler::spawn(db, Default::default(), "* * * * * *")
        .expect("the tick starts");
    let mut tickets = Vec::new();
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        tickets = pm_tickets(&app, p["id"].as_str().unwrap()).await;
        if !tickets.is_empty() {
            break;
        }
    }
    drop(ticker);
    // the two occurrences inside the lead time, once each
    assert_eq!(tickets.len(), 2, "{tickets:?}");
}
