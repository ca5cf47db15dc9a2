//! Warehouse queries. Codes are unique ignoring case (a unique index; 409). Deleting a
//! warehouse that holds balances, serves sites or is a technician's van is refused by
//! the foreign keys (409): deactivate it instead.

use diesel::prelude::*;

use super::model::{Draft, Warehouse, WarehouseKind, WarehousePatch, WarehouseRow};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult, ConflictKind};
use crate::ids::{SiteId, WarehouseId};
use crate::schema::{sites, technicians, warehouses};
use crate::validate::check_version;

#[derive(Debug, Default, Clone)]
pub struct WarehouseFilter {
    pub kind: Option<WarehouseKind>,
    pub site_id: Option<SiteId>,
    pub active: Option<bool>,
    /// Code or name contains, case-insensitive.
    pub q: Option<String>,
}

/// Validate a draft, including that its site exists.
pub fn validate(conn: &mut PgConnection, d: &Draft<'_>) -> AppResult<WarehouseRow> {
    let site_known = match d.site_id {
        Some(site) => {
            diesel::select(diesel::dsl::exists(sites::table.find(site))).get_result(conn)?
        }
        None => true,
    };
    WarehouseRow::validate(d, site_known)
}

pub fn insert(
    conn: &mut PgConnection,
    id: WarehouseId,
    row: &WarehouseRow,
) -> AppResult<Warehouse> {
    Ok(diesel::insert_into(warehouses::table)
        .values((warehouses::id.eq(id), row))
        .returning(Warehouse::as_returning())
        .get_result(conn)?)
}

pub fn get(conn: &mut PgConnection, id: WarehouseId) -> AppResult<Warehouse> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("warehouse", id))
}

pub fn find(conn: &mut PgConnection, id: WarehouseId) -> QueryResult<Option<Warehouse>> {
    warehouses::table
        .find(id)
        .select(Warehouse::as_select())
        .first(conn)
        .optional()
}

/// The warehouse with this code (ignoring case).
pub fn find_by_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Warehouse>> {
    warehouses::table
        .filter(lower(warehouses::code).eq(code.trim().to_lowercase()))
        .select(Warehouse::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut PgConnection, id: WarehouseId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(warehouses::table.find(id))).get_result(conn)
}

/// Apply a patch under a row lock, refusing it when `version` is stale.
pub fn update(
    conn: &mut PgConnection,
    id: WarehouseId,
    patch: &WarehousePatch,
) -> AppResult<Warehouse> {
    conn.transaction(|conn| {
        let current: Warehouse = warehouses::table
            .find(id)
            .select(Warehouse::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("warehouse", id))?;
        check_version(patch.version, current.version)?;
        let row = validate(conn, &Draft::patched(&current, patch))?;
        if row.kind != WarehouseKind::Van && is_a_van(conn, id)? {
            return Err(AppError::invalid(
                "kind",
                "the warehouse is a technician's van; unassign it from the technician first",
            ));
        }
        write(conn, id, &row)
    })
}

/// Whether a technician has the warehouse as their van.
fn is_a_van(conn: &mut PgConnection, id: WarehouseId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        technicians::table.filter(technicians::van_warehouse_id.eq(id)),
    ))
    .get_result(conn)
}

pub fn write(conn: &mut PgConnection, id: WarehouseId, row: &WarehouseRow) -> AppResult<Warehouse> {
    Ok(diesel::update(warehouses::table.find(id))
        .set((
            row,
            warehouses::version.eq(warehouses::version + 1),
            warehouses::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Warehouse::as_returning())
        .get_result(conn)?)
}

pub fn delete(conn: &mut PgConnection, id: WarehouseId) -> AppResult<()> {
    let n = diesel::delete(warehouses::table.find(id))
        .execute(conn)
        .map_err(|e| match AppError::from(e) {
            AppError::Conflict {
                kind: ConflictKind::Referenced,
                detail,
                ..
            } => AppError::referenced(format!(
                "warehouse {id} still holds stock history, serves sites or is a van: \
                 set `active` to false instead ({detail})"
            )),
            other => other,
        })?;
    if n == 0 {
        return Err(AppError::not_found("warehouse", id));
    }
    Ok(())
}

pub fn list(
    conn: &mut PgConnection,
    f: &WarehouseFilter,
    after: Option<WarehouseId>,
    limit: i64,
) -> QueryResult<Vec<Warehouse>> {
    let mut q = warehouses::table
        .select(Warehouse::as_select())
        .order(warehouses::id)
        .into_boxed();
    if let Some(kind) = f.kind {
        q = q.filter(warehouses::kind.eq(kind));
    }
    if let Some(site) = f.site_id {
        q = q.filter(warehouses::site_id.eq(site));
    }
    if let Some(active) = f.active {
        q = q.filter(warehouses::active.eq(active));
    }
    if let Some(text) = &f.q {
        let p = contains_pattern(text);
        q = q.filter(
            lower(warehouses::code)
                .like(p.clone())
                .or(lower(warehouses::name).like(p)),
        );
    }
    if let Some(after) = after {
        q = q.filter(warehouses::id.gt(after));
    }
    q.limit(limit).load(conn)
}
