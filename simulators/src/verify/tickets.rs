//! `ticket` and `no_ticket`: the tickets opened since registration for the devices'
//! assets (`GET /api/v1/tickets?asset_id=…&source=…`), narrowed to the rules the
//! expectation names (`GET /api/v1/rules`, by name or metric).

use anyhow::{anyhow, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Fleet, Outcome};
use crate::scenario::expect::TicketSource;

fn source_name(s: TicketSource) -> &'static str {
    match s {
        TicketSource::Threshold => "threshold",
        TicketSource::Offline => "offline",
    }
}

fn created_at(t: &Value) -> Result<DateTime<Utc>> {
    t["created_at"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| anyhow!("a ticket without created_at: {t}"))
}

/// The tickets of `asset` (of `source`, when given), oldest first: those opened since
/// registration, and those of an earlier run still open.
async fn tickets(
    fleet: &Fleet<'_>,
    asset: &str,
    source: Option<TicketSource>,
) -> Result<(Vec<Value>, Vec<Value>)> {
    let mut q = vec![("asset_id", asset.to_owned())];
    if let Some(s) = source {
        q.push(("source", source_name(s).to_owned()));
    }
    let (mut now, mut before) = (Vec::new(), Vec::new());
    for t in fleet.api.list_all("tickets", &q).await? {
        if created_at(&t)? >= fleet.since {
            now.push(t);
        } else if !matches!(t["status"].as_str(), Some("closed" | "cancelled")) {
            before.push(t);
        }
    }
    now.sort_by_key(|t| created_at(t).ok());
    Ok((now, before))
}

/// The tickets of `asset` (of `source`, when given) opened since registration.
async fn opened(
    fleet: &Fleet<'_>,
    asset: &str,
    source: Option<TicketSource>,
) -> Result<Vec<Value>> {
    Ok(tickets(fleet, asset, source).await?.0)
}

/// `T-000003 (offline, "title") at +12.3 s`, for failure messages.
fn show(fleet: &Fleet<'_>, t: &Value) -> String {
    let at = created_at(t)
        .map(|c| format!("{:+.1} s", fleet.offset(c)))
        .unwrap_or_default();
    format!(
        "{} ({}, {}) at {at}",
        t["number"].as_str().unwrap_or("?"),
        t["source"].as_str().unwrap_or("?"),
        t["title"]
    )
}

fn show_all(fleet: &Fleet<'_>, ts: &[Value]) -> String {
    if ts.is_empty() {
        return "none".into();
    }
    ts.iter()
        .map(|t| show(fleet, t))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The ids of the rules named by `rule` (a name) and `metric`.
async fn rule_ids(
    fleet: &Fleet<'_>,
    rule: Option<&str>,
    metric: Option<&str>,
) -> Result<Vec<String>> {
    let rules = fleet.api.list_all("rules", &[]).await?;
    Ok(rules
        .iter()
        .filter(|r| rule.is_none_or(|n| r["name"] == n))
        .filter(|r| metric.is_none_or(|m| r["metric"] == m))
        .filter_map(|r| r["id"].as_str().map(str::to_owned))
        .collect())
}

/// `ticket`: exactly `count` tickets of `source` (from the named rules) for the device's
/// asset, the first opened within `within_s` of the start.
pub async fn ticket(
    fleet: &Fleet<'_>,
    device: usize,
    source: TicketSource,
    rule: Option<&str>,
    rule_metric: Option<&str>,
    count: u32,
    within_s: f64,
) -> Outcome {
    let (all, earlier) = tickets(fleet, &fleet.assets[device], Some(source)).await?;
    let named = rule.is_some() || rule_metric.is_some();
    let ids = if named {
        rule_ids(fleet, rule, rule_metric).await?
    } else {
        vec![]
    };
    if named && ids.is_empty() {
        return Ok(Err("the server has no rule by that name or metric".into()));
    }
    let from_rule = |t: &&Value| {
        !named
            || t["rule_id"]
                .as_str()
                .is_some_and(|r| ids.iter().any(|i| i == r))
    };
    let mine: Vec<Value> = all.iter().filter(from_rule).cloned().collect();
    if mine.len() != count as usize {
        let mut why = format!(
            "{} has {} such ticket(s): {}; all its {} tickets: {}",
            fleet.device(device),
            mine.len(),
            show_all(fleet, &mine),
            source_name(source),
            show_all(fleet, &all)
        );
        if !earlier.is_empty() {
            why.push_str(&format!(
                " (still open from before this run, taking new breaches as occurrences: {})",
                show_all(fleet, &earlier)
            ));
        }
        return Ok(Err(why));
    }
    let first = created_at(&mine[0])?;
    let seen = format!("{}: {}", fleet.device(device), show_all(fleet, &mine));
    Ok(if fleet.offset(first) > within_s {
        Err(format!("opened late: {seen}"))
    } else {
        Ok(seen)
    })
}

/// `no_ticket`: nothing (of `source`) opened for the device's asset, or any fleet asset.
pub async fn no_ticket(
    fleet: &Fleet<'_>,
    device: Option<usize>,
    source: Option<TicketSource>,
) -> Outcome {
    let devices: Vec<usize> = match device {
        Some(d) => vec![d],
        None => (0..fleet.assets.len()).collect(),
    };
    let checked = devices.len();
    let mut found = Vec::new();
    for d in devices {
        for t in opened(fleet, &fleet.assets[d], source).await? {
            found.push(format!("{}: {}", fleet.device(d), show(fleet, &t)));
        }
    }
    Ok(if found.is_empty() {
        Ok(format!("nothing opened for {} asset(s)", checked))
    } else {
        Err(format!("opened: {}", found.join("; ")))
    })
}
