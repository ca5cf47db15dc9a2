//! Warehouses: CRUD, unique codes, and deletion refused once stock history exists.

use serde_json::json;

use crate::inventory_support::{part, receive, warehouse};
use crate::support::{assert_problem, problem_fields, TestApp};

#[actix_web::test]
async fn warehouses_are_created_listed_changed_and_deleted() {
    let app = TestApp::start().await;
    let van = app
        .create(
            "/api/v1/warehouses",
            json!({"code": "VAN-7", "name": "Van 7", "kind": "van"}),
        )
        .await;
    assert_eq!(van["kind"], "van");
    assert_eq!(van["active"], true);
    let id = van["id"].as_str().unwrap();
    warehouse(&app, "HH").await;

    let (_, vans) = app.get("/api/v1/warehouses?kind=van").await;
    assert_eq!(vans["items"].as_array().unwrap().len(), 1);
    let (_, found) = app.get("/api/v1/warehouses?q=van").await;
    assert_eq!(found["items"][0]["code"], "VAN-7");

    let (status, changed) = app
        .patch(
            &format!("/api/v1/warehouses/{id}"),
            json!({"active": false, "version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["active"], false);
    let (status, stale) = app
        .patch(
            &format!("/api/v1/warehouses/{id}"),
            json!({"name": "x", "version": 1}),
        )
        .await;
    assert_problem(status, &stale, 409);

    let (status, _) = app.delete(&format!("/api/v1/warehouses/{id}")).await;
    assert_eq!(status, 204);
    let (status, gone) = app.get(&format!("/api/v1/warehouses/{id}")).await;
    assert_problem(status, &gone, 404);
}

#[actix_web::test]
async fn codes_are_unique_ignoring_case_and_checked() {
    let app = TestApp::start().await;
    warehouse(&app, "HH-Central").await;
    let (status, dup) = app
        .post(
            "/api/v1/warehouses",
            json!({"code": "hh-central", "name": "Again", "kind": "central"}),
        )
        .await;
    assert_problem(status, &dup, 409);
    let (status, bad) = app
        .post(
            "/api/v1/warehouses",
            json!({"code": "has space", "name": " ", "kind": "central", "site_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_problem(status, &bad, 422);
    assert_eq!(problem_fields(&bad), ["code", "name", "site_id"]);
    let (status, kind) = app
        .post(
            "/api/v1/warehouses",
            json!({"code": "X", "name": "X", "kind": "garage"}),
        )
        .await;
    assert_problem(status, &kind, 422);
}

#[actix_web::test]
async fn a_warehouse_with_stock_history_cannot_be_deleted() {
    let app = TestApp::start().await;
    let w = warehouse(&app, "HH").await;
    let p = part(&app, "P-1").await;
    receive(&app, &p, &w, "1", "1").await;
    let (status, body) = app.delete(&format!("/api/v1/warehouses/{w}")).await;
    assert_problem(status, &body, 409);
    assert!(
        body["detail"].as_str().unwrap().contains("active"),
        "{body}"
    );
}

#[actix_web::test]
async fn only_warehouse_staff_and_admins_manage_warehouses() {
    let app = TestApp::start().await;
    let planner = app.key("planner", None).await;
    let warehouse_key = app.key("warehouse", None).await;
    let body = json!({"code": "W1", "name": "W", "kind": "cabinet"});
    let (status, v) = app
        .call_as(
            &planner,
            reqwest::Method::POST,
            "/api/v1/warehouses",
            Some(body.clone()),
        )
        .await;
    assert_problem(status, &v, 403);
    let (status, _) = app
        .call_as(
            &warehouse_key,
            reqwest::Method::POST,
            "/api/v1/warehouses",
            Some(body),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .call_as(&planner, reqwest::Method::GET, "/api/v1/warehouses", None)
        .await;
    assert_eq!(status, 200);
}

#[actix_web::test]
async fn a_technicians_van_stays_a_van() {
    let app = TestApp::start().await;
    let van = app
        .create(
            "/api/v1/warehouses",
            json!({"code": "VAN-1", "name": "Van 1", "kind": "van"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create(
        "/api/v1/technicians",
        json!({"name": "Ana", "van_warehouse_id": van}),
    )
    .await;
    let (status, body) = app
        .patch(
            &format!("/api/v1/warehouses/{van}"),
            json!({"kind": "central"}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["kind"]);
    let (status, _) = app
        .patch(
            &format!("/api/v1/warehouses/{van}"),
            json!({"name": "Van one"}),
        )
        .await;
    assert_eq!(status, 200);
}
