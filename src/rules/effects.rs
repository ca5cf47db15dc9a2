//! What a breach or a clear does, for threshold and "no data" rules alike: the failure
//! ticket (opened through the tickets' one opening path, an occurrence added to the
//! open one, a resolved one reopened) and the asset status the rule follows. Callers
//! hold the (rule, asset) state row locked, so these never race for the same pair; the
//! partial unique index on tickets is the guarantee behind that.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::condition::number;
use super::model::{FollowStatus, Rule, RuleKind};
use super::template;
use crate::error::{AppError, AppResult, ConflictKind};
use crate::ids::{AssetId, RuleId, TicketId};
use crate::schema::{assets, rule_states, tickets};
use crate::tickets::events;
use crate::tickets::model::{Channel, Source, Status, TicketKind};
use crate::tickets::store::{self, Actor, Opening};

/// The timeline name of the rules engine.
pub const ACTOR: &str = "rules";

/// One breach or clear of a rule on an asset, with what its ticket should say.
#[derive(Debug, Clone)]
pub struct Occasion<'a> {
    pub rule: &'a Rule,
    pub asset: AssetId,
    /// Device time of the reading (threshold) or when the status or silence was seen.
    pub at: DateTime<Utc>,
    /// Threshold rules: the reading's value, and when the condition started to hold.
    pub value: Option<f64>,
    pub since: Option<DateTime<Utc>>,
    /// "No data" rules: the device (its MQTT device_id) and what happened to it.
    pub device: Option<String>,
    pub reason: Option<String>,
}

/// What a breach did to tickets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Opened(TicketId),
    Occurrence(TicketId),
    Reopened(TicketId),
}

/// The rule's open ticket on the asset (any status but closed and cancelled), locked.
fn open_ticket(
    conn: &mut PgConnection,
    rule: RuleId,
    asset: AssetId,
) -> QueryResult<Option<(TicketId, Status)>> {
    tickets::table
        .filter(tickets::rule_id.eq(rule))
        .filter(tickets::asset_id.eq(asset))
        .filter(tickets::status.ne_all([Status::Closed, Status::Cancelled]))
        .select((tickets::id, tickets::status))
        .for_update()
        .first(conn)
        .optional()
}

fn asset_names(conn: &mut PgConnection, asset: AssetId) -> QueryResult<(String, String)> {
    let (name, serial): (Option<String>, String) = assets::table
        .find(asset)
        .select((assets::name, assets::serial_number))
        .first(conn)?;
    Ok((name.unwrap_or_else(|| serial.clone()), serial))
}

fn title(conn: &mut PgConnection, o: &Occasion) -> QueryResult<String> {
    let (asset, serial) = asset_names(conn, o.asset)?;
    let r = o.rule;
    let condition = r.params().map(|p| p.condition.to_string());
    let values = [
        ("rule", r.name.clone()),
        ("asset", asset),
        ("serial", serial),
        (
            "ts",
            o.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ),
        ("metric", r.metric.clone().unwrap_or_default()),
        ("value", o.value.map(number).unwrap_or_default()),
        ("condition", condition.unwrap_or_default()),
        ("device", o.device.clone().unwrap_or_default()),
        ("reason", o.reason.clone().unwrap_or_default()),
    ];
    let t = template::render(&r.title_template, &values);
    let t: String = t.trim().chars().take(300).collect();
    Ok(if t.is_empty() { r.name.clone() } else { t })
}

fn description(o: &Occasion) -> String {
    let r = o.rule;
    let at = o.at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    match (r.kind, r.params()) {
        (RuleKind::Threshold, Some(p)) => format!(
            "Rule \"{}\": {} {} held for at least {} s of device time (since {}); reading {} at {}.",
            r.name,
            r.metric.as_deref().unwrap_or_default(),
            p.condition,
            r.duration_s,
            o.since
                .map(|s| s.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
                .unwrap_or_else(|| at.clone()),
            o.value.map(number).unwrap_or_default(),
            at
        ),
        _ => format!(
            "Rule \"{}\": device {} {} (at {}).",
            r.name,
            o.device.as_deref().unwrap_or_default(),
            o.reason.as_deref().unwrap_or_default(),
            at
        ),
    }
}

/// What the timeline records of one breach.
fn breach_facts(o: &Occasion) -> serde_json::Value {
    json!({"rule_id": o.rule.id, "at": o.at, "value": o.value, "since": o.since,
           "device": o.device, "reason": o.reason})
}

/// A breach: open a ticket, or add an occurrence to the open one (reopening it when
/// resolved); then make the asset's status follow when the rule says so.
pub fn breach(conn: &mut PgConnection, o: &Occasion) -> AppResult<Applied> {
    let actor = Actor::system(ACTOR);
    let existing = open_ticket(conn, o.rule.id, o.asset)?;
    let applied = match existing {
        Some(found) => add_occurrence(conn, o, found, &actor)?,
        None => {
            let source = match o.rule.kind {
                RuleKind::Threshold => Source::Threshold,
                RuleKind::NoData => Source::Offline,
            };
            let opening = Opening {
                description: Some(description(o)),
                reporter: Some(format!("rule {}", o.rule.name).chars().take(200).collect()),
                channel: Some(Channel::Device),
                rule_id: Some(o.rule.id),
                ..Opening::new(
                    o.asset,
                    TicketKind::Corrective,
                    source,
                    o.rule.severity,
                    title(conn, o)?,
                )
            };
            // a savepoint: should the unique index refuse a second open ticket after
            // all, the transaction goes on and the breach becomes an occurrence
            match conn.transaction(|conn| store::open(conn, opening, &actor)) {
                Ok(t) => {
                    diesel::update(tickets::table.find(t.id))
                        .set(tickets::last_occurred_at.eq(o.at))
                        .execute(conn)?;
                    Applied::Opened(t.id)
                }
                Err(AppError::Conflict {
                    kind: ConflictKind::Duplicate,
                    ..
                }) => {
                    let found = open_ticket(conn, o.rule.id, o.asset)?.ok_or_else(|| {
                        AppError::Internal("the open ticket of a rule vanished".into())
                    })?;
                    add_occurrence(conn, o, found, &actor)?
                }
                Err(e) => return Err(e),
            }
        }
    };
    let ticket = match applied {
        Applied::Opened(t) | Applied::Occurrence(t) | Applied::Reopened(t) => t,
    };
    if let Some(status) = o.rule.asset_status {
        hold_status(conn, o.rule, o.asset, status, ticket)?;
    }
    Ok(applied)
}

fn add_occurrence(
    conn: &mut PgConnection,
    o: &Occasion,
    (ticket, status): (TicketId, Status),
    actor: &Actor,
) -> AppResult<Applied> {
    let reopened = status == Status::Resolved;
    if reopened {
        store::reopen(
            conn,
            ticket,
            "the failure came back: its rule breached again",
            actor,
        )?;
    }
    let (count, before): (i32, Option<DateTime<Utc>>) = tickets::table
        .find(ticket)
        .select((tickets::occurrences, tickets::last_occurred_at))
        .first(conn)?;
    diesel::update(tickets::table.find(ticket))
        .set((
            tickets::occurrences.eq(count + 1),
            tickets::last_occurred_at.eq(o.at.max(before.unwrap_or(o.at))),
            tickets::version.eq(tickets::version + 1),
            tickets::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    let mut after = breach_facts(o);
    after["occurrences"] = json!(count + 1);
    events::record(
        conn,
        ticket,
        ACTOR,
        if reopened { "recurrence" } else { "occurrence" },
        Some(json!({"occurrences": count, "last_occurred_at": before})),
        Some(after),
        None,
    )?;
    Ok(if reopened {
        Applied::Reopened(ticket)
    } else {
        Applied::Occurrence(ticket)
    })
}

/// The condition cleared: an event on the open ticket, and the asset status restored.
pub fn clear(conn: &mut PgConnection, o: &Occasion) -> AppResult<()> {
    let ticket = open_ticket(conn, o.rule.id, o.asset)?.map(|(t, _)| t);
    if let Some(t) = ticket {
        events::record(
            conn,
            t,
            ACTOR,
            "cleared",
            None,
            Some(breach_facts(o)),
            Some("the rule's condition cleared"),
        )?;
    }
    release_status(conn, o.rule, o.asset, ticket)
}

fn rank(status: &str) -> u8 {
    match status {
        "degraded" => 1,
        "down" => 2,
        _ => 0,
    }
}

fn set_asset_status(
    conn: &mut PgConnection,
    asset: AssetId,
    from: &str,
    to: &str,
    ticket: Option<TicketId>,
    why: &str,
) -> AppResult<()> {
    diesel::update(assets::table.find(asset))
        .set((
            assets::status.eq(to),
            assets::version.eq(assets::version + 1),
            assets::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    if let Some(t) = ticket {
        events::record(
            conn,
            t,
            ACTOR,
            "asset_status",
            Some(json!({"asset_id": asset, "status": from})),
            Some(json!({"asset_id": asset, "status": to})),
            Some(why),
        )?;
    }
    Ok(())
}

/// Raise the asset's status to `status` (never lower it, never touch a retired asset),
/// remembering in the rule's state that this rule set it. The asset row is locked `FOR
/// NO KEY UPDATE`: it must not conflict with the key-share locks that inserting tickets
/// (a foreign key to the asset) takes in concurrent transactions.
fn hold_status(
    conn: &mut PgConnection,
    rule: &Rule,
    asset: AssetId,
    status: FollowStatus,
    ticket: TicketId,
) -> AppResult<()> {
    let current: String = assets::table
        .find(asset)
        .select(assets::status)
        .for_no_key_update()
        .first(conn)?;
    if current == "retired" || rank(&current) >= rank(status.as_str()) {
        return Ok(());
    }
    set_asset_status(
        conn,
        asset,
        &current,
        status.as_str(),
        Some(ticket),
        &format!("rule \"{}\" breached", rule.name),
    )?;
    diesel::update(rule_states::table.find((rule.id, asset)))
        .set(rule_states::held_status.eq(status))
        .execute(conn)?;
    Ok(())
}

/// Let go of the asset status this rule set: back to the worst status another breached
/// rule still holds, else `operational` — unless someone changed it meanwhile.
pub fn release_status(
    conn: &mut PgConnection,
    rule: &Rule,
    asset: AssetId,
    ticket: Option<TicketId>,
) -> AppResult<()> {
    let held: Option<String> = rule_states::table
        .find((rule.id, asset))
        .select(rule_states::held_status)
        .first(conn)
        .optional()?
        .flatten();
    let Some(held) = held else { return Ok(()) };
    diesel::update(rule_states::table.find((rule.id, asset)))
        .set(rule_states::held_status.eq(None::<FollowStatus>))
        .execute(conn)?;
    let current: String = assets::table
        .find(asset)
        .select(assets::status)
        .for_no_key_update()
        .first(conn)?;
    if current != held {
        return Ok(());
    }
    let others: Vec<Option<String>> = rule_states::table
        .filter(rule_states::asset_id.eq(asset))
        .filter(rule_states::held_status.is_not_null())
        .select(rule_states::held_status)
        .load(conn)?;
    let restored = others
        .into_iter()
        .flatten()
        .max_by_key(|s| rank(s))
        .unwrap_or_else(|| "operational".to_owned());
    if restored != current {
        set_asset_status(
            conn,
            asset,
            &current,
            &restored,
            ticket,
            &format!("rule \"{}\" cleared", rule.name),
        )?;
    }
    Ok(())
}
