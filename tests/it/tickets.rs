//! Tickets: opening, the lifecycle (every state × target pair), concurrency, SLA,
//! technicians' rights, parts on the job, and the list's filters.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::{json, Value};

use crate::inventory_support::{level, part, receive, warehouse};
use crate::support::Base;
use crate::support::{assert_problem, problem_fields, TestApp};

const STATES: [&str; 7] = [
    "open",
    "assigned",
    "in_progress",
    "on_hold",
    "resolved",
    "closed",
    "cancelled",
];

struct Fixture {
    asset: String,
    tech: String,
    hall: String,
    plant: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let b = Base::new(app).await;
    let asset = app
        .create(
            "/api/v1/assets",
            json!({"model_id": b.model, "serial_number": "SN-1", "site_id": b.hall}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tech = app
        .create(
            "/api/v1/technicians",
            json!({"name": "Ana", "skills": ["hydraulics"]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Fixture {
        asset,
        tech,
        hall: b.hall,
        plant: b.plant,
    }
}

async fn open(app: &TestApp, f: &Fixture, extra: Value) -> Value {
    let mut body = json!({"asset_id": f.asset, "kind": "corrective", "title": "Filler leaks oil"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.create("/api/v1/tickets", body).await
}

async fn go(app: &TestApp, id: &str, body: Value) -> (reqwest::StatusCode, Value) {
    app.post(&format!("/api/v1/tickets/{id}/transitions"), body)
        .await
}

/// A ticket brought to `state` along allowed transitions.
async fn ticket_in(app: &TestApp, f: &Fixture, state: &str) -> String {
    let t = open(app, f, json!({})).await;
    let id = t["id"].as_str().unwrap().to_owned();
    let steps: Vec<Value> = match state {
        "open" => vec![],
        "assigned" => vec![json!({"to": "assigned", "assignee_id": f.tech})],
        "in_progress" => vec![
            json!({"to": "assigned", "assignee_id": f.tech}),
            json!({"to": "in_progress"}),
        ],
        "on_hold" => vec![json!({"to": "on_hold", "hold_reason": "waiting_for_parts"})],
        "resolved" => vec![
            json!({"to": "assigned", "assignee_id": f.tech}),
            json!({"to": "in_progress"}),
            json!({"to": "resolved", "resolution": "replaced seal"}),
        ],
        "closed" => vec![
            json!({"to": "assigned", "assignee_id": f.tech}),
            json!({"to": "in_progress"}),
            json!({"to": "resolved", "resolution": "replaced seal"}),
            json!({"to": "closed"}),
        ],
        "cancelled" => vec![json!({"to": "cancelled"})],
        other => panic!("no such state {other}"),
    };
    for step in steps {
        let (status, body) = go(app, &id, step.clone()).await;
        assert_eq!(status, 200, "{step}: {body}");
    }
    id
}

#[actix_web::test]
async fn a_ticket_opens_numbered_with_sla_due_times_and_a_created_event() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let t = open(
        &app,
        &f,
        json!({"priority": "urgent", "reporter": "Maria", "channel": "phone"}),
    )
    .await;
    assert!(t["number"].as_str().unwrap().starts_with("T-0000"), "{t}");
    assert_eq!(
        (t["status"].as_str(), t["source"].as_str()),
        (Some("open"), Some("manual"))
    );
    assert_eq!(t["site_id"], f.hall.as_str());
    let created: chrono::DateTime<chrono::Utc> = t["created_at"].as_str().unwrap().parse().unwrap();
    let response: chrono::DateTime<chrono::Utc> =
        t["response_due_at"].as_str().unwrap().parse().unwrap();
    let resolution: chrono::DateTime<chrono::Utc> =
        t["resolution_due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        (response - created).num_hours(),
        4,
        "urgent: 4 h to respond"
    );
    assert_eq!(
        (resolution - created).num_hours(),
        24,
        "urgent: 24 h to resolve"
    );
    assert_eq!(t["sla"]["state"], "ok");

    let second = open(&app, &f, json!({})).await;
    let n = |v: &Value| v["number"].as_str().unwrap()[2..].parse::<u64>().unwrap();
    assert_eq!(n(&second), n(&t) + 1);

    let (_, events) = app
        .get(&format!(
            "/api/v1/tickets/{}/events",
            t["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(events["items"][0]["kind"], "created");
    assert_eq!(events["items"][0]["actor"], "bootstrap admin");
}

#[actix_web::test]
async fn bad_tickets_are_refused_naming_every_field() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let (status, body) = app
        .post(
            "/api/v1/tickets",
            json!({"asset_id": uuid::Uuid::now_v7(), "kind": "request", "title": " ", "assignee_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(
        problem_fields(&body),
        ["title", "category", "asset_id", "assignee_id"]
    );
    let (status, body) = app
        .post("/api/v1/tickets", json!({"asset_id": f.asset, "kind": "corrective", "title": "x", "priority": "whenever"}))
        .await;
    assert_problem(status, &body, 422);
}

/// Every (state, target) pair through the API: allowed exactly as DESIGN.md's table.
#[actix_web::test]
async fn the_lifecycle_is_total() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let allowed: &[(&str, &[&str])] = &[
        ("open", &["assigned", "on_hold", "cancelled"]),
        ("assigned", &["in_progress", "open", "on_hold", "cancelled"]),
        ("in_progress", &["on_hold", "resolved", "cancelled"]),
        ("on_hold", &["assigned", "in_progress", "cancelled"]),
        ("resolved", &["closed", "in_progress"]),
        ("closed", &[]),
        ("cancelled", &[]),
    ];
    for (from, targets) in allowed {
        for to in STATES {
            let id = ticket_in(&app, &f, from).await;
            let body = json!({"to": to, "assignee_id": f.tech, "hold_reason": (to == "on_hold").then_some("waiting_for_parts")});
            let mut body = body;
            if to != "on_hold" {
                body.as_object_mut().unwrap().remove("hold_reason");
            }
            if to == "open" {
                body.as_object_mut().unwrap().remove("assignee_id");
            }
            let (status, v) = go(&app, &id, body).await;
            if targets.contains(&to) {
                assert_eq!(status, 200, "{from} → {to}: {v}");
                assert_eq!(v["status"], to);
            } else {
                assert_problem(status, &v, 409);
                let listed: Vec<&str> = v["allowed"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap())
                    .collect();
                assert_eq!(listed, *targets, "{from} → {to}");
            }
        }
    }
}

#[actix_web::test]
async fn transitions_check_what_the_target_needs() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let id = ticket_in(&app, &f, "open").await;
    let (status, body) = go(&app, &id, json!({"to": "assigned"})).await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["assignee_id"]);
    let (status, body) = go(&app, &id, json!({"to": "on_hold"})).await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["hold_reason"]);

    // closing needs a resolution
    let t = open(&app, &f, json!({"assignee_id": f.tech})).await;
    let id = t["id"].as_str().unwrap();
    assert_eq!(t["status"], "assigned");
    go(&app, id, json!({"to": "in_progress"})).await;
    go(&app, id, json!({"to": "resolved"})).await;
    let (status, body) = go(&app, id, json!({"to": "closed"})).await;
    assert_problem(status, &body, 409);
    let (status, body) = go(
        &app,
        id,
        json!({"to": "closed", "resolution": "seal replaced"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["closed_at"].is_string());

    // a complaint needs the customer's follow-up
    let c = open(
        &app,
        &f,
        json!({"kind": "request", "category": "complaint", "assignee_id": f.tech}),
    )
    .await;
    let id = c["id"].as_str().unwrap();
    go(&app, id, json!({"to": "in_progress"})).await;
    go(
        &app,
        id,
        json!({"to": "resolved", "resolution": "apologised, recalibrated"}),
    )
    .await;
    let (status, body) = go(&app, id, json!({"to": "closed"})).await;
    assert_problem(status, &body, 409);
    assert!(
        body["detail"].as_str().unwrap().contains("follow-up"),
        "{body}"
    );
}

#[actix_web::test]
async fn concurrent_transitions_of_one_ticket_cannot_both_win() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    for _ in 0..3 {
        let id = ticket_in(&app, &f, "assigned").await;
        let results = join_all([
            go(&app, &id, json!({"to": "in_progress"})),
            go(&app, &id, json!({"to": "in_progress"})),
        ])
        .await;
        let codes: Vec<u16> = results.iter().map(|(s, _)| s.as_u16()).collect();
        assert!(codes.contains(&200) && codes.contains(&409), "{results:?}");
    }
    // a stale version is refused too
    let id = ticket_in(&app, &f, "open").await;
    let (status, body) = go(&app, &id, json!({"to": "cancelled", "version": 99})).await;
    assert_problem(status, &body, 409);
}

#[actix_web::test]
async fn a_technician_works_only_on_their_own_tickets() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let other = app
        .create("/api/v1/technicians", json!({"name": "Ben"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app.key("technician", Some(&f.tech)).await;
    let mine = open(&app, &f, json!({"assignee_id": f.tech})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let theirs = open(&app, &f, json!({"assignee_id": other})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let tr = |id: &str| format!("/api/v1/tickets/{id}/transitions");
    let (status, body) = app
        .call_as(
            &key,
            Method::POST,
            &tr(&mine),
            Some(json!({"to": "in_progress"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call_as(
            &key,
            Method::POST,
            &tr(&theirs),
            Some(json!({"to": "in_progress"})),
        )
        .await;
    assert_problem(status, &body, 403);
    // records work, but does not reprioritise
    let (status, body) = app
        .call_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/tickets/{mine}"),
            Some(json!({"downtime_minutes": 45})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app
        .call_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/tickets/{mine}"),
            Some(json!({"priority": "critical"})),
        )
        .await;
    assert_problem(status, &body, 403);
    // cannot open tickets; can read any
    let (status, _) = app
        .call_as(
            &key,
            Method::POST,
            "/api/v1/tickets",
            Some(json!({"asset_id": f.asset, "kind": "corrective", "title": "x"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call_as(
            &key,
            Method::GET,
            &format!("/api/v1/tickets/{theirs}"),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let viewer = app.key("viewer", None).await;
    let (status, _) = app
        .call_as(
            &viewer,
            Method::POST,
            &tr(&theirs),
            Some(json!({"to": "cancelled"})),
        )
        .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn priority_and_customer_hold_move_the_sla() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let t = open(&app, &f, json!({"assignee_id": f.tech})).await;
    let id = t["id"].as_str().unwrap();
    let (status, critical) = app
        .patch(
            &format!("/api/v1/tickets/{id}"),
            json!({"priority": "critical"}),
        )
        .await;
    assert_eq!(status, 200, "{critical}");
    let created: chrono::DateTime<chrono::Utc> = t["created_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<chrono::Utc> = critical["resolution_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!((due - created).num_hours(), 8);

    go(&app, id, json!({"to": "in_progress"})).await;
    go(
        &app,
        id,
        json!({"to": "on_hold", "hold_reason": "waiting_for_customer"}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (_, back) = go(&app, id, json!({"to": "in_progress"})).await;
    assert!(
        back["customer_hold_seconds"].as_i64().unwrap() >= 1,
        "{back}"
    );
    let later: chrono::DateTime<chrono::Utc> =
        back["resolution_due_at"].as_str().unwrap().parse().unwrap();
    assert!(later > due, "waiting for the customer does not count");
    assert!(back["responded_at"].is_string());

    let (_, events) = app.get(&format!("/api/v1/tickets/{id}/events")).await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "priority",
            "transition",
            "transition",
            "transition"
        ]
    );
}

#[actix_web::test]
async fn the_sla_filters_find_breached_and_at_risk_tickets() {
    use diesel::prelude::*;
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let late = open(&app, &f, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let close = open(&app, &f, json!({})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    open(&app, &f, json!({})).await;
    let mut conn = app.conn();
    diesel::sql_query(format!(
        "UPDATE tickets SET created_at = now() - interval '10 hours', response_due_at = now() - interval '2 hours' WHERE id = '{late}'"
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(format!(
        "UPDATE tickets SET created_at = now() - interval '7 hours 30 minutes', response_due_at = now() + interval '30 minutes' WHERE id = '{close}'"
    ))
    .execute(&mut conn)
    .unwrap();
    let ids = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, breached) = app.get("/api/v1/tickets?sla=breached").await;
    assert_eq!(ids(breached), vec![late.clone()]);
    let (_, at_risk) = app.get("/api/v1/tickets?sla=at_risk").await;
    assert_eq!(ids(at_risk), vec![close]);
    let (_, one) = app.get(&format!("/api/v1/tickets/{late}")).await;
    assert_eq!(
        (
            one["sla"]["state"].as_str(),
            one["sla"]["response"].as_str()
        ),
        (Some("breached"), Some("breached"))
    );
}

#[actix_web::test]
async fn the_list_filters_and_pages_by_due_time() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let critical = open(
        &app,
        &f,
        json!({"priority": "critical", "title": "Pump seized"}),
    )
    .await;
    let normal = open(&app, &f, json!({"priority": "normal"})).await;
    let urgent = open(
        &app,
        &f,
        json!({"priority": "urgent", "assignee_id": f.tech}),
    )
    .await;
    let ids = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let id = |t: &Value| t["id"].as_str().unwrap().to_owned();

    let (_, page1) = app.get("/api/v1/tickets?sort=due&limit=2").await;
    assert_eq!(ids(&page1), [id(&critical), id(&urgent)]);
    let cursor = page1["next_cursor"].as_str().unwrap();
    let (_, page2) = app
        .get(&format!("/api/v1/tickets?sort=due&limit=2&cursor={cursor}"))
        .await;
    assert_eq!(ids(&page2), [id(&normal)]);
    let (status, body) = app
        .get(&format!("/api/v1/tickets?sort=created&cursor={cursor}"))
        .await;
    assert_problem(status, &body, 422);

    let (_, open_ones) = app.get("/api/v1/tickets?status=open,on_hold").await;
    assert_eq!(ids(&open_ones).len(), 2);
    let (_, mine) = app
        .get(&format!("/api/v1/tickets?assignee_id={}", f.tech))
        .await;
    assert_eq!(ids(&mine), [id(&urgent)]);
    let (_, under_plant) = app
        .get(&format!("/api/v1/tickets?site_id={}", f.plant))
        .await;
    assert_eq!(ids(&under_plant).len(), 3, "sub-sites count");
    let (_, text) = app.get("/api/v1/tickets?q=seized").await;
    assert_eq!(ids(&text), [id(&critical)]);
    let (status, body) = app.get("/api/v1/tickets?status=open,sleeping").await;
    assert_problem(status, &body, 422);
    let _ = &f.hall;
}

#[actix_web::test]
async fn parts_on_the_job_match_the_stock_ledger_and_are_released_on_cancel() {
    let app = TestApp::start().await;
    let f = fixture(&app).await;
    let (w, p) = (warehouse(&app, "VAN").await, part(&app, "SEAL-1").await);
    receive(&app, &p, &w, "3", "2.5").await;
    let t = open(&app, &f, json!({"assignee_id": f.tech})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let parts = format!("/api/v1/tickets/{t}/parts");
    let act = |action: &str, qty: &str| json!({"action": action, "part_id": p, "warehouse_id": w, "quantity": qty, "allow_shortage": true});

    let (status, s) = app.post(&parts, act("reserve", "5")).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            s["lines"][0]["reserved"].as_str(),
            s["lines"][0]["shortage"].as_str()
        ),
        (Some("3"), Some("2"))
    );
    let (_, s) = app.post(&parts, act("issue", "2")).await;
    let (_, s2) = app.post(&parts, act("return", "0.5")).await;
    assert_eq!(s["lines"][0]["issued"], "2");
    let line = &s2["lines"][0];
    assert_eq!(
        (
            line["issued"].as_str(),
            line["returned"].as_str(),
            line["reserved"].as_str()
        ),
        (Some("2"), Some("0.5"), Some("1.5")),
        "the return filled the ticket's own shortage"
    );
    assert_eq!(line["cost"], "3.75", "1.5 kept at 2.5");
    assert_eq!(s2["total_cost"], "3.75");

    // the ledger says the same
    let (_, ledger) = app
        .get(&format!("/api/v1/stock/movements?ticket_id={t}"))
        .await;
    let net: f64 = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["quantity"].as_str().unwrap().parse::<f64>().unwrap())
        .sum();
    assert_eq!(net, -1.5);
    assert_eq!(
        level(&app, &p, &w).await,
        ("1.5".into(), "1.5".into(), "0".into())
    );

    // a technician may act on their own ticket
    let key = app.key("technician", Some(&f.tech)).await;
    let (status, body) = app
        .call_as(&key, Method::POST, &parts, Some(act("issue", "0.5")))
        .await;
    assert_eq!(status, 200, "{body}");

    // cancelling releases what is still reserved, and the parts are frozen
    let (status, _) = go(
        &app,
        &t,
        json!({"to": "cancelled", "note": "customer withdrew"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(level(&app, &p, &w).await.1, "0");
    let (status, body) = app.post(&parts, act("issue", "0.5")).await;
    assert_problem(status, &body, 409);
    let (_, events) = app.get(&format!("/api/v1/tickets/{t}/events")).await;
    assert!(events["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["note"] == "ticket_cancelled"));

    let (status, body) = app
        .post(
            "/api/v1/stock/movements",
            json!({"kind": "issue", "part_id": p, "warehouse_id": w, "quantity": "1", "ticket_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["ticket_id"]);
}
