//! "No data" rules against a real PostgreSQL: a device silent for the rule's seconds or
//! reporting `offline` (its Last Will) opens an `offline` ticket once, however often the
//! check runs or the status repeats; coming back clears it; another episode is an
//! occurrence.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::rules_support::*;
use crate::support::{Fleet, TestApp};

/// What ingest does when a device's data arrives: its last-seen time moves.
fn seen(app: &TestApp, device: mainspring::ids::DeviceRecordId, at: chrono::DateTime<Utc>) {
    use mainspring::schema::devices;
    diesel::update(devices::table.find(device))
        .set(devices::last_seen_at.eq(at))
        .execute(&mut app.conn())
        .unwrap();
}

#[actix_web::test]
async fn a_silent_device_opens_one_offline_ticket_and_clears_when_it_reports_again() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let rule = app
        .create(
            "/api/v1/rules",
            json!({"name": "Silent", "model_id": f.model, "kind": "no_data", "silence_s": 60,
                   "severity": "critical", "asset_status": "degraded"}),
        )
        .await;
    let now = Utc::now();
    seen(&app, f.device, now);
    let mut conn = app.conn();
    let check = |conn: &mut PgConnection, at| mainspring::rules::check_silence(conn, at).unwrap();
    assert_eq!(check(&mut conn, now + Duration::seconds(59)), 0);
    assert_eq!(check(&mut conn, now + Duration::seconds(61)), 1);
    assert_eq!(
        check(&mut conn, now + Duration::seconds(62)),
        0,
        "still the same silence"
    );
    assert_eq!(check(&mut conn, now + Duration::seconds(600)), 0);
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(
        (
            t["source"].as_str(),
            t["priority"].as_str(),
            t["kind"].as_str()
        ),
        (Some("offline"), Some("critical"), Some("corrective"))
    );
    assert_eq!(t["rule_id"], rule["id"]);
    assert_eq!(t["title"], "Filler SN-1: device dev-SN-1 silent for 60 s");
    assert_eq!(asset_status(&app, f.asset).await, "degraded");

    // data again: cleared, status restored
    seen(&app, f.device, now + Duration::seconds(700));
    assert_eq!(check(&mut conn, now + Duration::seconds(701)), 0);
    assert_eq!(asset_status(&app, f.asset).await, "operational");
    // silent again: an occurrence on the open ticket
    assert_eq!(check(&mut conn, now + Duration::seconds(800)), 0);
    let t = &tickets_of(&app, f.asset).await[0];
    assert_eq!(t["occurrences"], 2);
    assert_eq!(
        event_kinds(&app, t).await,
        [
            "created",
            "asset_status",
            "cleared",
            "asset_status",
            "occurrence",
            "asset_status"
        ]
    );
}

#[actix_web::test]
async fn a_rule_gives_devices_its_silence_before_counting_them_silent() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    // the device never sent anything, but the rule is new
    app.create(
        "/api/v1/rules",
        json!({"name": "Silent", "asset_id": f.asset, "kind": "no_data", "silence_s": 300}),
    )
    .await;
    let mut conn = app.conn();
    let now = Utc::now();
    assert_eq!(mainspring::rules::check_silence(&mut conn, now).unwrap(), 0);
    assert_eq!(
        mainspring::rules::check_silence(&mut conn, now + Duration::seconds(301)).unwrap(),
        1
    );
}

#[actix_web::test]
async fn a_last_will_opens_an_offline_ticket_once_and_online_clears_it() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    app.create(
        "/api/v1/rules",
        json!({"name": "Offline", "asset_id": f.asset, "kind": "no_data"}),
    )
    .await;
    let mut conn = app.conn();
    let now = Utc::now();
    let status = |conn: &mut PgConnection, online: bool, s: i64| {
        mainspring::rules::on_status(conn, f.device, f.asset, online, now + Duration::seconds(s))
            .unwrap()
    };
    status(&mut conn, true, 0);
    assert!(tickets_of(&app, f.asset).await.is_empty());
    status(&mut conn, false, 10);
    // every instance sees the same Last Will, a retained copy comes again on reconnect
    status(&mut conn, false, 11);
    status(&mut conn, false, 12);
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["occurrences"], 1);
    assert_eq!(tickets[0]["title"], "Filler SN-1: device dev-SN-1 offline");
    // an older `online` delivered late changes nothing
    status(&mut conn, true, 5);
    assert_eq!(event_kinds(&app, &tickets[0]).await, ["created"]);
    status(&mut conn, true, 20);
    status(&mut conn, false, 30);
    let t = &tickets_of(&app, f.asset).await[0];
    assert_eq!(t["occurrences"], 2);
    assert_eq!(
        event_kinds(&app, t).await,
        ["created", "cleared", "occurrence"]
    );
}

#[actix_web::test]
async fn status_without_a_rule_watching_it_changes_nothing() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    // silence only: status messages are not this rule's business
    app.create(
        "/api/v1/rules",
        json!({"name": "Silent", "asset_id": f.asset, "kind": "no_data", "silence_s": 60,
               "offline_status": false}),
    )
    .await;
    let mut conn = app.conn();
    mainspring::rules::on_status(&mut conn, f.device, f.asset, false, Utc::now()).unwrap();
    assert!(tickets_of(&app, f.asset).await.is_empty());
    let rows: i64 = mainspring::schema::rule_device_states::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 0);
}

#[actix_web::test]
async fn an_offline_device_that_also_goes_silent_is_one_problem() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    app.create(
        "/api/v1/rules",
        json!({"name": "No data", "asset_id": f.asset, "kind": "no_data", "silence_s": 60}),
    )
    .await;
    let mut conn = app.conn();
    let now = Utc::now();
    seen(&app, f.device, now);
    mainspring::rules::on_status(&mut conn, f.device, f.asset, false, now).unwrap();
    assert_eq!(
        mainspring::rules::check_silence(&mut conn, now + Duration::seconds(120)).unwrap(),
        0
    );
    let t = &tickets_of(&app, f.asset).await[0];
    assert_eq!(t["occurrences"], 1);
    // back online but still silent: not cleared yet
    mainspring::rules::on_status(
        &mut conn,
        f.device,
        f.asset,
        true,
        now + Duration::seconds(130),
    )
    .unwrap();
    assert_eq!(event_kinds(&app, t).await, ["created"]);
    seen(&app, f.device, now + Duration::seconds(140));
    mainspring::rules::check_silence(&mut conn, now + Duration::seconds(141)).unwrap();
    assert_eq!(event_kinds(&app, t).await, ["created", "cleared"]);
}
