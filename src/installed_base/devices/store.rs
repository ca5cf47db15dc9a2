//! Device queries. The `device_id` is unique (409 on a duplicate) and immutable.

use diesel::prelude::*;

use super::model::{Device, DeviceRow};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, DeviceRecordId};
use crate::schema::{assets, devices};
use crate::validate::{is_identifier, Errors};

/// Validate a device against the database (the asset must exist).
pub fn resolve(
    conn: &mut PgConnection,
    device_id: &str,
    asset_id: AssetId,
    name: Option<&str>,
    active: bool,
) -> AppResult<DeviceRow> {
    let mut e = Errors::new();
    if !is_identifier(device_id) {
        e.add("device_id", "must match [A-Za-z0-9_.:-]{1,64}");
    }
    let name = e.opt_text("name", name, 200);
    let exists: bool =
        diesel::select(diesel::dsl::exists(assets::table.find(asset_id))).get_result(conn)?;
    if !exists {
        e.add("asset_id", format!("no asset {asset_id}"));
    }
    e.finish()?;
    Ok(DeviceRow {
        device_id: device_id.to_owned(),
        asset_id,
        name,
        active,
    })
}

pub fn insert(conn: &mut PgConnection, id: DeviceRecordId, row: &DeviceRow) -> AppResult<Device> {
    Ok(diesel::insert_into(devices::table)
        .values((devices::id.eq(id), row))
        .returning(Device::as_returning())
        .get_result(conn)?)
}

pub fn find(conn: &mut PgConnection, id: DeviceRecordId) -> QueryResult<Option<Device>> {
    devices::table
        .find(id)
        .select(Device::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut PgConnection, id: DeviceRecordId) -> AppResult<Device> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("device", id))
}

pub fn lock(conn: &mut PgConnection, id: DeviceRecordId) -> AppResult<Device> {
    devices::table
        .find(id)
        .select(Device::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("device", id))
}

pub fn write(conn: &mut PgConnection, id: DeviceRecordId, row: &DeviceRow) -> AppResult<Device> {
    Ok(diesel::update(devices::table.find(id))
        .set((
            row,
            devices::version.eq(devices::version + 1),
            devices::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Device::as_returning())
        .get_result(conn)?)
}

pub fn delete(conn: &mut PgConnection, id: DeviceRecordId) -> AppResult<()> {
    if diesel::delete(devices::table.find(id)).execute(conn)? == 0 {
        return Err(AppError::not_found("device", id));
    }
    Ok(())
}

#[derive(Debug, Default, Clone)]
pub struct DeviceFilter {
    /// `device_id` contains (case-insensitive).
    pub q: Option<String>,
    /// Exactly this `device_id`.
    pub device_id: Option<String>,
    pub asset_id: Option<AssetId>,
    pub active: Option<bool>,
}

pub fn list(
    conn: &mut PgConnection,
    f: &DeviceFilter,
    after: Option<DeviceRecordId>,
    limit: i64,
) -> QueryResult<Vec<Device>> {
    let mut q = devices::table
        .select(Device::as_select())
        .order(devices::id)
        .into_boxed();
    if let Some(text) = &f.q {
        q = q.filter(lower(devices::device_id).like(contains_pattern(text)));
    }
    if let Some(d) = &f.device_id {
        q = q.filter(devices::device_id.eq(d));
    }
    if let Some(a) = f.asset_id {
        q = q.filter(devices::asset_id.eq(a));
    }
    if let Some(active) = f.active {
        q = q.filter(devices::active.eq(active));
    }
    if let Some(after) = after {
        q = q.filter(devices::id.gt(after));
    }
    q.limit(limit).load(conn)
}
