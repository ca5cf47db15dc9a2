//! Device records and the request bodies that register and change them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{AssetId, DeviceRecordId};
use crate::schema::devices;
use crate::validate::nullable;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = devices, check_for_backend(diesel::pg::Pg))]
pub struct Device {
    pub id: DeviceRecordId,
    /// The id the device uses in its MQTT topics and as its MQTT user name.
    #[schema(example = "filler-2.plc")]
    pub device_id: String,
    pub asset_id: AssetId,
    pub name: Option<String>,
    /// Inactive devices' telemetry is dead-lettered.
    pub active: bool,
    /// When telemetry from the device was last stored.
    pub last_seen_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A device to register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"device_id": "filler-2.plc", "asset_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f", "name": "Filler 2 PLC"}))]
pub struct NewDevice {
    /// `[A-Za-z0-9_.:-]{1,64}`, unique.
    pub device_id: String,
    pub asset_id: AssetId,
    pub name: Option<String>,
    /// Defaults to true.
    pub active: Option<bool>,
}

/// Changes to a device (its `device_id` is its identity and cannot change).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"asset_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f", "version": 2}))]
pub struct DevicePatch {
    /// Bind the device to another asset (e.g. after a swap).
    pub asset_id: Option<AssetId>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    pub active: Option<bool>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated device, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = devices, treat_none_as_null = true)]
pub struct DeviceRow {
    pub device_id: String,
    pub asset_id: AssetId,
    pub name: Option<String>,
    pub active: bool,
}
