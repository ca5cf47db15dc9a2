//! The error contract: problem+json with the status DESIGN.md assigns, never a 500.

use reqwest::Method;

use crate::support::{assert_problem, TestApp, ADMIN_KEY};

#[actix_web::test]
async fn unparseable_json_is_400_and_wrong_content_type_is_400() {
    let app = TestApp::start().await;
    for body in ["{", "not json", "", "[1,"] {
        let res = app
            .request(Method::POST, "/api/v1/customers", Some(ADMIN_KEY))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{body:?}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    let res = app
        .request(Method::POST, "/api/v1/customers", Some(ADMIN_KEY))
        .header("content-type", "text/plain")
        .body("{\"name\": \"x\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::start().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let res = app
        .request(Method::POST, "/api/v1/customers", Some(ADMIN_KEY))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
}

#[actix_web::test]
async fn unknown_paths_and_malformed_ids_are_404_problems() {
    let app = TestApp::start().await;
    let (s, v) = app.get("/api/v1/nothing-here").await;
    assert_problem(s, &v, 404);
    let (s, v) = app.get("/api/v1/customers/12345").await;
    assert_problem(s, &v, 404);
}

#[actix_web::test]
async fn text_postgres_cannot_store_is_422_not_500() {
    let app = TestApp::start().await;
    let (s, v) = app
        .post("/api/v1/customers", serde_json::json!({"name": "a\u{0}b"}))
        .await;
    assert_problem(s, &v, 422);
    let (s, v) = app.get("/api/v1/sites?q=%00x").await;
    assert_problem(s, &v, 422);
    let (s, v) = app
        .get("/api/v1/customers?created_from=-10000-01-01T00:00:00Z")
        .await;
    assert_problem(s, &v, 422);
    let (s, v) = app.get("/api/v1/assets?warranty_before=+20000-01-01").await;
    assert_problem(s, &v, 422);
}
