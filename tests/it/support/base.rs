//! [`Base`]: the installed base most tests start from — a customer, its plant in Berlin
//! with a hall below it, and an equipment model — and [`Fleet`]: the base with a
//! serving warehouse and two assets, the first with a meter and a device.

use diesel::RunQueryDsl;
use mainspring::ids::{AssetId, DeviceRecordId};
use serde_json::json;

use super::builders::{create_id, AssetBuilder};
use super::TestApp;

pub struct Base {
    pub customer: String,
    pub plant: String,
    pub hall: String,
    pub model: String,
}

impl Base {
    pub async fn new(app: &TestApp) -> Base {
        let customer = create_id(app, "/api/v1/customers", json!({"name": "Nordbrau"})).await;
        let plant = create_id(
            app,
            "/api/v1/sites",
            json!({"name": "Plant", "customer_id": customer, "time_zone": "Europe/Berlin"}),
        )
        .await;
        let hall = create_id(
            app,
            "/api/v1/sites",
            json!({"name": "Hall", "parent_id": plant}),
        )
        .await;
        Base {
            customer,
            plant,
            hall,
            model: model(app, "Modulfill"),
        }
    }
}

/// An equipment model inserted directly (its API has tests of its own).
pub fn model(app: &TestApp, number: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    diesel::sql_query(format!(
        "INSERT INTO equipment_models (id, manufacturer, model_number, skills) VALUES ('{id}', 'Krones', '{number}', '{{hydraulics}}')"
    ))
    .execute(&mut app.conn())
    .unwrap();
    id
}

/// The base with the hall served by warehouse `CENTRAL` and two assets of the model:
/// `SN-1` ("Filler SN-1", a `runtime_h` meter at 0, device `dev-SN-1`) and `PM-2`.
pub struct Fleet {
    pub model: String,
    pub hall: String,
    /// The hall's serving warehouse.
    pub store: String,
    /// The first asset and its device.
    pub asset: AssetId,
    pub device: DeviceRecordId,
    /// Both assets' ids, the first first.
    pub assets: Vec<String>,
}

impl Fleet {
    pub async fn new(app: &TestApp) -> Fleet {
        let b = Base::new(app).await;
        let store = create_id(
            app,
            "/api/v1/warehouses",
            json!({"code": "CENTRAL", "name": "Store CENTRAL", "kind": "central"}),
        )
        .await;
        let (status, body) = app
            .patch(
                &format!("/api/v1/sites/{}", b.hall),
                json!({"serving_warehouse_id": store}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let first = AssetBuilder::new(&b)
            .serial("SN-1")
            .meters(json!([{"name": "runtime_h", "unit": "h", "value": 0}]))
            .with_device()
            .create(app)
            .await;
        let second = AssetBuilder::new(&b).serial("PM-2").create(app).await;
        Fleet {
            model: b.model,
            hall: b.hall,
            store,
            asset: first.id.parse().unwrap(),
            device: first
                .device
                .expect("the first asset has a device")
                .parse()
                .unwrap(),
            assets: vec![first.id, second.id],
        }
    }
}
