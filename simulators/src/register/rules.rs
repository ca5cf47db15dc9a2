//! The scenario's rules through `POST /api/v1/rules`, in the server's vocabulary: a
//! range (`outside`/`inside`) sends `low`/`high`, a clear threshold becomes the
//! `hysteresis`, durations (and the allowed lateness) are whole seconds, `silent_s`/`on_offline` are the server's
//! `silence_s`/`offline_status`. Existing rules are found by name and left alone.

use anyhow::Result;
use reqwest::StatusCode;
use serde_json::{json, Map, Value};

use super::api::{self, Api};
use super::Registered;
use crate::scenario::rule::{RuleKind, RuleScope, RuleSpec};
use crate::scenario::Scenario;

/// The request body for one rule, given the model or asset it covers.
pub fn body(r: &RuleSpec, model_id: Option<&str>, asset_id: Option<&str>) -> Value {
    let mut b = Map::new();
    b.insert("name".into(), json!(r.name));
    match r.scope {
        RuleScope::Model => b.insert("model_id".into(), json!(model_id)),
        RuleScope::Asset => b.insert("asset_id".into(), json!(asset_id)),
    };
    match r.kind {
        RuleKind::Threshold => {
            b.insert("kind".into(), json!("threshold"));
            b.insert("metric".into(), json!(r.metric));
            b.insert("condition".into(), json!(r.condition));
            let range = matches!(r.condition.as_deref(), Some("outside" | "inside"));
            if range {
                b.insert("low".into(), json!(r.threshold));
                b.insert("high".into(), json!(r.threshold_high));
            } else {
                b.insert("threshold".into(), json!(r.threshold));
            }
            b.insert("duration_s".into(), json!(r.duration_s.round() as i64));
            if let (Some(clear), Some(t), false) = (r.clear_threshold, r.threshold, range) {
                b.insert("hysteresis".into(), json!((t - clear).abs()));
            }
            if let Some(l) = r.allowed_lateness_s {
                b.insert("allowed_lateness_s".into(), json!(l.round() as i64));
            }
        }
        RuleKind::NoData => {
            b.insert("kind".into(), json!("no_data"));
            if let Some(s) = r.silent_s {
                b.insert("silence_s".into(), json!(s.round() as i64));
            }
            b.insert("offline_status".into(), json!(r.on_offline));
        }
    }
    if let Some(s) = &r.severity {
        b.insert("severity".into(), json!(s));
    }
    if let Some(t) = &r.title {
        b.insert("title_template".into(), json!(t));
    }
    if let Some(s) = &r.asset_status {
        b.insert("asset_status".into(), json!(s));
    }
    Value::Object(b)
}

/// Creates the scenario's rules that do not exist yet; how many it created.
pub async fn ensure(api: &Api, s: &Scenario, reg: &Registered) -> Result<usize> {
    if s.rules.is_empty() {
        return Ok(0);
    }
    let existing = api.list_all("rules", &[]).await?;
    let mut created = 0;
    for r in &s.rules {
        if existing.iter().any(|e| e["name"] == r.name.as_str()) {
            continue;
        }
        let model = r
            .profile
            .as_deref()
            .and_then(|p| reg.models.get(p))
            .map(String::as_str);
        let asset = r.device.and_then(|d| reg.assets.get(d)).map(String::as_str);
        api.post("rules", &body(r, model, asset)).await?;
        created += 1;
    }
    Ok(created)
}

/// True when the server has no rules endpoint (yet).
pub fn is_missing_endpoint(e: &anyhow::Error) -> bool {
    matches!(
        api::status_of(e),
        Some(StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(toml_text: &str) -> RuleSpec {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn threshold_rule_on_a_model_carries_condition_duration_and_hysteresis() {
        let r = rule(
            r#"name = "Hot"
               profile = "compressor"
               metric = "temperature_c"
               condition = ">"
               threshold = 95.0
               duration_s = 10
               clear_threshold = 90.0
               allowed_lateness_s = 5
               severity = "critical"
               asset_status = "degraded"
               title = "{asset} too hot""#,
        );
        let b = body(&r, Some("m-1"), None);
        assert_eq!(
            b,
            json!({"name": "Hot", "model_id": "m-1", "kind": "threshold", "metric": "temperature_c",
                   "condition": ">", "threshold": 95.0, "duration_s": 10, "hysteresis": 5.0, "allowed_lateness_s": 5,
                   "severity": "critical", "title_template": "{asset} too hot", "asset_status": "degraded"})
        );
    }

    #[test]
    fn no_data_rule_on_an_asset_carries_silence_and_offline() {
        let r = rule(
            r#"name = "Quiet"
               kind = "no_data"
               scope = "asset"
               device = 2
               silent_s = 20"#,
        );
        let b = body(&r, None, Some("a-2"));
        assert_eq!(
            b,
            json!({"name": "Quiet", "asset_id": "a-2", "kind": "no_data", "silence_s": 20, "offline_status": true})
        );
    }

    #[test]
    fn range_rules_send_both_bounds() {
        let r = rule(
            r#"name = "Pressure band"
               profile = "pump"
               metric = "pressure_bar"
               condition = "outside"
               threshold = 3.0
               threshold_high = 5.0"#,
        );
        let b = body(&r, Some("m"), None);
        assert_eq!(
            (b["low"].clone(), b["high"].clone(), b.get("threshold")),
            (json!(3.0), json!(5.0), None)
        );
    }
}
