//! Checks a scenario's `[[expect]]` entries against a server through its REST API and
//! reports every one that failed, with what the server showed instead. Most hold at
//! `run_s` while the fleet still runs ([`live`]: a stopping fleet marks every device
//! `offline`, which "no data" rules would take for a fault); `stored_once` needs the
//! whole record of what was published and is checked after the fleet stopped
//! ([`after_stop`]). `run` drives a whole run (register, publish, check); the other
//! files hold one family of expectations each and only read the API.

mod dead_letters;
mod devices;
pub mod run;
pub mod stored;
mod tickets;

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::register::api::Api;
use crate::scenario::{Expectation, Scenario};

/// What the checks know about one run of a scenario's fleet.
pub struct Fleet<'a> {
    pub api: &'a Api,
    pub scenario: &'a Scenario,
    /// Device id per fleet index.
    pub device_ids: Vec<String>,
    /// Asset id per fleet index.
    pub assets: Vec<String>,
    /// Before registration: tickets, dead letters and meter readings older than this
    /// belong to an earlier run (registration reuses what exists).
    pub since: DateTime<Utc>,
    /// When the fleet started publishing: `within_s` counts from here.
    pub start: DateTime<Utc>,
}

impl Fleet<'_> {
    /// `device 4 (demo-004)`.
    fn device(&self, i: usize) -> String {
        format!("device {i} ({})", self.device_ids[i])
    }

    /// Seconds from the fleet's start to `t`.
    fn offset(&self, t: DateTime<Utc>) -> f64 {
        (t - self.start).num_milliseconds() as f64 / 1000.0
    }
}

/// One expectation and how it fared.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The expectation's position among the scenario's `[[expect]]` entries.
    pub index: usize,
    pub expectation: Expectation,
    /// What the server showed when it held; why not, when it did not.
    pub result: Result<String, String>,
}

/// Every expectation of a run, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub scenario: String,
    pub checks: Vec<Check>,
}

impl Report {
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.result.is_err())
    }

    /// Every expectation was checked and held (a scenario without any never passes).
    pub fn passed(&self) -> bool {
        !self.checks.is_empty() && self.failures().next().is_none()
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let failed = self.failures().count();
        writeln!(
            f,
            "scenario {}: {} of {} expectations held",
            self.scenario,
            self.checks.len() - failed,
            self.checks.len()
        )?;
        for c in &self.checks {
            match &c.result {
                Ok(seen) => writeln!(
                    f,
                    "  ok   expect {}: {}\n       {seen}",
                    c.index,
                    describe(&c.expectation)
                )?,
                Err(why) => writeln!(
                    f,
                    "  FAIL expect {}: {}\n       {why}",
                    c.index,
                    describe(&c.expectation)
                )?,
            }
        }
        Ok(())
    }
}

/// An expectation in words, as the file states it.
pub fn describe(e: &Expectation) -> String {
    let on = |d: &Option<usize>| match d {
        Some(d) => format!("device {d}"),
        None => "any device".into(),
    };
    match e {
        Expectation::Ticket {
            device,
            source,
            rule,
            rule_metric,
            count,
            within_s,
        } => {
            let mut from = format!("{source:?}").to_lowercase();
            if let Some(r) = rule {
                from.push_str(&format!(" rule `{r}`"));
            }
            if let Some(m) = rule_metric {
                from.push_str(&format!(" on `{m}`"));
            }
            format!("{count} {from} ticket(s) for device {device}, the first within {within_s} s")
        }
        Expectation::NoTicket { device, source } => format!(
            "no {}ticket for {}",
            source
                .map(|s| format!("{s:?} ").to_lowercase())
                .unwrap_or_default(),
            on(device)
        ),
        Expectation::DeadLetter {
            reason,
            count,
            device,
        } => format!("{count} dead letter(s) `{reason}` from {}", on(device)),
        Expectation::NoDeadLetter { device } => format!("no dead letter from {}", on(device)),
        Expectation::StoredOnce { device } => {
            format!("every reading of device {device} stored exactly once")
        }
        Expectation::DeviceStatus { device, status } => {
            format!("device {device} last reported `{status}`")
        }
        Expectation::MeterReset { device, meter } => {
            format!("the `{meter}` meter of device {device} shows its counter reset")
        }
    }
}

/// Checks every expectation but `stored_once`; call at `run_s`, the fleet still running.
pub async fn live(fleet: &Fleet<'_>) -> Vec<Check> {
    let mut out = Vec::new();
    for (index, e) in fleet.scenario.expect.iter().enumerate() {
        let result = match e {
            Expectation::Ticket {
                device,
                source,
                rule,
                rule_metric,
                count,
                within_s,
            } => {
                tickets::ticket(
                    fleet,
                    *device,
                    *source,
                    rule.as_deref(),
                    rule_metric.as_deref(),
                    *count,
                    *within_s,
                )
                .await
            }
            Expectation::NoTicket { device, source } => {
                tickets::no_ticket(fleet, *device, *source).await
            }
            Expectation::DeadLetter {
                reason,
                count,
                device,
            } => dead_letters::count(fleet, Some(reason), Some(*count), *device).await,
            Expectation::NoDeadLetter { device } => {
                dead_letters::count(fleet, None, None, *device).await
            }
            Expectation::DeviceStatus { device, status } => {
                devices::status(fleet, *device, status).await
            }
            Expectation::MeterReset { device, meter } => {
                devices::meter_reset(fleet, *device, meter).await
            }
            Expectation::StoredOnce { .. } => continue,
        };
        out.push(outcome(index, e, result));
    }
    out
}

/// Checks `stored_once` once the fleet stopped, against what it published (`records`),
/// waiting up to `settle` for ingest to store the last of it.
pub async fn after_stop(
    fleet: &Fleet<'_>,
    records: &[crate::record::Record],
    settle: Duration,
) -> Vec<Check> {
    let mut out = Vec::new();
    for (index, e) in fleet.scenario.expect.iter().enumerate() {
        if let Expectation::StoredOnce { device } = e {
            let result = stored::check(fleet, *device, records, settle).await;
            out.push(outcome(index, e, result));
        }
    }
    out
}

/// A check's result: `Ok(Ok(what was seen))` held, `Ok(Err(why))` did not, `Err` the
/// server could not be asked.
type Outcome = anyhow::Result<Result<String, String>>;

fn outcome(index: usize, e: &Expectation, result: Outcome) -> Check {
    Check {
        index,
        expectation: e.clone(),
        result: match result {
            Ok(r) => r,
            Err(err) => Err(format!("the server could not be asked: {err:#}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::expect::TicketSource;

    fn check(index: usize, failure: Option<&str>) -> Check {
        let result = match failure {
            Some(why) => Err(why.to_owned()),
            None => Ok("nothing opened".to_owned()),
        };
        Check {
            index,
            expectation: Expectation::NoTicket {
                device: Some(1),
                source: Some(TicketSource::Offline),
            },
            result,
        }
    }

    #[test]
    fn a_report_passes_only_with_checks_and_no_failure() {
        let mut r = Report {
            scenario: "s".into(),
            checks: vec![],
        };
        assert!(!r.passed(), "nothing checked is no pass");
        r.checks.push(check(0, None));
        assert!(r.passed());
        r.checks.push(check(1, Some("found T-000001")));
        assert!(!r.passed());
        let text = r.to_string();
        assert!(text.starts_with("scenario s: 1 of 2 expectations held"));
        assert!(
            text.contains("  ok   expect 0: no offline ticket for device 1\n       nothing opened")
        );
        assert!(
            text.contains("  FAIL expect 1: no offline ticket for device 1\n       found T-000001")
        );
    }

    #[test]
    fn expectations_read_as_the_file_states_them() {
        let e = Expectation::Ticket {
            device: 4,
            source: TicketSource::Threshold,
            rule: Some("Pump overheating".into()),
            rule_metric: None,
            count: 1,
            within_s: 45.0,
        };
        assert_eq!(
            describe(&e),
            "1 threshold rule `Pump overheating` ticket(s) for device 4, the first within 45 s"
        );
        let e = Expectation::DeadLetter {
            reason: "oversized".into(),
            count: 1,
            device: None,
        };
        assert_eq!(describe(&e), "1 dead letter(s) `oversized` from any device");
    }
}
