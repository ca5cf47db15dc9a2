//! Asset records, their meters and statuses, and the request bodies.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{AssetId, ModelId, SiteId};
use crate::schema::{asset_meters, assets};
use crate::validate::nullable;

/// The operating state of an asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    Operational,
    Degraded,
    Down,
    /// Taken out of service; kept for history.
    Retired,
}

impl AssetStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Operational => "operational",
            AssetStatus::Degraded => "degraded",
            AssetStatus::Down => "down",
            AssetStatus::Retired => "retired",
        }
    }
}

impl std::str::FromStr for AssetStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.to_owned()))
            .map_err(|_| format!("`{s}` is not one of operational, degraded, down, retired"))
    }
}

/// An asset row as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = assets, check_for_backend(diesel::pg::Pg))]
pub struct AssetRecord {
    pub id: AssetId,
    pub model_id: ModelId,
    pub serial_number: String,
    pub site_id: SiteId,
    pub parent_asset_id: Option<AssetId>,
    pub name: Option<String>,
    pub install_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// A meter of an asset and its latest reading.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = asset_meters, check_for_backend(diesel::pg::Pg))]
pub struct Meter {
    #[serde(skip)]
    pub asset_id: AssetId,
    #[schema(example = "runtime_h")]
    pub name: String,
    #[schema(example = "h")]
    pub unit: String,
    #[schema(example = 1234.5)]
    pub value: f64,
    /// When `value` was read; `null` until the first reading.
    pub read_at: Option<DateTime<Utc>>,
}

/// An installed asset.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Asset {
    pub id: AssetId,
    pub model_id: ModelId,
    #[schema(example = "SN-2024-00042")]
    pub serial_number: String,
    pub site_id: SiteId,
    pub parent_asset_id: Option<AssetId>,
    #[schema(example = "Filler 2")]
    pub name: Option<String>,
    pub install_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub status: AssetStatus,
    pub meters: Vec<Meter>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

impl Asset {
    pub fn new(r: AssetRecord, meters: Vec<Meter>) -> Self {
        Self {
            id: r.id,
            model_id: r.model_id,
            serial_number: r.serial_number,
            site_id: r.site_id,
            parent_asset_id: r.parent_asset_id,
            name: r.name,
            install_date: r.install_date,
            warranty_end: r.warranty_end,
            status: r.status.parse().unwrap_or(AssetStatus::Operational),
            meters,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A meter an asset carries.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeterSpec {
    /// `[A-Za-z0-9_.:-]{1,64}`, like telemetry metric names.
    #[schema(example = "runtime_h")]
    pub name: String,
    #[serde(default)]
    #[schema(example = "h")]
    pub unit: String,
    /// The reading at installation (for a new meter only; later values come from readings).
    #[serde(default)]
    pub value: Option<f64>,
}

/// A new asset.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"model_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f", "serial_number": "SN-2024-00042",
    "site_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e70", "install_date": "2024-03-01", "warranty_end": "2027-02-28",
    "meters": [{"name": "runtime_h", "unit": "h", "value": 0}]}))]
pub struct NewAsset {
    pub model_id: ModelId,
    pub serial_number: String,
    pub site_id: SiteId,
    pub parent_asset_id: Option<AssetId>,
    pub name: Option<String>,
    pub install_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    /// Defaults to `operational`.
    pub status: Option<AssetStatus>,
    #[serde(default)]
    pub meters: Vec<MeterSpec>,
}

/// Changes to an asset: absent fields stay; `null` clears a nullable one. `meters`, when
/// given, is the whole list: meters left out are removed, existing ones keep their value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"status": "retired", "version": 4}))]
pub struct AssetPatch {
    pub model_id: Option<ModelId>,
    pub serial_number: Option<String>,
    pub site_id: Option<SiteId>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<AssetId>)]
    pub parent_asset_id: Option<Option<AssetId>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub install_date: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<NaiveDate>)]
    pub warranty_end: Option<Option<NaiveDate>>,
    pub status: Option<AssetStatus>,
    pub meters: Option<Vec<MeterSpec>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated asset, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = assets, treat_none_as_null = true)]
pub struct AssetRow {
    pub model_id: ModelId,
    pub serial_number: String,
    pub site_id: SiteId,
    pub parent_asset_id: Option<AssetId>,
    pub name: Option<String>,
    pub install_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub status: String,
}
