//! Checks a parsed scenario as a whole: fleet, ids, fault windows and fields, rules and
//! expectations that refer to each other. Every problem is reported, not just the first.

use std::collections::HashSet;

use super::expect::{Expectation, TicketSource, DEAD_LETTER_REASONS};
use super::rule::{RuleKind, RuleScope, RuleSpec, CONDITIONS, SEVERITIES};
use super::Scenario;
use crate::fault::{FaultKind, SilenceHow};
use crate::ids::{self, IdParts};
use crate::profile::{self, Profile};

/// The largest fleet a scenario may declare.
pub const MAX_DEVICES: usize = 1_000_000;

/// The server's limit for a rule's allowed lateness, in seconds.
const MAX_LATENESS_S: f64 = 3600.0;

pub fn problems(s: &Scenario) -> Vec<String> {
    let mut p = Vec::new();
    fleet(s, &mut p);
    let total = s.device_count();
    let profiles: Vec<Option<&'static Profile>> = (0..total)
        .map(|i| s.group_of(i).and_then(|g| profile::find(&g.profile)))
        .collect();
    faults(s, &profiles, &mut p);
    rules(s, &profiles, &mut p);
    expectations(s, &profiles, &mut p);
    p
}

fn fleet(s: &Scenario, p: &mut Vec<String>) {
    if !ids::is_valid_name(&s.name) {
        p.push(format!("name `{}` must be 1-64 of [A-Za-z0-9_.:-]", s.name));
    }
    if !(s.run_s > 0.0 && s.run_s <= 86_400.0) {
        p.push(format!("run_s {} must be in (0, 86400]", s.run_s));
    }
    if !(10..=3_600_000).contains(&s.interval_ms) {
        p.push(format!(
            "interval_ms {} must be 10 to 3600000",
            s.interval_ms
        ));
    }
    if !(1..=1000).contains(&s.batch) {
        p.push(format!("batch {} must be 1 to 1000", s.batch));
    }
    if s.extra_metrics > crate::profile::AUX_METRICS.len() {
        p.push(format!(
            "extra_metrics {} must be at most {}",
            s.extra_metrics,
            crate::profile::AUX_METRICS.len()
        ));
    }
    if s.groups.is_empty() {
        p.push("at least one [[group]] is needed".into());
    }
    for (i, g) in s.groups.iter().enumerate() {
        if profile::find(&g.profile).is_none() {
            p.push(format!(
                "group {i}: unknown profile `{}` (one of {})",
                g.profile,
                profile::keys().join(", ")
            ));
        }
        if g.count == 0 {
            p.push(format!("group {i}: count must be at least 1"));
        }
        if !(-12.0..=14.0).contains(&g.utc_offset_h) {
            p.push(format!("group {i}: utc_offset_h must be in [-12, 14]"));
        }
    }
    let total = s.device_count();
    if total > MAX_DEVICES {
        p.push(format!("{total} devices: at most {MAX_DEVICES}"));
        return;
    }
    let mut seen = HashSet::new();
    for n in 0..total {
        let parts = IdParts {
            n,
            scenario: &s.name,
            profile: s.group_of(n).map(|g| g.profile.as_str()).unwrap_or(""),
            seed: 0,
        };
        match ids::expand(&s.id_pattern, parts) {
            Ok(id) if !seen.insert(id.clone()) => {
                p.push(format!("id_pattern gives `{id}` twice: include {{n}}"));
                return;
            }
            Ok(_) => {}
            Err(e) => {
                p.push(e.to_string());
                return;
            }
        }
    }
}

fn faults(s: &Scenario, profiles: &[Option<&'static Profile>], p: &mut Vec<String>) {
    let total = profiles.len();
    for (i, f) in s.faults.iter().enumerate() {
        let at = format!("fault {i} ({})", f.fault.kind.name());
        let devices = match f.devices.resolve(total) {
            Ok(d) => d,
            Err(e) => {
                p.push(format!("{at}: {e}"));
                continue;
            }
        };
        let (start, duration) = (f.fault.at_s, f.fault.duration_s);
        if !(start >= 0.0 && start < s.run_s) {
            p.push(format!("{at}: at_s {start} must be in [0, run_s)"));
        }
        match duration {
            Some(_) if f.fault.kind.is_one_shot() => p.push(format!(
                "{at}: happens once at at_s and takes no duration_s"
            )),
            Some(d) if !positive(d) => p.push(format!("{at}: duration_s must be positive")),
            _ => {}
        }
        if let Some(metric) = f.fault.kind.metric() {
            for d in &devices {
                if let Some(prof) = profiles[*d] {
                    if !prof.has_metric(metric) {
                        p.push(format!(
                            "{at}: device {d} ({}) has no metric `{metric}`",
                            prof.key
                        ));
                        break;
                    }
                }
            }
        }
        kind_fields(&f.fault.kind, &at, p);
    }
}

fn positive(x: f64) -> bool {
    x > 0.0 && x.is_finite()
}

fn kind_fields(kind: &FaultKind, at: &str, p: &mut Vec<String>) {
    let problem = match kind {
        FaultKind::Overheat {
            rise_per_min,
            max_rise,
            ..
        } if !(positive(*rise_per_min) && positive(*max_rise)) => {
            "rise_per_min and max_rise must be positive"
        }
        FaultKind::Spike { factor, value, .. } if factor.is_some() == value.is_some() => {
            "give exactly one of factor or value"
        }
        FaultKind::CounterReset { metric, .. } if !Profile::is_counter(metric) => {
            "the metric is not a counter (runtime_h, cycles)"
        }
        FaultKind::CounterReset { to, .. } if *to < 0.0 => "to must not be negative",
        FaultKind::ClockSkew { offset_s } if *offset_s == 0.0 || !offset_s.is_finite() => {
            "offset_s must be a non-zero number of seconds"
        }
        FaultKind::Duplicate { copies } if !(2..=10).contains(copies) => "copies must be 2 to 10",
        FaultKind::OutOfOrder { burst } if !(2..=100).contains(burst) => "burst must be 2 to 100",
        FaultKind::Malformed { count, .. } if !(1..=1000).contains(count) => {
            "count must be 1 to 1000"
        }
        _ => return,
    };
    p.push(format!("{at}: {problem}"));
}

fn rules(s: &Scenario, profiles: &[Option<&'static Profile>], p: &mut Vec<String>) {
    let mut names = HashSet::new();
    for r in &s.rules {
        let at = format!("rule `{}`", r.name);
        if r.name.trim().is_empty() {
            p.push("a rule needs a name".into());
        }
        if !names.insert(r.name.as_str()) {
            p.push(format!("{at}: name used twice"));
        }
        let scoped: Vec<&'static Profile> = match r.scope {
            RuleScope::Model => match r.profile.as_deref() {
                Some(key) if s.groups.iter().any(|g| g.profile == key) => {
                    profile::find(key).into_iter().collect()
                }
                Some(key) => {
                    p.push(format!("{at}: profile `{key}` is not in the fleet"));
                    vec![]
                }
                None => {
                    p.push(format!("{at}: scope model needs a profile"));
                    vec![]
                }
            },
            RuleScope::Asset => match r.device {
                Some(d) if d < profiles.len() => profiles[d].into_iter().collect(),
                Some(d) => {
                    p.push(format!("{at}: device {d} is beyond the fleet"));
                    vec![]
                }
                None => {
                    p.push(format!("{at}: scope asset needs a device"));
                    vec![]
                }
            },
        };
        if let Some(sev) = &r.severity {
            if !SEVERITIES.contains(&sev.as_str()) {
                p.push(format!("{at}: severity one of {}", SEVERITIES.join(", ")));
            }
        }
        if let Some(st) = &r.asset_status {
            if !["degraded", "down"].contains(&st.as_str()) {
                p.push(format!("{at}: asset_status is degraded or down"));
            }
        }
        match r.kind {
            RuleKind::Threshold => threshold_rule(r, &scoped, &at, p),
            RuleKind::NoData => {
                if r.metric.is_some()
                    || r.condition.is_some()
                    || r.threshold.is_some()
                    || r.allowed_lateness_s.is_some()
                {
                    p.push(format!(
                        "{at}: a no_data rule has no metric, condition, threshold or allowed_lateness_s"
                    ));
                }
                match r.silent_s {
                    Some(x) if x <= 0.0 => p.push(format!("{at}: silent_s must be positive")),
                    None if !r.on_offline => {
                        p.push(format!("{at}: needs silent_s or on_offline = true"))
                    }
                    _ => {}
                }
            }
        }
    }
}

fn threshold_rule(r: &RuleSpec, scoped: &[&'static Profile], at: &str, p: &mut Vec<String>) {
    match &r.metric {
        None => p.push(format!("{at}: a threshold rule needs a metric")),
        Some(m) => {
            if let Some(prof) = scoped.iter().find(|pr| !pr.has_metric(m)) {
                p.push(format!("{at}: profile {} has no metric `{m}`", prof.key));
            }
        }
    }
    let cond = r.condition.as_deref().unwrap_or("");
    if !CONDITIONS.contains(&cond) {
        p.push(format!("{at}: condition one of {}", CONDITIONS.join(" ")));
    }
    match (r.threshold, r.threshold_high, cond) {
        (None, _, _) => p.push(format!("{at}: needs a threshold")),
        (Some(lo), Some(hi), "outside" | "inside") if hi > lo => {}
        (Some(_), _, "outside" | "inside") => p.push(format!(
            "{at}: `{cond}` needs threshold_high above threshold"
        )),
        (Some(_), Some(_), _) => p.push(format!("{at}: threshold_high is only for ranges")),
        _ => {}
    }
    if r.silent_s.is_some() {
        p.push(format!("{at}: silent_s is only for no_data rules"));
    }
    if r.duration_s < 0.0 || !r.duration_s.is_finite() {
        p.push(format!("{at}: duration_s must not be negative"));
    }
    if let Some(l) = r.allowed_lateness_s {
        if !(0.0..=MAX_LATENESS_S).contains(&l) {
            p.push(format!(
                "{at}: allowed_lateness_s must be 0 to {MAX_LATENESS_S}"
            ));
        }
    }
}

fn expectations(s: &Scenario, profiles: &[Option<&'static Profile>], p: &mut Vec<String>) {
    let total = profiles.len();
    for (i, e) in s.expect.iter().enumerate() {
        let at = format!("expect {i}");
        if let Some(d) = e.devices().into_iter().find(|d| *d >= total) {
            p.push(format!("{at}: device {d} is beyond the fleet of {total}"));
            continue;
        }
        match e {
            Expectation::Ticket {
                device,
                source,
                rule,
                rule_metric,
                count,
                within_s,
            } => {
                if *count == 0 {
                    p.push(format!("{at}: count must be at least 1 (use no_ticket)"));
                }
                if !(*within_s > 0.0 && *within_s <= s.run_s) {
                    p.push(format!("{at}: within_s must be in (0, run_s]"));
                }
                let key = profiles[*device].map(|pr| pr.key).unwrap_or("");
                let kind = match source {
                    TicketSource::Threshold => RuleKind::Threshold,
                    TicketSource::Offline => RuleKind::NoData,
                };
                let matching = s.rules.iter().any(|r| {
                    r.kind == kind
                        && r.covers(*device, key)
                        && rule.as_ref().is_none_or(|n| *n == r.name)
                        && rule_metric
                            .as_ref()
                            .is_none_or(|m| r.metric.as_ref() == Some(m))
                });
                if !matching {
                    p.push(format!(
                        "{at}: no {kind:?} rule in the file covers device {device}{}{}",
                        rule.as_ref()
                            .map(|r| format!(" named `{r}`"))
                            .unwrap_or_default(),
                        rule_metric
                            .as_ref()
                            .map(|m| format!(" on `{m}`"))
                            .unwrap_or_default()
                    ));
                }
            }
            Expectation::DeadLetter { reason, count, .. } => {
                if !DEAD_LETTER_REASONS.contains(&reason.as_str()) {
                    p.push(format!(
                        "{at}: reason one of {}",
                        DEAD_LETTER_REASONS.join(", ")
                    ));
                }
                if *count == 0 {
                    p.push(format!(
                        "{at}: count must be at least 1 (use no_dead_letter)"
                    ));
                }
            }
            Expectation::DeviceStatus { status, device } => {
                if !["online", "offline"].contains(&status.as_str()) {
                    p.push(format!("{at}: status is online or offline"));
                }
                let quiet_with_status = s.faults.iter().any(|f| {
                    matches!(
                        f.fault.kind,
                        FaultKind::Silence {
                            how: SilenceHow::Offline | SilenceHow::Drop
                        }
                    ) && f.devices.resolve(total).is_ok_and(|l| l.contains(device))
                });
                if status == "offline" && !quiet_with_status {
                    p.push(format!(
                        "{at}: device {device} never goes offline (no silence fault with how = offline or drop)"
                    ));
                }
            }
            Expectation::MeterReset { device, meter } => {
                let resets = s.faults.iter().any(|f| {
                    matches!(&f.fault.kind, FaultKind::CounterReset { metric, .. } if metric == meter)
                        && f.devices.resolve(total).is_ok_and(|l| l.contains(device))
                });
                if !resets {
                    p.push(format!(
                        "{at}: no counter_reset fault on `{meter}` for device {device}"
                    ));
                }
            }
            Expectation::NoTicket { .. }
            | Expectation::NoDeadLetter { .. }
            | Expectation::StoredOnce { .. } => {}
        }
    }
}
