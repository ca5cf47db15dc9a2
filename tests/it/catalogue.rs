//! The failure-code catalogue and SLA targets: create or replace by PUT, list, delete,
//! input checks naming fields, who may change them, and their effect on tickets opened
//! (or reprioritised) afterwards.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::base::model;
use crate::support::{assert_problem, problem_fields, TestApp, ADMIN_KEY};

async fn put(app: &TestApp, key: &str, path: &str, body: Value) -> (StatusCode, Value) {
    app.call_as(key, Method::PUT, path, Some(body)).await
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().unwrap()
}

fn codes(v: &Value) -> Vec<String> {
    items(v)
        .iter()
        .map(|c| {
            format!(
                "{}/{}",
                c["kind"].as_str().unwrap(),
                c["code"].as_str().unwrap()
            )
        })
        .collect()
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// Hours from a ticket's opening to its response and resolution due times.
fn due_hours(t: &Value) -> (Option<i64>, i64) {
    let created = time(&t["created_at"]);
    (
        t["response_due_at"]
            .as_str()
            .map(|_| (time(&t["response_due_at"]) - created).num_hours()),
        (time(&t["resolution_due_at"]) - created).num_hours(),
    )
}

/// An asset at a site of a customer on the `gold` service tier.
async fn gold_asset(app: &TestApp) -> String {
    let customer = app
        .create(
            "/api/v1/customers",
            json!({"name": "Nordbrau", "service_tier": "gold"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plant = app
        .create(
            "/api/v1/sites",
            json!({"name": "Plant", "customer_id": customer, "time_zone": "Europe/Berlin"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create(
        "/api/v1/assets",
        json!({"model_id": model(app, "Modulfill"), "serial_number": "SN-1", "site_id": plant}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn open_ticket(app: &TestApp, asset: &str, priority: &str) -> Value {
    app.create(
        "/api/v1/tickets",
        json!({"asset_id": asset, "kind": "corrective", "title": "Filler leaks oil", "priority": priority}),
    )
    .await
}

#[actix_web::test]
async fn failure_codes_are_put_listed_replaced_and_deleted() {
    let app = TestApp::start().await;
    let (status, leak) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/failure-codes/problem/Leak",
        json!({"description": " Fluid escapes "}),
    )
    .await;
    assert_eq!(status, 200, "{leak}");
    assert_eq!(
        leak,
        json!({"kind": "problem", "code": "leak", "description": "Fluid escapes"})
    );
    for (path, description) in [
        ("/api/v1/failure-codes/cause/worn_seal", "Seal worn out"),
        ("/api/v1/failure-codes/remedy/replace-seal", "Seal replaced"),
        ("/api/v1/failure-codes/problem/noise", "Unusual noise"),
    ] {
        let (status, body) = put(&app, ADMIN_KEY, path, json!({"description": description})).await;
        assert_eq!(status, 200, "{path}: {body}");
    }
    // the same code again replaces its description
    let (status, replaced) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/failure-codes/problem/leak",
        json!({"description": "Fluid escapes from a seal, joint or line"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        replaced["description"],
        "Fluid escapes from a seal, joint or line"
    );

    let (status, all) = app.get("/api/v1/failure-codes").await;
    assert_eq!(status, 200);
    assert_eq!(
        codes(&all),
        [
            "cause/worn_seal",
            "problem/leak",
            "problem/noise",
            "remedy/replace-seal"
        ]
    );
    assert_eq!(all["next_cursor"], Value::Null);
    let (_, problems) = app.get("/api/v1/failure-codes?kind=problem").await;
    assert_eq!(codes(&problems), ["problem/leak", "problem/noise"]);

    // keyset pages cover the list once
    let (_, first) = app.get("/api/v1/failure-codes?limit=3").await;
    assert_eq!(items(&first).len(), 3);
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("/api/v1/failure-codes?limit=3&cursor={cursor}"))
        .await;
    assert_eq!(codes(&rest), ["remedy/replace-seal"]);
    assert_eq!(rest["next_cursor"], Value::Null);

    let (status, _) = app.delete("/api/v1/failure-codes/problem/NOISE").await;
    assert_eq!(status, 204);
    let (status, again) = app.delete("/api/v1/failure-codes/problem/noise").await;
    assert_problem(status, &again, 404);
    for path in [
        "/api/v1/failure-codes/symptom/leak",
        "/api/v1/failure-codes/problem/has%20space",
        "/api/v1/failure-codes/cause/leak",
    ] {
        let (status, body) = app.delete(path).await;
        assert_problem(status, &body, 404);
    }
    let (_, after) = app.get("/api/v1/failure-codes?kind=problem").await;
    assert_eq!(codes(&after), ["problem/leak"]);
}

#[actix_web::test]
async fn bad_failure_codes_are_422_naming_every_field() {
    let app = TestApp::start().await;
    let (status, body) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/failure-codes/symptom/has%20space",
        json!({"description": "  "}),
    )
    .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["kind", "code", "description"]);
    let long = "a".repeat(33);
    let (status, body) = put(
        &app,
        ADMIN_KEY,
        &format!("/api/v1/failure-codes/problem/{long}"),
        json!({"description": "d".repeat(201)}),
    )
    .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["code", "description"]);
    for (bad, field) in [
        (json!({}), "description"),
        (json!({"description": 7}), "description"),
        (json!({"description": "x", "extra": 1}), "extra"),
    ] {
        let (status, body) = put(&app, ADMIN_KEY, "/api/v1/failure-codes/problem/leak", bad).await;
        assert_problem(status, &body, 422);
        assert_eq!(problem_fields(&body), [field]);
    }
    let (status, body) = app.get("/api/v1/failure-codes?kind=symptom").await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["kind"]);
    let (status, body) = app.get("/api/v1/failure-codes?cursor=nonsense").await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["cursor"]);
    let (_, all) = app.get("/api/v1/failure-codes").await;
    assert!(items(&all).is_empty(), "nothing was written: {all}");
}

#[actix_web::test]
async fn a_failure_code_can_be_recorded_once_it_is_in_the_catalogue_and_stays_after_removal() {
    let app = TestApp::start().await;
    let asset = gold_asset(&app).await;
    let ticket = open_ticket(&app, &asset, "normal").await;
    let path = format!("/api/v1/tickets/{}", ticket["id"].as_str().unwrap());

    let (status, body) = app
        .patch(&path, json!({"failure": {"problem": "leak"}}))
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["failure.problem"]);

    let (status, _) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/failure-codes/problem/leak",
        json!({"description": "Fluid escapes"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = app
        .patch(&path, json!({"failure": {"problem": "Leak"}}))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["failure"]["problem"], "leak");

    // tickets hold the code as text: removing it from the catalogue leaves them as they are
    let (status, _) = app.delete("/api/v1/failure-codes/problem/leak").await;
    assert_eq!(status, 204);
    let (_, kept) = app.get(&path).await;
    assert_eq!(kept["failure"]["problem"], "leak");
}

#[actix_web::test]
async fn sla_targets_are_put_listed_and_deleted_but_the_defaults_stay() {
    let app = TestApp::start().await;
    let (status, defaults) = app.get("/api/v1/sla-targets").await;
    assert_eq!(status, 200);
    assert_eq!(items(&defaults).len(), 3, "{defaults}");
    assert!(items(&defaults).iter().all(|t| t["tier"] == "*"));
    assert!(items(&defaults).contains(&json!(
        {"tier": "*", "priority": "critical", "response_hours": 2, "resolution_hours": 8}
    )));
    assert_eq!(defaults["next_cursor"], Value::Null);

    let (status, gold) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/Gold/critical",
        json!({"response_hours": 1, "resolution_hours": 4}),
    )
    .await;
    assert_eq!(status, 200, "{gold}");
    assert_eq!(
        gold,
        json!({"tier": "gold", "priority": "critical", "response_hours": 1, "resolution_hours": 4})
    );
    // replaced; an absent (or null) response target means none
    let (status, gold) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/gold/critical",
        json!({"resolution_hours": 6}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(gold["response_hours"], Value::Null);
    assert_eq!(gold["resolution_hours"], 6);
    // the defaults change through PUT, `*` written as is or percent-encoded
    let (status, normal) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/*/normal",
        json!({"response_hours": 12, "resolution_hours": 96}),
    )
    .await;
    assert_eq!(status, 200, "{normal}");
    let (status, normal) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/%2A/normal",
        json!({"response_hours": 10, "resolution_hours": 96}),
    )
    .await;
    assert_eq!(status, 200, "{normal}");
    assert_eq!(normal["tier"], "*");

    let (_, all) = app.get("/api/v1/sla-targets").await;
    assert_eq!(items(&all).len(), 4);
    assert!(items(&all).contains(&json!(
        {"tier": "*", "priority": "normal", "response_hours": 10, "resolution_hours": 96}
    )));
    let (_, first) = app.get("/api/v1/sla-targets?limit=2").await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("/api/v1/sla-targets?limit=2&cursor={cursor}"))
        .await;
    let mut paged: Vec<Value> = items(&first).clone();
    paged.extend(items(&rest).iter().cloned());
    assert_eq!(&paged, items(&all));
    assert_eq!(rest["next_cursor"], Value::Null);

    let (status, body) = app.delete("/api/v1/sla-targets/*/normal").await;
    assert_problem(status, &body, 409);
    let (status, _) = app.delete("/api/v1/sla-targets/gold/critical").await;
    assert_eq!(status, 204);
    for path in [
        "/api/v1/sla-targets/gold/critical",
        "/api/v1/sla-targets/gold/asap",
        "/api/v1/sla-targets/no%20such/normal",
    ] {
        let (status, body) = app.delete(path).await;
        assert_problem(status, &body, 404);
    }
    let (_, all) = app.get("/api/v1/sla-targets").await;
    assert_eq!(items(&all).len(), 3);
}

#[actix_web::test]
async fn bad_sla_targets_are_422_naming_every_field() {
    let app = TestApp::start().await;
    let (status, body) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/gold%20plus/asap",
        json!({"response_hours": 0, "resolution_hours": 8761}),
    )
    .await;
    assert_problem(status, &body, 422);
    assert_eq!(
        problem_fields(&body),
        ["tier", "priority", "response_hours", "resolution_hours"]
    );
    let (status, body) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/gold/urgent",
        json!({"response_hours": 9, "resolution_hours": 8}),
    )
    .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["response_hours"]);
    for (bad, field) in [
        (json!({"response_hours": 2}), "resolution_hours"),
        (json!({"resolution_hours": "8"}), "resolution_hours"),
        (json!({"resolution_hours": 1.5}), "resolution_hours"),
        (json!({"resolution_hours": 8, "tier": "gold"}), "tier"),
    ] {
        let (status, body) = put(&app, ADMIN_KEY, "/api/v1/sla-targets/gold/urgent", bad).await;
        assert_problem(status, &body, 422);
        assert_eq!(problem_fields(&body), [field]);
    }
    let (_, all) = app.get("/api/v1/sla-targets").await;
    assert_eq!(items(&all).len(), 3, "nothing was written: {all}");
}

#[actix_web::test]
async fn tickets_opened_or_reprioritised_after_a_change_get_the_new_targets() {
    let app = TestApp::start().await;
    let asset = gold_asset(&app).await;
    // no gold rows yet: the defaults apply (normal 8 h / 72 h)
    let before = open_ticket(&app, &asset, "normal").await;
    assert_eq!(due_hours(&before), (Some(8), 72));

    let (status, _) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/gold/normal",
        json!({"response_hours": 1, "resolution_hours": 5}),
    )
    .await;
    assert_eq!(status, 200);
    let after = open_ticket(&app, &asset, "normal").await;
    assert_eq!(due_hours(&after), (Some(1), 5));
    // a ticket already open keeps its due times
    let (_, kept) = app
        .get(&format!(
            "/api/v1/tickets/{}",
            before["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(due_hours(&kept), (Some(8), 72));

    // reprioritising recomputes from the targets in force, from the opening time
    let (status, _) = put(
        &app,
        ADMIN_KEY,
        "/api/v1/sla-targets/gold/urgent",
        json!({"response_hours": null, "resolution_hours": 3}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, urgent) = app
        .patch(
            &format!("/api/v1/tickets/{}", before["id"].as_str().unwrap()),
            json!({"priority": "urgent"}),
        )
        .await;
    assert_eq!(status, 200, "{urgent}");
    assert_eq!(due_hours(&urgent), (None, 3));

    // without the tier's own row the default applies again
    let (status, _) = app.delete("/api/v1/sla-targets/gold/normal").await;
    assert_eq!(status, 204);
    let default_again = open_ticket(&app, &asset, "normal").await;
    assert_eq!(due_hours(&default_again), (Some(8), 72));
}
