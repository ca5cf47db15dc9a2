//! `Idempotency-Key`: a retry returns the first response and changes nothing; the same
//! key with another body is 422; keys are scoped to the caller's API key.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{assert_problem, TestApp, ADMIN_KEY};

async fn post_with_key(
    app: &TestApp,
    api_key: &str,
    idem: &str,
    body: Value,
) -> (u16, Value, bool) {
    let res = app
        .request(Method::POST, "/api/v1/customers", Some(api_key))
        .header("Idempotency-Key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (status, res.json().await.unwrap(), replayed)
}

async fn count(app: &TestApp) -> usize {
    app.get("/api/v1/customers").await.1["items"]
        .as_array()
        .unwrap()
        .len()
}

#[actix_web::test]
async fn a_retried_post_returns_the_first_response_and_creates_once() {
    let app = TestApp::start().await;
    let (s1, first, r1) = post_with_key(&app, ADMIN_KEY, "k-1", json!({"name": "Once"})).await;
    let (s2, second, r2) = post_with_key(&app, ADMIN_KEY, "k-1", json!({"name": "Once"})).await;
    assert_eq!((s1, s2), (201, 201));
    assert!(!r1 && r2);
    assert_eq!(first, second);
    assert_eq!(count(&app).await, 1);
}

#[actix_web::test]
async fn the_same_key_with_another_body_is_422() {
    let app = TestApp::start().await;
    post_with_key(&app, ADMIN_KEY, "k-2", json!({"name": "A"})).await;
    let (s, v, _) = post_with_key(&app, ADMIN_KEY, "k-2", json!({"name": "B"})).await;
    assert_problem(reqwest::StatusCode::from_u16(s).unwrap(), &v, 422);
    assert_eq!(count(&app).await, 1);
}

#[actix_web::test]
async fn keys_are_scoped_to_the_api_key() {
    let app = TestApp::start().await;
    let planner = app.key("planner", None).await;
    post_with_key(&app, ADMIN_KEY, "shared", json!({"name": "A"})).await;
    let (s, _, replayed) = post_with_key(&app, &planner, "shared", json!({"name": "A"})).await;
    assert_eq!(s, 201);
    assert!(!replayed);
    assert_eq!(count(&app).await, 2);
}

#[actix_web::test]
async fn a_validation_error_is_replayed_too_and_concurrent_retries_act_once() {
    let app = TestApp::start().await;
    let (s1, _, _) = post_with_key(&app, ADMIN_KEY, "bad", json!({"name": ""})).await;
    let (s2, _, replayed) = post_with_key(&app, ADMIN_KEY, "bad", json!({"name": ""})).await;
    assert_eq!((s1, s2), (422, 422));
    assert!(replayed);

    let body = json!({"name": "Concurrent"});
    let results = futures_util::future::join_all(
        (0..8).map(|_| post_with_key(&app, ADMIN_KEY, "race", body.clone())),
    )
    .await;
    for (s, _, _) in &results {
        assert!(*s == 201 || *s == 409, "status {s}");
    }
    assert!(results.iter().any(|(s, _, _)| *s == 201));
    let (_, list) = app.get("/api/v1/customers?name=concurrent").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}
