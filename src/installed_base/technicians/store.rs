//! Technician queries. A home site and a van must exist, and the van be a warehouse of
//! kind `van` (looked up here so the 422 names the field; the foreign keys are the
//! guarantee). A van is one technician's: the unique index refuses a second (409).
//! Deleting a technician that API keys still reference is refused by the foreign key
//! (409).

use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::model::{Availability, Draft, Lookups, Technician, TechnicianPatch, TechnicianRow};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::ids::{SiteId, TechnicianId};
use crate::inventory::warehouses;
use crate::schema::{sites, technicians};
use crate::validate::check_version;

#[derive(Debug, Default, Clone)]
pub struct TechnicianFilter {
    pub active: Option<bool>,
    pub availability: Option<Availability>,
    /// Has this skill code (already normalised).
    pub skill: Option<String>,
    pub home_site_id: Option<SiteId>,
    /// Name contains, case-insensitive.
    pub q: Option<String>,
}

/// Validate a draft, including that its home site exists and its van is a van.
pub fn validate(conn: &mut PgConnection, draft: &Draft<'_>) -> AppResult<TechnicianRow> {
    let home_site_known = match draft.home_site_id {
        Some(site) => {
            diesel::select(diesel::dsl::exists(sites::table.find(site))).get_result(conn)?
        }
        None => true,
    };
    let van_kind = match draft.van_warehouse_id {
        Some(w) => warehouses::store::find(conn, w)?.map(|w| w.kind),
        None => None,
    };
    TechnicianRow::validate(
        draft,
        Lookups {
            home_site_known,
            van_kind,
        },
    )
}

/// A second technician for a van breaks the unique index: say so in the 409.
fn van_taken(err: DieselError, row: &TechnicianRow) -> AppError {
    match (&err, row.van_warehouse_id) {
        (DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info), Some(van))
            if info.constraint_name() == Some("technicians_van") =>
        {
            AppError::duplicate(format!(
                "warehouse {van} is already the van of another technician"
            ))
        }
        _ => err.into(),
    }
}

pub fn insert(
    conn: &mut PgConnection,
    id: TechnicianId,
    row: &TechnicianRow,
) -> AppResult<Technician> {
    diesel::insert_into(technicians::table)
        .values((technicians::id.eq(id), row))
        .returning(Technician::as_returning())
        .get_result(conn)
        .map_err(|e| van_taken(e, row))
}

pub fn get(conn: &mut PgConnection, id: TechnicianId) -> AppResult<Technician> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("technician", id))
}

pub fn find(conn: &mut PgConnection, id: TechnicianId) -> QueryResult<Option<Technician>> {
    technicians::table
        .find(id)
        .select(Technician::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut PgConnection, id: TechnicianId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(technicians::table.find(id))).get_result(conn)
}

/// Apply a patch under a row lock, refusing it when `version` is stale.
pub fn update(
    conn: &mut PgConnection,
    id: TechnicianId,
    patch: &TechnicianPatch,
) -> AppResult<Technician> {
    conn.transaction(|conn| {
        let current: Technician = technicians::table
            .find(id)
            .select(Technician::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("technician", id))?;
        check_version(patch.version, current.version)?;
        let row = validate(conn, &Draft::patched(&current, patch))?;
        write(conn, id, &row)
    })
}

/// Overwrite a technician with a validated row (bumping its version).
pub fn write(
    conn: &mut PgConnection,
    id: TechnicianId,
    row: &TechnicianRow,
) -> AppResult<Technician> {
    diesel::update(technicians::table.find(id))
        .set((
            row,
            technicians::version.eq(technicians::version + 1),
            technicians::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Technician::as_returning())
        .get_result(conn)
        .map_err(|e| van_taken(e, row))
}

/// Delete a technician nothing references. Keys (revoked ones too) keep the record as
/// their history, so the 409 points to deactivating instead.
pub fn delete(conn: &mut PgConnection, id: TechnicianId) -> AppResult<()> {
    let n = match diesel::delete(technicians::table.find(id)).execute(conn) {
        Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info)) => {
            return Err(AppError::referenced(format!(
                "technician {id} is still referenced by API keys or other records ({}); \
                 set `active` to false to retire them instead",
                info.details().unwrap_or_else(|| info.message())
            )))
        }
        other => other?,
    };
    if n == 0 {
        return Err(AppError::not_found("technician", id));
    }
    Ok(())
}

pub fn list(
    conn: &mut PgConnection,
    f: &TechnicianFilter,
    after: Option<TechnicianId>,
    limit: i64,
) -> QueryResult<Vec<Technician>> {
    let mut q = technicians::table
        .select(Technician::as_select())
        .order(technicians::id)
        .into_boxed();
    if let Some(active) = f.active {
        q = q.filter(technicians::active.eq(active));
    }
    if let Some(availability) = f.availability {
        q = q.filter(technicians::availability.eq(availability));
    }
    if let Some(skill) = &f.skill {
        q = q.filter(technicians::skills.contains(vec![Some(skill.clone())]));
    }
    if let Some(site) = f.home_site_id {
        q = q.filter(technicians::home_site_id.eq(site));
    }
    if let Some(text) = &f.q {
        q = q.filter(lower(technicians::name).like(contains_pattern(text)));
    }
    if let Some(after) = after {
        q = q.filter(technicians::id.gt(after));
    }
    q.limit(limit).load(conn)
}
