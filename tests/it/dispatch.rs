//! Dispatch suggestions: who should take a ticket, ranked by skills, location, open
//! workload and van stock with a reason for each; only active, available technicians;
//! and the optional automatic assignment when a ticket opens.

use reqwest::Method;
use serde_json::{json, Value};

use crate::inventory_support::{part, receive, warehouse};
use crate::support::Base;
use crate::support::{assert_problem, TestApp};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn van(app: &TestApp, code: &str) -> String {
    id(&app
        .create(
            "/api/v1/warehouses",
            json!({"code": code, "name": format!("Van {code}"), "kind": "van"}),
        )
        .await)
}

async fn technician(app: &TestApp, body: Value) -> String {
    id(&app.create("/api/v1/technicians", body).await)
}

/// An asset of a model needing `skills`, at `site`.
async fn asset(app: &TestApp, site: &str, skills: &[&str]) -> String {
    let model = app
        .create(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": format!("M-{}", uuid::Uuid::now_v7()), "skills": skills}),
        )
        .await;
    id(&app
        .create(
            "/api/v1/assets",
            json!({"model_id": model["id"], "serial_number": format!("SN-{}", uuid::Uuid::now_v7()), "site_id": site}),
        )
        .await)
}

async fn ticket(app: &TestApp, asset: &str, extra: Value) -> Value {
    let mut body = json!({"asset_id": asset, "kind": "corrective", "title": "Filler leaks oil"});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    app.create("/api/v1/tickets", body).await
}

async fn suggestions(app: &TestApp, ticket: &str) -> Vec<Value> {
    let (status, body) = app
        .get(&format!("/api/v1/tickets/{ticket}/dispatch-suggestions"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticket_id"], ticket);
    body["suggestions"].as_array().unwrap().clone()
}

fn names(list: &[Value]) -> Vec<&str> {
    list.iter().map(|s| s["name"].as_str().unwrap()).collect()
}

fn by_name<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no suggestion for {name}"))
}

#[actix_web::test]
async fn technicians_are_ranked_by_skills_location_workload_and_van_with_reasons() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await; // Plant (top level) → Hall
    let depot = id(&app
        .create(
            "/api/v1/sites",
            json!({"name": "Depot", "time_zone": "Europe/Berlin"}),
        )
        .await);
    let asset = asset(&app, &b.hall, &["hydraulics", "electrical"]).await;
    let t = id(&ticket(&app, &asset, json!({})).await);

    // parts reserved for the ticket: 2 bearings (1 held at central, 1 short) and a seal
    // held in Ana's own van
    let central = warehouse(&app, "CENTRAL").await;
    let (van_a, van_b) = (van(&app, "VAN-A").await, van(&app, "VAN-B").await);
    let (bearing, seal) = (part(&app, "BRG-1").await, part(&app, "SEAL-1").await);
    receive(&app, &bearing, &central, "1", "2").await;
    receive(&app, &bearing, &van_a, "3", "2").await;
    receive(&app, &bearing, &van_b, "1", "2").await;
    receive(&app, &seal, &van_a, "1", "2").await;
    for (p, w, qty) in [(&bearing, &central, "2"), (&seal, &van_a, "1")] {
        let (status, body) = app
            .post(
                &format!("/api/v1/tickets/{t}/parts"),
                json!({"action": "reserve", "part_id": p, "warehouse_id": w, "quantity": qty, "allow_shortage": true}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    let both = json!(["hydraulics", "electrical"]);
    let ana = technician(
        &app,
        json!({"name": "Ana", "skills": both, "home_site_id": b.hall, "van_warehouse_id": van_a}),
    )
    .await;
    technician(
        &app,
        json!({"name": "Ben", "skills": both, "home_site_id": b.plant, "van_warehouse_id": van_b}),
    )
    .await;
    let cem = technician(
        &app,
        json!({"name": "Cem", "skills": ["hydraulics"], "home_site_id": b.hall}),
    )
    .await;
    technician(
        &app,
        json!({"name": "Dora", "skills": both, "home_site_id": depot}),
    )
    .await;
    technician(&app, json!({"name": "Gus"})).await;

    // Cem has another ticket assigned; Ana's other ticket is resolved, which is no workload
    let other = sibling_asset(&app, &asset).await;
    ticket(&app, &asset, json!({"assignee_id": cem})).await;
    let done = id(&ticket(&app, &other, json!({"assignee_id": ana})).await);
    for step in [
        json!({"to": "in_progress"}),
        json!({"to": "resolved", "resolution": "replaced seal"}),
    ] {
        let (status, body) = app
            .post(&format!("/api/v1/tickets/{done}/transitions"), step)
            .await;
        assert_eq!(status, 200, "{body}");
    }

    let list = suggestions(&app, &t).await;
    assert_eq!(names(&list), ["Ana", "Ben", "Cem", "Dora", "Gus"]);
    let scores: Vec<f64> = list.iter().map(|s| s["score"].as_f64().unwrap()).collect();
    assert_eq!(scores, [100.0, 75.0, 65.0, 60.0, 20.0]);

    let a = by_name(&list, "Ana");
    assert_eq!(a["technician_id"], ana.as_str());
    assert_eq!(a["location"], "same_site");
    assert_eq!(a["open_tickets"], 0);
    assert_eq!(
        a["van_covers_parts"], true,
        "the seal it holds for this ticket counts"
    );
    assert_eq!(a["missing_parts"], json!([]));
    assert_eq!(a["skills_matched"], json!(["electrical", "hydraulics"]));
    assert_eq!(
        a["score_parts"],
        json!({"skills": 40.0, "location": 30.0, "workload": 20.0, "van": 10.0})
    );

    let ben = by_name(&list, "Ben");
    assert_eq!(ben["location"], "same_site_tree");
    assert_eq!(ben["van_covers_parts"], false);
    assert_eq!(
        ben["missing_parts"],
        json!([
            {"part_id": bearing, "sku": "BRG-1", "needed": "2", "available": "1"},
            {"part_id": seal, "sku": "SEAL-1", "needed": "1", "available": "0"},
        ])
    );
    assert_eq!(
        ben["reasons"][3],
        "van 0/10: the van lacks BRG-1 (needs 2, has 1), SEAL-1 (needs 1, has 0)"
    );

    let c = by_name(&list, "Cem");
    assert_eq!(c["missing_skills"], json!(["electrical"]));
    assert_eq!(c["open_tickets"], 1);
    assert!(c["van_covers_parts"].is_null(), "no van");
    assert_eq!(
        c["reasons"],
        json!([
            "skills 20/40: has 1 of the 2 skills the model needs; lacks electrical",
            "location 30/30: based at the ticket's site",
            "workload 15/20: 1 other open ticket",
            "van 0/10: no van to bring the 2 parts the ticket needs",
        ])
    );
    assert_eq!(by_name(&list, "Dora")["location"], "elsewhere");
    assert_eq!(by_name(&list, "Gus")["location"], "unknown");
}

/// A second asset of the same model and site as `asset`.
async fn sibling_asset(app: &TestApp, asset: &str) -> String {
    let (_, a) = app.get(&format!("/api/v1/assets/{asset}")).await;
    id(&app
        .create(
            "/api/v1/assets",
            json!({"model_id": a["model_id"], "serial_number": "SN-OTHER", "site_id": a["site_id"]}),
        )
        .await)
}

#[actix_web::test]
async fn only_active_available_technicians_are_suggested() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let asset = asset(&app, &b.hall, &["hydraulics"]).await;
    let t = id(&ticket(&app, &asset, json!({})).await);
    technician(&app, json!({"name": "Ana", "skills": ["hydraulics"]})).await;
    technician(
        &app,
        json!({"name": "Ben", "skills": ["hydraulics"], "active": false}),
    )
    .await;
    for (name, availability) in [("Cem", "busy"), ("Dora", "off_duty"), ("Eve", "on_leave")] {
        technician(
            &app,
            json!({"name": name, "skills": ["hydraulics"], "availability": availability}),
        )
        .await;
    }
    let fay = technician(&app, json!({"name": "Fay"})).await;
    assert_eq!(names(&suggestions(&app, &t).await), ["Ana", "Fay"]);

    let (status, body) = app
        .patch(
            &format!("/api/v1/technicians/{fay}"),
            json!({"availability": "on_leave"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&suggestions(&app, &t).await), ["Ana"]);

    // a cancelled ticket is still answered: it is a read
    let (status, body) = app
        .post(
            &format!("/api/v1/tickets/{t}/transitions"),
            json!({"to": "cancelled"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(names(&suggestions(&app, &t).await), ["Ana"]);
}

#[actix_web::test]
async fn every_role_reads_suggestions_and_an_unknown_ticket_is_404() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let asset = asset(&app, &b.hall, &[]).await;
    let t = id(&ticket(&app, &asset, json!({})).await);
    let tech = technician(&app, json!({"name": "Ana"})).await;
    let path = format!("/api/v1/tickets/{t}/dispatch-suggestions");
    for role in ["planner", "warehouse", "technician", "viewer"] {
        let key = app
            .key(role, (role == "technician").then_some(tech.as_str()))
            .await;
        let (status, body) = app.call_as(&key, Method::GET, &path, None).await;
        assert_eq!(status, 200, "{role}: {body}");
        assert_eq!(
            body["suggestions"][0]["reasons"][0],
            "skills 40/40: the model needs no particular skill"
        );
    }
    let res = app.request(Method::GET, &path, None).send().await.unwrap();
    assert_eq!(res.status(), 401);

    let unknown = uuid::Uuid::now_v7();
    let (status, body) = app
        .get(&format!("/api/v1/tickets/{unknown}/dispatch-suggestions"))
        .await;
    assert_problem(status, &body, 404);
}

#[actix_web::test]
async fn with_auto_assign_a_new_ticket_goes_to_the_best_fully_skilled_technician() {
    let app = TestApp::start_with(&[("MAINSPRING_AUTO_ASSIGN", "true")]).await;
    let b = Base::new(&app).await;
    let asset = asset(&app, &b.hall, &["hydraulics", "electrical"]).await;
    // Ana scores higher (at the site) but lacks a skill; Ben has both
    technician(
        &app,
        json!({"name": "Ana", "skills": ["hydraulics"], "home_site_id": b.hall}),
    )
    .await;
    let ben = technician(
        &app,
        json!({"name": "Ben", "skills": ["hydraulics", "electrical"]}),
    )
    .await;
    let t = ticket(&app, &asset, json!({})).await;
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["assignee_id"], ben.as_str());
    let (_, events) = app
        .get(&format!(
            "/api/v1/tickets/{}/events",
            t["id"].as_str().unwrap()
        ))
        .await;
    let created = &events["items"][0];
    assert_eq!(created["kind"], "created");
    assert_eq!(created["after"]["assignee_id"], ben.as_str());
    assert!(
        created["note"]
            .as_str()
            .unwrap()
            .starts_with("assigned automatically to Ben (dispatch score 70)"),
        "{created}"
    );

    // nobody has every skill: the ticket stays open; a named assignee is kept
    let other = sibling_asset(&app, &asset).await;
    let (status, body) = app
        .patch(
            &format!("/api/v1/technicians/{ben}"),
            json!({"availability": "busy"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let t = ticket(&app, &other, json!({})).await;
    assert_eq!(
        (t["status"].as_str(), &t["assignee_id"]),
        (Some("open"), &Value::Null)
    );
    let t = ticket(&app, &other, json!({"assignee_id": ben})).await;
    assert_eq!(t["assignee_id"], ben.as_str());
}
