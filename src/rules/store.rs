//! Rule queries: create, read, change, list, delete. Evaluation lives in `evaluate` and
//! `silence`; what a breach does to tickets and assets in `effects`.

use diesel::prelude::*;

use super::effects;
use super::model::{Rule, RuleKind, RulePatch, RuleRow};
use crate::error::{AppError, AppResult};
use crate::ids::{AssetId, ModelId, RuleId};
use crate::schema::{assets, equipment_models, rule_states, rules};
use crate::validate::{check_version, Errors};

#[derive(Debug, Default, Clone)]
pub struct RuleFilter {
    pub kind: Option<RuleKind>,
    /// Rules scoped to exactly this asset.
    pub asset_id: Option<AssetId>,
    /// Rules scoped to exactly this model.
    pub model_id: Option<ModelId>,
    /// Rules that apply to this asset: its own and its model's.
    pub applies_to: Option<AssetId>,
    pub metric: Option<String>,
    pub active: Option<bool>,
}

/// 422 when the scope names an asset or model that does not exist.
fn check_scope(conn: &mut PgConnection, row: &RuleRow) -> AppResult<()> {
    let mut e = Errors::new();
    if let Some(a) = row.asset_id {
        if !diesel::select(diesel::dsl::exists(assets::table.find(a))).get_result(conn)? {
            e.add("asset_id", format!("no asset {a}"));
        }
    }
    if let Some(m) = row.model_id {
        if !diesel::select(diesel::dsl::exists(equipment_models::table.find(m))).get_result(conn)? {
            e.add("model_id", format!("no equipment model {m}"));
        }
    }
    e.finish()
}

pub fn insert(conn: &mut PgConnection, id: RuleId, row: &RuleRow) -> AppResult<Rule> {
    check_scope(conn, row)?;
    Ok(diesel::insert_into(rules::table)
        .values((rules::id.eq(id), row))
        .returning(Rule::as_returning())
        .get_result(conn)?)
}

pub fn find(conn: &mut PgConnection, id: RuleId) -> QueryResult<Option<Rule>> {
    rules::table
        .find(id)
        .select(Rule::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut PgConnection, id: RuleId) -> AppResult<Rule> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("rule", id))
}

/// Apply a patch under a row lock, refusing it when `version` is stale.
pub fn update(conn: &mut PgConnection, id: RuleId, patch: &RulePatch) -> AppResult<Rule> {
    conn.transaction(|conn| {
        let current: Rule = rules::table
            .find(id)
            .select(Rule::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("rule", id))?;
        check_version(patch.version, current.version)?;
        let row = RuleRow::patched(&current, patch)?;
        Ok(diesel::update(rules::table.find(id))
            .set((
                &row,
                rules::version.eq(rules::version + 1),
                rules::updated_at.eq(diesel::dsl::now),
            ))
            .returning(Rule::as_returning())
            .get_result(conn)?)
    })
}

/// Delete a rule and its state. Asset statuses it set are restored; its tickets stay
/// (their `rule_id` becomes null).
pub fn delete(conn: &mut PgConnection, id: RuleId) -> AppResult<()> {
    conn.transaction(|conn| {
        let rule = rules::table
            .find(id)
            .select(Rule::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("rule", id))?;
        let held: Vec<AssetId> = rule_states::table
            .filter(rule_states::rule_id.eq(id))
            .filter(rule_states::held_status.is_not_null())
            .order(rule_states::asset_id)
            .select(rule_states::asset_id)
            .for_update()
            .load(conn)?;
        for asset in held {
            effects::release_status(conn, &rule, asset, None)?;
        }
        diesel::delete(rules::table.find(id)).execute(conn)?;
        Ok(())
    })
}

pub fn list(
    conn: &mut PgConnection,
    f: &RuleFilter,
    after: Option<RuleId>,
    limit: i64,
) -> QueryResult<Vec<Rule>> {
    let mut q = rules::table
        .select(Rule::as_select())
        .order(rules::id)
        .into_boxed();
    if let Some(k) = f.kind {
        q = q.filter(rules::kind.eq(k));
    }
    if let Some(a) = f.asset_id {
        q = q.filter(rules::asset_id.eq(a));
    }
    if let Some(m) = f.model_id {
        q = q.filter(rules::model_id.eq(m));
    }
    if let Some(a) = f.applies_to {
        let model = assets::table
            .filter(assets::id.eq(a))
            .select(assets::model_id.nullable())
            .single_value();
        q = q.filter(rules::asset_id.eq(a).or(rules::model_id.eq(model)));
    }
    if let Some(m) = &f.metric {
        q = q.filter(rules::metric.eq(m.clone()));
    }
    if let Some(active) = f.active {
        q = q.filter(rules::active.eq(active));
    }
    if let Some(after) = after {
        q = q.filter(rules::id.gt(after));
    }
    q.limit(limit).load(conn)
}
