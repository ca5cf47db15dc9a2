//! Technicians: CRUD, the home site and van references, filters, pagination, roles,
//! bad inputs, and deleting a technician an API key is bound to.

use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{all_pages, assert_problem, problem_fields, TestApp, ADMIN_KEY};

const UNKNOWN_ID: &str = "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f";

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect()
}

/// A site inserted directly (the sites API is not part of this feature).
fn insert_site(app: &TestApp, name: &str) -> String {
    let id = uuid::Uuid::now_v7();
    diesel::sql_query("INSERT INTO sites (id, name, time_zone) VALUES ($1, $2, 'Europe/Berlin')")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Text, _>(name)
        .execute(&mut app.conn())
        .unwrap();
    id.to_string()
}

async fn warehouse(app: &TestApp, code: &str, kind: &str) -> String {
    app.create(
        "/api/v1/warehouses",
        json!({"code": code, "name": format!("Warehouse {code}"), "kind": kind}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn a_technician_is_created_read_changed_and_deleted() {
    let app = TestApp::start().await;
    let site = insert_site(&app, "Depot Hamburg");
    let t = app
        .create(
            "/api/v1/technicians",
            json!({"name": "Ana Lima", "email": "ana.lima@example.com", "phone": "+49 170 1",
                   "skills": ["Hydraulics", "electrical"], "home_site_id": site}),
        )
        .await;
    assert_eq!(t["skills"], json!(["electrical", "hydraulics"]));
    assert_eq!(t["active"], true);
    assert_eq!(t["availability"], "available");
    assert_eq!(t["home_site_id"], site.as_str());
    assert_eq!(t["version"], 1);
    let id = t["id"].as_str().unwrap();

    let (s, got) = app.get(&format!("/api/v1/technicians/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(got["email"], "ana.lima@example.com");

    let (s, changed) = app
        .patch(
            &format!("/api/v1/technicians/{id}"),
            json!({"availability": "on_leave", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["availability"], "on_leave");
    assert_eq!(changed["name"], "Ana Lima");
    assert_eq!(changed["home_site_id"], site.as_str());
    assert_eq!(changed["version"], 2);

    let (s, cleared) = app
        .patch(
            &format!("/api/v1/technicians/{id}"),
            json!({"email": null, "phone": null, "home_site_id": null, "active": false}),
        )
        .await;
    assert_eq!(s, 200, "{cleared}");
    assert!(cleared["email"].is_null() && cleared["phone"].is_null());
    assert!(cleared["home_site_id"].is_null());
    assert_eq!(cleared["active"], false);
    assert_eq!(cleared["skills"], json!(["electrical", "hydraulics"]));

    let (s, _) = app.delete(&format!("/api/v1/technicians/{id}")).await;
    assert_eq!(s, 204);
    let (s, body) = app.get(&format!("/api/v1/technicians/{id}")).await;
    assert_problem(s, &body, 404);
}

#[actix_web::test]
async fn a_stale_technician_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::start().await;
    let t = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let id = t["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/technicians/{id}"),
        json!({"name": "Ana L."}),
    )
    .await;
    let (s, body) = app
        .patch(
            &format!("/api/v1/technicians/{id}"),
            json!({"name": "Ana Lima", "version": 1}),
        )
        .await;
    assert_problem(s, &body, 409);
    let (_, now) = app.get(&format!("/api/v1/technicians/{id}")).await;
    assert_eq!(now["name"], "Ana L.");
}

#[actix_web::test]
async fn an_unknown_home_site_is_a_validation_error_naming_home_site_id() {
    let app = TestApp::start().await;
    let (s, body) = app
        .post(
            "/api/v1/technicians",
            json!({"name": "Ana", "home_site_id": UNKNOWN_ID}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["home_site_id"]);

    let t = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let id = t["id"].as_str().unwrap();
    let (s, body) = app
        .patch(
            &format!("/api/v1/technicians/{id}"),
            json!({"home_site_id": UNKNOWN_ID}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["home_site_id"]);
    let (s, body) = app
        .patch(
            &format!("/api/v1/technicians/{id}"),
            json!({"home_site_id": "depot"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["home_site_id"]);
}

#[actix_web::test]
async fn bad_technician_input_names_every_offending_field() {
    let app = TestApp::start().await;
    let (s, body) = app
        .post(
            "/api/v1/technicians",
            json!({"name": "", "email": "ana at example", "phone": "1".repeat(51),
                   "skills": ["Bad Skill"], "home_site_id": UNKNOWN_ID}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(
        problem_fields(&body),
        ["name", "email", "phone", "skills[0]", "home_site_id"]
    );

    let (s, body) = app
        .post(
            "/api/v1/technicians",
            json!({"name": "Ana", "availability": "asleep"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["availability"]);

    let (s, body) = app
        .post(
            "/api/v1/technicians",
            json!({"name": "Ana", "active": "yes"}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["active"]);

    let (s, body) = app
        .post("/api/v1/technicians", json!({"name": "Ana", "van": "V1"}))
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["van"]);

    let (s, body) = app.post("/api/v1/technicians", json!({})).await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["name"]);

    for path in [
        format!("/api/v1/technicians/{UNKNOWN_ID}"),
        "/api/v1/technicians/42".to_owned(),
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
async fn technicians_are_found_by_active_availability_skill_site_and_name() {
    let app = TestApp::start().await;
    let hamburg = insert_site(&app, "Depot Hamburg");
    let munich = insert_site(&app, "Depot München");
    for body in [
        json!({"name": "Ana Lima", "skills": ["hydraulics"], "home_site_id": hamburg}),
        json!({"name": "Ben Okafor", "skills": ["electrical", "hydraulics"],
               "home_site_id": munich, "availability": "busy"}),
        json!({"name": "Carla Diaz", "skills": ["electrical"], "active": false,
               "availability": "off_duty"}),
    ] {
        app.create("/api/v1/technicians", body).await;
    }

    let (_, v) = app.get("/api/v1/technicians?active=true").await;
    assert_eq!(names(&v), ["Ana Lima", "Ben Okafor"]);
    let (_, v) = app.get("/api/v1/technicians?active=false").await;
    assert_eq!(names(&v), ["Carla Diaz"]);
    let (_, v) = app.get("/api/v1/technicians?availability=busy").await;
    assert_eq!(names(&v), ["Ben Okafor"]);
    let (_, v) = app.get("/api/v1/technicians?skill=Electrical").await;
    assert_eq!(names(&v), ["Ben Okafor", "Carla Diaz"]);
    let (_, v) = app
        .get(&format!("/api/v1/technicians?home_site_id={hamburg}"))
        .await;
    assert_eq!(names(&v), ["Ana Lima"]);
    let (_, v) = app.get("/api/v1/technicians?q=OKA").await;
    assert_eq!(names(&v), ["Ben Okafor"]);
    let (_, v) = app
        .get("/api/v1/technicians?skill=hydraulics&active=true&availability=available")
        .await;
    assert_eq!(names(&v), ["Ana Lima"]);

    for (query, field) in [
        ("availability=asleep", "availability"),
        ("active=maybe", "active"),
        ("home_site_id=depot", "home_site_id"),
        ("skill=two%20words", "skill"),
        ("site=x", "site"),
    ] {
        let (s, v) = app.get(&format!("/api/v1/technicians?{query}")).await;
        assert_problem(s, &v, 422);
        assert_eq!(problem_fields(&v), [field], "{query}");
    }
}

#[actix_web::test]
async fn keyset_pages_cover_every_technician_once() {
    let app = TestApp::start().await;
    for i in 0..5 {
        app.create("/api/v1/technicians", json!({"name": format!("T{i}")}))
            .await;
    }
    let seen: Vec<String> = all_pages(&app, ADMIN_KEY, "/api/v1/technicians", 2)
        .await
        .iter()
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, (0..5).map(|i| format!("T{i}")).collect::<Vec<_>>());
    let (s, v) = app.get("/api/v1/technicians?limit=0").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["limit"]);
    let (s, v) = app.get("/api/v1/technicians?cursor=garbage").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["cursor"]);
}

#[actix_web::test]
async fn a_technician_with_an_api_key_cannot_be_deleted_only_deactivated() {
    let app = TestApp::start().await;
    let t = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let id = t["id"].as_str().unwrap();
    let key = app.key("technician", Some(id)).await;

    let (s, v) = app.delete(&format!("/api/v1/technicians/{id}")).await;
    assert_problem(s, &v, 409);
    let detail = v["detail"].as_str().unwrap();
    assert!(
        detail.contains("api_keys") && detail.contains("`active` to false"),
        "{detail}"
    );

    let (s, v) = app
        .patch(
            &format!("/api/v1/technicians/{id}"),
            json!({"active": false}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    // the bound key still reads (deactivating is not revoking)
    let (s, _) = app
        .call_as(
            &key,
            Method::GET,
            &format!("/api/v1/technicians/{id}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
}

#[actix_web::test]
async fn a_technicians_van_is_set_changed_and_cleared() {
    let app = TestApp::start().await;
    let van1 = warehouse(&app, "VAN-1", "van").await;
    let van2 = warehouse(&app, "VAN-2", "van").await;
    let t = app
        .create(
            "/api/v1/technicians",
            json!({"name": "Ana", "van_warehouse_id": van1}),
        )
        .await;
    assert_eq!(t["van_warehouse_id"], van1.as_str());
    let path = format!("/api/v1/technicians/{}", t["id"].as_str().unwrap());

    let (s, v) = app.patch(&path, json!({"availability": "busy"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["van_warehouse_id"], van1.as_str());
    let (s, v) = app.patch(&path, json!({"van_warehouse_id": van2})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["van_warehouse_id"], van2.as_str());
    let (s, v) = app.patch(&path, json!({"van_warehouse_id": null})).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["van_warehouse_id"].is_null(), "{v}");
    let (_, v) = app.get(&path).await;
    assert!(v["van_warehouse_id"].is_null(), "{v}");

    let t = app
        .create("/api/v1/technicians", json!({"name": "Ben"}))
        .await;
    assert!(t["van_warehouse_id"].is_null());
}

#[actix_web::test]
async fn a_van_must_exist_and_be_a_warehouse_of_kind_van() {
    let app = TestApp::start().await;
    let central = warehouse(&app, "CENTRAL", "central").await;
    let cabinet = warehouse(&app, "CAB-1", "cabinet").await;

    let (s, v) = app
        .post(
            "/api/v1/technicians",
            json!({"name": "Ana", "van_warehouse_id": UNKNOWN_ID}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["van_warehouse_id"]);
    assert_eq!(
        v["errors"][0]["reason"],
        format!("no warehouse {UNKNOWN_ID}")
    );
    for (w, kind) in [(&central, "central"), (&cabinet, "cabinet")] {
        let (s, v) = app
            .post(
                "/api/v1/technicians",
                json!({"name": "Ana", "van_warehouse_id": w}),
            )
            .await;
        assert_problem(s, &v, 422);
        assert_eq!(problem_fields(&v), ["van_warehouse_id"]);
        assert_eq!(
            v["errors"][0]["reason"],
            format!("warehouse {w} is a {kind} warehouse, not a van")
        );
    }

    let t = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await;
    let path = format!("/api/v1/technicians/{}", t["id"].as_str().unwrap());
    for body in [
        json!({"van_warehouse_id": UNKNOWN_ID}),
        json!({"van_warehouse_id": central}),
        json!({"van_warehouse_id": "VAN-1"}),
    ] {
        let (s, v) = app.patch(&path, body.clone()).await;
        assert_problem(s, &v, 422);
        assert_eq!(problem_fields(&v), ["van_warehouse_id"], "{body}");
    }
    let (_, v) = app.get(&path).await;
    assert!(v["van_warehouse_id"].is_null());
    assert_eq!(v["version"], 1);
}

#[actix_web::test]
async fn a_van_already_driven_by_another_technician_is_a_conflict() {
    let app = TestApp::start().await;
    let van = warehouse(&app, "VAN-1", "van").await;
    let ana = app
        .create(
            "/api/v1/technicians",
            json!({"name": "Ana", "van_warehouse_id": van}),
        )
        .await;
    let ana_path = format!("/api/v1/technicians/{}", ana["id"].as_str().unwrap());

    let (s, v) = app
        .post(
            "/api/v1/technicians",
            json!({"name": "Ben", "van_warehouse_id": van}),
        )
        .await;
    assert_problem(s, &v, 409);
    assert_eq!(
        v["detail"],
        format!("warehouse {van} is already the van of another technician")
    );
    let (_, v) = app.get("/api/v1/technicians?q=ben").await;
    assert!(names(&v).is_empty());

    let ben = app
        .create("/api/v1/technicians", json!({"name": "Ben"}))
        .await;
    let ben_path = format!("/api/v1/technicians/{}", ben["id"].as_str().unwrap());
    let (s, v) = app.patch(&ben_path, json!({"van_warehouse_id": van})).await;
    assert_problem(s, &v, 409);
    assert_eq!(
        v["detail"],
        format!("warehouse {van} is already the van of another technician")
    );
    let (_, v) = app.get(&ben_path).await;
    assert!(v["van_warehouse_id"].is_null());

    // setting a technician's own van again is no conflict; once Ana gives it up, Ben takes it
    let (s, v) = app
        .patch(
            &ana_path,
            json!({"van_warehouse_id": van, "name": "Ana Lima"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app
        .patch(&ana_path, json!({"van_warehouse_id": null}))
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = app.patch(&ben_path, json!({"van_warehouse_id": van})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["van_warehouse_id"], van.as_str());

    // a van that is a technician's cannot be deleted
    let (s, v) = app.delete(&format!("/api/v1/warehouses/{van}")).await;
    assert_problem(s, &v, 409);
}
