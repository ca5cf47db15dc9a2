//! Builders for what tests create through the API, with defaults for every field a
//! test does not care about (crates.io's `CrateBuilder` is the model):
//! `AssetBuilder::new(&base).serial("SN-1").with_device().create(&app)`,
//! `TicketBuilder::on(&asset).assignee(&tech).create(&app)`.

use serde_json::{json, Map, Value};

use super::{Base, TestApp};

/// POST `body` to `path` as admin, insist on 201 and return the new id.
pub async fn create_id(app: &TestApp, path: &str, body: Value) -> String {
    app.create(path, body).await["id"]
        .as_str()
        .unwrap_or_else(|| panic!("POST {path} returned no id"))
        .to_owned()
}

/// A created asset, and its device's record id when it got one.
pub struct Asset {
    pub id: String,
    pub device: Option<String>,
}

pub struct AssetBuilder {
    body: Map<String, Value>,
    serial: String,
    device: bool,
}

impl AssetBuilder {
    /// An asset of the base's model in its hall, serial `SN-<random>`, named after it.
    pub fn new(base: &Base) -> Self {
        let serial = format!("SN-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]);
        let mut body = Map::new();
        body.insert("model_id".into(), json!(base.model));
        body.insert("site_id".into(), json!(base.hall));
        Self {
            body,
            serial,
            device: false,
        }
    }

    /// The serial number; the name becomes `Filler {serial}` unless set.
    pub fn serial(mut self, serial: &str) -> Self {
        self.serial = serial.to_owned();
        self
    }

    pub fn meters(self, meters: Value) -> Self {
        self.field("meters", meters)
    }

    /// Any other field of the asset body.
    pub fn field(mut self, name: &str, value: Value) -> Self {
        self.body.insert(name.into(), value);
        self
    }

    /// Register a device `dev-{serial}` on the asset too.
    pub fn with_device(mut self) -> Self {
        self.device = true;
        self
    }

    pub async fn create(mut self, app: &TestApp) -> Asset {
        self.body.insert("serial_number".into(), json!(self.serial));
        self.body
            .entry("name")
            .or_insert_with(|| json!(format!("Filler {}", self.serial)));
        let id = create_id(app, "/api/v1/assets", Value::Object(self.body)).await;
        let device = if self.device {
            Some(
                create_id(
                    app,
                    "/api/v1/devices",
                    json!({"device_id": format!("dev-{}", self.serial), "asset_id": id}),
                )
                .await,
            )
        } else {
            None
        };
        Asset { id, device }
    }
}

pub struct TicketBuilder {
    body: Map<String, Value>,
}

impl TicketBuilder {
    /// A corrective ticket on `asset` titled "Fixture ticket".
    pub fn on(asset: &str) -> Self {
        let mut body = Map::new();
        body.insert("asset_id".into(), json!(asset));
        body.insert("kind".into(), json!("corrective"));
        body.insert("title".into(), json!("Fixture ticket"));
        Self { body }
    }

    pub fn assignee(self, technician: &str) -> Self {
        self.field("assignee_id", json!(technician))
    }

    /// Any other field of the ticket body.
    pub fn field(mut self, name: &str, value: Value) -> Self {
        self.body.insert(name.into(), value);
        self
    }

    /// Open it as admin and return the whole ticket.
    pub async fn open(self, app: &TestApp) -> Value {
        app.create("/api/v1/tickets", Value::Object(self.body))
            .await
    }

    /// Open it as admin and return its id.
    pub async fn create(self, app: &TestApp) -> String {
        self.open(app).await["id"].as_str().unwrap().to_owned()
    }
}
