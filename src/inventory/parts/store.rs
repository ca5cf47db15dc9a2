//! Part queries. SKUs are unique ignoring case (a unique index; 409). A part's models
//! and suppliers are rows of `part_models` and `part_suppliers`, replaced as a whole.
//! Deleting a part with stock history is refused by the foreign keys (409).

use std::collections::HashMap;

use diesel::prelude::*;

use super::model::{Draft, Part, PartPatch, PartRecord, Supplier, SupplierRow, Validated};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult, ConflictKind};
use crate::ids::{ModelId, PartId};
use crate::schema::{equipment_models, part_models, part_suppliers, parts};
use crate::validate::check_version;

use super::model::Criticality;

#[derive(Debug, Default, Clone)]
pub struct PartFilter {
    /// SKU equals, ignoring case.
    pub sku: Option<String>,
    /// Name or SKU contains, ignoring case.
    pub q: Option<String>,
    pub category: Option<String>,
    pub criticality: Option<Criticality>,
    /// Fits this equipment model.
    pub model_id: Option<ModelId>,
    pub active: Option<bool>,
}

/// Validate a draft, including that the models it lists exist.
pub fn validate(conn: &mut PgConnection, d: Draft) -> AppResult<Validated> {
    let unknown = match &d.compatible_model_ids {
        Some(ids) if !ids.is_empty() => {
            let known: Vec<ModelId> = equipment_models::table
                .filter(equipment_models::id.eq_any(ids))
                .select(equipment_models::id)
                .load(conn)?;
            ids.iter()
                .filter(|id| !known.contains(id))
                .copied()
                .collect()
        }
        _ => Vec::new(),
    };
    d.validate(&unknown)
}

pub fn insert(conn: &mut PgConnection, id: PartId, v: &Validated) -> AppResult<Part> {
    conn.transaction(|conn| {
        diesel::insert_into(parts::table)
            .values((parts::id.eq(id), &v.row))
            .execute(conn)?;
        replace_lists(conn, id, v)?;
        get(conn, id)
    })
}

/// Overwrite a part with a validated one (bumping its version).
pub fn write(conn: &mut PgConnection, id: PartId, v: &Validated) -> AppResult<Part> {
    conn.transaction(|conn| {
        diesel::update(parts::table.find(id))
            .set((
                &v.row,
                parts::version.eq(parts::version + 1),
                parts::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        replace_lists(conn, id, v)?;
        get(conn, id)
    })
}

fn replace_lists(conn: &mut PgConnection, id: PartId, v: &Validated) -> AppResult<()> {
    if let Some(models) = &v.compatible_model_ids {
        diesel::delete(part_models::table.filter(part_models::part_id.eq(id))).execute(conn)?;
        let rows: Vec<_> = models
            .iter()
            .map(|m| (part_models::part_id.eq(id), part_models::model_id.eq(*m)))
            .collect();
        diesel::insert_into(part_models::table)
            .values(&rows)
            .execute(conn)?;
    }
    if let Some(suppliers) = &v.suppliers {
        diesel::delete(part_suppliers::table.filter(part_suppliers::part_id.eq(id)))
            .execute(conn)?;
        let rows: Vec<SupplierRow> = suppliers
            .iter()
            .enumerate()
            .map(|(i, s)| SupplierRow {
                part_id: id,
                position: i as i16,
                supplier: s.supplier.clone(),
                supplier_sku: s.supplier_sku.clone(),
                lead_time_days: s.lead_time_days,
                price: s.price,
                min_order_qty: s.min_order_qty,
            })
            .collect();
        diesel::insert_into(part_suppliers::table)
            .values(&rows)
            .execute(conn)?;
    }
    Ok(())
}

pub fn get(conn: &mut PgConnection, id: PartId) -> AppResult<Part> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("part", id))
}

pub fn find(conn: &mut PgConnection, id: PartId) -> QueryResult<Option<Part>> {
    let record = parts::table
        .find(id)
        .select(PartRecord::as_select())
        .first(conn)
        .optional()?;
    Ok(match record {
        Some(r) => with_lists(conn, vec![r])?.pop(),
        None => None,
    })
}

pub fn find_by_sku(conn: &mut PgConnection, sku: &str) -> QueryResult<Option<PartRecord>> {
    parts::table
        .filter(lower(parts::sku).eq(sku.trim().to_lowercase()))
        .select(PartRecord::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut PgConnection, id: PartId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(parts::table.find(id))).get_result(conn)
}

/// The part, locked for update.
pub fn lock(conn: &mut PgConnection, id: PartId) -> AppResult<PartRecord> {
    parts::table
        .find(id)
        .select(PartRecord::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("part", id))
}

/// Apply a patch under a row lock, refusing it when `version` is stale.
pub fn update(conn: &mut PgConnection, id: PartId, patch: PartPatch) -> AppResult<Part> {
    conn.transaction(|conn| {
        let current = lock(conn, id)?;
        check_version(patch.version, current.version)?;
        let v = validate(conn, Draft::patched(&current, patch))?;
        write(conn, id, &v)
    })
}

pub fn delete(conn: &mut PgConnection, id: PartId) -> AppResult<()> {
    let n = diesel::delete(parts::table.find(id))
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict {
                kind: ConflictKind::Referenced,
                detail,
                ..
            } => AppError::referenced(format!(
                "part {id} has stock balances or history: set `active` to false instead ({detail})"
            )),
            other => other,
        })?;
    if n == 0 {
        return Err(AppError::not_found("part", id));
    }
    Ok(())
}

/// Attach models and suppliers to part records (two queries for the whole page).
fn with_lists(conn: &mut PgConnection, records: Vec<PartRecord>) -> QueryResult<Vec<Part>> {
    let ids: Vec<PartId> = records.iter().map(|r| r.id).collect();
    let mut models: HashMap<PartId, Vec<ModelId>> = HashMap::new();
    for (part, model) in part_models::table
        .filter(part_models::part_id.eq_any(&ids))
        .order((part_models::part_id, part_models::model_id))
        .select((part_models::part_id, part_models::model_id))
        .load::<(PartId, ModelId)>(conn)?
    {
        models.entry(part).or_default().push(model);
    }
    let mut suppliers: HashMap<PartId, Vec<Supplier>> = HashMap::new();
    type SupplierTuple = (
        PartId,
        String,
        Option<String>,
        i32,
        Option<crate::decimal::Money>,
        crate::decimal::Quantity,
    );
    for (part, supplier, supplier_sku, lead_time_days, price, min_order_qty) in
        part_suppliers::table
            .filter(part_suppliers::part_id.eq_any(&ids))
            .order((part_suppliers::part_id, part_suppliers::position))
            .select((
                part_suppliers::part_id,
                part_suppliers::supplier,
                part_suppliers::supplier_sku,
                part_suppliers::lead_time_days,
                part_suppliers::price,
                part_suppliers::min_order_qty,
            ))
            .load::<SupplierTuple>(conn)?
    {
        suppliers.entry(part).or_default().push(Supplier {
            supplier,
            supplier_sku,
            lead_time_days,
            price,
            min_order_qty,
        });
    }
    Ok(records
        .into_iter()
        .map(|r| {
            let id = r.id;
            Part::assemble(
                r,
                models.remove(&id).unwrap_or_default(),
                suppliers.remove(&id).unwrap_or_default(),
            )
        })
        .collect())
}

pub fn list(
    conn: &mut PgConnection,
    f: &PartFilter,
    after: Option<PartId>,
    limit: i64,
) -> QueryResult<Vec<Part>> {
    let mut q = parts::table
        .select(PartRecord::as_select())
        .order(parts::id)
        .into_boxed();
    if let Some(sku) = &f.sku {
        q = q.filter(lower(parts::sku).eq(sku.trim().to_lowercase()));
    }
    if let Some(text) = &f.q {
        let p = contains_pattern(text);
        q = q.filter(
            lower(parts::name)
                .like(p.clone())
                .or(lower(parts::sku).like(p)),
        );
    }
    if let Some(category) = &f.category {
        q = q.filter(parts::category.eq(category.clone()));
    }
    if let Some(c) = f.criticality {
        q = q.filter(parts::criticality.eq(c));
    }
    if let Some(model) = f.model_id {
        q = q.filter(
            parts::id.eq_any(
                part_models::table
                    .filter(part_models::model_id.eq(model))
                    .select(part_models::part_id),
            ),
        );
    }
    if let Some(active) = f.active {
        q = q.filter(parts::active.eq(active));
    }
    if let Some(after) = after {
        q = q.filter(parts::id.gt(after));
    }
    let records = q.limit(limit).load(conn)?;
    with_lists(conn, records)
}
