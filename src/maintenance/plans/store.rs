//! Plan queries: create, read, change, list and delete plans with their parts kits, and
//! the checks against other records (the asset or model exists, the kit's parts exist,
//! an asset plan's meter is one the asset has). Deleting a plan that tickets came from
//! is refused by their foreign key (409): deactivate it instead.

use chrono::Utc;
use diesel::prelude::*;

use super::model::*;
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, PartId, PlanId};
use crate::schema::{
    asset_meters, assets, equipment_models, maintenance_plan_parts, maintenance_plans,
    maintenance_schedule, parts,
};
use crate::tickets::Priority;
use crate::validate::{check_version, Errors};

#[derive(Debug, Default, Clone)]
pub struct PlanFilter {
    /// Plans covering this asset: its own and its model's.
    pub asset_id: Option<AssetId>,
    /// Plans for this model (not those of single assets of it).
    pub model_id: Option<ModelId>,
    pub active: Option<bool>,
}

/// The plan's kit with each part's SKU and name, in SKU order.
pub fn kit(conn: &mut PgConnection, plan: PlanId) -> QueryResult<Vec<KitPart>> {
    let rows: Vec<(PartId, String, String, crate::decimal::Quantity)> =
        maintenance_plan_parts::table
            .inner_join(parts::table)
            .filter(maintenance_plan_parts::plan_id.eq(plan))
            .order(parts::sku)
            .select((
                parts::id,
                parts::sku,
                parts::name,
                maintenance_plan_parts::quantity,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(part_id, sku, name, quantity)| KitPart {
            part_id,
            sku,
            name,
            quantity,
        })
        .collect())
}

pub fn find(conn: &mut PgConnection, id: PlanId) -> QueryResult<Option<PlanRecord>> {
    maintenance_plans::table
        .find(id)
        .select(PlanRecord::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut PgConnection, id: PlanId) -> AppResult<Plan> {
    let record = find(conn, id)?.ok_or_else(|| AppError::not_found("maintenance plan", id))?;
    let kit = kit(conn, id)?;
    Ok(record.into_plan(kit))
}

/// Checks that need the database: the scope exists, an asset plan's meter is one of
/// the asset's meters, the kit's parts exist.
fn check_references(
    conn: &mut PgConnection,
    e: &mut Errors,
    asset: Option<AssetId>,
    model: Option<ModelId>,
    row: &PlanRow,
    kit: &[KitLine],
) -> QueryResult<()> {
    if let Some(a) = asset {
        let exists: bool =
            diesel::select(diesel::dsl::exists(assets::table.find(a))).get_result(conn)?;
        if !exists {
            e.add("asset_id", format!("no asset {a}"));
        } else if let Some(meter) = &row.meter {
            let has: bool =
                diesel::select(diesel::dsl::exists(asset_meters::table.find((a, meter))))
                    .get_result(conn)?;
            if !has {
                e.add("meter.name", format!("asset {a} has no meter `{meter}`"));
            }
        }
    }
    if let Some(m) = model {
        let exists: bool = diesel::select(diesel::dsl::exists(equipment_models::table.find(m)))
            .get_result(conn)?;
        if !exists {
            e.add("model_id", format!("no equipment model {m}"));
        }
    }
    let ids: Vec<PartId> = kit.iter().map(|l| l.part_id).collect();
    let known: Vec<PartId> = parts::table
        .filter(parts::id.eq_any(&ids))
        .select(parts::id)
        .load(conn)?;
    for (n, line) in kit.iter().enumerate() {
        if !known.contains(&line.part_id) {
            e.add(
                format!("parts[{n}].part_id"),
                format!("no part {}", line.part_id),
            );
        }
    }
    Ok(())
}

fn write_kit(conn: &mut PgConnection, plan: PlanId, kit: &[KitLine]) -> QueryResult<()> {
    diesel::delete(maintenance_plan_parts::table.filter(maintenance_plan_parts::plan_id.eq(plan)))
        .execute(conn)?;
    let rows: Vec<_> = kit
        .iter()
        .map(|l| {
            (
                maintenance_plan_parts::plan_id.eq(plan),
                maintenance_plan_parts::part_id.eq(l.part_id),
                maintenance_plan_parts::quantity.eq(l.quantity),
            )
        })
        .collect();
    diesel::insert_into(maintenance_plan_parts::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

pub fn create(conn: &mut PgConnection, new: &NewPlan) -> AppResult<Plan> {
    let mut e = Errors::new();
    if new.asset_id.is_some() == new.model_id.is_some() {
        e.add(
            "asset_id",
            "give either `asset_id` (one asset) or `model_id` (every asset of a model)",
        );
    }
    let row = PlanRow::validate(
        PlanInput {
            title: &new.title,
            description: new.description.as_deref(),
            calendar: new.calendar.as_ref(),
            meter: new.meter.as_ref(),
            lead_days: new.lead_days.unwrap_or(0),
            checklist: &new.checklist,
            parts: &new.parts,
            estimated_minutes: new.estimated_minutes,
            skills: &new.skills,
            priority: new.priority.unwrap_or(Priority::Normal),
            active: new.active.unwrap_or(true),
            starts_at: new.starts_at.unwrap_or_else(Utc::now),
        },
        &mut e,
    );
    check_references(conn, &mut e, new.asset_id, new.model_id, &row, &new.parts)?;
    e.finish()?;
    let id = PlanId::new();
    conn.transaction(|conn| {
        diesel::insert_into(maintenance_plans::table)
            .values((
                maintenance_plans::id.eq(id),
                maintenance_plans::asset_id.eq(new.asset_id),
                maintenance_plans::model_id.eq(new.model_id),
                &row,
            ))
            .execute(conn)?;
        write_kit(conn, id, &new.parts)?;
        get(conn, id)
    })
}

/// Apply a patch under a row lock. Reactivating a plan moves its schedule to now, so
/// the time it was inactive is not caught up as missed occurrences.
pub fn update(conn: &mut PgConnection, id: PlanId, p: &PlanPatch) -> AppResult<Plan> {
    conn.transaction(|conn| {
        let current: PlanRecord = maintenance_plans::table
            .find(id)
            .select(PlanRecord::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("maintenance plan", id))?;
        check_version(p.version, current.version)?;
        let kit_now: Vec<KitLine> = kit(conn, id)?
            .into_iter()
            .map(|k| KitLine {
                part_id: k.part_id,
                quantity: k.quantity,
            })
            .collect();
        let calendar = match &p.calendar {
            Some(c) => c.clone(),
            None => current.calendar().as_ref().map(Calendar::of),
        };
        let meter = match &p.meter {
            Some(m) => m.clone(),
            None => current.meter_trigger(),
        };
        let kit_new = p.parts.clone().unwrap_or(kit_now);
        let mut e = Errors::new();
        let row = PlanRow::validate(
            PlanInput {
                title: p.title.as_deref().unwrap_or(&current.title),
                description: match &p.description {
                    Some(d) => d.as_deref(),
                    None => current.description.as_deref(),
                },
                calendar: calendar.as_ref(),
                meter: meter.as_ref(),
                lead_days: p.lead_days.unwrap_or(current.lead_days),
                checklist: p.checklist.as_deref().unwrap_or(&current.checklist.0),
                parts: &kit_new,
                estimated_minutes: match p.estimated_minutes {
                    Some(m) => m,
                    None => current.estimated_minutes,
                },
                skills: p.skills.as_deref().unwrap_or(&current.skills.0),
                priority: p.priority.unwrap_or(current.priority),
                active: p.active.unwrap_or(current.active),
                starts_at: p.starts_at.unwrap_or(current.starts_at),
            },
            &mut e,
        );
        check_references(
            conn,
            &mut e,
            current.asset_id,
            current.model_id,
            &row,
            &kit_new,
        )?;
        e.finish()?;
        diesel::update(maintenance_plans::table.find(id))
            .set((
                &row,
                maintenance_plans::version.eq(maintenance_plans::version + 1),
                maintenance_plans::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        if p.parts.is_some() {
            write_kit(conn, id, &kit_new)?;
        }
        if row.active && !current.active {
            diesel::update(
                maintenance_schedule::table.filter(maintenance_schedule::plan_id.eq(id)),
            )
            .set(maintenance_schedule::checked_through.eq(diesel::dsl::now))
            .execute(conn)?;
        }
        get(conn, id)
    })
}

pub fn delete(conn: &mut PgConnection, id: PlanId) -> AppResult<()> {
    let n = diesel::delete(maintenance_plans::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(AppError::not_found("maintenance plan", id));
    }
    Ok(())
}

pub fn list(
    conn: &mut PgConnection,
    f: &PlanFilter,
    after: Option<PlanId>,
    limit: i64,
) -> AppResult<Vec<Plan>> {
    let mut q = maintenance_plans::table
        .select(PlanRecord::as_select())
        .order(maintenance_plans::id)
        .into_boxed();
    if let Some(a) = f.asset_id {
        let model: Option<ModelId> = assets::table
            .find(a)
            .select(assets::model_id)
            .first(conn)
            .optional()?;
        q = q.filter(
            maintenance_plans::asset_id
                .eq(a)
                .or(maintenance_plans::model_id.eq(model)),
        );
    }
    if let Some(m) = f.model_id {
        q = q.filter(maintenance_plans::model_id.eq(m));
    }
    if let Some(active) = f.active {
        q = q.filter(maintenance_plans::active.eq(active));
    }
    if let Some(after) = after {
        q = q.filter(maintenance_plans::id.gt(after));
    }
    let records: Vec<PlanRecord> = q.limit(limit).load(conn)?;
    records
        .into_iter()
        .map(|r| {
            let kit = kit(conn, r.id)?;
            Ok(r.into_plan(kit))
        })
        .collect()
}
