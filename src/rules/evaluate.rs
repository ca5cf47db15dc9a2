//! Threshold rules on the ingest path: find the batch's rules in one query, lock their
//! (rule, asset) states, run the engine, write the states back in one statement, and
//! turn breaches and clears into tickets. A batch that no rule watches costs that one
//! query. Also the idle flush, which applies readings nothing newer arrived behind.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

use super::effects::{self, Applied, Occasion};
use super::engine::{Effect, Sample};
use super::model::{Rule, RuleKind};
use super::state::{self, StateRow};
use super::Reading;
use crate::error::AppResult;
use crate::ids::{AssetId, RuleId};
use crate::schema::{assets, rules};

/// The active threshold rules on these assets (their own or their model's) watching
/// one of these metrics, with the asset each applies to.
fn matching(
    conn: &mut PgConnection,
    asset_ids: &[AssetId],
    metrics: &[&str],
) -> QueryResult<Vec<(Rule, AssetId)>> {
    rules::table
        .inner_join(
            assets::table.on(rules::asset_id
                .eq(assets::id.nullable())
                .or(rules::model_id.eq(assets::model_id.nullable()))),
        )
        .filter(rules::active)
        .filter(rules::kind.eq(RuleKind::Threshold))
        .filter(rules::metric.eq_any(metrics))
        .filter(assets::id.eq_any(asset_ids))
        .select((Rule::as_select(), assets::id))
        .load(conn)
}

/// See [`super::on_readings`].
pub fn on_readings(
    conn: &mut PgConnection,
    readings: &[Reading],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if readings.is_empty() {
        return Ok(());
    }
    let mut by_pair: HashMap<(AssetId, &str), Vec<Sample>> = HashMap::new();
    for r in readings {
        by_pair
            .entry((r.asset, r.metric.as_str()))
            .or_default()
            .push(Sample {
                ts: r.ts,
                value: r.value,
            });
    }
    let mut asset_ids: Vec<AssetId> = by_pair.keys().map(|(a, _)| *a).collect();
    asset_ids.sort();
    asset_ids.dedup();
    let mut metrics: Vec<&str> = by_pair.keys().map(|(_, m)| *m).collect();
    metrics.sort();
    metrics.dedup();
    let matches = matching(conn, &asset_ids, &metrics)?;
    if matches.is_empty() {
        return Ok(());
    }
    conn.transaction(|conn| {
        let mut rules: HashMap<RuleId, &Rule> = HashMap::new();
        for (r, _) in &matches {
            rules.entry(r.id).or_insert(r);
        }
        let mut pairs: Vec<(RuleId, AssetId)> = matches
            .iter()
            .filter(|(r, a)| by_pair.contains_key(&(*a, r.metric.as_deref().unwrap_or_default())))
            .map(|(r, a)| (r.id, *a))
            .collect();
        pairs.sort_by_key(|(r, a)| (*a, *r));
        pairs.dedup();
        let rows = state::lock(conn, &pairs)?;
        let mut changed = Vec::new();
        let mut fired = Vec::new();
        for row in rows {
            let rule = rules[&row.rule_id];
            let Some(params) = rule.params() else {
                continue;
            };
            let samples = &by_pair[&(row.asset_id, rule.metric.as_deref().unwrap_or_default())];
            let mut st = row.engine();
            let out = st.feed(&params, samples);
            if out.accepted == 0 && out.effects.is_empty() {
                continue;
            }
            changed.push(row.with(st, out.accepted > 0, now, params.lateness));
            fired.push((rule, row.asset_id, out.effects));
        }
        state::save(conn, &changed, now)?;
        for (rule, asset, effects) in fired {
            apply(conn, rule, asset, &effects)?;
        }
        Ok(())
    })
}

/// Turn the engine's effects for one (rule, asset) into tickets; returns tickets opened.
fn apply(
    conn: &mut PgConnection,
    rule: &Rule,
    asset: AssetId,
    effects: &[Effect],
) -> AppResult<usize> {
    let mut opened = 0;
    for e in effects {
        let o = match *e {
            Effect::Breach { at, value, since } => Occasion {
                rule,
                asset,
                at,
                value: Some(value),
                since: Some(since),
                device: None,
                reason: None,
            },
            Effect::Clear { at, value } => Occasion {
                rule,
                asset,
                at,
                value: Some(value),
                since: None,
                device: None,
                reason: None,
            },
        };
        match e {
            Effect::Breach { .. } => {
                if let Applied::Opened(_) = effects::breach(conn, &o)? {
                    opened += 1;
                }
            }
            Effect::Clear { .. } => effects::clear(conn, &o)?,
        }
    }
    Ok(opened)
}

/// At most this many (rule, asset) states are flushed per call.
const FLUSH_BATCH: i64 = 1_000;

/// Apply the buffered readings of every (rule, asset) that received nothing for its
/// allowed lateness (server time): a device that breached and then stopped sending
/// still gets its ticket. Rows another transaction holds are skipped (it reschedules
/// them). Returns tickets opened.
pub fn flush_idle(conn: &mut PgConnection, now: DateTime<Utc>) -> AppResult<usize> {
    conn.transaction(|conn| {
        let rows: Vec<StateRow> = diesel::sql_query(
            "SELECT s.rule_id, s.asset_id, s.phase, s.phase_since, s.newest_at, s.applied_through,
                    s.buffer, s.flush_due_at
             FROM rule_states s JOIN rules r ON r.id = s.rule_id
             WHERE s.flush_due_at <= $1 AND r.active AND r.kind = 'threshold'
             ORDER BY s.asset_id, s.rule_id
             LIMIT $2
             FOR UPDATE OF s SKIP LOCKED",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(FLUSH_BATCH)
        .load(conn)?;
        if rows.is_empty() {
            return Ok(0);
        }
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.rule_id.0).collect();
        let rules: HashMap<RuleId, Rule> = rules::table
            .filter(rules::id.eq_any(ids))
            .select(Rule::as_select())
            .load(conn)?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let mut changed = Vec::new();
        let mut fired = Vec::new();
        for row in rows {
            let Some(rule) = rules.get(&row.rule_id) else {
                continue;
            };
            let Some(params) = rule.params() else {
                continue;
            };
            let mut st = row.engine();
            let effects = st.flush_all(&params);
            changed.push(row.with(st, false, now, Duration::zero()));
            fired.push((rule, row.asset_id, effects));
        }
        state::save(conn, &changed, now)?;
        let mut opened = 0;
        for (rule, asset, effects) in fired {
            opened += apply(conn, rule, asset, &effects)?;
        }
        Ok(opened)
    })
}
