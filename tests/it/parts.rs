//! The parts catalog: SKUs, where-used both ways, suppliers, search, CSV, roles.

use reqwest::Method;
use serde_json::json;

use crate::support::base::model;
use crate::support::{assert_problem, problem_fields, TestApp};

#[actix_web::test]
async fn a_part_lists_its_models_and_suppliers_and_a_model_lists_its_parts() {
    let app = TestApp::start().await;
    let m1 = model(&app, "CF-3");
    let m2 = model(&app, "CF-4");
    let bearing = app
        .create(
            "/api/v1/parts",
            json!({"sku": "BRG-6204", "name": "Ball bearing 6204", "category": "Bearings", "criticality": "vital",
                   "unit_cost": 4.2, "compatible_model_ids": [m1, m2],
                   "suppliers": [{"supplier": "SKF", "supplier_sku": "6204-2RSH", "lead_time_days": 5, "price": "4.10", "min_order_qty": "10"},
                                 {"supplier": "FAG", "lead_time_days": 9}]}),
        )
        .await;
    assert_eq!(bearing["unit"], "each");
    assert_eq!(bearing["category"], "bearings");
    assert_eq!(bearing["unit_cost"], "4.2");
    assert_eq!(bearing["compatible_model_ids"].as_array().unwrap().len(), 2);
    assert_eq!(bearing["suppliers"][0]["supplier"], "SKF");
    assert_eq!(bearing["suppliers"][0]["min_order_qty"], "10");
    assert_eq!(bearing["suppliers"][1]["min_order_qty"], "1");
    let oil = app
        .create(
            "/api/v1/parts",
            json!({"sku": "OIL-46", "name": "Hydraulic oil HLP 46", "unit": "l", "compatible_model_ids": [m2]}),
        )
        .await;

    let (_, for_m1) = app.get(&format!("/api/v1/parts?model_id={m1}")).await;
    let skus: Vec<_> = for_m1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].clone())
        .collect();
    assert_eq!(skus, [json!("BRG-6204")]);
    let (_, for_m2) = app.get(&format!("/api/v1/parts?model_id={m2}")).await;
    assert_eq!(for_m2["items"].as_array().unwrap().len(), 2);

    let (_, by_name) = app.get("/api/v1/parts?q=hydraulic").await;
    assert_eq!(by_name["items"][0]["id"], oil["id"]);
    let (_, by_sku) = app.get("/api/v1/parts?sku=brg-6204").await;
    assert_eq!(by_sku["items"][0]["id"], bearing["id"]);
    let (_, by_cat) = app
        .get("/api/v1/parts?category=bearings&criticality=vital")
        .await;
    assert_eq!(by_cat["items"].as_array().unwrap().len(), 1);

    // lists are replaced as a whole
    let id = bearing["id"].as_str().unwrap();
    let (status, changed) = app
        .patch(
            &format!("/api/v1/parts/{id}"),
            json!({"compatible_model_ids": [m2], "suppliers": [], "version": 1}),
        )
        .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["compatible_model_ids"], json!([m2]));
    assert_eq!(changed["suppliers"], json!([]));
    assert_eq!(changed["version"], 2);
}

#[actix_web::test]
async fn skus_are_unique_ignoring_case() {
    let app = TestApp::start().await;
    app.create("/api/v1/parts", json!({"sku": "F-1", "name": "Filter"}))
        .await;
    let (status, dup) = app
        .post("/api/v1/parts", json!({"sku": "f-1", "name": "Other"}))
        .await;
    assert_problem(status, &dup, 409);
}

#[actix_web::test]
async fn bad_parts_are_refused_naming_every_field() {
    let app = TestApp::start().await;
    let (status, body) = app
        .post(
            "/api/v1/parts",
            json!({"sku": "no spaces", "name": "", "unit": "Litre", "unit_cost": "-1",
                   "compatible_model_ids": [uuid::Uuid::now_v7()],
                   "suppliers": [{"supplier": "", "lead_time_days": -2, "min_order_qty": 0}]}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(
        problem_fields(&body),
        [
            "sku",
            "name",
            "unit",
            "unit_cost",
            "compatible_model_ids[0]",
            "suppliers[0].supplier",
            "suppliers[0].lead_time_days",
            "suppliers[0].min_order_qty"
        ]
    );
    let (status, body) = app
        .post(
            "/api/v1/parts",
            json!({"sku": "A", "name": "A", "unit_cost": "1.23456"}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert!(
        body["detail"].as_str().unwrap().contains("decimal places"),
        "{body}"
    );
    let (status, body) = app
        .post(
            "/api/v1/parts",
            json!({"sku": "A", "name": "A", "criticality": "urgent"}),
        )
        .await;
    assert_problem(status, &body, 422);
}

#[actix_web::test]
async fn parts_round_trip_through_csv_and_bad_rows_are_reported_by_line() {
    let app = TestApp::start().await;
    let csv = "sku,name,unit,category,criticality,unit_cost\n\
               BRG-1,Bearing,each,bearings,vital,4.20\n\
               OIL-1,Oil,l,lubricants,essential,3.85\n";
    let (status, report) = app.post_csv("/api/v1/parts/import", csv).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report, json!({"created": 2, "updated": 0}));

    let export = app.get_text("/api/v1/parts/export").await;
    assert!(
        export.starts_with("id,sku,name,description,unit,category,criticality,unit_cost,active\n")
    );
    assert!(
        export.contains(",OIL-1,Oil,,l,lubricants,essential,3.85,true"),
        "{export}"
    );

    // re-importing the export updates in place
    let (_, report) = app.post_csv("/api/v1/parts/import", export).await;
    assert_eq!(report, json!({"created": 0, "updated": 2}));

    let bad = "sku,name,unit_cost\nGOOD-1,Fine,1\nbad sku,Broken,abc\n";
    let (status, problem) = app.post_csv("/api/v1/parts/import", bad).await;
    assert_eq!(status, 422);
    assert!(
        problem["errors"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["line"] == 3),
        "{problem}"
    );
    let (_, all) = app.get("/api/v1/parts?sku=GOOD-1").await;
    assert_eq!(
        all["items"].as_array().unwrap().len(),
        0,
        "nothing of a bad file is kept"
    );
}

#[actix_web::test]
async fn technicians_read_parts_but_cannot_change_them() {
    let app = TestApp::start().await;
    let tech = app
        .create("/api/v1/technicians", json!({"name": "Ana"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let key = app.key("technician", Some(&tech)).await;
    let (status, body) = app
        .call_as(
            &key,
            Method::POST,
            "/api/v1/parts",
            Some(json!({"sku": "X", "name": "X"})),
        )
        .await;
    assert_problem(status, &body, 403);
    let (status, _) = app.call_as(&key, Method::GET, "/api/v1/parts", None).await;
    assert_eq!(status, 200);
}
