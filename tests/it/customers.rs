//! Customers: CRUD, search filters, pagination, CSV, and their bad inputs.

use reqwest::Method;
use serde_json::json;

use crate::support::{all_pages, assert_problem, problem_fields, TestApp, ADMIN_KEY};

#[actix_web::test]
async fn a_customer_is_created_read_changed_and_deleted() {
    let app = TestApp::start().await;
    let c = app
        .create(
            "/api/v1/customers",
            json!({"name": "Brauerei Nord GmbH", "service_tier": "Premium",
                   "contacts": [{"name": "Maria Keller", "email": "maria@nord.example"}]}),
        )
        .await;
    assert_eq!(c["service_tier"], "premium");
    assert_eq!(c["version"], 1);
    let id = c["id"].as_str().unwrap();

    let (s, got) = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(got["contacts"][0]["email"], "maria@nord.example");

    let (s, changed) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            json!({"notes": "gate code 1234", "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(changed["notes"], "gate code 1234");
    assert_eq!(changed["name"], "Brauerei Nord GmbH");
    assert_eq!(changed["version"], 2);

    let (s, cleared) = app
        .patch(&format!("/api/v1/customers/{id}"), json!({"notes": null}))
        .await;
    assert_eq!(s, 200);
    assert!(cleared["notes"].is_null());

    let (s, _) = app.delete(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(s, 204);
    let (s, body) = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_problem(s, &body, 404);
}

#[actix_web::test]
async fn a_stale_version_is_a_conflict_and_changes_nothing() {
    let app = TestApp::start().await;
    let c = app
        .create("/api/v1/customers", json!({"name": "Acme"}))
        .await;
    let id = c["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/customers/{id}"),
        json!({"name": "Acme 2"}),
    )
    .await;
    let (s, body) = app
        .patch(
            &format!("/api/v1/customers/{id}"),
            json!({"name": "Acme 3", "version": 1}),
        )
        .await;
    assert_problem(s, &body, 409);
    let (_, now) = app.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!(now["name"], "Acme 2");
}

#[actix_web::test]
async fn bad_customer_input_names_every_offending_field() {
    let app = TestApp::start().await;
    let (s, body) = app
        .post(
            "/api/v1/customers",
            json!({"name": " ", "service_tier": "Gold Plus!", "contacts": [{"name": ""}]}),
        )
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(
        problem_fields(&body),
        ["name", "service_tier", "contacts[0].name"]
    );

    let (s, body) = app.post("/api/v1/customers", json!({"name": 42})).await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["name"]);

    let (s, body) = app
        .post("/api/v1/customers", json!({"name": "x", "colour": "red"}))
        .await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["colour"]);

    let (s, body) = app.post("/api/v1/customers", json!({})).await;
    assert_problem(s, &body, 422);
    assert_eq!(problem_fields(&body), ["name"]);

    let (s, body) = app
        .patch(
            "/api/v1/customers/0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
            json!({"name": "x"}),
        )
        .await;
    assert_problem(s, &body, 404);
}

#[actix_web::test]
async fn customers_are_found_by_name_contact_tier_and_creation_time() {
    let app = TestApp::start().await;
    app.create(
        "/api/v1/customers",
        json!({"name": "Nordbrau", "contacts": [{"name": "Ines Weber", "phone": "+49 40 555"}]}),
    )
    .await;
    app.create(
        "/api/v1/customers",
        json!({"name": "Südmilch AG", "service_tier": "premium"}),
    )
    .await;
    app.create("/api/v1/customers", json!({"name": "Nordsee 50%_Fisch"}))
        .await;

    let names = |v: &serde_json::Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, v) = app.get("/api/v1/customers?name=NORD").await;
    assert_eq!(names(&v), ["Nordbrau", "Nordsee 50%_Fisch"]);
    let (_, v) = app.get("/api/v1/customers?contact=weber").await;
    assert_eq!(names(&v), ["Nordbrau"]);
    let (_, v) = app.get("/api/v1/customers?q=555").await;
    assert_eq!(names(&v), ["Nordbrau"]);
    let (_, v) = app.get("/api/v1/customers?name=50%25_").await;
    assert_eq!(names(&v), ["Nordsee 50%_Fisch"]);
    let (_, v) = app.get("/api/v1/customers?service_tier=premium").await;
    assert_eq!(names(&v), ["Südmilch AG"]);
    let (_, v) = app
        .get("/api/v1/customers?created_from=2000-01-01T00:00:00Z&created_to=2001-01-01T00:00:00Z")
        .await;
    assert_eq!(names(&v).len(), 0);
    let (s, v) = app.get("/api/v1/customers?created_from=yesterday").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["created_from"]);
    let (s, v) = app.get("/api/v1/customers?stauts=x").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["stauts"]);
}

#[actix_web::test]
async fn keyset_pages_cover_every_customer_once() {
    let app = TestApp::start().await;
    for i in 0..7 {
        app.create("/api/v1/customers", json!({"name": format!("C{i}")}))
            .await;
    }
    let seen: Vec<String> = all_pages(&app, ADMIN_KEY, "/api/v1/customers", 3)
        .await
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, (0..7).map(|i| format!("C{i}")).collect::<Vec<_>>());
    let (s, v) = app.get("/api/v1/customers?limit=0").await;
    assert_problem(s, &v, 422);
    let (s, v) = app.get("/api/v1/customers?cursor=garbage").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["cursor"]);
}

#[actix_web::test]
async fn customers_round_trip_through_csv() {
    let app = TestApp::start().await;
    app.create(
        "/api/v1/customers",
        json!({"name": "Alpha", "contacts": [{"name": "Ann", "email": "ann@a.example"}]}),
    )
    .await;
    let res = app
        .request(
            Method::GET,
            "/api/v1/customers/export",
            Some(crate::support::ADMIN_KEY),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = res.text().await.unwrap();
    assert!(
        text.starts_with("id,name,service_tier,contact_name,contact_email"),
        "{text}"
    );
    assert!(text.contains("Alpha,standard,Ann,ann@a.example"), "{text}");

    // re-importing the export updates; a new line creates
    let csv = format!("{text}\n,Beta,premium,Bob,,,,\n");
    let res = app
        .request(
            Method::POST,
            "/api/v1/customers/import",
            Some(crate::support::ADMIN_KEY),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let report: serde_json::Value = res.json().await.unwrap();
    assert_eq!(report, json!({"created": 1, "updated": 1}));
}

#[actix_web::test]
async fn a_csv_import_with_bad_rows_imports_nothing_and_lists_each_line() {
    let app = TestApp::start().await;
    let csv = "name,service_tier,contact_name\nGood One,standard,\n ,standard,\nAlso Good,Not A Tier,\nFine,,\n";
    let res = app
        .request(
            Method::POST,
            "/api/v1/customers/import",
            Some(crate::support::ADMIN_KEY),
        )
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let errors: Vec<(u64, String)> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap(),
                e["field"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        [(3, "name".to_owned()), (4, "service_tier".to_owned())]
    );
    let (_, list) = app.get("/api/v1/customers").await;
    assert_eq!(
        list["items"].as_array().unwrap().len(),
        0,
        "nothing imported"
    );

    let res = app
        .request(
            Method::POST,
            "/api/v1/customers/import",
            Some(crate::support::ADMIN_KEY),
        )
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
