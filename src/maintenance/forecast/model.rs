//! What the forecast shows: occurrences with their kits and stock cover, and the parts
//! demand over the window.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::decimal::Quantity;
use crate::ids::{AssetId, PartId, PlanId, SiteId, TicketId, WarehouseId};
use crate::tickets::model::PmTrigger;

/// A kit line of an occurrence and whether stock covers it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ScheduledPart {
    pub part_id: PartId,
    #[schema(example = "FLT-0042")]
    pub sku: String,
    #[schema(value_type = String, example = "2")]
    pub quantity: Quantity,
    /// The serving warehouse's available stock, less what occurrences due earlier in
    /// the window take, covers it (for an opened ticket: its reservation has no shortage).
    pub covered: bool,
    /// What is missing for this line.
    #[schema(value_type = String, example = "0")]
    pub shortfall: Quantity,
}

/// One PM occurrence due in the window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Occurrence {
    pub due_at: DateTime<Utc>,
    pub plan_id: PlanId,
    #[schema(example = "Quarterly service")]
    pub plan_title: String,
    pub asset_id: AssetId,
    /// The asset's name, or its serial number.
    #[schema(example = "Filler 3")]
    pub asset: String,
    pub site_id: SiteId,
    /// The site's serving warehouse, where the kit is reserved.
    pub warehouse_id: Option<WarehouseId>,
    pub trigger: PmTrigger,
    /// Projected from the meter's average usage over the last 30 days, not certain.
    pub projected: bool,
    pub estimated_minutes: Option<i32>,
    /// The ticket already opened for it (lead time), if any.
    pub ticket_id: Option<TicketId>,
    #[schema(example = "T-000123")]
    pub ticket_number: Option<String>,
    /// Every kit line is covered.
    pub covered: bool,
    pub parts: Vec<ScheduledPart>,
}

/// The demand for one part at one warehouse over the window.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Demand {
    pub part_id: PartId,
    #[schema(example = "FLT-0042")]
    pub sku: String,
    /// `null` for assets whose site has no serving warehouse.
    pub warehouse_id: Option<WarehouseId>,
    /// The kits of every listed occurrence.
    #[schema(value_type = String, example = "12")]
    pub quantity: Quantity,
    /// Already reserved for the listed occurrences that have tickets.
    #[schema(value_type = String, example = "2")]
    pub reserved: Quantity,
    /// Available at the warehouse now (on hand less every reservation).
    #[schema(value_type = String, example = "7")]
    pub available: Quantity,
    /// What to procure to cover the window: quantity − reserved − available, at least 0.
    #[schema(value_type = String, example = "3")]
    pub shortfall: Quantity,
}

/// The PM forecast of a window: a page of occurrences in due order and the demand of
/// all of them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub items: Vec<Occurrence>,
    /// Pass back as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
    /// Parts demand over every occurrence in the window that matches the filters.
    pub demand: Vec<Demand>,
    /// Some (plan, asset) had more occurrences than are projected at once (1000).
    pub truncated: bool,
}
