//! API keys and roles: 401 without a valid key, 403 for the wrong role, keys stored
//! only as hashes, revocation effective at once, technician keys bound.

use reqwest::Method;
use serde_json::json;

use crate::support::{assert_problem, problem_fields, TestApp};

#[actix_web::test]
async fn requests_without_a_valid_key_get_401() {
    let app = TestApp::start().await;
    for auth in [
        None,
        Some("Bearer"),
        Some("Bearer wrong"),
        Some("Basic dXNlcjpwYXNz"),
    ] {
        let mut req = app.client.get(app.url("/api/v1/keys"));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 401, "{auth:?}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
    }
}

#[actix_web::test]
async fn keys_are_only_for_admins() {
    let app = TestApp::start().await;
    for role in ["planner", "warehouse", "viewer"] {
        let key = app.key(role, None).await;
        let (s, v) = app.call_as(&key, Method::GET, "/api/v1/keys", None).await;
        assert_problem(s, &v, 403);
        let (s, v) = app
            .call_as(
                &key,
                Method::POST,
                "/api/v1/keys",
                Some(json!({"name": "x", "role": "admin"})),
            )
            .await;
        assert_problem(s, &v, 403);
    }
}

#[actix_web::test]
async fn a_created_key_works_is_stored_hashed_and_stops_when_revoked() {
    let app = TestApp::start().await;
    let created = app
        .create(
            "/api/v1/keys",
            json!({"name": "ops laptop", "role": "viewer"}),
        )
        .await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("msk_") && key.len() >= 40);
    let id = created["record"]["id"].as_str().unwrap().to_owned();

    let (s, _) = app
        .call_as(&key, Method::GET, "/api/v1/customers", None)
        .await;
    assert_eq!(s, 200);

    // the database holds the hash, never the key
    use diesel::{QueryableByName, RunQueryDsl};
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        dump: String,
    }
    let rows: Vec<Row> = diesel::sql_query("SELECT row_to_json(k)::text AS dump FROM api_keys k")
        .load(&mut app.conn())
        .unwrap();
    assert!(
        rows.iter().all(|r| !r.dump.contains(&key[4..])),
        "plain key found in the database"
    );

    let (s, listed) = app.get("/api/v1/keys").await;
    assert_eq!(s, 200);
    assert!(listed.to_string().contains(&id));
    assert!(!listed.to_string().contains(&key));

    let (s, revoked) = app.delete(&format!("/api/v1/keys/{id}")).await;
    assert_eq!(s, 200);
    assert!(revoked["revoked_at"].is_string());
    let (s, v) = app
        .call_as(&key, Method::GET, "/api/v1/customers", None)
        .await;
    assert_problem(s, &v, 401);
    let (_, listed) = app.get("/api/v1/keys").await;
    assert!(
        !listed.to_string().contains(&id),
        "revoked keys are hidden by default"
    );
    let (_, listed) = app.get("/api/v1/keys?include_revoked=true").await;
    assert!(listed.to_string().contains(&id));
}

#[actix_web::test]
async fn technician_keys_must_name_an_existing_technician() {
    let app = TestApp::start().await;
    let (s, v) = app
        .post("/api/v1/keys", json!({"name": "t", "role": "technician"}))
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["technician_id"]);
    let (s, v) = app
        .post("/api/v1/keys", json!({"name": "t", "role": "technician", "technician_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}))
        .await;
    assert_problem(s, &v, 422);
    let (s, v) = app
        .post("/api/v1/keys", json!({"name": "t", "role": "viewer", "technician_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}))
        .await;
    assert_problem(s, &v, 422);
    let (s, v) = app
        .post("/api/v1/keys", json!({"name": "t", "role": "superuser"}))
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["role"]);
    let (s, v) = app.get("/api/v1/keys/not-a-uuid").await;
    assert_problem(s, &v, 404);
}
