//! Site records, their kinds, and the request bodies that create and change them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CustomerId, SiteId, WarehouseId};
use crate::schema::sites;
use crate::validate::nullable;

/// What a place is in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SiteKind {
    /// A customer's plant or building.
    Site,
    /// A part of a site (a hall, a floor).
    Area,
    /// A production line within an area.
    Line,
    /// The service company's own depot.
    Depot,
}

impl SiteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SiteKind::Site => "site",
            SiteKind::Area => "area",
            SiteKind::Line => "line",
            SiteKind::Depot => "depot",
        }
    }
}

impl TryFrom<String> for SiteKind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        serde_json::from_value(serde_json::Value::String(s.clone()))
            .map_err(|_| format!("unknown site kind {s}"))
    }
}

impl std::str::FromStr for SiteKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        SiteKind::try_from(s.to_owned())
            .map_err(|_| format!("`{s}` is not one of site, area, line, depot"))
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = sites, check_for_backend(diesel::pg::Pg))]
pub struct Site {
    pub id: SiteId,
    /// The owner; `null` for the service company's own depots.
    pub customer_id: Option<CustomerId>,
    /// The enclosing site or area; `null` at the top of the hierarchy.
    pub parent_id: Option<SiteId>,
    #[schema(example = "Hamburg brewery, bottling hall")]
    pub name: String,
    #[diesel(deserialize_as = String)]
    #[schema(value_type = SiteKind)]
    #[serde(serialize_with = "serialize_kind")]
    pub kind: KindColumn,
    /// IANA time zone: plans are scheduled in it.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    pub address: Option<String>,
    /// The warehouse the site's parts come from.
    pub serving_warehouse_id: Option<WarehouseId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A site kind read from the database (a CHECK constraint holds the set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindColumn(pub SiteKind);

impl TryFrom<String> for KindColumn {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        SiteKind::try_from(s).map(KindColumn)
    }
}

fn serialize_kind<S: serde::Serializer>(k: &KindColumn, s: S) -> Result<S::Ok, S::Error> {
    k.0.serialize(s)
}

/// A new site. A sub-site (with `parent_id`) takes its parent's customer and, unless
/// given, its time zone and serving warehouse.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Bottling hall", "parent_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f", "kind": "area"}))]
pub struct NewSite {
    pub name: String,
    pub customer_id: Option<CustomerId>,
    pub parent_id: Option<SiteId>,
    /// Defaults to `site` at the top and `area` below a parent.
    pub kind: Option<SiteKind>,
    /// Required at the top of the hierarchy; inherited from the parent otherwise.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: Option<String>,
    pub address: Option<String>,
    /// The warehouse the site's parts come from (must exist). Omitted (or `null`) on a
    /// sub-site: its parent's, copied when the sub-site is created; later changes to
    /// the parent's are not carried down.
    pub serving_warehouse_id: Option<WarehouseId>,
}

/// Changes to a site: absent fields stay as they are; `null` clears a nullable one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "America/Chicago", "version": 3}))]
pub struct SitePatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<CustomerId>)]
    pub customer_id: Option<Option<CustomerId>>,
    /// Move the site under another one (not under itself or its own sub-sites).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SiteId>)]
    pub parent_id: Option<Option<SiteId>>,
    pub kind: Option<SiteKind>,
    pub time_zone: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    /// The warehouse the site's parts come from (must exist); `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<WarehouseId>)]
    pub serving_warehouse_id: Option<Option<WarehouseId>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated site, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = sites, treat_none_as_null = true)]
pub struct SiteRow {
    pub customer_id: Option<CustomerId>,
    pub parent_id: Option<SiteId>,
    pub name: String,
    pub kind: String,
    pub time_zone: String,
    pub address: Option<String>,
    pub serving_warehouse_id: Option<WarehouseId>,
}
