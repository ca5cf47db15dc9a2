//! Rule records and the request bodies that create and change them, with their
//! validation (every bad field reported at once, named). Queries live in `store`.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::condition::{Condition, Operator};
use super::engine::Params;
use super::template;
use crate::error::AppResult;
use crate::ids::{AssetId, ModelId, RuleId};
use crate::schema::rules;
use crate::tickets::Priority;
use crate::validate::{is_identifier, nullable, Errors};

/// The longest duration a condition may be required to hold: 7 days.
pub const MAX_DURATION_S: i32 = 7 * 24 * 3600;
/// The most a reading may be late: one hour.
pub const MAX_LATENESS_S: i32 = 3600;
/// The default allowed lateness (DESIGN.md).
pub const DEFAULT_LATENESS_S: i32 = 30;
/// The shortest and longest silence a "no data" rule may wait for.
pub const SILENCE_RANGE_S: std::ops::RangeInclusive<i32> = 10..=30 * 24 * 3600;
/// Bounds and hysteresis stay within this magnitude.
const MAX_MAGNITUDE: f64 = 1e15;

crate::text_enum! {
    /// What a rule watches.
    pub enum RuleKind {
        /// A metric against a condition: opens `threshold` tickets.
        Threshold = "threshold",
        /// Devices that fall silent or report `offline`: opens `offline` tickets.
        NoData = "no_data",
    }
}

crate::text_enum! {
    /// The asset status a breached rule sets (restored to `operational` when it clears).
    pub enum FollowStatus {
        Degraded = "degraded",
        Down = "down",
    }
}

/// A threshold or "no data" rule.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = rules, check_for_backend(diesel::pg::Pg))]
pub struct Rule {
    pub id: RuleId,
    #[schema(example = "Filler overheating")]
    pub name: String,
    pub kind: RuleKind,
    /// The one asset the rule watches (or `model_id`).
    pub asset_id: Option<AssetId>,
    /// Every asset of this model, including assets added later (or `asset_id`).
    pub model_id: Option<ModelId>,
    /// Threshold rules: the metric watched.
    #[schema(example = "temperature_c")]
    pub metric: Option<String>,
    /// Threshold rules: how the value is compared.
    #[diesel(column_name = operator)]
    #[schema(value_type = Option<Operator>)]
    pub condition: Option<Operator>,
    /// For `>`, `>=`, `<`, `<=`.
    #[schema(example = 80.0)]
    pub threshold: Option<f64>,
    /// For `outside` and `inside`: the range `[low, high]`.
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// A breach clears only once the value is past the condition by this much.
    #[schema(example = 5.0)]
    pub hysteresis: f64,
    /// Seconds of device time the condition must hold (0: the first breaching reading).
    #[schema(example = 60)]
    pub duration_s: i32,
    /// How far (seconds) behind the newest reading a reading may arrive and still count.
    #[schema(example = 30)]
    pub allowed_lateness_s: i32,
    /// "No data" rules: a device silent this many seconds is a breach.
    pub silence_s: Option<i32>,
    /// "No data" rules: a device reporting `offline` (its Last Will) is a breach.
    pub offline_status: bool,
    /// The priority of the tickets the rule opens.
    pub severity: Priority,
    /// The title of the tickets it opens, with `{placeholders}`.
    #[schema(example = "{asset}: {metric} {value} {condition}")]
    pub title_template: String,
    /// The asset status a breach sets (restored to `operational` when it clears).
    pub asset_status: Option<FollowStatus>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

impl Rule {
    /// The state machine's parameters (threshold rules; `None` for "no data").
    pub fn params(&self) -> Option<Params> {
        let condition = Condition::new(self.condition?, self.threshold, self.low, self.high)?;
        Some(Params {
            condition,
            hysteresis: self.hysteresis,
            duration: Duration::seconds(self.duration_s.into()),
            lateness: Duration::seconds(self.allowed_lateness_s.into()),
        })
    }
}

/// A new rule. A threshold rule needs `metric`, `condition` and its bounds; a "no data"
/// rule needs `silence_s` and/or `offline_status`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Filler overheating", "model_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
    "metric": "temperature_c", "condition": ">", "threshold": 80, "hysteresis": 5, "duration_s": 60,
    "severity": "urgent", "title_template": "{asset}: {metric} {value} {condition}", "asset_status": "degraded"}))]
pub struct NewRule {
    pub name: String,
    /// Defaults to `threshold`.
    #[serde(default)]
    pub kind: Option<RuleKind>,
    /// One asset, or
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// every asset of a model (assets added later included).
    #[serde(default)]
    pub model_id: Option<ModelId>,
    /// `[A-Za-z0-9_.:-]{1,64}`.
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub condition: Option<Operator>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub low: Option<f64>,
    #[serde(default)]
    pub high: Option<f64>,
    /// Defaults to 0; for `outside`, at most half the range.
    #[serde(default)]
    #[schema(minimum = 0)]
    pub hysteresis: Option<f64>,
    /// Defaults to 0 (at most 604800, 7 days).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 604800)]
    pub duration_s: Option<i32>,
    /// Defaults to 30 (at most 3600).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 3600)]
    pub allowed_lateness_s: Option<i32>,
    /// 10 to 2592000 (30 days).
    #[serde(default)]
    #[schema(minimum = 10, maximum = 2592000)]
    pub silence_s: Option<i32>,
    /// "No data" rules; defaults to `true` for them.
    #[serde(default)]
    pub offline_status: Option<bool>,
    /// Defaults to `normal`.
    #[serde(default)]
    pub severity: Option<Priority>,
    /// Defaults to `{asset}: {metric} {value} {condition}` (threshold) or
    /// `{asset}: device {device} {reason}` (no data). Placeholders: `{rule}`, `{asset}`,
    /// `{serial}`, `{ts}`, and `{metric}`, `{value}`, `{condition}` (threshold) or
    /// `{device}`, `{reason}` (no data); `{{` and `}}` are literal braces.
    #[serde(default)]
    pub title_template: Option<String>,
    #[serde(default)]
    pub asset_status: Option<FollowStatus>,
    /// Defaults to `true`.
    #[serde(default)]
    pub active: Option<bool>,
}

/// Changes to a rule: absent fields stay; `null` clears a nullable one. The kind, scope
/// and metric are fixed (create another rule instead). Changing `condition` between a
/// threshold and a range drops the bounds the new one does not use.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"threshold": 85, "duration_s": 120, "version": 1}))]
pub struct RulePatch {
    pub name: Option<String>,
    pub condition: Option<Operator>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub threshold: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub low: Option<Option<f64>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<f64>)]
    pub high: Option<Option<f64>>,
    pub hysteresis: Option<f64>,
    pub duration_s: Option<i32>,
    pub allowed_lateness_s: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub silence_s: Option<Option<i32>>,
    pub offline_status: Option<bool>,
    pub severity: Option<Priority>,
    pub title_template: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<FollowStatus>)]
    pub asset_status: Option<Option<FollowStatus>>,
    pub active: Option<bool>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated rule, ready to write.
#[derive(Debug, Clone, PartialEq, Insertable, AsChangeset)]
#[diesel(table_name = rules, treat_none_as_null = true)]
pub struct RuleRow {
    pub name: String,
    pub kind: RuleKind,
    pub asset_id: Option<AssetId>,
    pub model_id: Option<ModelId>,
    pub metric: Option<String>,
    pub operator: Option<Operator>,
    pub threshold: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub hysteresis: f64,
    pub duration_s: i32,
    pub allowed_lateness_s: i32,
    pub silence_s: Option<i32>,
    pub offline_status: bool,
    pub severity: Priority,
    pub title_template: String,
    pub asset_status: Option<FollowStatus>,
    pub active: bool,
}

impl RuleRow {
    /// Validate a complete rule: `NewRule` with its defaults, or a rule with a patch
    /// applied. Fields the kind does not use must be absent.
    pub fn validate(d: &NewRule) -> AppResult<Self> {
        let mut e = Errors::new();
        let name = e.text("name", &d.name, 200);
        let kind = d.kind.unwrap_or(RuleKind::Threshold);
        match (d.asset_id, d.model_id) {
            (Some(_), Some(_)) => e.add("model_id", "give asset_id or model_id, not both"),
            (None, None) => e.add(
                "asset_id",
                "give the scope: asset_id (one asset) or model_id (every asset of a model)",
            ),
            _ => {}
        }
        let finite = |e: &mut Errors, field: &str, v: Option<f64>| {
            if v.is_some_and(|v| !v.is_finite() || v.abs() > MAX_MAGNITUDE) {
                e.add(
                    field,
                    format!("must be a number of magnitude at most {MAX_MAGNITUDE:e}"),
                );
            }
        };
        finite(&mut e, "threshold", d.threshold);
        finite(&mut e, "low", d.low);
        finite(&mut e, "high", d.high);
        finite(&mut e, "hysteresis", d.hysteresis);
        let hysteresis = d.hysteresis.unwrap_or(0.0);
        if hysteresis < 0.0 {
            e.add("hysteresis", "must not be negative");
        }
        let duration_s = d.duration_s.unwrap_or(0);
        if !(0..=MAX_DURATION_S).contains(&duration_s) {
            e.add(
                "duration_s",
                format!("must be 0 to {MAX_DURATION_S} seconds"),
            );
        }
        let lateness = d.allowed_lateness_s.unwrap_or(DEFAULT_LATENESS_S);
        if !(0..=MAX_LATENESS_S).contains(&lateness) {
            e.add(
                "allowed_lateness_s",
                format!("must be 0 to {MAX_LATENESS_S} seconds"),
            );
        }
        let unused = |e: &mut Errors, field: &str, given: bool| {
            if given {
                e.add(field, format!("is not used by a {kind} rule"));
            }
        };
        let mut offline_status = false;
        let mut metric = None;
        match kind {
            RuleKind::Threshold => {
                match d.metric.as_deref() {
                    None => e.add("metric", "a threshold rule needs the metric it watches"),
                    Some(m) if !is_identifier(m) => {
                        e.add("metric", "must match [A-Za-z0-9_.:-]{1,64}")
                    }
                    Some(m) => metric = Some(m.to_owned()),
                }
                match d.condition {
                    None => e.add(
                        "condition",
                        "a threshold rule needs a condition: >, >=, <, <=, outside or inside",
                    ),
                    Some(op) if op.is_range() => {
                        unused(&mut e, "threshold", d.threshold.is_some());
                        match (d.low, d.high) {
                            (Some(low), Some(high)) if low >= high => {
                                e.add("high", format!("must be above low ({low})"))
                            }
                            (Some(low), Some(high))
                                if op == Operator::Outside && 2.0 * hysteresis > high - low =>
                            {
                                e.add(
                                    "hysteresis",
                                    format!(
                                        "must be at most half the range ({}), or a breach could never clear",
                                        (high - low) / 2.0
                                    ),
                                )
                            }
                            (low, high) => {
                                if low.is_none() {
                                    e.add("low", format!("`{op}` needs low and high"));
                                }
                                if high.is_none() {
                                    e.add("high", format!("`{op}` needs low and high"));
                                }
                            }
                        }
                    }
                    Some(op) => {
                        unused(&mut e, "low", d.low.is_some());
                        unused(&mut e, "high", d.high.is_some());
                        if d.threshold.is_none() {
                            e.add("threshold", format!("`{op}` needs a threshold"));
                        }
                    }
                }
                unused(&mut e, "silence_s", d.silence_s.is_some());
                if d.offline_status == Some(true) {
                    e.add("offline_status", "is not used by a threshold rule");
                }
            }
            RuleKind::NoData => {
                unused(&mut e, "metric", d.metric.is_some());
                unused(&mut e, "condition", d.condition.is_some());
                unused(&mut e, "threshold", d.threshold.is_some());
                unused(&mut e, "low", d.low.is_some());
                unused(&mut e, "high", d.high.is_some());
                unused(&mut e, "hysteresis", hysteresis != 0.0);
                unused(&mut e, "duration_s", duration_s != 0);
                unused(&mut e, "allowed_lateness_s", d.allowed_lateness_s.is_some());
                if let Some(s) = d.silence_s {
                    if !SILENCE_RANGE_S.contains(&s) {
                        e.add(
                            "silence_s",
                            format!(
                                "must be {} to {} seconds",
                                SILENCE_RANGE_S.start(),
                                SILENCE_RANGE_S.end()
                            ),
                        );
                    }
                }
                offline_status = d.offline_status.unwrap_or(true);
                if d.silence_s.is_none() && !offline_status {
                    e.add(
                        "silence_s",
                        "a no_data rule watches silence (silence_s), offline status, or both",
                    );
                }
            }
        }
        let title_template = match d.title_template.as_deref() {
            None => template::default_template(kind).to_owned(),
            Some(t) => {
                let t = e.text("title_template", t, 300);
                if let Err(why) = template::check(kind, &t) {
                    e.add("title_template", why);
                }
                t
            }
        };
        e.finish()?;
        let is_threshold = kind == RuleKind::Threshold;
        Ok(Self {
            name,
            kind,
            asset_id: d.asset_id,
            model_id: d.model_id,
            metric,
            operator: d.condition,
            threshold: d.threshold,
            low: d.low,
            high: d.high,
            hysteresis,
            duration_s,
            allowed_lateness_s: if is_threshold {
                lateness
            } else {
                DEFAULT_LATENESS_S
            },
            silence_s: d.silence_s,
            offline_status,
            severity: d.severity.unwrap_or(Priority::Normal),
            title_template,
            asset_status: d.asset_status,
            active: d.active.unwrap_or(true),
        })
    }

    /// The current rule with `patch` applied, validated.
    pub fn patched(current: &Rule, p: &RulePatch) -> AppResult<Self> {
        let threshold = current.kind == RuleKind::Threshold;
        let op = p.condition.or(current.condition);
        // a new operator keeps only the bounds it uses, unless the patch names them
        let fits = |range: bool| op.is_some_and(|o| o.is_range() == range);
        let bound = |given: Option<Option<f64>>, stored: Option<f64>, range: bool| match given {
            Some(v) => v,
            None if fits(range) => stored,
            None => None,
        };
        let draft = NewRule {
            name: p.name.clone().unwrap_or_else(|| current.name.clone()),
            kind: Some(current.kind),
            asset_id: current.asset_id,
            model_id: current.model_id,
            metric: current.metric.clone(),
            condition: op,
            threshold: bound(p.threshold, current.threshold, false),
            low: bound(p.low, current.low, true),
            high: bound(p.high, current.high, true),
            hysteresis: p.hysteresis.or(threshold.then_some(current.hysteresis)),
            duration_s: p.duration_s.or(threshold.then_some(current.duration_s)),
            allowed_lateness_s: p
                .allowed_lateness_s
                .or(threshold.then_some(current.allowed_lateness_s)),
            silence_s: match p.silence_s {
                Some(v) => v,
                None => current.silence_s,
            },
            offline_status: p
                .offline_status
                .or((!threshold).then_some(current.offline_status)),
            severity: Some(p.severity.unwrap_or(current.severity)),
            title_template: Some(
                p.title_template
                    .clone()
                    .unwrap_or_else(|| current.title_template.clone()),
            ),
            asset_status: match p.asset_status {
                Some(v) => v,
                None => current.asset_status,
            },
            active: Some(p.active.unwrap_or(current.active)),
        };
        Self::validate(&draft)
    }
}

#[cfg(test)]
mod tests;
