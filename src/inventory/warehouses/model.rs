//! Warehouse records and the request bodies that create and change them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{SiteId, WarehouseId};
use crate::schema::warehouses;
use crate::validate::{nullable, Errors};

crate::text_enum! {
    /// What kind of stock location a warehouse is.
    pub enum WarehouseKind {
        /// A central store or depot.
        Central = "central",
        /// A technician's service van.
        Van = "van",
        /// A consignment cabinet at a customer's site.
        Cabinet = "cabinet",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = warehouses, check_for_backend(diesel::pg::Pg))]
pub struct Warehouse {
    pub id: WarehouseId,
    /// Short unique code (case-insensitive), used in CSV files and on labels.
    #[schema(example = "HH-CENTRAL")]
    pub code: String,
    #[schema(example = "Hamburg central store")]
    pub name: String,
    pub kind: WarehouseKind,
    /// Where the warehouse is (a cabinet's customer site, a store's depot).
    pub site_id: Option<SiteId>,
    /// An inactive warehouse keeps its history but takes no new stock.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A new warehouse.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "HH-CENTRAL", "name": "Hamburg central store", "kind": "central"}))]
pub struct NewWarehouse {
    /// `[A-Za-z0-9_.-]`, 1 to 32 characters, unique ignoring case.
    #[schema(pattern = r"^[A-Za-z0-9_.-]{1,32}$")]
    pub code: String,
    pub name: String,
    pub kind: WarehouseKind,
    #[serde(default)]
    pub site_id: Option<SiteId>,
    /// Defaults to `true`.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a warehouse: absent fields stay as they are; `null` clears `site_id`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Hamburg main store", "version": 1}))]
pub struct WarehousePatch {
    #[schema(pattern = r"^[A-Za-z0-9_.-]{1,32}$")]
    pub code: Option<String>,
    pub name: Option<String>,
    pub kind: Option<WarehouseKind>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SiteId>)]
    pub site_id: Option<Option<SiteId>>,
    pub active: Option<bool>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated warehouse, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = warehouses, treat_none_as_null = true)]
pub struct WarehouseRow {
    pub code: String,
    pub name: String,
    pub kind: WarehouseKind,
    pub site_id: Option<SiteId>,
    pub active: bool,
}

/// A warehouse as it should become, before the site is checked.
pub struct Draft<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub kind: WarehouseKind,
    pub site_id: Option<SiteId>,
    pub active: bool,
}

impl<'a> Draft<'a> {
    pub fn new(n: &'a NewWarehouse) -> Self {
        Self {
            code: &n.code,
            name: &n.name,
            kind: n.kind,
            site_id: n.site_id,
            active: n.active.unwrap_or(true),
        }
    }

    pub fn patched(current: &'a Warehouse, p: &'a WarehousePatch) -> Self {
        Self {
            code: p.code.as_deref().unwrap_or(&current.code),
            name: p.name.as_deref().unwrap_or(&current.name),
            kind: p.kind.unwrap_or(current.kind),
            site_id: p.site_id.unwrap_or(current.site_id),
            active: p.active.unwrap_or(current.active),
        }
    }
}

/// A warehouse code: `[A-Za-z0-9_.-]{1,32}`, trimmed.
pub fn check_code(e: &mut Errors, field: &str, code: &str) -> String {
    let code = code.trim();
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !ok {
        e.add(field, "must be 1 to 32 of A-Z, a-z, 0-9, `_`, `.` and `-`");
    }
    code.to_owned()
}

impl WarehouseRow {
    pub fn validate(d: &Draft<'_>, site_known: bool) -> Result<Self, crate::error::AppError> {
        let mut e = Errors::new();
        let code = check_code(&mut e, "code", d.code);
        let name = e.text("name", d.name, 200);
        if let (Some(site), false) = (d.site_id, site_known) {
            e.add("site_id", format!("no site {site}"));
        }
        e.finish()?;
        Ok(Self {
            code,
            name,
            kind: d.kind,
            site_id: d.site_id,
            active: d.active,
        })
    }
}
