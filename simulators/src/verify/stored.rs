//! `stored_once`: every reading the device published that the contract accepts is
//! stored exactly once with its value, and nothing it did not publish is (`GET
//! /api/v1/telemetry` per metric over the published time range). What was published
//! comes from the run's record file; which readings the server accepts follows the
//! MQTT contract (a message object with a `values` object, finite numbers or booleans,
//! `ts` inside [sent − retention, sent + clock skew], payloads up to 256 KiB). Readings
//! within a few seconds of the window's edges are left out of the comparison: the
//! server's receive time is a moment after the send time.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use anyhow::{anyhow, Result};
use chrono::{DateTime, Duration, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

use super::{Fleet, Outcome};
use crate::payload::MAX_PAYLOAD_BYTES;
use crate::record::Record;

/// The server's acceptance window (its defaults: 30 days of retention, 5 minutes of
/// clock skew).
#[derive(Debug, Clone, Copy)]
pub struct Acceptance {
    pub retention: Duration,
    pub skew: Duration,
}

impl Default for Acceptance {
    fn default() -> Self {
        Self {
            retention: Duration::days(30),
            skew: Duration::seconds(300),
        }
    }
}

/// Readings by (metric, ts).
pub type Readings = BTreeMap<(String, DateTime<Utc>), f64>;

/// What a device published, sorted by what the server should do with it.
#[derive(Debug, Default, PartialEq)]
pub struct Published {
    /// Stored, exactly once.
    pub accepted: Readings,
    /// Dead-lettered (a `ts` outside the window).
    pub refused: Readings,
    /// Too close to the window's edge to tell.
    pub edge: Readings,
}

fn ts_of(v: Option<&Value>) -> Option<DateTime<Utc>> {
    match v? {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        Value::Number(n) => Utc.timestamp_millis_opt(n.as_i64()?).single(),
        _ => None,
    }
}

/// The readings of one message, if it is a message of the contract with a `ts`
/// (without one the server uses its receive time, which the record does not know).
fn message(m: &Value) -> Vec<(String, DateTime<Utc>, f64)> {
    let (Some(ts), Some(values)) = (
        ts_of(m.get("ts")),
        m.get("values").and_then(Value::as_object),
    ) else {
        return vec![];
    };
    if m.get("seq")
        .is_some_and(|s| !s.is_null() && s.as_u64().is_none())
    {
        return vec![];
    }
    values
        .iter()
        .filter(|(metric, _)| crate::ids::is_valid_name(metric))
        .filter_map(|(metric, v)| {
            let x = match v {
                Value::Number(n) => n.as_f64().filter(|f| f.is_finite())?,
                Value::Bool(b) => f64::from(u8::from(*b)),
                _ => return None,
            };
            Some((metric.clone(), ts, x))
        })
        .collect()
}

/// Sorts the readings `device_id` published (per `records`) by the server's window.
pub fn published(records: &[Record], device_id: &str, acc: &Acceptance) -> Published {
    let near = Duration::seconds(5);
    let mut out = Published::default();
    for r in records.iter().filter(|r| r.device_id == device_id) {
        // not UTF-8 (replaced when recorded) or too large: refused whole
        if r.payload.len() > MAX_PAYLOAD_BYTES || r.payload.contains('\u{FFFD}') {
            continue;
        }
        let Ok(doc) = serde_json::from_str::<Value>(&r.payload) else {
            continue;
        };
        let messages = match &doc {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for (metric, ts, v) in messages.into_iter().flat_map(message) {
            let bin = match r.sent_at {
                None => &mut out.accepted,
                Some(sent) => {
                    let (earliest, latest) = (sent - acc.retention, sent + acc.skew);
                    if ts > latest + near || ts < earliest - near {
                        &mut out.refused
                    } else if ts > latest || ts < earliest + near * 12 {
                        &mut out.edge
                    } else {
                        &mut out.accepted
                    }
                }
            };
            bin.entry((metric, ts)).or_insert(v);
        }
    }
    out
}

/// What the stored readings show against the published ones.
#[derive(Debug, Default, PartialEq)]
pub struct Diff {
    pub missing: Vec<(String, DateTime<Utc>)>,
    pub twice: Vec<(String, DateTime<Utc>)>,
    /// (metric, ts, published, stored)
    pub differs: Vec<(String, DateTime<Utc>, f64, f64)>,
    pub unpublished: Vec<(String, DateTime<Utc>)>,
    pub refused_but_stored: Vec<(String, DateTime<Utc>)>,
}

/// Compares `stored` (every value stored per (metric, ts), over the published range of
/// each metric) with what was published. Pure.
pub fn compare(p: &Published, stored: &BTreeMap<(String, DateTime<Utc>), Vec<f64>>) -> Diff {
    let mut d = Diff::default();
    for (key, v) in &p.accepted {
        match stored.get(key).map(Vec::as_slice) {
            None | Some([]) => d.missing.push(key.clone()),
            Some([s]) if s != v => d.differs.push((key.0.clone(), key.1, *v, *s)),
            Some([_]) => {}
            Some(_) => d.twice.push(key.clone()),
        }
    }
    for key in stored.keys() {
        if p.refused.contains_key(key) {
            d.refused_but_stored.push(key.clone());
        } else if !p.accepted.contains_key(key) && !p.edge.contains_key(key) {
            d.unpublished.push(key.clone());
        }
    }
    d
}

fn some(keys: &[(String, DateTime<Utc>)]) -> String {
    let shown: Vec<String> = keys
        .iter()
        .take(3)
        .map(|(m, t)| format!("{m} at {}", t.to_rfc3339_opts(SecondsFormat::Millis, true)))
        .collect();
    format!("{} (e.g. {})", keys.len(), shown.join(", "))
}

impl Diff {
    /// `None` when every accepted reading is stored once and nothing else is.
    pub fn problem(&self, accepted: usize) -> Option<String> {
        let mut parts = Vec::new();
        if !self.missing.is_empty() {
            parts.push(format!("missing {} of {accepted}", some(&self.missing)));
        }
        if !self.twice.is_empty() {
            parts.push(format!("stored more than once {}", some(&self.twice)));
        }
        if let Some((m, t, p, s)) = self.differs.first() {
            parts.push(format!(
                "{} stored with another value (e.g. {m} at {t}: published {p}, stored {s})",
                self.differs.len()
            ));
        }
        if !self.unpublished.is_empty() {
            parts.push(format!(
                "never published but stored {}",
                some(&self.unpublished)
            ));
        }
        if !self.refused_but_stored.is_empty() {
            parts.push(format!(
                "outside the accepted window but stored {}",
                some(&self.refused_but_stored)
            ));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// Every stored value of `device_id`'s `metric` in [from, to), per ts.
async fn stored_metric(
    fleet: &Fleet<'_>,
    device_id: &str,
    metric: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    into: &mut BTreeMap<(String, DateTime<Utc>), Vec<f64>>,
) -> Result<()> {
    let mut cursor: Option<String> = None;
    loop {
        let mut q = vec![
            ("device", device_id.to_owned()),
            ("metric", metric.to_owned()),
            ("from", from.to_rfc3339_opts(SecondsFormat::Micros, true)),
            ("to", to.to_rfc3339_opts(SecondsFormat::Micros, true)),
            ("limit", "10000".to_owned()),
        ];
        if let Some(c) = &cursor {
            q.push(("cursor", c.clone()));
        }
        let page = fleet.api.get_query("telemetry", &q).await?;
        let points = page["points"]
            .as_array()
            .ok_or_else(|| anyhow!("telemetry without points: {page}"))?;
        for p in points {
            let ts = ts_of(p.get("ts")).ok_or_else(|| anyhow!("a point without ts: {p}"))?;
            let v = p["value"]
                .as_f64()
                .ok_or_else(|| anyhow!("a raw point without value: {p}"))?;
            into.entry((metric.to_owned(), ts)).or_default().push(v);
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return Ok(()),
        }
    }
}

/// Every stored value over each published metric's time range.
async fn stored(
    fleet: &Fleet<'_>,
    device_id: &str,
    p: &Published,
) -> Result<BTreeMap<(String, DateTime<Utc>), Vec<f64>>> {
    let mut ranges: BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
    for (metric, ts) in p.accepted.keys() {
        let r = ranges.entry(metric).or_insert((*ts, *ts));
        r.0 = r.0.min(*ts);
        r.1 = r.1.max(*ts);
    }
    let mut out = BTreeMap::new();
    for (metric, (from, to)) in ranges {
        let to = to + Duration::milliseconds(1);
        stored_metric(fleet, device_id, metric, from, to, &mut out).await?;
    }
    Ok(out)
}

/// `stored_once` for fleet device `device`, waiting up to `settle` for ingest to catch
/// up with the last readings.
pub async fn check(
    fleet: &Fleet<'_>,
    device: usize,
    records: &[Record],
    settle: StdDuration,
) -> Outcome {
    let id = &fleet.device_ids[device];
    let p = published(records, id, &Acceptance::default());
    if p.accepted.is_empty() {
        return Ok(Err(format!(
            "{} published no reading the server accepts: nothing to compare",
            fleet.device(device)
        )));
    }
    let deadline = tokio::time::Instant::now() + settle;
    loop {
        let diff = compare(&p, &stored(fleet, id, &p).await?);
        let waiting = !diff.missing.is_empty() && tokio::time::Instant::now() < deadline;
        if !waiting {
            return Ok(match diff.problem(p.accepted.len()) {
                Some(why) => Err(format!("{}: {why}", fleet.device(device))),
                None => Ok(format!(
                    "{}: {} readings stored once each ({} published outside the window)",
                    fleet.device(device),
                    p.accepted.len(),
                    p.refused.len()
                )),
            });
        }
        tokio::time::sleep(StdDuration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests;
