//! The work record (checklist, labour, failure and sign-off) and the customer's
//! follow-up.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::support::Base;
use crate::support::{assert_problem, problem_fields, TestApp};

/// An asset to open tickets on.
async fn asset(app: &TestApp) -> String {
    let b = Base::new(app).await;
    app.create(
        "/api/v1/assets",
        json!({"model_id": b.model, "serial_number": "SN-1", "site_id": b.hall}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn resolved_ticket(
    app: &TestApp,
    asset: &str,
    tech: &str,
    extra: serde_json::Value,
) -> String {
    let mut body =
        json!({"asset_id": asset, "kind": "corrective", "title": "Leak", "assignee_id": tech});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let id = app.create("/api/v1/tickets", body).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for to in [
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "resolution": "Seal replaced"}),
    ] {
        let (status, v) = app
            .post(&format!("/api/v1/tickets/{id}/transitions"), to)
            .await;
        assert_eq!(status, 200, "{v}");
    }
    id
}

async fn technician(app: &TestApp, name: &str) -> String {
    app.create("/api/v1/technicians", json!({"name": name}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn feedback_follows_resolution_once_and_empties_the_follow_up_list() {
    let app = TestApp::start().await;
    let tech = technician(&app, "Ana").await;
    let asset = asset(&app).await;
    let id = resolved_ticket(&app, &asset, &tech, json!({})).await;
    let old = resolved_ticket(&app, &asset, &tech, json!({})).await;
    diesel::sql_query(format!(
        "UPDATE tickets SET resolved_at = now() - interval '30 hours' WHERE id = '{old}'"
    ))
    .execute(&mut app.conn())
    .unwrap();

    let (_, list) = app.get("/api/v1/follow-ups").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(
        (
            items[0]["ticket_id"].as_str(),
            items[0]["overdue"].as_bool()
        ),
        (Some(old.as_str()), Some(true))
    );
    assert_eq!(items[1]["overdue"], false);
    let (_, overdue) = app.get("/api/v1/follow-ups?overdue=true").await;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);

    let path = format!("/api/v1/tickets/{id}/feedback");
    let (status, body) = app.post(&path, json!({"satisfaction": 6})).await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["satisfaction"]);
    let f = app
        .create(
            &path,
            json!({"satisfaction": 4, "comment": "Quick", "channel": "phone"}),
        )
        .await;
    assert_eq!(f["recorded_by"], "bootstrap admin");
    let (status, body) = app.post(&path, json!({"satisfaction": 5})).await;
    assert_problem(status, &body, 409);
    let (_, list) = app.get("/api/v1/follow-ups").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (status, read) = app.get(&path).await;
    assert_eq!(
        (status.as_u16(), read["satisfaction"].as_i64()),
        (200, Some(4))
    );

    // not before resolution
    let open = app
        .create(
            "/api/v1/tickets",
            json!({"asset_id": asset, "kind": "corrective", "title": "x"}),
        )
        .await;
    let (status, body) = app
        .post(
            &format!("/api/v1/tickets/{}/feedback", open["id"].as_str().unwrap()),
            json!({"satisfaction": 3}),
        )
        .await;
    assert_problem(status, &body, 409);
}

#[actix_web::test]
async fn a_complaint_closes_after_its_follow_up() {
    let app = TestApp::start().await;
    let tech = technician(&app, "Ana").await;
    let asset = asset(&app).await;
    let id = resolved_ticket(
        &app,
        &asset,
        &tech,
        json!({"kind": "request", "category": "complaint"}),
    )
    .await;
    let close = format!("/api/v1/tickets/{id}/transitions");
    let (status, _) = app.post(&close, json!({"to": "closed"})).await;
    assert_eq!(status, 409);
    app.create(
        &format!("/api/v1/tickets/{id}/feedback"),
        json!({"satisfaction": 2, "comment": "Took too long"}),
    )
    .await;
    let (status, body) = app.post(&close, json!({"to": "closed"})).await;
    assert_eq!(status, 200, "{body}");
}

#[actix_web::test]
async fn technicians_record_checklist_labour_and_sign_off_on_their_tickets() {
    let app = TestApp::start().await;
    let ana = technician(&app, "Ana").await;
    let ben = technician(&app, "Ben").await;
    let asset = asset(&app).await;
    let id = app
        .create("/api/v1/tickets", json!({"asset_id": asset, "kind": "inspection", "title": "Yearly check", "assignee_id": ana}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app.key("technician", Some(&ana)).await;
    let other = app.key("technician", Some(&ben)).await;

    let (status, list) = app
        .call_as(
            &key,
            Method::POST,
            &format!("/api/v1/tickets/{id}/checklist"),
            Some(json!({"items": ["Check pressure", "Replace filter"]})),
        )
        .await;
    assert_eq!(status, 201, "{list}");
    assert_eq!(list.as_array().unwrap().len(), 2);
    let (status, item) = app
        .call_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/tickets/{id}/checklist/0"),
            Some(json!({"done": true, "reading": "182 bar"})),
        )
        .await;
    assert_eq!(status, 200, "{item}");
    assert_eq!(
        (item["done"].as_bool(), item["done_by"].as_str()),
        (Some(true), Some("technician key"))
    );
    let (status, body) = app
        .call_as(
            &other,
            Method::PATCH,
            &format!("/api/v1/tickets/{id}/checklist/1"),
            Some(json!({"done": true})),
        )
        .await;
    assert_problem(status, &body, 403);
    let (status, body) = app
        .patch(
            &format!("/api/v1/tickets/{id}/checklist/9"),
            json!({"done": true}),
        )
        .await;
    assert_problem(status, &body, 404);

    let (status, entry) = app
        .call_as(
            &key,
            Method::POST,
            &format!("/api/v1/tickets/{id}/labour"),
            Some(json!({"minutes": 90, "note": "filter"})),
        )
        .await;
    assert_eq!(status, 201, "{entry}");
    assert_eq!(entry["technician_id"], ana.as_str());
    let (status, body) = app
        .call_as(
            &key,
            Method::POST,
            &format!("/api/v1/tickets/{id}/labour"),
            Some(json!({"minutes": 30, "technician_id": ben})),
        )
        .await;
    assert_problem(status, &body, 403);
    let (status, body) = app
        .post(
            &format!("/api/v1/tickets/{id}/labour"),
            json!({"minutes": 0, "technician_id": ben}),
        )
        .await;
    assert_problem(status, &body, 422);
    let (_, labour) = app.get(&format!("/api/v1/tickets/{id}/labour")).await;
    assert_eq!(labour["total_minutes"], 90);

    let (status, t) = app
        .call_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            Some(json!({"downtime_minutes": 45, "resolution": "Filter replaced", "sign_off": {"name": "Maria Keller", "at": "2026-11-23T10:00:00Z"}})),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["sign_off"]["name"], "Maria Keller");
    let (status, body) = app
        .call_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/tickets/{id}"),
            Some(json!({"failure": {"problem": "no-such-code"}})),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["failure.problem"]);

    let (_, events) = app
        .get(&format!("/api/v1/tickets/{id}/events?limit=500"))
        .await;
    let kinds: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in ["created", "checklist", "labour", "work", "sign_off"] {
        assert!(kinds.contains(&k), "{k} missing from {kinds:?}");
    }
}
