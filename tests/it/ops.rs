//! Operational endpoints: health, readiness, metrics, docs.

use crate::support::TestApp;

#[actix_web::test]
async fn health_ready_and_metrics_need_no_key() {
    let app = TestApp::start().await;
    let res = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ready: serde_json::Value = app
        .client
        .get(app.url("/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "ok");
    assert_eq!(ready["database_kind"], "external");
    assert_eq!(ready["broker"], "not_configured");

    app.get("/api/v1/customers").await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("mainspring_http_requests_total{method=\"GET\",route=\"/api/v1/customers\",status=\"200\"} 1"), "{metrics}");
    assert!(metrics.contains("mainspring_http_request_duration_seconds_bucket"));
    assert!(metrics.contains("mainspring_db_pool_max 8"));
}

#[actix_web::test]
async fn swagger_ui_is_served_from_the_binary() {
    let app = TestApp::start().await;
    let res = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.text().await.unwrap().contains("swagger"));
    let res = app
        .client
        .get(app.url("/docs/swagger-ui.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}
