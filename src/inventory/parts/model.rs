//! Part records and the request bodies that create and change them. Validation of the
//! fields lives here; the existence of referenced models is checked in `store`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::decimal::{Money, Quantity};
use crate::error::AppResult;
use crate::ids::{ModelId, PartId};
use crate::schema::{part_suppliers, parts};
use crate::validate::{nullable, Errors};

/// The most compatible models one part may list.
pub const MAX_MODELS: usize = 500;
/// The most suppliers one part may list.
pub const MAX_SUPPLIERS: usize = 20;

crate::text_enum! {
    /// How much a missing part hurts: `vital` stops equipment, `essential` degrades it,
    /// `desirable` can wait.
    pub enum Criticality {
        Vital = "vital",
        Essential = "essential",
        Desirable = "desirable",
    }
}

/// A part as stored in `parts` (without its models and suppliers).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = parts, check_for_backend(diesel::pg::Pg))]
pub struct PartRecord {
    pub id: PartId,
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: String,
    pub category: Option<String>,
    pub criticality: Criticality,
    pub unit_cost: Money,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// One supplier of a part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Supplier {
    #[schema(example = "Festo AG")]
    pub supplier: String,
    /// The supplier's own article number.
    #[serde(default)]
    #[schema(example = "DSBC-32-100")]
    pub supplier_sku: Option<String>,
    /// Days from order to delivery.
    #[serde(default)]
    #[schema(example = 5, minimum = 0, maximum = 3650)]
    pub lead_time_days: i32,
    /// Price per unit.
    #[serde(default)]
    pub price: Option<Money>,
    /// The smallest quantity the supplier sells (default 1).
    #[serde(default = "one")]
    pub min_order_qty: Quantity,
}

fn one() -> Quantity {
    Quantity::from(1)
}

/// A spare part.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Part {
    pub id: PartId,
    /// Unique, ignoring case.
    #[schema(example = "BRG-6204-2RS")]
    pub sku: String,
    #[schema(example = "Deep groove ball bearing 6204-2RS")]
    pub name: String,
    pub description: Option<String>,
    /// The unit quantities are counted in (`each`, `l`, `m`, `kg`).
    #[schema(example = "each")]
    pub unit: String,
    #[schema(example = "bearings")]
    pub category: Option<String>,
    pub criticality: Criticality,
    /// Moving-average cost of one unit: each receipt moves it.
    pub unit_cost: Money,
    /// An inactive part is kept for history; it cannot be received.
    pub active: bool,
    /// The equipment models this part fits.
    pub compatible_model_ids: Vec<ModelId>,
    /// Suppliers in order of preference: the first is the preferred one.
    pub suppliers: Vec<Supplier>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

impl Part {
    pub fn assemble(
        r: PartRecord,
        compatible_model_ids: Vec<ModelId>,
        suppliers: Vec<Supplier>,
    ) -> Self {
        Self {
            id: r.id,
            sku: r.sku,
            name: r.name,
            description: r.description,
            unit: r.unit,
            category: r.category,
            criticality: r.criticality,
            unit_cost: r.unit_cost,
            active: r.active,
            compatible_model_ids,
            suppliers,
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: r.version,
        }
    }
}

/// A new part.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"sku": "BRG-6204-2RS", "name": "Deep groove ball bearing 6204-2RS",
    "unit": "each", "category": "bearings", "criticality": "vital", "unit_cost": "4.20",
    "suppliers": [{"supplier": "SKF", "supplier_sku": "6204-2RSH", "lead_time_days": 5, "price": "4.10", "min_order_qty": "10"}]}))]
pub struct NewPart {
    /// `[A-Za-z0-9_./-]`, 1 to 64 characters.
    #[schema(pattern = r"^[A-Za-z0-9_./-]{1,64}$")]
    pub sku: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// `[a-z0-9_]`, 1 to 16 characters; defaults to `each`.
    #[serde(default)]
    pub unit: Option<String>,
    /// A category code (`[a-z0-9_-]`, lower-cased).
    #[serde(default)]
    pub category: Option<String>,
    /// Defaults to `essential`.
    #[serde(default)]
    pub criticality: Option<Criticality>,
    /// The starting unit cost (receipts move it); defaults to 0.
    #[serde(default)]
    pub unit_cost: Option<Money>,
    /// Defaults to `true`.
    #[serde(default)]
    pub active: Option<bool>,
    #[serde(default)]
    pub compatible_model_ids: Vec<ModelId>,
    #[serde(default)]
    pub suppliers: Vec<Supplier>,
}

/// Changes to a part: absent fields stay as they are; `null` clears a nullable one;
/// `compatible_model_ids` and `suppliers` replace the whole list.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"criticality": "essential", "version": 2}))]
pub struct PartPatch {
    #[schema(pattern = r"^[A-Za-z0-9_./-]{1,64}$")]
    pub sku: Option<String>,
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub category: Option<Option<String>>,
    pub criticality: Option<Criticality>,
    /// Revalue the part (receipts move it again afterwards).
    pub unit_cost: Option<Money>,
    pub active: Option<bool>,
    pub compatible_model_ids: Option<Vec<ModelId>>,
    pub suppliers: Option<Vec<Supplier>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A part as it should become, before referenced models are checked.
#[derive(Debug, Clone)]
pub struct Draft {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub criticality: Criticality,
    pub unit_cost: Money,
    pub active: bool,
    /// `None` keeps the current list (CSV updates).
    pub compatible_model_ids: Option<Vec<ModelId>>,
    pub suppliers: Option<Vec<Supplier>>,
}

impl Draft {
    pub fn new(n: NewPart) -> Self {
        Self {
            sku: n.sku,
            name: n.name,
            description: n.description,
            unit: n.unit,
            category: n.category,
            criticality: n.criticality.unwrap_or(Criticality::Essential),
            unit_cost: n.unit_cost.unwrap_or_default(),
            active: n.active.unwrap_or(true),
            compatible_model_ids: Some(n.compatible_model_ids),
            suppliers: Some(n.suppliers),
        }
    }

    pub fn patched(current: &PartRecord, p: PartPatch) -> Self {
        Self {
            sku: p.sku.unwrap_or_else(|| current.sku.clone()),
            name: p.name.unwrap_or_else(|| current.name.clone()),
            description: p.description.unwrap_or_else(|| current.description.clone()),
            unit: Some(p.unit.unwrap_or_else(|| current.unit.clone())),
            category: p.category.unwrap_or_else(|| current.category.clone()),
            criticality: p.criticality.unwrap_or(current.criticality),
            unit_cost: p.unit_cost.unwrap_or(current.unit_cost),
            active: p.active.unwrap_or(current.active),
            compatible_model_ids: p.compatible_model_ids,
            suppliers: p.suppliers,
        }
    }
}

/// A validated part, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = parts, treat_none_as_null = true)]
pub struct PartRow {
    pub sku: String,
    pub name: String,
    pub description: Option<String>,
    pub unit: String,
    pub category: Option<String>,
    pub criticality: Criticality,
    pub unit_cost: Money,
    pub active: bool,
}

/// A validated supplier line, ready to write.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = part_suppliers)]
pub struct SupplierRow {
    pub part_id: PartId,
    pub position: i16,
    pub supplier: String,
    pub supplier_sku: Option<String>,
    pub lead_time_days: i32,
    pub price: Option<Money>,
    pub min_order_qty: Quantity,
}

/// A validated part with its lists (`None`: keep the stored list).
pub struct Validated {
    pub row: PartRow,
    pub compatible_model_ids: Option<Vec<ModelId>>,
    pub suppliers: Option<Vec<Supplier>>,
}

/// A SKU: `[A-Za-z0-9_./-]{1,64}`, trimmed.
pub fn check_sku(e: &mut Errors, field: &str, sku: &str) -> String {
    let sku = sku.trim();
    let ok = (1..=64).contains(&sku.len())
        && sku
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'/' | b'-'));
    if !ok {
        e.add(
            field,
            "must be 1 to 64 of A-Z, a-z, 0-9, `_`, `.`, `/` and `-`",
        );
    }
    sku.to_owned()
}

impl Draft {
    /// Check every field; `unknown_models` are the listed model ids that do not exist.
    pub fn validate(self, unknown_models: &[ModelId]) -> AppResult<Validated> {
        let mut e = Errors::new();
        let sku = check_sku(&mut e, "sku", &self.sku);
        let name = e.text("name", &self.name, 200);
        let description = e.opt_text("description", self.description.as_deref(), 10_000);
        let unit = self
            .unit
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .unwrap_or("each");
        let unit_ok = unit.len() <= 16
            && unit
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !unit_ok {
            e.add(
                "unit",
                "must be 1 to 16 of a-z, 0-9 and `_` (such as each, l, m, kg)",
            );
        }
        let category = self
            .category
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| e.code("category", c, 32));
        if self.unit_cost.is_negative() {
            e.add("unit_cost", "must not be negative");
        }
        let models = self.compatible_model_ids.map(|mut ids| {
            for (i, id) in ids.iter().enumerate() {
                if unknown_models.contains(id) {
                    e.add(
                        format!("compatible_model_ids[{i}]"),
                        format!("no equipment model {id}"),
                    );
                }
            }
            if ids.len() > MAX_MODELS {
                e.add(
                    "compatible_model_ids",
                    format!("at most {MAX_MODELS} models"),
                );
            }
            ids.sort();
            ids.dedup();
            ids
        });
        let suppliers = self.suppliers.map(|list| {
            if list.len() > MAX_SUPPLIERS {
                e.add("suppliers", format!("at most {MAX_SUPPLIERS} suppliers"));
            }
            list.into_iter()
                .enumerate()
                .map(|(i, s)| Supplier {
                    supplier: e.text(&format!("suppliers[{i}].supplier"), &s.supplier, 200),
                    supplier_sku: e.opt_text(
                        &format!("suppliers[{i}].supplier_sku"),
                        s.supplier_sku.as_deref(),
                        64,
                    ),
                    lead_time_days: {
                        if !(0..=3650).contains(&s.lead_time_days) {
                            e.add(
                                format!("suppliers[{i}].lead_time_days"),
                                "must be 0 to 3650 days",
                            );
                        }
                        s.lead_time_days
                    },
                    price: {
                        if s.price.is_some_and(Money::is_negative) {
                            e.add(format!("suppliers[{i}].price"), "must not be negative");
                        }
                        s.price
                    },
                    min_order_qty: {
                        if !s.min_order_qty.is_positive() {
                            e.add(
                                format!("suppliers[{i}].min_order_qty"),
                                "must be more than 0",
                            );
                        }
                        s.min_order_qty
                    },
                })
                .collect()
        });
        e.finish()?;
        Ok(Validated {
            row: PartRow {
                sku,
                name,
                description,
                unit: unit.to_owned(),
                category,
                criticality: self.criticality,
                unit_cost: self.unit_cost,
                active: self.active,
            },
            compatible_model_ids: models,
            suppliers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft::new(
            serde_json::from_value(serde_json::json!({"sku": "A-1", "name": "Filter"})).unwrap(),
        )
    }

    #[test]
    fn defaults_fill_unit_and_criticality() {
        let v = draft().validate(&[]).unwrap();
        assert_eq!(v.row.unit, "each");
        assert_eq!(v.row.criticality, Criticality::Essential);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = draft();
        d.sku = "has space".into();
        d.unit = Some("Litre".into());
        let unknown = ModelId::new();
        d.compatible_model_ids = Some(vec![unknown]);
        d.suppliers = Some(vec![Supplier {
            supplier: " ".into(),
            supplier_sku: None,
            lead_time_days: -1,
            price: None,
            min_order_qty: Quantity::ZERO,
        }]);
        let Err(crate::error::AppError::Validation { errors, .. }) = d.validate(&[unknown]) else {
            panic!("expected a validation error")
        };
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "sku",
                "unit",
                "compatible_model_ids[0]",
                "suppliers[0].supplier",
                "suppliers[0].lead_time_days",
                "suppliers[0].min_order_qty"
            ]
        );
    }
}
