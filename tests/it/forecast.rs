//! `GET /schedule` and `GET /schedule.ics`: occurrences in the window with their kits
//! covered cumulatively in due order, meter projections, filters and paging, the
//! window's demand, and the calendar feed read by a real iCalendar parser with
//! revocable feed tokens.

use chrono::{DateTime, Duration, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::maintenance_support::*;
use crate::support::{all_pages, assert_problem, Fleet, TestApp, ADMIN_KEY};

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

fn at(v: &Value) -> DateTime<Utc> {
    v["due_at"].as_str().unwrap().parse().unwrap()
}

#[actix_web::test]
async fn the_forecast_covers_kits_cumulatively_in_due_order_and_sums_the_demand() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let filter = stocked_part(&app, "FLT-1", &f.store, "5").await;
    // the first of every month at 09:00, for both assets: two filters each time
    let p = plan(
        &app,
        json!({"title": "Monthly", "model_id": f.model, "calendar": {"cron": "0 9 1 * *"},
               "parts": [{"part_id": filter, "quantity": "2"}]}),
    )
    .await;
    let (status, s) = app.get("/api/v1/schedule?limit=500").await;
    assert_eq!(status, 200, "{s}");
    let list = items(&s);
    assert!(list.len() >= 4, "{s}");
    assert!(list.windows(2).all(|w| at(&w[0]) <= at(&w[1])), "due order");
    assert!(list
        .iter()
        .all(|o| o["plan_id"] == p["id"] && o["trigger"] == "calendar"));
    assert!(list.iter().all(|o| o["warehouse_id"] == f.store.as_str()));
    // 5 in stock: the first two occurrences get 2 each, the third gets 1, then nothing
    let shortfalls: Vec<&str> = list
        .iter()
        .map(|o| o["parts"][0]["shortfall"].as_str().unwrap())
        .collect();
    assert_eq!(&shortfalls[..4], ["0", "0", "1", "2"]);
    assert_eq!(list[0]["covered"], true);
    assert_eq!(list[2]["covered"], false);
    let demand = &s["demand"][0];
    let total = 2 * list.len();
    assert_eq!(demand["quantity"], total.to_string());
    assert_eq!(demand["available"], "5");
    assert_eq!(demand["shortfall"], (total - 5).to_string());
    assert_eq!(s["truncated"], false);

    // filters: one asset, its site, the plan, the model
    let (_, one) = app
        .get(&format!(
            "/api/v1/schedule?asset_id={}&limit=500",
            f.assets[1]
        ))
        .await;
    assert_eq!(items(&one).len(), list.len() / 2);
    assert!(items(&one)
        .iter()
        .all(|o| o["asset_id"] == f.assets[1].as_str()));
    // filtering does not change cover: stock is shared by every asset the warehouse serves
    assert!(items(&one).iter().any(|o| o["covered"] == false));
    for q in [
        format!("plan_id={}", p["id"].as_str().unwrap()),
        format!("model_id={}", f.model),
    ] {
        let (_, same) = app.get(&format!("/api/v1/schedule?{q}&limit=500")).await;
        assert_eq!(items(&same).len(), list.len(), "{q}");
    }
    let (_, none) = app
        .get(&format!(
            "/api/v1/schedule?plan_id={}",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert!(items(&none).is_empty());
    assert_eq!(none["demand"], json!([]));

    // pages in due order, cursors carrying on where the last page ended
    let seen: Vec<(Value, Value)> = all_pages(&app, ADMIN_KEY, "/api/v1/schedule", 3)
        .await
        .iter()
        .map(|o| (o["due_at"].clone(), o["asset_id"].clone()))
        .collect();
    let all: Vec<(Value, Value)> = list
        .iter()
        .map(|o| (o["due_at"].clone(), o["asset_id"].clone()))
        .collect();
    assert_eq!(seen, all);
}

#[actix_web::test]
async fn occurrences_with_tickets_opened_ahead_show_them_and_their_reservations() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let filter = stocked_part(&app, "FLT-1", &f.store, "3").await;
    let p = plan(
        &app,
        json!({"title": "Monthly", "asset_id": f.assets[0], "calendar": {"cron": "0 9 1 * *"},
               "lead_days": 40, "parts": [{"part_id": filter, "quantity": "2"}]}),
    )
    .await;
    // the scheduler opens the next one (or two) ahead and reserves their kits
    let opened = run_at(&app, Utc::now()).await.opened;
    assert!(opened >= 1);
    let (_, s) = app.get("/api/v1/schedule").await;
    let list = items(&s);
    let with_ticket: Vec<&Value> = list.iter().filter(|o| !o["ticket_id"].is_null()).collect();
    assert_eq!(with_ticket.len(), opened);
    assert!(with_ticket[0]["ticket_number"]
        .as_str()
        .unwrap()
        .starts_with("T-"));
    assert_eq!(
        with_ticket[0]["covered"], true,
        "its reservation holds 2 of 3"
    );
    // 2 per ticket, from 3 in stock
    assert_eq!(s["demand"][0]["reserved"], (2 * opened).min(3).to_string());
    assert_eq!(
        pm_tickets(&app, p["id"].as_str().unwrap()).await.len(),
        opened
    );
}

#[actix_web::test]
async fn meter_plans_are_projected_from_the_last_30_days_of_usage() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let asset = &f.assets[0];
    let now = Utc::now();
    // 10 h a day over the last 10 days
    let readings: Vec<Value> = (0..=10)
        .map(|d| json!({"meter": "runtime_h", "value": 1000 + 10 * d, "read_at": now - Duration::days(10 - d)}))
        .collect();
    app.create(
        &format!("/api/v1/assets/{asset}/meter-readings"),
        json!({ "readings": readings }),
    )
    .await;
    plan(
        &app,
        json!({"title": "Every 50 h", "asset_id": asset, "meter": {"name": "runtime_h", "every": 50}}),
    )
    .await;
    let (status, s) = app.get("/api/v1/schedule?limit=500").await;
    assert_eq!(status, 200, "{s}");
    let list = items(&s);
    // every 5 days over 90 days
    assert_eq!(list.len(), 18, "{s}");
    assert!(list
        .iter()
        .all(|o| o["trigger"] == "meter" && o["projected"] == true));
    let first = at(&list[0]) - now;
    assert!(
        (first - Duration::days(5)).num_minutes().abs() < 60,
        "{first}"
    );
    let step = at(&list[1]) - at(&list[0]);
    assert!((step - Duration::days(5)).num_minutes().abs() < 1, "{step}");
}

#[actix_web::test]
async fn bad_windows_and_filters_are_422() {
    let app = TestApp::start().await;
    for q in [
        "from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z",
        "from=2027-01-01T00:00:00Z&to=2028-06-01T00:00:00Z",
        "from=yesterday",
        "site_id=0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
        "asset_id=not-a-uuid",
        "colour=red",
        "limit=0",
        "cursor=nonsense",
    ] {
        let (status, body) = app.get(&format!("/api/v1/schedule?{q}")).await;
        assert_problem(status, &body, 422);
    }
    let (status, body) = app
        .call_as("no-such-key", Method::GET, "/api/v1/schedule", None)
        .await;
    assert_problem(status, &body, 401);
}

async fn ics(app: &TestApp, query: &str, key: Option<&str>) -> (StatusCode, String) {
    let res = app
        .request(Method::GET, &format!("/api/v1/schedule.ics{query}"), key)
        .send()
        .await
        .unwrap();
    let status = res.status();
    if status == 200 {
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar"));
    }
    (status, res.text().await.unwrap())
}

/// The events of a feed, parsed by a real iCalendar parser: (UID, DTSTART, SUMMARY).
fn events(body: &str) -> Vec<(String, String, String)> {
    let mut parser = ical::IcalParser::new(body.as_bytes());
    let cal = parser
        .next()
        .expect("one calendar")
        .expect("a valid calendar");
    assert!(parser.next().is_none());
    cal.events
        .iter()
        .map(|e| {
            let prop = |name: &str| {
                e.properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_else(|| panic!("event without {name}"))
            };
            assert!(e.properties.iter().any(|p| p.name == "DTSTAMP"));
            assert!(e.properties.iter().any(|p| p.name == "DTEND"));
            (prop("UID"), prop("DTSTART"), prop("SUMMARY"))
        })
        .collect()
}

#[actix_web::test]
async fn the_calendar_feed_is_valid_icalendar_with_stable_uids_and_revocable_tokens() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    plan(
        &app,
        json!({"title": "Monthly", "model_id": f.model, "calendar": {"cron": "0 9 1 * *"}, "estimated_minutes": 90}),
    )
    .await;
    let (_, s) = app.get("/api/v1/schedule?limit=500").await;
    let feed = app
        .create("/api/v1/schedule/feeds", json!({"name": "Planning office"}))
        .await;
    let token = feed["token"].as_str().unwrap();
    assert_eq!(feed["path"], format!("/api/v1/schedule.ics?token={token}"));

    let (status, body) = ics(&app, &format!("?token={token}"), None).await;
    assert_eq!(status, 200, "{body}");
    let first = events(&body);
    assert_eq!(first.len(), items(&s).len());
    for ((uid, start, summary), o) in first.iter().zip(items(&s)) {
        assert!(uid.ends_with("@mainspring"));
        let due: DateTime<Utc> = o["due_at"].as_str().unwrap().parse().unwrap();
        assert_eq!(start, &due.format("%Y%m%dT%H%M%SZ").to_string());
        assert!(summary.starts_with("Monthly — "));
    }
    let mut uids: Vec<&String> = first.iter().map(|e| &e.0).collect();
    uids.sort();
    uids.dedup();
    assert_eq!(uids.len(), first.len(), "UIDs are unique");
    // a refresh gives the same UIDs; filters apply to the feed too
    let (_, again) = ics(&app, &format!("?token={token}"), None).await;
    assert_eq!(
        events(&again).iter().map(|e| &e.0).collect::<Vec<_>>(),
        first.iter().map(|e| &e.0).collect::<Vec<_>>()
    );
    let (_, one) = ics(
        &app,
        &format!("?token={token}&asset_id={}", f.assets[0]),
        None,
    )
    .await;
    assert_eq!(events(&one).len(), first.len() / 2);
    // an API key works too; nothing, or a wrong token, is 401
    assert_eq!(ics(&app, "", Some(ADMIN_KEY)).await.0, 200);
    assert_eq!(ics(&app, "", None).await.0, 401);
    assert_eq!(ics(&app, "?token=feed_wrong", None).await.0, 401);
    // a feed token is not an API key
    let (status, _) = app
        .call_as(token, Method::GET, "/api/v1/schedule", None)
        .await;
    assert_eq!(status, 401);
    // revoked: 401 from then on
    let (status, revoked) = app
        .post(
            &format!(
                "/api/v1/schedule/feeds/{}/revoke",
                feed["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{revoked}");
    assert!(revoked["revoked_at"].is_string());
    assert!(revoked.get("token").is_none());
    assert_eq!(ics(&app, &format!("?token={token}"), None).await.0, 401);
    let (_, list) = app.get("/api/v1/schedule/feeds").await;
    assert_eq!(items(&list).len(), 1);
    // only planners manage feeds
    let viewer = app.key("viewer", None).await;
    let (status, body) = app
        .call_as(
            &viewer,
            Method::POST,
            "/api/v1/schedule/feeds",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_problem(status, &body, 403);
}
