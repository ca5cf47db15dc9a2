//! Asset queries and the rules that need the database: model, site and parent asset
//! must exist, no asset sits inside itself, meters have valid unique names.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;

use super::model::{Asset, AssetRecord, AssetRow, AssetStatus, Meter, MeterSpec};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, CustomerId, ModelId, SiteId};
use crate::installed_base::sites;
use crate::schema::{asset_meters, assets, equipment_models};
use crate::validate::{is_identifier, Errors};

/// An asset as it should become, before its references are checked.
#[derive(Debug, Clone)]
pub struct Draft {
    pub model_id: ModelId,
    pub serial_number: String,
    pub site_id: SiteId,
    pub parent_asset_id: Option<AssetId>,
    pub name: Option<String>,
    pub install_date: Option<NaiveDate>,
    pub warranty_end: Option<NaiveDate>,
    pub status: AssetStatus,
    /// `None`: keep the current meters.
    pub meters: Option<Vec<MeterSpec>>,
}

pub fn resolve(conn: &mut PgConnection, d: &Draft, this: Option<AssetId>) -> AppResult<AssetRow> {
    let mut e = Errors::new();
    let serial_number = e.text("serial_number", &d.serial_number, 200);
    let name = e.opt_text("name", d.name.as_deref(), 200);
    let model_exists: bool = diesel::select(diesel::dsl::exists(
        equipment_models::table.find(d.model_id),
    ))
    .get_result(conn)?;
    if !model_exists {
        e.add("model_id", format!("no equipment model {}", d.model_id));
    }
    if sites::store::find(conn, d.site_id)?.is_none() {
        e.add("site_id", format!("no site {}", d.site_id));
    }
    if let Some(parent) = d.parent_asset_id {
        let exists: bool =
            diesel::select(diesel::dsl::exists(assets::table.find(parent))).get_result(conn)?;
        if !exists {
            e.add("parent_asset_id", format!("no asset {parent}"));
        } else if let Some(this) = this {
            if subtree(conn, this)?.contains(&parent) {
                e.add(
                    "parent_asset_id",
                    "an asset cannot sit inside itself or one of its own parts",
                );
            }
        }
    }
    e.date("install_date", d.install_date);
    e.date("warranty_end", d.warranty_end);
    if let (Some(installed), Some(warranty)) = (d.install_date, d.warranty_end) {
        if warranty < installed {
            e.add("warranty_end", "must not be before install_date");
        }
    }
    if let Some(meters) = &d.meters {
        let mut seen = std::collections::HashSet::new();
        for (i, m) in meters.iter().enumerate() {
            if !is_identifier(&m.name) {
                e.add(
                    format!("meters[{i}].name"),
                    "must match [A-Za-z0-9_.:-]{1,64}",
                );
            } else if !seen.insert(m.name.as_str()) {
                e.add(
                    format!("meters[{i}].name"),
                    format!("`{}` is listed twice", m.name),
                );
            }
            if m.unit.chars().count() > 20 {
                e.add(format!("meters[{i}].unit"), "must be at most 20 characters");
            }
            if m.value.is_some_and(|v| !v.is_finite() || v < 0.0) {
                e.add(
                    format!("meters[{i}].value"),
                    "must be a finite number, not negative",
                );
            }
        }
        if meters.len() > 20 {
            e.add("meters", "at most 20 meters per asset");
        }
    }
    e.finish()?;
    Ok(AssetRow {
        model_id: d.model_id,
        serial_number,
        site_id: d.site_id,
        parent_asset_id: d.parent_asset_id,
        name,
        install_date: d.install_date,
        warranty_end: d.warranty_end,
        status: d.status.as_str().to_owned(),
    })
}

pub fn insert(
    conn: &mut PgConnection,
    id: AssetId,
    row: &AssetRow,
    meters: &[MeterSpec],
) -> AppResult<Asset> {
    let record: AssetRecord = diesel::insert_into(assets::table)
        .values((assets::id.eq(id), row))
        .returning(AssetRecord::as_returning())
        .get_result(conn)?;
    set_meters(conn, id, meters)?;
    Ok(Asset::new(
        record,
        meters_of(conn, &[id])?.remove(&id).unwrap_or_default(),
    ))
}

/// Make the asset's meters exactly `specs`: new ones start at their given value, kept
/// ones keep their reading (and take the new unit), missing ones are removed.
fn set_meters(conn: &mut PgConnection, id: AssetId, specs: &[MeterSpec]) -> QueryResult<()> {
    let names: Vec<&str> = specs.iter().map(|m| m.name.as_str()).collect();
    diesel::delete(
        asset_meters::table
            .filter(asset_meters::asset_id.eq(id))
            .filter(asset_meters::name.ne_all(&names)),
    )
    .execute(conn)?;
    for m in specs {
        diesel::insert_into(asset_meters::table)
            .values((
                asset_meters::asset_id.eq(id),
                asset_meters::name.eq(&m.name),
                asset_meters::unit.eq(&m.unit),
                asset_meters::value.eq(m.value.unwrap_or(0.0)),
            ))
            .on_conflict((asset_meters::asset_id, asset_meters::name))
            .do_update()
            .set(asset_meters::unit.eq(&m.unit))
            .execute(conn)?;
    }
    Ok(())
}

pub fn lock(conn: &mut PgConnection, id: AssetId) -> AppResult<AssetRecord> {
    assets::table
        .find(id)
        .select(AssetRecord::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("asset", id))
}

pub fn find_record(conn: &mut PgConnection, id: AssetId) -> QueryResult<Option<AssetRecord>> {
    assets::table
        .find(id)
        .select(AssetRecord::as_select())
        .first(conn)
        .optional()
}

pub fn write(
    conn: &mut PgConnection,
    id: AssetId,
    row: &AssetRow,
    meters: Option<&[MeterSpec]>,
) -> AppResult<Asset> {
    let record: AssetRecord = diesel::update(assets::table.find(id))
        .set((
            row,
            assets::version.eq(assets::version + 1),
            assets::updated_at.eq(diesel::dsl::now),
        ))
        .returning(AssetRecord::as_returning())
        .get_result(conn)?;
    if let Some(meters) = meters {
        set_meters(conn, id, meters)?;
    }
    Ok(Asset::new(
        record,
        meters_of(conn, &[id])?.remove(&id).unwrap_or_default(),
    ))
}

pub fn get(conn: &mut PgConnection, id: AssetId) -> AppResult<Asset> {
    let record = find_record(conn, id)?.ok_or_else(|| AppError::not_found("asset", id))?;
    Ok(Asset::new(
        record,
        meters_of(conn, &[id])?.remove(&id).unwrap_or_default(),
    ))
}

pub fn delete(conn: &mut PgConnection, id: AssetId) -> AppResult<()> {
    if diesel::delete(assets::table.find(id)).execute(conn)? == 0 {
        return Err(AppError::not_found("asset", id));
    }
    Ok(())
}

/// The meters of several assets, by asset.
pub fn meters_of(
    conn: &mut PgConnection,
    ids: &[AssetId],
) -> QueryResult<HashMap<AssetId, Vec<Meter>>> {
    let rows: Vec<Meter> = asset_meters::table
        .filter(asset_meters::asset_id.eq_any(ids))
        .order((asset_meters::asset_id, asset_meters::name))
        .select(Meter::as_select())
        .load(conn)?;
    let mut out: HashMap<AssetId, Vec<Meter>> = HashMap::new();
    for m in rows {
        out.entry(m.asset_id).or_default().push(m);
    }
    Ok(out)
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: AssetId,
}

/// `root` and every asset inside it.
pub fn subtree(conn: &mut PgConnection, root: AssetId) -> QueryResult<Vec<AssetId>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE t(id) AS (
             SELECT id FROM assets WHERE id = $1
             UNION
             SELECT a.id FROM assets a JOIN t ON a.parent_asset_id = t.id
         ) SELECT id FROM t",
    )
    .bind::<SqlUuid, _>(root)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(Debug, Default, Clone)]
pub struct AssetFilter {
    /// Serial number contains (case-insensitive).
    pub serial: Option<String>,
    pub model_id: Option<ModelId>,
    /// At this site or any site below it.
    pub site_id: Option<SiteId>,
    pub customer_id: Option<CustomerId>,
    pub status: Option<AssetStatus>,
    /// Warranty ends before this date.
    pub warranty_before: Option<NaiveDate>,
    pub parent_asset_id: Option<AssetId>,
}

pub fn list(
    conn: &mut PgConnection,
    f: &AssetFilter,
    after: Option<AssetId>,
    limit: i64,
) -> QueryResult<Vec<Asset>> {
    use crate::schema::sites as s;
    let mut q = assets::table
        .select(AssetRecord::as_select())
        .order(assets::id)
        .into_boxed();
    if let Some(serial) = &f.serial {
        q = q.filter(lower(assets::serial_number).like(contains_pattern(serial)));
    }
    if let Some(m) = f.model_id {
        q = q.filter(assets::model_id.eq(m));
    }
    if let Some(site) = f.site_id {
        q = q.filter(assets::site_id.eq_any(sites::store::subtree(conn, site)?));
    }
    if let Some(c) = f.customer_id {
        q = q.filter(assets::site_id.eq_any(s::table.filter(s::customer_id.eq(c)).select(s::id)));
    }
    if let Some(status) = f.status {
        q = q.filter(assets::status.eq(status.as_str()));
    }
    if let Some(d) = f.warranty_before {
        q = q.filter(assets::warranty_end.lt(d));
    }
    if let Some(p) = f.parent_asset_id {
        q = q.filter(assets::parent_asset_id.eq(p));
    }
    if let Some(after) = after {
        q = q.filter(assets::id.gt(after));
    }
    let records: Vec<AssetRecord> = q.limit(limit).load(conn)?;
    let ids: Vec<AssetId> = records.iter().map(|r| r.id).collect();
    let mut meters = meters_of(conn, &ids)?;
    Ok(records
        .into_iter()
        .map(|r| {
            let m = meters.remove(&r.id).unwrap_or_default();
            Asset::new(r, m)
        })
        .collect())
}

pub fn exists(conn: &mut PgConnection, id: AssetId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(assets::table.find(id))).get_result(conn)
}
