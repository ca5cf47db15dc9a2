//! Fixtures shared by the inventory tests: warehouses, parts and stock through the API.

use serde_json::{json, Value};

use crate::support::{AssetBuilder, Base, TestApp, TicketBuilder};

pub async fn warehouse(app: &TestApp, code: &str) -> String {
    app.create(
        "/api/v1/warehouses",
        json!({"code": code, "name": format!("Store {code}"), "kind": "central"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn part(app: &TestApp, sku: &str) -> String {
    app.create(
        "/api/v1/parts",
        json!({"sku": sku, "name": format!("Part {sku}"), "unit_cost": "2"}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

pub async fn receive(app: &TestApp, part: &str, warehouse: &str, qty: &str, cost: &str) -> Value {
    app.create(
        "/api/v1/stock/movements",
        json!({"kind": "receipt", "part_id": part, "warehouse_id": warehouse, "quantity": qty, "unit_cost": cost}),
    )
    .await
}

/// A new ticket on a fixture asset (made on first use).
pub async fn ticket(app: &TestApp) -> String {
    let (_, assets) = app.get("/api/v1/assets?limit=1").await;
    let asset = match assets["items"][0]["id"].as_str() {
        Some(a) => a.to_owned(),
        None => {
            let base = Base::new(app).await;
            AssetBuilder::new(&base)
                .serial("FIX-1")
                .create(app)
                .await
                .id
        }
    };
    TicketBuilder::on(&asset).create(app).await
}

/// The balance's (on_hand, reserved, available) as strings.
pub async fn level(app: &TestApp, part: &str, warehouse: &str) -> (String, String, String) {
    let (status, b) = app
        .get(&format!("/api/v1/stock/balances/{part}/{warehouse}"))
        .await;
    assert_eq!(status, 200, "{b}");
    let s = |k: &str| b[k].as_str().unwrap().to_owned();
    (s("on_hand"), s("reserved"), s("available"))
}
