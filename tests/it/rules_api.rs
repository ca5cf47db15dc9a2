//! `/api/v1/rules`: create with defaults, read, filter, change, delete; every bad input
//! a 422 naming its field, unknown ids 404, writes refused to the wrong roles.

use serde_json::{json, Value};

use crate::rules_support::*;
use crate::support::{assert_problem, problem_fields, Fleet, TestApp};

#[actix_web::test]
async fn a_rule_is_created_with_defaults_read_listed_changed_and_deleted() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let rule = app
        .create(
            "/api/v1/rules",
            json!({"name": "Hot", "model_id": f.model, "metric": "temperature_c", "condition": ">",
                   "threshold": 80}),
        )
        .await;
    assert_eq!(rule["kind"], "threshold");
    assert_eq!(rule["allowed_lateness_s"], 30);
    assert_eq!(
        (rule["duration_s"].as_i64(), rule["hysteresis"].as_f64()),
        (Some(0), Some(0.0))
    );
    assert_eq!(rule["severity"], "normal");
    assert_eq!(
        rule["title_template"],
        "{asset}: {metric} {value} {condition}"
    );
    assert_eq!(
        (rule["active"].as_bool(), rule["version"].as_i64()),
        (Some(true), Some(1))
    );
    let path = format!("/api/v1/rules/{}", rule["id"].as_str().unwrap());
    let (status, read) = app.get(&path).await;
    assert_eq!((status.as_u16(), &read), (200, &rule));

    let silent = app
        .create(
            "/api/v1/rules",
            json!({"name": "Silent", "asset_id": f.asset, "kind": "no_data", "silence_s": 300}),
        )
        .await;
    assert_eq!(silent["offline_status"], true);
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, v) = app
        .get(&format!("/api/v1/rules?applies_to={}", f.asset))
        .await;
    assert_eq!(names(&v), ["Hot", "Silent"], "its model's rule and its own");
    let (_, v) = app.get("/api/v1/rules?kind=no_data").await;
    assert_eq!(names(&v), ["Silent"]);
    let (_, v) = app
        .get("/api/v1/rules?metric=temperature_c&active=true")
        .await;
    assert_eq!(names(&v), ["Hot"]);
    let (_, v) = app
        .get(&format!("/api/v1/rules?model_id={}&limit=1", f.model))
        .await;
    assert_eq!((names(&v).len(), v["next_cursor"].is_null()), (1, true));

    // from a threshold to a range: the threshold goes, the range comes
    let (status, changed) = app
        .patch(
            &path,
            json!({"condition": "outside", "low": 10, "high": 90, "hysteresis": 2, "version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(
        (
            changed["threshold"].clone(),
            changed["low"].as_f64(),
            changed["version"].as_i64()
        ),
        (Value::Null, Some(10.0), Some(2))
    );
    let (status, body) = app
        .patch(&path, json!({"name": "Stale", "version": 1}))
        .await;
    assert_problem(status, &body, 409);

    let (status, _) = app.delete(&path).await;
    assert_eq!(status, 204);
    let (status, body) = app.get(&path).await;
    assert_problem(status, &body, 404);
}

#[actix_web::test]
async fn every_bad_field_is_a_422_naming_it() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let good = json!({"name": "Hot", "asset_id": f.asset, "metric": "temperature_c",
                      "condition": ">", "threshold": 80});
    let with = |extra: Value| {
        let mut b = good.clone();
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                b.as_object_mut().unwrap().remove(k);
            } else {
                b[k] = v.clone();
            }
        }
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (with(json!({"metric": "temp/c"})), "metric"),
        (with(json!({"metric": null})), "metric"),
        (with(json!({"condition": "=="})), "condition"),
        (with(json!({"threshold": null})), "threshold"),
        (with(json!({"threshold": "hot"})), "threshold"),
        (with(json!({"hysteresis": -1})), "hysteresis"),
        (with(json!({"duration_s": 604801})), "duration_s"),
        (
            with(json!({"allowed_lateness_s": -1})),
            "allowed_lateness_s",
        ),
        (with(json!({"severity": "meh"})), "severity"),
        (with(json!({"asset_status": "retired"})), "asset_status"),
        (
            with(json!({"title_template": "{asset} is {mood}"})),
            "title_template",
        ),
        (with(json!({"title_template": "{asset"})), "title_template"),
        (with(json!({"asset_id": null})), "asset_id"),
        (with(json!({"model_id": f.model})), "model_id"),
        (
            with(json!({"asset_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"})),
            "asset_id",
        ),
        (with(json!({"silence_s": 60})), "silence_s"),
        (with(json!({"colour": "red"})), "colour"),
        (
            with(
                json!({"condition": "outside", "threshold": null, "low": 10, "high": 20, "hysteresis": 6}),
            ),
            "hysteresis",
        ),
        (
            with(json!({"condition": "inside", "threshold": null, "low": 20, "high": 10})),
            "high",
        ),
    ];
    for (body, field) in cases {
        let (status, problem) = app.post("/api/v1/rules", body.clone()).await;
        assert_problem(status, &problem, 422);
        let fields = problem_fields(&problem);
        assert!(
            fields
                .iter()
                .any(|f| f == field || f.starts_with(&format!("{field}."))),
            "{body}: expected {field}, got {problem}"
        );
    }
    // a no-data rule watches offline status by default; without it, it needs a silence
    let offline = json!({"name": "Offline", "asset_id": f.asset, "kind": "no_data"});
    app.create("/api/v1/rules", offline).await;
    let quiet =
        json!({"name": "Quiet", "asset_id": f.asset, "kind": "no_data", "offline_status": false});
    let (status, problem) = app.post("/api/v1/rules", quiet).await;
    assert_problem(status, &problem, 422);
    assert_eq!(problem_fields(&problem), ["silence_s"]);

    // what a rule is (kind, scope, metric) cannot change; its condition must stay valid
    let rule = app.create("/api/v1/rules", good.clone()).await;
    let path = format!("/api/v1/rules/{}", rule["id"].as_str().unwrap());
    for (patch, field) in [
        (json!({"metric": "pressure_bar"}), "metric"),
        (json!({"kind": "no_data"}), "kind"),
        (json!({"threshold": null}), "threshold"),
        (json!({"low": 3}), "low"),
        (json!({"title_template": "{device}"}), "title_template"),
    ] {
        let (status, problem) = app.patch(&path, patch.clone()).await;
        assert_problem(status, &problem, 422);
        assert!(
            problem_fields(&problem).iter().any(|f| f == field),
            "{patch}: {problem}"
        );
    }
}

#[actix_web::test]
async fn unknown_rules_are_404() {
    let app = TestApp::start().await;
    let missing = "/api/v1/rules/0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f";
    let (status, body) = app.get(missing).await;
    assert_problem(status, &body, 404);
    let (status, body) = app.patch(missing, json!({"name": "x"})).await;
    assert_problem(status, &body, 404);
    let (status, body) = app.delete(missing).await;
    assert_problem(status, &body, 404);
}

#[actix_web::test]
async fn deleting_a_rule_keeps_its_tickets_and_restores_the_asset_status() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let rule = hot_rule(
        &app,
        &f,
        json!({"allowed_lateness_s": 0, "asset_status": "down"}),
    )
    .await;
    let mut conn = app.conn();
    feed(&mut conn, &temps(f.asset, f.device, &[(0, 99.0)]));
    assert_eq!(asset_status(&app, f.asset).await, "down");
    let (status, _) = app
        .delete(&format!("/api/v1/rules/{}", rule["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 204);
    assert_eq!(asset_status(&app, f.asset).await, "operational");
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["rule_id"], Value::Null);
}
