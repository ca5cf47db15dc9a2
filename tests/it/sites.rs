//! Sites: hierarchy, time zones, customer inheritance, cycles refused, serving
//! warehouses, CSV.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{assert_problem, problem_fields, TestApp, ADMIN_KEY};

async fn customer(app: &TestApp, name: &str) -> String {
    app.create("/api/v1/customers", json!({"name": name})).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn warehouse(app: &TestApp, code: &str) -> String {
    app.create(
        "/api/v1/warehouses",
        json!({"code": code, "name": format!("Store {code}"), "kind": "central"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn names(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn sub_sites_inherit_customer_and_time_zone_and_subtrees_are_listed() {
    let app = TestApp::start().await;
    let cust = customer(&app, "Nordbrau").await;
    let plant = app
        .create(
            "/api/v1/sites",
            json!({"name": "Plant", "customer_id": cust, "time_zone": "Europe/Berlin"}),
        )
        .await;
    assert_eq!(plant["kind"], "site");
    let hall = app
        .create(
            "/api/v1/sites",
            json!({"name": "Hall", "parent_id": plant["id"]}),
        )
        .await;
    assert_eq!(hall["kind"], "area");
    assert_eq!(hall["customer_id"], cust);
    assert_eq!(hall["time_zone"], "Europe/Berlin");
    let line = app
        .create(
            "/api/v1/sites",
            json!({"name": "Line 1", "parent_id": hall["id"], "kind": "line"}),
        )
        .await;
    app.create(
        "/api/v1/sites",
        json!({"name": "Depot", "time_zone": "America/Chicago", "kind": "depot"}),
    )
    .await;

    let (_, v) = app
        .get(&format!(
            "/api/v1/sites?under={}",
            plant["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(names(&v), ["Plant", "Hall", "Line 1"]);
    let (_, v) = app.get("/api/v1/sites?top_level=true").await;
    assert_eq!(names(&v), ["Plant", "Depot"]);
    let (_, v) = app
        .get(&format!("/api/v1/sites?customer_id={cust}&kind=line"))
        .await;
    assert_eq!(names(&v), ["Line 1"]);

    // a site cannot move under its own sub-site
    let (s, v) = app
        .patch(
            &format!("/api/v1/sites/{}", plant["id"].as_str().unwrap()),
            json!({"parent_id": line["id"]}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["parent_id"]);

    // a new customer for the plant is carried to every sub-site
    let other = customer(&app, "Südmilch").await;
    let (s, _) = app
        .patch(
            &format!("/api/v1/sites/{}", plant["id"].as_str().unwrap()),
            json!({"customer_id": other}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, l) = app
        .get(&format!("/api/v1/sites/{}", line["id"].as_str().unwrap()))
        .await;
    assert_eq!(l["customer_id"], other);

    // deleting a site with sub-sites is a conflict; a leaf goes
    let (s, v) = app
        .delete(&format!("/api/v1/sites/{}", hall["id"].as_str().unwrap()))
        .await;
    assert_problem(s, &v, 409);
    let (s, _) = app
        .delete(&format!("/api/v1/sites/{}", line["id"].as_str().unwrap()))
        .await;
    assert_eq!(s, 204);
}

#[actix_web::test]
async fn bad_site_input_is_refused_field_by_field() {
    let app = TestApp::start().await;
    let (s, v) = app
        .post("/api/v1/sites", json!({"name": "X", "time_zone": "Europe/Berln", "customer_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}))
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["customer_id", "time_zone"]);
    let (s, v) = app.post("/api/v1/sites", json!({"name": "X"})).await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["time_zone"]);
    let (s, v) = app
        .post(
            "/api/v1/sites",
            json!({"name": "X", "parent_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["parent_id"]);
    let (s, v) = app
        .post(
            "/api/v1/sites",
            json!({"name": "X", "time_zone": "UTC", "kind": "galaxy"}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["kind"]);
    // a sub-site cannot belong to another customer than its parent
    let a = customer(&app, "A").await;
    let b = customer(&app, "B").await;
    let top = app
        .create(
            "/api/v1/sites",
            json!({"name": "Top", "customer_id": a, "time_zone": "UTC"}),
        )
        .await;
    let (s, v) = app
        .post(
            "/api/v1/sites",
            json!({"name": "Sub", "parent_id": top["id"], "customer_id": b}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["customer_id"]);
    let (s, v) = app.get("/api/v1/sites?under=nope").await;
    assert_problem(s, &v, 422);
}

#[actix_web::test]
async fn sites_round_trip_through_csv_with_parents_in_the_same_file() {
    let app = TestApp::start().await;
    let csv = "id,name,parent_id,kind,time_zone\n\
               0193a4b2-7c1e-7d2a-9f00-00000000000a,Plant,,site,Europe/Berlin\n\
               ,Hall,0193a4b2-7c1e-7d2a-9f00-00000000000a,area,\n";
    let res = app
        .request(Method::POST, "/api/v1/sites/import", Some(ADMIN_KEY))
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"created": 2, "updated": 0})
    );
    let text = app
        .request(Method::GET, "/api/v1/sites/export", Some(ADMIN_KEY))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[1].contains("Plant") && lines[2].contains("Hall"),
        "{text}"
    );

    let bad = "name,time_zone\nGood,UTC\nBad,Mars/Base\n,UTC\n";
    let res = app
        .request(Method::POST, "/api/v1/sites/import", Some(ADMIN_KEY))
        .header("content-type", "text/csv")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    let got: Vec<(u64, &str)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(got, [(3, "time_zone"), (4, "name")]);
    let (_, list) = app.get("/api/v1/sites?q=good").await;
    assert!(names(&list).is_empty(), "nothing imported");
}

#[actix_web::test]
async fn a_serving_warehouse_is_set_inherited_by_new_sub_sites_changed_and_cleared() {
    let app = TestApp::start().await;
    let north = warehouse(&app, "NORTH").await;
    let south = warehouse(&app, "SOUTH").await;
    let plant = app
        .create(
            "/api/v1/sites",
            json!({"name": "Plant", "time_zone": "UTC", "serving_warehouse_id": north}),
        )
        .await;
    assert_eq!(plant["serving_warehouse_id"], north.as_str());
    let plant_path = format!("/api/v1/sites/{}", plant["id"].as_str().unwrap());

    // a sub-site created without one takes its parent's; one that names one keeps it
    let hall = app
        .create(
            "/api/v1/sites",
            json!({"name": "Hall", "parent_id": plant["id"]}),
        )
        .await;
    assert_eq!(hall["serving_warehouse_id"], north.as_str());
    let hall_path = format!("/api/v1/sites/{}", hall["id"].as_str().unwrap());
    let line = app
        .create(
            "/api/v1/sites",
            json!({"name": "Line", "parent_id": hall["id"], "serving_warehouse_id": south}),
        )
        .await;
    assert_eq!(line["serving_warehouse_id"], south.as_str());
    let depot = app
        .create(
            "/api/v1/sites",
            json!({"name": "Depot", "time_zone": "UTC"}),
        )
        .await;
    assert!(depot["serving_warehouse_id"].is_null());

    let (_, v) = app
        .get(&format!("/api/v1/sites?serving_warehouse_id={north}"))
        .await;
    assert_eq!(names(&v), ["Plant", "Hall"]);

    // other changes keep it; the parent's later change is not carried down
    let (s, v) = app.patch(&hall_path, json!({"name": "Hall 1"})).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["serving_warehouse_id"], north.as_str());
    let (s, v) = app
        .patch(&plant_path, json!({"serving_warehouse_id": south}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["serving_warehouse_id"], south.as_str());
    let (_, v) = app.get(&hall_path).await;
    assert_eq!(v["serving_warehouse_id"], north.as_str());

    // `null` clears it, also on a sub-site whose parent has one
    let (s, v) = app
        .patch(&hall_path, json!({"serving_warehouse_id": null}))
        .await;
    assert_eq!(s, 200, "{v}");
    assert!(v["serving_warehouse_id"].is_null(), "{v}");
    let (_, v) = app.get(&hall_path).await;
    assert!(v["serving_warehouse_id"].is_null(), "{v}");

    let (_, v) = app
        .get(&format!("/api/v1/sites?serving_warehouse_id={south}"))
        .await;
    assert_eq!(names(&v), ["Plant", "Line"]);
    let (s, v) = app.get("/api/v1/sites?serving_warehouse_id=north").await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["serving_warehouse_id"]);

    // a warehouse that serves a site cannot be deleted
    let (s, v) = app.delete(&format!("/api/v1/warehouses/{south}")).await;
    assert_problem(s, &v, 409);
}

#[actix_web::test]
async fn an_unknown_serving_warehouse_is_refused_naming_the_field() {
    let app = TestApp::start().await;
    let unknown = "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f";
    let (s, v) = app
        .post(
            "/api/v1/sites",
            json!({"name": "X", "time_zone": "UTC", "serving_warehouse_id": unknown}),
        )
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["serving_warehouse_id"]);
    assert_eq!(v["errors"][0]["reason"], format!("no warehouse {unknown}"));

    let site = app
        .create("/api/v1/sites", json!({"name": "X", "time_zone": "UTC"}))
        .await;
    let path = format!("/api/v1/sites/{}", site["id"].as_str().unwrap());
    let (s, v) = app
        .patch(&path, json!({"serving_warehouse_id": unknown}))
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["serving_warehouse_id"]);
    let (s, v) = app
        .patch(&path, json!({"serving_warehouse_id": "NORTH"}))
        .await;
    assert_problem(s, &v, 422);
    assert_eq!(problem_fields(&v), ["serving_warehouse_id"]);
    let (_, v) = app.get(&path).await;
    assert!(v["serving_warehouse_id"].is_null());
}

#[actix_web::test]
async fn the_serving_warehouse_round_trips_through_csv() {
    let app = TestApp::start().await;
    let north = warehouse(&app, "NORTH").await;
    let csv = format!(
        "id,name,parent_id,kind,time_zone,serving_warehouse_id\n\
         0193a4b2-7c1e-7d2a-9f00-00000000000a,Plant,,site,Europe/Berlin,{north}\n\
         0193a4b2-7c1e-7d2a-9f00-00000000000b,Hall,0193a4b2-7c1e-7d2a-9f00-00000000000a,area,,\n\
         ,Depot,,depot,UTC,\n"
    );
    let import = |body: String| {
        app.request(Method::POST, "/api/v1/sites/import", Some(ADMIN_KEY))
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let res = import(csv).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"created": 3, "updated": 0})
    );
    let export = || async {
        app.request(Method::GET, "/api/v1/sites/export", Some(ADMIN_KEY))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let text = export().await;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,customer_id,parent_id,kind,time_zone,address,serving_warehouse_id"
    );
    // the new sub-site inherited its parent's; the top-level depot has none
    assert!(lines[1].starts_with("0193a4b2-7c1e-7d2a-9f00-00000000000a,Plant,"));
    assert!(lines[1].ends_with(&format!(",{north}")), "{text}");
    assert!(lines[2].contains(",Hall,") && lines[2].ends_with(&format!(",{north}")));
    assert!(
        lines[3].contains(",Depot,") && lines[3].ends_with(','),
        "{text}"
    );

    // re-importing the export changes nothing; an emptied cell clears an existing site's
    let res = import(text.clone()).await.unwrap();
    assert_eq!(
        res.json::<Value>().await.unwrap(),
        json!({"created": 0, "updated": 3})
    );
    assert_eq!(export().await.lines().collect::<Vec<_>>(), lines);
    let cleared = text.replacen(lines[2], lines[2].strip_suffix(north.as_str()).unwrap(), 1);
    let res = import(cleared).await.unwrap();
    assert_eq!(res.status(), 200);
    let (_, hall) = app
        .get("/api/v1/sites/0193a4b2-7c1e-7d2a-9f00-00000000000b")
        .await;
    assert!(hall["serving_warehouse_id"].is_null(), "{hall}");

    // an unknown warehouse names the column and the line
    let bad = "name,time_zone,serving_warehouse_id\nX,UTC,0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f\n";
    let res = import(bad.to_owned()).await.unwrap();
    assert_eq!(res.status(), 422);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["errors"][0]["field"], "serving_warehouse_id");
    assert_eq!(v["errors"][0]["line"], 2);
}
