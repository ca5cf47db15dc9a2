//! Equipment model queries. A duplicate (manufacturer, model number) is refused by the
//! unique constraint and deleting a model that assets still use by the foreign key
//! (both 409).

use diesel::prelude::*;

use super::model::{EquipmentModel, EquipmentModelPatch, EquipmentModelRow};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::ids::ModelId;
use crate::schema::equipment_models;
use crate::validate::check_version;

#[derive(Debug, Default, Clone)]
pub struct ModelFilter {
    /// Manufacturer equals, case-insensitive.
    pub manufacturer: Option<String>,
    /// Model number or name contains, case-insensitive.
    pub q: Option<String>,
    /// Lists this skill code (already normalised).
    pub skill: Option<String>,
}

pub fn insert(
    conn: &mut PgConnection,
    id: ModelId,
    row: &EquipmentModelRow,
) -> AppResult<EquipmentModel> {
    Ok(diesel::insert_into(equipment_models::table)
        .values((equipment_models::id.eq(id), row))
        .returning(EquipmentModel::as_returning())
        .get_result(conn)?)
}

pub fn get(conn: &mut PgConnection, id: ModelId) -> AppResult<EquipmentModel> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("equipment model", id))
}

pub fn find(conn: &mut PgConnection, id: ModelId) -> QueryResult<Option<EquipmentModel>> {
    equipment_models::table
        .find(id)
        .select(EquipmentModel::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut PgConnection, id: ModelId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(equipment_models::table.find(id))).get_result(conn)
}

/// Apply a patch under a row lock, refusing it when `version` is stale.
pub fn update(
    conn: &mut PgConnection,
    id: ModelId,
    patch: &EquipmentModelPatch,
) -> AppResult<EquipmentModel> {
    conn.transaction(|conn| {
        let current: EquipmentModel = equipment_models::table
            .find(id)
            .select(EquipmentModel::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("equipment model", id))?;
        check_version(patch.version, current.version)?;
        let row = EquipmentModelRow::patched(&current, patch)?;
        write(conn, id, &row)
    })
}

/// Overwrite a model with a validated row (bumping its version).
pub fn write(
    conn: &mut PgConnection,
    id: ModelId,
    row: &EquipmentModelRow,
) -> AppResult<EquipmentModel> {
    Ok(diesel::update(equipment_models::table.find(id))
        .set((
            row,
            equipment_models::version.eq(equipment_models::version + 1),
            equipment_models::updated_at.eq(diesel::dsl::now),
        ))
        .returning(EquipmentModel::as_returning())
        .get_result(conn)?)
}

pub fn delete(conn: &mut PgConnection, id: ModelId) -> AppResult<()> {
    let n = diesel::delete(equipment_models::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(AppError::not_found("equipment model", id));
    }
    Ok(())
}

pub fn list(
    conn: &mut PgConnection,
    f: &ModelFilter,
    after: Option<ModelId>,
    limit: i64,
) -> QueryResult<Vec<EquipmentModel>> {
    let mut q = equipment_models::table
        .select(EquipmentModel::as_select())
        .order(equipment_models::id)
        .into_boxed();
    if let Some(m) = &f.manufacturer {
        q = q.filter(lower(equipment_models::manufacturer).eq(lower(m.trim().to_owned())));
    }
    if let Some(text) = &f.q {
        let p = contains_pattern(text);
        // name is nullable: ILIKE keeps the NULL out of the OR without a cast
        q = q.filter(
            lower(equipment_models::model_number)
                .like(p.clone())
                .or(equipment_models::name.ilike(p)),
        );
    }
    if let Some(skill) = &f.skill {
        q = q.filter(equipment_models::skills.contains(vec![Some(skill.clone())]));
    }
    if let Some(after) = after {
        q = q.filter(equipment_models::id.gt(after));
    }
    q.limit(limit).load(conn)
}
