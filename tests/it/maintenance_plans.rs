//! `/api/v1/maintenance-plans`: plans for one asset or a model, their triggers and
//! kits, and every way a plan can be wrong (each a 422 naming the field).

use serde_json::{json, Value};

use crate::maintenance_support::*;
use crate::support::{assert_problem, problem_fields, Fleet, TestApp};

#[actix_web::test]
async fn plans_are_created_read_changed_listed_and_deleted() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let filter = stocked_part(&app, "FLT-1", &f.store, "0").await;
    let p = plan(
        &app,
        json!({"title": "Quarterly service", "model_id": f.model,
               "calendar": {"every": 3, "unit": "months", "anchor": "2027-01-15", "at": "09:00"},
               "meter": {"name": "runtime_h", "every": 500}, "lead_days": 7,
               "checklist": ["Replace filter"], "parts": [{"part_id": filter, "quantity": 2}],
               "skills": ["Hydraulics"], "estimated_minutes": 90}),
    )
    .await;
    assert_eq!(
        p["calendar"],
        json!({"every": 3, "unit": "months", "anchor": "2027-01-15", "at": "09:00", "mode": "fixed"})
    );
    assert_eq!(p["meter"], json!({"name": "runtime_h", "every": 500.0}));
    assert_eq!(p["parts"][0]["sku"], "FLT-1");
    assert_eq!(p["parts"][0]["quantity"], "2");
    assert_eq!(p["skills"], json!(["hydraulics"]));
    assert_eq!(
        (p["priority"].as_str(), p["active"].as_bool()),
        (Some("normal"), Some(true))
    );
    let id = p["id"].as_str().unwrap();

    let (status, changed) = app
        .patch(
            &format!("/api/v1/maintenance-plans/{id}"),
            json!({"calendar": {"cron": "0 6 1 * *"}, "meter": null, "parts": [], "version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["calendar"], json!({"cron": "0 6 1 * *"}));
    assert_eq!(changed["meter"], Value::Null);
    assert_eq!(changed["parts"], json!([]));
    assert_eq!(changed["checklist"], json!(["Replace filter"]));
    let (status, stale) = app
        .patch(
            &format!("/api/v1/maintenance-plans/{id}"),
            json!({"lead_days": 1, "version": 1}),
        )
        .await;
    assert_problem(status, &stale, 409);

    let own = plan(
        &app,
        json!({"title": "Weekly look", "asset_id": f.assets[1], "calendar": {"cron": "0 8 * * 1"}}),
    )
    .await;
    // an asset's plans are its own and its model's
    let (_, list) = app
        .get(&format!(
            "/api/v1/maintenance-plans?asset_id={}",
            f.assets[1]
        ))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let (_, list) = app
        .get(&format!(
            "/api/v1/maintenance-plans?asset_id={}",
            f.assets[0]
        ))
        .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, list) = app
        .get(&format!("/api/v1/maintenance-plans?model_id={}", f.model))
        .await;
    assert_eq!(list["items"][0]["id"], id);
    let (_, list) = app.get("/api/v1/maintenance-plans?limit=1").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (_, next) = app
        .get(&format!(
            "/api/v1/maintenance-plans?limit=1&cursor={}",
            list["next_cursor"].as_str().unwrap()
        ))
        .await;
    assert_eq!(next["items"][0]["id"], own["id"]);

    let (status, _) = app.delete(&format!("/api/v1/maintenance-plans/{id}")).await;
    assert_eq!(status, 204);
    let (status, body) = app.get(&format!("/api/v1/maintenance-plans/{id}")).await;
    assert_problem(status, &body, 404);
}

#[actix_web::test]
async fn a_plan_that_opened_tickets_cannot_be_deleted_but_can_be_deactivated() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let p = plan(
        &app,
        json!({"title": "Daily", "asset_id": f.assets[0], "calendar": {"cron": "0 9 * * *"},
               "starts_at": "2027-01-10T00:00:00Z"}),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(run_at(&app, utc(2027, 1, 10, 8, 1)).await.opened, 1);
    let (status, body) = app.delete(&format!("/api/v1/maintenance-plans/{id}")).await;
    assert_problem(status, &body, 409);
    let (status, body) = app
        .patch(
            &format!("/api/v1/maintenance-plans/{id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(run_at(&app, utc(2027, 1, 12, 8, 1)).await.opened, 0);
}

#[actix_web::test]
async fn invalid_plans_are_422_naming_what_is_wrong() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let asset = &f.assets[0];
    let unknown = uuid::Uuid::now_v7();
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"title": "x", "asset_id": asset}),
            "calendar",
            "needs a calendar trigger",
        ),
        (
            json!({"title": "x", "asset_id": asset, "model_id": f.model, "calendar": {"cron": "0 9 * * *"}}),
            "asset_id",
            "either",
        ),
        (
            json!({"title": "x", "calendar": {"cron": "0 9 * * *"}}),
            "asset_id",
            "either",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 25 * * *"}}),
            "calendar.cron",
            "cron",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 9 * *"}}),
            "calendar.cron",
            "5 fields",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 0 30 2 *"}}),
            "calendar.cron",
            "never",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 9 * * *", "every": 2}}),
            "calendar",
            "not both",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"every": 2, "unit": "weeks"}}),
            "calendar.anchor",
            "required",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"every": 0, "unit": "weeks", "anchor": "2027-01-01"}}),
            "calendar.every",
            "between 1",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"every": 1, "unit": "weeks", "anchor": "2027-01-01", "at": "9 am"}}),
            "calendar.at",
            "time of day",
        ),
        (
            json!({"title": "x", "asset_id": asset, "meter": {"name": "cycles", "every": 10}}),
            "meter.name",
            "no meter",
        ),
        (
            json!({"title": "x", "asset_id": asset, "meter": {"name": "runtime_h", "every": 0}}),
            "meter.every",
            "above 0",
        ),
        (
            json!({"title": "x", "asset_id": asset, "meter": {"name": "bad name!", "every": 1}}),
            "meter.name",
            "must match",
        ),
        (
            json!({"title": "x", "asset_id": unknown, "calendar": {"cron": "0 9 * * *"}}),
            "asset_id",
            "no asset",
        ),
        (
            json!({"title": "x", "model_id": unknown, "calendar": {"cron": "0 9 * * *"}}),
            "model_id",
            "no equipment model",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 9 * * *"}, "parts": [{"part_id": unknown, "quantity": "1"}]}),
            "parts[0].part_id",
            "no part",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 9 * * *"}, "lead_days": 400}),
            "lead_days",
            "between",
        ),
        (
            json!({"title": " ", "asset_id": asset, "calendar": {"cron": "0 9 * * *"}}),
            "title",
            "empty",
        ),
        (
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 9 * * *"}, "skills": ["no spaces"]}),
            "skills[0]",
            "a-z",
        ),
    ];
    for (body, field, reason) in cases {
        let (status, problem) = app.post("/api/v1/maintenance-plans", body.clone()).await;
        assert_problem(status, &problem, 422);
        let found = problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == field)
            .unwrap_or_else(|| panic!("no error on {field} for {body}: {problem}"));
        assert!(
            found["reason"].as_str().unwrap().contains(reason),
            "{field}: {found} (wanted `{reason}`)"
        );
    }
    // wrong types and unknown fields
    let (status, problem) = app
        .post(
            "/api/v1/maintenance-plans",
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": 5}}),
        )
        .await;
    assert_problem(status, &problem, 422);
    let (status, problem) = app
        .post(
            "/api/v1/maintenance-plans",
            json!({"title": "x", "asset_id": asset, "calendar": {"cron": "0 9 * * *"}, "colour": "red"}),
        )
        .await;
    assert_problem(status, &problem, 422);
    assert!(
        problem_fields(&problem)
            .iter()
            .any(|f| f.contains("colour"))
            || problem["detail"].as_str().unwrap().contains("colour"),
        "{problem}"
    );
    let (status, problem) = app
        .patch(
            &format!("/api/v1/maintenance-plans/{}", uuid::Uuid::now_v7()),
            json!({"active": false}),
        )
        .await;
    assert_problem(status, &problem, 404);
}
