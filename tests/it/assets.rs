//! Assets and devices: serial unique per model, filters (including sub-sites and
//! customer), meters, parent assets, CSV, device ids and rebinding.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::base::model;
use crate::support::{assert_problem, problem_fields, Base, TestApp, ADMIN_KEY};

fn serials(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["serial_number"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn assets_are_registered_with_meters_and_found_by_every_filter() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let a1 = app
        .create(
            "/api/v1/assets",
            json!({"model_id": b.model, "serial_number": "SN-100", "site_id": b.hall, "install_date": "2024-03-01",
                   "warranty_end": "2026-02-28", "meters": [{"name": "runtime_h", "unit": "h", "value": 12.5}]}),
        )
        .await;
    assert_eq!(a1["status"], "operational");
    assert_eq!(a1["meters"][0]["name"], "runtime_h");
    assert_eq!(a1["meters"][0]["value"], 12.5);
    let other_site = app
        .create(
            "/api/v1/sites",
            json!({"name": "Elsewhere", "time_zone": "UTC"}),
        )
        .await;
    app.create(
        "/api/v1/assets",
        json!({"model_id": b.model, "serial_number": "SN-200", "site_id": other_site["id"], "status": "down", "warranty_end": "2030-01-01"}),
    )
    .await;
    app.create("/api/v1/assets", json!({"model_id": b.model, "serial_number": "XY-300", "site_id": b.plant, "parent_asset_id": a1["id"]}))
        .await;

    let (_, v) = app
        .get(&format!("/api/v1/assets?site_id={}", b.plant))
        .await;
    assert_eq!(serials(&v), ["SN-100", "XY-300"], "sub-sites included");
    let (_, v) = app
        .get(&format!("/api/v1/assets?customer_id={}", b.customer))
        .await;
    assert_eq!(serials(&v), ["SN-100", "XY-300"]);
    let (_, v) = app.get("/api/v1/assets?serial=sn-").await;
    assert_eq!(serials(&v), ["SN-100", "SN-200"]);
    let (_, v) = app.get("/api/v1/assets?status=down").await;
    assert_eq!(serials(&v), ["SN-200"]);
    let (_, v) = app.get("/api/v1/assets?warranty_before=2027-01-01").await;
    assert_eq!(serials(&v), ["SN-100"]);
    let (_, v) = app
        .get(&format!(
            "/api/v1/assets?parent_asset_id={}&model_id={}",
            a1["id"].as_str().unwrap(),
            b.model
        ))
        .await;
    assert_eq!(serials(&v), ["XY-300"]);
    let (s, v) = app.get("/api/v1/assets?status=broken").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["status"]);
    let (s, v) = app.get("/api/v1/assets?warranty_before=soon").await;
    assert_problem(s, &v, 422);
}

#[actix_web::test]
async fn a_serial_number_is_unique_per_model_only() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let other_model = model(&app, "Contiform");
    let asset = json!({"model_id": b.model, "serial_number": "SN-1", "site_id": b.plant});
    app.create("/api/v1/assets", asset.clone()).await;
    let (s, v) = app.post("/api/v1/assets", asset).await;
    assert_problem(s, &v, 409);
    app.create(
        "/api/v1/assets",
        json!({"model_id": other_model, "serial_number": "SN-1", "site_id": b.plant}),
    )
    .await;
}

#[actix_web::test]
async fn bad_asset_input_names_each_field() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let nobody = "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f";
    let (s, v) = app
        .post(
            "/api/v1/assets",
            json!({"model_id": nobody, "serial_number": "", "site_id": nobody, "parent_asset_id": nobody,
                   "install_date": "2025-01-01", "warranty_end": "2024-01-01",
                   "meters": [{"name": "bad name"}, {"name": "ok", "value": -1}]}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(
        problem_fields(&v),
        [
            "serial_number",
            "model_id",
            "site_id",
            "parent_asset_id",
            "warranty_end",
            "meters[0].name",
            "meters[1].value"
        ]
    );
    let (s, v) = app.post("/api/v1/assets", json!({"model_id": b.model, "serial_number": "A", "site_id": b.plant, "install_date": "yesterday"})).await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["install_date"]);
    let (s, v) = app.post("/api/v1/assets", json!({"model_id": b.model, "serial_number": "A", "site_id": b.plant, "status": "exploded"})).await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["status"]);
}

#[actix_web::test]
async fn assets_are_retired_moved_and_not_nested_in_themselves() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let parent = app
        .create(
            "/api/v1/assets",
            json!({"model_id": b.model, "serial_number": "P", "site_id": b.plant}),
        )
        .await;
    let pid = parent["id"].as_str().unwrap();
    let child = app.create("/api/v1/assets", json!({"model_id": b.model, "serial_number": "C", "site_id": b.plant, "parent_asset_id": pid})).await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/assets/{pid}"),
            json!({"parent_asset_id": child["id"]}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["parent_asset_id"]);
    let (s, v) = app
        .patch(
            &format!("/api/v1/assets/{pid}"),
            json!({"status": "retired", "site_id": b.hall, "version": 1}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["status"], "retired");
    assert_eq!(v["site_id"], b.hall.as_str());
    // meters: the given list replaces the set, existing readings are kept
    let (_, v) = app
        .patch(
            &format!("/api/v1/assets/{pid}"),
            json!({"meters": [{"name": "cycles", "value": 7}]}),
        )
        .await;
    assert_eq!(v["meters"][0]["value"], 7.0);
    let (_, v) = app.patch(&format!("/api/v1/assets/{pid}"), json!({"meters": [{"name": "cycles", "unit": "n", "value": 99}, {"name": "runtime_h"}]})).await;
    let meters = v["meters"].as_array().unwrap();
    assert_eq!(meters.len(), 2);
    assert_eq!(
        (
            meters[0]["name"].as_str(),
            meters[0]["value"].as_f64(),
            meters[0]["unit"].as_str()
        ),
        (Some("cycles"), Some(7.0), Some("n"))
    );
    let (s, v) = app.delete(&format!("/api/v1/assets/{pid}")).await;
    assert_problem(s, &v, 409);
}

#[actix_web::test]
async fn devices_are_registered_unique_and_rebound() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let a1 = app
        .create(
            "/api/v1/assets",
            json!({"model_id": b.model, "serial_number": "1", "site_id": b.plant}),
        )
        .await;
    let a2 = app
        .create(
            "/api/v1/assets",
            json!({"model_id": b.model, "serial_number": "2", "site_id": b.plant}),
        )
        .await;
    let d = app
        .create(
            "/api/v1/devices",
            json!({"device_id": "filler-1.plc", "asset_id": a1["id"]}),
        )
        .await;
    assert_eq!(d["active"], true);
    let (s, v) = app
        .post(
            "/api/v1/devices",
            json!({"device_id": "filler-1.plc", "asset_id": a2["id"]}),
        )
        .await;
    assert_problem(s, &v, 409);
    let (s, v) = app
        .post(
            "/api/v1/devices",
            json!({"device_id": "has space", "asset_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["device_id", "asset_id"]);
    let id = d["id"].as_str().unwrap();
    let (s, v) = app
        .patch(
            &format!("/api/v1/devices/{id}"),
            json!({"asset_id": a2["id"], "active": false}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["asset_id"], a2["id"]);
    let (s, v) = app
        .patch(
            &format!("/api/v1/devices/{id}"),
            json!({"device_id": "renamed"}),
        )
        .await;
    assert_problem(s, &v, 422);
    let (_, v) = app
        .get("/api/v1/devices?device_id=filler-1.plc&active=false")
        .await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    // an asset with a device cannot be deleted; the device can
    let (s, _) = app
        .delete(&format!("/api/v1/assets/{}", a2["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, 409);
    let (s, _) = app.delete(&format!("/api/v1/devices/{id}")).await;
    assert_eq!(s, 204);
    let (s, _) = app
        .delete(&format!("/api/v1/assets/{}", a2["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, 204);
}

async fn import(app: &TestApp, path: &str, csv: String) -> (u16, Value) {
    let res = app
        .request(Method::POST, path, Some(ADMIN_KEY))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn export(app: &TestApp, path: &str) -> String {
    app.request(Method::GET, path, Some(ADMIN_KEY))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[actix_web::test]
async fn assets_and_devices_round_trip_through_csv() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let csv = format!(
        "model_id,serial_number,site_id,install_date,status\n{m},S-1,{s},2024-01-01,\n{m},S-2,{s},,degraded\n",
        m = b.model,
        s = b.plant
    );
    assert_eq!(
        import(&app, "/api/v1/assets/import", csv).await,
        (200, json!({"created": 2, "updated": 0}))
    );
    let text = export(&app, "/api/v1/assets/export").await;
    assert_eq!(text.lines().count(), 3, "{text}");
    assert_eq!(
        import(&app, "/api/v1/assets/import", text).await,
        (200, json!({"created": 0, "updated": 2}))
    );

    let (_, list) = app.get("/api/v1/assets?serial=S-1").await;
    let asset = list["items"][0]["id"].as_str().unwrap().to_owned();
    let csv = format!("device_id,asset_id,name\ndev-a,{asset},A\ndev-b,{asset},\n");
    assert_eq!(
        import(&app, "/api/v1/devices/import", csv).await,
        (200, json!({"created": 2, "updated": 0}))
    );
    let text = export(&app, "/api/v1/devices/export").await;
    assert!(text.contains("dev-a") && text.contains("dev-b"));

    // bad rows: each reported by line, nothing imported
    let bad = format!("device_id,asset_id\ndev-c,{asset}\nbad id,{asset}\ndev-d,not-a-uuid\ndev-e,0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f\n");
    let (s, v) = import(&app, "/api/v1/devices/import", bad).await;
    assert_eq!(s, 422, "{v}");
    let got: Vec<(u64, &str)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(3, "device_id"), (4, "asset_id"), (5, "asset_id")]);
    let (_, list) = app.get("/api/v1/devices?device_id=dev-c").await;
    assert!(list["items"].as_array().unwrap().is_empty());
}
