//! `[[rule]]` entries: the threshold and "no data" rules a scenario needs, as written
//! in the file. Turning one into a request body for `/api/v1/rules` is
//! `register::rules`' job, so only that module follows the server's API.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A metric crosses a threshold for `duration_s` seconds of device time.
    #[default]
    Threshold,
    /// A device silent for `silent_s` seconds, or whose status says `offline`.
    NoData,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleScope {
    /// Every asset of the equipment model of `profile`.
    #[default]
    Model,
    /// The asset of fleet device `device`.
    Asset,
}

/// The conditions DESIGN.md lists.
pub const CONDITIONS: &[&str] = &[">", ">=", "<", "<=", "outside", "inside"];

/// Severities: the priority of the tickets the rule opens.
pub const SEVERITIES: &[&str] = &["normal", "urgent", "critical"];

fn true_() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Unique within the scenario; registration finds an existing rule by this name.
    pub name: String,
    #[serde(default)]
    pub kind: RuleKind,
    #[serde(default)]
    pub scope: RuleScope,
    /// For `scope = "model"`: the profile whose equipment model the rule covers.
    #[serde(default)]
    pub profile: Option<String>,
    /// For `scope = "asset"`: the fleet device whose asset the rule covers.
    #[serde(default)]
    pub device: Option<usize>,
    #[serde(default)]
    pub metric: Option<String>,
    /// `>`, `>=`, `<`, `<=`, `outside` or `inside` (the last two use `threshold_high`).
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub threshold: Option<f64>,
    #[serde(default)]
    pub threshold_high: Option<f64>,
    /// How long the condition must hold, in seconds of device time.
    #[serde(default)]
    pub duration_s: f64,
    /// The value at which the condition clears (hysteresis).
    #[serde(default)]
    pub clear_threshold: Option<f64>,
    /// How far behind the newest reading (device time) a reading may arrive and still
    /// count; the server's default (30 s) when absent. A breach is decided this long
    /// after its reading, so short scenarios set a few seconds.
    #[serde(default)]
    pub allowed_lateness_s: Option<f64>,
    /// `no_data`: silent this many seconds.
    #[serde(default)]
    pub silent_s: Option<f64>,
    /// `no_data`: a status `offline` (Last Will included) also breaches.
    #[serde(default = "true_")]
    pub on_offline: bool,
    #[serde(default)]
    pub severity: Option<String>,
    /// Ticket title; the server fills `{asset}`, `{metric}`, `{value}`.
    #[serde(default)]
    pub title: Option<String>,
    /// `degraded` or `down`: the asset's status follows the breach.
    #[serde(default)]
    pub asset_status: Option<String>,
}

impl RuleSpec {
    /// Whether this rule watches fleet device `index` (of the given profile).
    pub fn covers(&self, index: usize, profile: &str) -> bool {
        match self.scope {
            RuleScope::Model => self.profile.as_deref() == Some(profile),
            RuleScope::Asset => self.device == Some(index),
        }
    }
}
