//! "No data" rules: a device of the rule's scope that reports `offline` (its Last Will)
//! or stays silent for `silence_s` opens an `offline` ticket; another device of the same
//! asset going bad meanwhile is an occurrence; the asset clears when all its devices are
//! back. Per device, `rule_device_states` remembers the last status applied and, while
//! silent, the sign of life it went silent after — so a repeated or retained status
//! message, every instance handling the same message, or a periodic check run twice
//! changes nothing. Silence is server time: the device's `last_seen_at` (kept by
//! ingest), its registration, or the rule's creation, whichever is latest.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Int8, Text, Timestamptz};

use super::effects::{self, Applied, Occasion};
use super::model::{Rule, RuleKind};
use super::state;
use crate::error::AppResult;
use crate::ids::{AssetId, DeviceRecordId, RuleId};
use crate::schema::{assets, devices, rule_device_states, rule_states, rules};

/// One instance at a time runs the silence check (a transaction-scoped advisory lock).
const SILENCE_LOCK: i64 = 0x6d61_696e_7275_6c65; // "mainrule"

/// A device's memory under one rule.
#[derive(Debug, Clone, Queryable)]
struct DeviceState {
    offline: bool,
    status_at: Option<DateTime<Utc>>,
    silent_seen: Option<DateTime<Utc>>,
}

/// Lock (creating it) the state of `device` under `rule`.
fn lock_device(
    conn: &mut PgConnection,
    rule: RuleId,
    device: DeviceRecordId,
) -> QueryResult<DeviceState> {
    diesel::insert_into(rule_device_states::table)
        .values((
            rule_device_states::rule_id.eq(rule),
            rule_device_states::device_id.eq(device),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    rule_device_states::table
        .find((rule, device))
        .select((
            rule_device_states::offline,
            rule_device_states::status_at,
            rule_device_states::silent_seen,
        ))
        .for_update()
        .first(conn)
}

/// Whether any device of `asset` is offline or silent under `rule`.
fn any_bad(conn: &mut PgConnection, rule: RuleId, asset: AssetId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        rule_device_states::table
            .inner_join(devices::table)
            .filter(rule_device_states::rule_id.eq(rule))
            .filter(devices::asset_id.eq(asset))
            .filter(rule_device_states::offline.or(rule_device_states::silent_seen.is_not_null())),
    ))
    .get_result(conn)
}

/// Record the (rule, asset) phase after a device changed: breached while any is bad.
fn set_phase(
    conn: &mut PgConnection,
    rule: RuleId,
    asset: AssetId,
    bad: bool,
    at: DateTime<Utc>,
) -> QueryResult<()> {
    let target = rule_states::table.find((rule, asset));
    if bad {
        diesel::update(target.filter(rule_states::phase.ne("breached")))
            .set((
                rule_states::phase.eq("breached"),
                rule_states::phase_since.eq(at),
            ))
            .execute(conn)?;
    } else {
        diesel::update(target)
            .set((
                rule_states::phase.eq("normal"),
                rule_states::phase_since.eq(None::<DateTime<Utc>>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// What happened to one device.
enum Change {
    WentBad { reason: String },
    Recovered,
}

impl Change {
    /// The change from a device being bad (offline or silent) or not to being so or not.
    fn between(was_bad: bool, now_bad: bool, reason: &str) -> Option<Change> {
        match (was_bad, now_bad) {
            (false, true) => Some(Change::WentBad {
                reason: reason.to_owned(),
            }),
            (true, false) => Some(Change::Recovered),
            _ => None,
        }
    }
}

/// Apply a device's change to its (rule, asset): a breach, or a clear once no device of
/// the asset is bad any more. Returns whether a ticket was opened.
fn settle(
    conn: &mut PgConnection,
    rule: &Rule,
    asset: AssetId,
    device: &str,
    change: Change,
    at: DateTime<Utc>,
) -> AppResult<bool> {
    let mut o = Occasion {
        rule,
        asset,
        at,
        value: None,
        since: None,
        device: Some(device.to_owned()),
        reason: None,
    };
    match change {
        Change::WentBad { reason } => {
            set_phase(conn, rule.id, asset, true, at)?;
            o.reason = Some(reason);
            Ok(matches!(effects::breach(conn, &o)?, Applied::Opened(_)))
        }
        Change::Recovered => {
            if !any_bad(conn, rule.id, asset)? {
                set_phase(conn, rule.id, asset, false, at)?;
                o.reason = Some("reports again".into());
                effects::clear(conn, &o)?;
            }
            Ok(false)
        }
    }
}

/// See [`super::on_status`].
/// See [`super::offline_rule_assets`].
pub fn offline_rule_assets(
    conn: &mut PgConnection,
    assets: &[AssetId],
) -> AppResult<std::collections::HashSet<AssetId>> {
    #[derive(QueryableByName)]
    struct Covered {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: AssetId,
    }
    let rows: Vec<Covered> = diesel::sql_query(
        "SELECT a.id FROM assets a WHERE a.id = ANY($1) AND EXISTS (
             SELECT 1 FROM rules r WHERE r.active AND r.kind = 'no_data' AND r.offline_status
               AND (r.asset_id = a.id OR r.model_id = a.model_id))",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(assets)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

pub fn on_status(
    conn: &mut PgConnection,
    device: DeviceRecordId,
    asset: AssetId,
    online: bool,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let model = assets::table
        .filter(assets::id.eq(asset))
        .select(assets::model_id.nullable())
        .single_value();
    let found: Vec<Rule> = rules::table
        .filter(rules::active)
        .filter(rules::kind.eq(RuleKind::NoData))
        .filter(rules::offline_status)
        .filter(rules::asset_id.eq(asset).or(rules::model_id.eq(model)))
        .order(rules::id)
        .select(Rule::as_select())
        .load(conn)?;
    if found.is_empty() {
        return Ok(());
    }
    let name: String = devices::table
        .find(device)
        .select(devices::device_id)
        .first(conn)
        .optional()?
        .unwrap_or_else(|| device.to_string());
    conn.transaction(|conn| {
        let pairs: Vec<(RuleId, AssetId)> = found.iter().map(|r| (r.id, asset)).collect();
        state::lock(conn, &pairs)?;
        for rule in &found {
            let ds = lock_device(conn, rule.id, device)?;
            if ds.status_at.is_some_and(|t| at <= t) {
                continue; // this status, or a newer one, is already applied
            }
            diesel::update(rule_device_states::table.find((rule.id, device)))
                .set((
                    rule_device_states::offline.eq(!online),
                    rule_device_states::status_at.eq(at),
                ))
                .execute(conn)?;
            let was_bad = ds.offline || ds.silent_seen.is_some();
            let now_bad = !online || ds.silent_seen.is_some();
            let Some(change) = Change::between(was_bad, now_bad, "offline") else {
                continue;
            };
            settle(conn, rule, asset, &name, change, at)?;
        }
        Ok(())
    })
}

/// A device that went silent, or came back, under a rule.
#[derive(Debug, QueryableByName)]
struct Candidate {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    rule_id: RuleId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    asset_id: AssetId,
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    device: DeviceRecordId,
    #[diesel(sql_type = Text)]
    device_name: String,
    #[diesel(sql_type = Timestamptz)]
    seen: DateTime<Utc>,
}

/// See [`super::check_silence`].
pub fn check_silence(conn: &mut PgConnection, now: DateTime<Utc>) -> AppResult<usize> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Locked {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            locked: bool,
        }
        let got: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
            .bind::<Int8, _>(SILENCE_LOCK)
            .get_result(conn)?;
        if !got.locked {
            return Ok(0); // another instance is checking
        }
        let candidates: Vec<Candidate> = diesel::sql_query(
            "SELECT r.id AS rule_id, a.id AS asset_id, d.id AS device, d.device_id AS device_name,
                    GREATEST(d.last_seen_at, d.created_at, r.created_at) AS seen
             FROM rules r
             JOIN assets a ON a.id = r.asset_id OR a.model_id = r.model_id
             JOIN devices d ON d.asset_id = a.id AND d.active
             LEFT JOIN rule_device_states s ON s.rule_id = r.id AND s.device_id = d.id
             WHERE r.active AND r.kind = 'no_data' AND r.silence_s IS NOT NULL
               AND a.status <> 'retired'
               AND CASE WHEN s.silent_seen IS NULL
                        THEN GREATEST(d.last_seen_at, d.created_at, r.created_at)
                             <= $1 - make_interval(secs => r.silence_s)
                        ELSE GREATEST(d.last_seen_at, d.created_at, r.created_at) > s.silent_seen
                   END
             ORDER BY a.id, r.id, d.id",
        )
        .bind::<Timestamptz, _>(now)
        .load(conn)?;
        if candidates.is_empty() {
            return Ok(0);
        }
        let mut pairs: Vec<(RuleId, AssetId)> =
            candidates.iter().map(|c| (c.rule_id, c.asset_id)).collect();
        pairs.dedup();
        state::lock(conn, &pairs)?;
        let ids: Vec<RuleId> = pairs.iter().map(|(r, _)| *r).collect();
        let found: Vec<Rule> = rules::table
            .filter(rules::id.eq_any(ids))
            .select(Rule::as_select())
            .load(conn)?;
        let mut opened = 0;
        for c in candidates {
            let Some(rule) = found.iter().find(|r| r.id == c.rule_id) else {
                continue;
            };
            let silence = rule.silence_s.unwrap_or_default();
            let ds = lock_device(conn, c.rule_id, c.device)?;
            let silent_seen = match ds.silent_seen {
                None => Some(c.seen),
                Some(s) if c.seen > s => None,
                Some(_) => continue, // already applied
            };
            diesel::update(rule_device_states::table.find((c.rule_id, c.device)))
                .set(rule_device_states::silent_seen.eq(silent_seen))
                .execute(conn)?;
            let was_bad = ds.offline || ds.silent_seen.is_some();
            let now_bad = ds.offline || silent_seen.is_some();
            let reason = format!("silent for {silence} s");
            let Some(change) = Change::between(was_bad, now_bad, &reason) else {
                continue;
            };
            let at = if now_bad { now } else { c.seen };
            opened += usize::from(settle(conn, rule, c.asset_id, &c.device_name, change, at)?);
        }
        Ok(opened)
    })
}
