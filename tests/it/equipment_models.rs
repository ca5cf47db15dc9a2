//! Equipment models: CRUD, filters, pagination, roles, and their bad inputs, including
//! the duplicate model number and deleting a model that an asset uses.

use diesel::RunQueryDsl;
use serde_json::{json, Value};

use crate::support::{all_pages, assert_problem, problem_fields, TestApp, ADMIN_KEY};

const UNKNOWN_ID: &str = "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f";

fn model_numbers(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["model_number"].as_str().unwrap().to_owned())
        .collect()
}

/// A site and an asset of `model_id` inserted directly (the sites and assets APIs are
/// not part of this feature).
fn insert_asset_of(app: &TestApp, model_id: &str) {
    use diesel::sql_types::Uuid;
    let mut conn = app.conn();
    let site = uuid::Uuid::now_v7();
    diesel::sql_query(
        "INSERT INTO sites (id, name, time_zone) VALUES ($1, 'Plant Nord', 'Europe/Berlin')",
    )
    .bind::<Uuid, _>(site)
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO assets (id, model_id, serial_number, site_id) VALUES ($1, $2, 'SN-1', $3)",
    )
    .bind::<Uuid, _>(uuid::Uuid::now_v7())
    .bind::<Uuid, _>(model_id.parse::<uuid::Uuid>().unwrap())
    .bind::<Uuid, _>(site)
    .execute(&mut conn)
    .unwrap();
}

#[actix_web::test]
async fn a_model_is_created_read_changed_and_deleted() {
    let app = TestApp::start().await;
    let m = app
        .create(
            "/api/v1/equipment-models",
            json!({"manufacturer": " Krones ", "model_number": "Contiform 3 Pro",
                   "name": "Stretch blow moulder",
                   "skills": ["Pneumatics", "hydraulics", "pneumatics"]}),
        )
        .await;
    assert_eq!(m["manufacturer"], "Krones");
    assert_eq!(m["skills"], json!(["hydraulics", "pneumatics"]));
    assert_eq!(m["version"], 1);
    assert!(m["description"].is_null());
    let id = m["id"].as_str().unwrap();

    let (s, got) = app.get(&format!("/api/v1/equipment-models/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(got["name"], "Stretch blow moulder");

    let (s, changed) = app
        .patch(
            &format!("/api/v1/equipment-models/{id}"),
            json!({"description": "Line 3 blower", "skills": ["electrical"], "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["description"], "Line 3 blower");
    assert_eq!(changed["skills"], json!(["electrical"]));
    assert_eq!(changed["model_number"], "Contiform 3 Pro");
    assert_eq!(changed["name"], "Stretch blow moulder");
    assert_eq!(changed["version"], 2);

    let (s, cleared) = app
        .patch(
            &format!("/api/v1/equipment-models/{id}"),
            json!({"name": null, "description": null}),
        )
        .await;
    assert_eq!(s, 200);
    assert!(cleared["name"].is_null() && cleared["description"].is_null());
    assert_eq!(cleared["version"], 3);

    let (s, _) = app.delete(&format!("/api/v1/equipment-models/{id}")).await;
    assert_eq!(s, 204);
    let (s, body) = app.get(&format!("/api/v1/equipment-models/{id}")).await;
    assert_problem(s, &body, 404);
    let (s, body) = app.delete(&format!("/api/v1/equipment-models/{id}")).await;
    assert_problem(s, &body, 404);
}

#[actix_web::test]
async fn a_stale_model_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::start().await;
    let m = app
        .create(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": "A1"}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/equipment-models/{id}"),
        json!({"name": "first"}),
    )
    .await;
    let (s, body) = app
        .patch(
            &format!("/api/v1/equipment-models/{id}"),
            json!({"name": "second", "version": 1}),
        )
        .await;
    assert_problem(s, &body, 409);
    let (_, now) = app.get(&format!("/api/v1/equipment-models/{id}")).await;
    assert_eq!(now["name"], "first");
}

#[actix_web::test]
async fn a_manufacturer_cannot_have_the_same_model_number_twice() {
    let app = TestApp::start().await;
    let body = json!({"manufacturer": "Krones", "model_number": "A1"});
    app.create("/api/v1/equipment-models", body.clone()).await;
    let (s, v) = app.post("/api/v1/equipment-models", body).await;
    assert_problem(s, &v, 409);

    // another manufacturer may use the number; renaming onto a taken pair is refused
    let other = app
        .create(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Sidel", "model_number": "A1"}),
        )
        .await;
    let id = other["id"].as_str().unwrap();
    let (s, v) = app
        .patch(
            &format!("/api/v1/equipment-models/{id}"),
            json!({"manufacturer": "Krones"}),
        )
        .await;
    assert_problem(s, &v, 409);
    let (_, still) = app.get(&format!("/api/v1/equipment-models/{id}")).await;
    assert_eq!(still["manufacturer"], "Sidel");
}

#[actix_web::test]
async fn a_model_that_an_asset_uses_cannot_be_deleted() {
    let app = TestApp::start().await;
    let m = app
        .create(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": "A1"}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    insert_asset_of(&app, id);
    let (s, v) = app.delete(&format!("/api/v1/equipment-models/{id}")).await;
    assert_problem(s, &v, 409);
    let (s, _) = app.get(&format!("/api/v1/equipment-models/{id}")).await;
    assert_eq!(s, 200);
}

#[actix_web::test]
async fn bad_model_input_names_every_offending_field() {
    let app = TestApp::start().await;
    let (s, body) = app
        .post(
            "/api/v1/equipment-models",
            json!({"manufacturer": " ", "model_number": "", "name": "x".repeat(201),
                   "skills": ["ok", "Not OK!"]}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(
        problem_fields(&body),
        ["manufacturer", "model_number", "name", "skills[1]"]
    );

    let (s, body) = app
        .post(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": 7}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["model_number"]);

    let (s, body) = app
        .post(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": "A1", "colour": "red"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["colour"]);

    let (s, body) = app
        .post(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["model_number"]);

    let (s, body) = app
        .post(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": "A1", "skills": "hydraulics"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["skills"]);

    let m = app
        .create(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": "A1"}),
        )
        .await;
    let id = m["id"].as_str().unwrap();
    let (s, body) = app
        .patch(
            &format!("/api/v1/equipment-models/{id}"),
            json!({"model_number": " ", "version": "one"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["version"]);
    let (s, body) = app
        .patch(
            &format!("/api/v1/equipment-models/{id}"),
            json!({"model_number": " "}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["model_number"]);

    for path in [
        format!("/api/v1/equipment-models/{UNKNOWN_ID}"),
        "/api/v1/equipment-models/not-a-uuid".to_owned(),
    ] {
        let (s, body) = app.get(&path).await;
        assert_problem(s, &body, 404);
        let (s, body) = app.patch(&path, json!({"name": "x"})).await;
        assert_problem(s, &body, 404);
        let (s, body) = app.delete(&path).await;
        assert_problem(s, &body, 404);
    }
}

#[actix_web::test]
async fn models_are_found_by_manufacturer_text_and_skill() {
    let app = TestApp::start().await;
    for (manufacturer, number, name, skills) in [
        (
            "Krones",
            "Contiform 3",
            "Blow moulder",
            json!(["pneumatics"]),
        ),
        (
            "KRONES",
            "Modulfill",
            "Filler",
            json!(["hydraulics", "pneumatics"]),
        ),
        (
            "Sidel",
            "EvoBLOW",
            "Blow 50%_moulder",
            json!(["electrical"]),
        ),
    ] {
        app.create(
            "/api/v1/equipment-models",
            json!({"manufacturer": manufacturer, "model_number": number, "name": name,
                   "skills": skills}),
        )
        .await;
    }
    app.create(
        "/api/v1/equipment-models",
        json!({"manufacturer": "Sidel", "model_number": "Matrix"}),
    )
    .await;

    let (_, v) = app
        .get("/api/v1/equipment-models?manufacturer=krones")
        .await;
    assert_eq!(model_numbers(&v), ["Contiform 3", "Modulfill"]);
    let (_, v) = app.get("/api/v1/equipment-models?manufacturer=Kron").await;
    assert_eq!(model_numbers(&v).len(), 0, "manufacturer matches exactly");
    let (_, v) = app.get("/api/v1/equipment-models?q=BLOW").await;
    assert_eq!(model_numbers(&v), ["Contiform 3", "EvoBLOW"]);
    let (_, v) = app.get("/api/v1/equipment-models?q=50%25_").await;
    assert_eq!(model_numbers(&v), ["EvoBLOW"]);
    let (_, v) = app.get("/api/v1/equipment-models?q=matr").await;
    assert_eq!(model_numbers(&v), ["Matrix"]);
    let (_, v) = app.get("/api/v1/equipment-models?skill=Pneumatics").await;
    assert_eq!(model_numbers(&v), ["Contiform 3", "Modulfill"]);
    let (_, v) = app
        .get("/api/v1/equipment-models?skill=pneumatics&q=fill&manufacturer=krones")
        .await;
    assert_eq!(model_numbers(&v), ["Modulfill"]);

    let (s, v) = app
        .get("/api/v1/equipment-models?skill=not%20a%20skill")
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["skill"]);
    let (s, v) = app.get("/api/v1/equipment-models?maker=krones").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["maker"]);
}

#[actix_web::test]
async fn keyset_pages_cover_every_model_once() {
    let app = TestApp::start().await;
    for i in 0..7 {
        app.create(
            "/api/v1/equipment-models",
            json!({"manufacturer": "Krones", "model_number": format!("M{i}")}),
        )
        .await;
    }
    let seen: Vec<String> = all_pages(&app, ADMIN_KEY, "/api/v1/equipment-models", 3)
        .await
        .iter()
        .map(|m| m["model_number"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, (0..7).map(|i| format!("M{i}")).collect::<Vec<_>>());
    let (s, v) = app.get("/api/v1/equipment-models?limit=501").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["limit"]);
    let (s, v) = app.get("/api/v1/equipment-models?cursor=garbage").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["cursor"]);
}
