//! Faults a scenario injects: what each kind means, when it is active, and the pure
//! change a value fault makes to a sample (overheating ramp, spike, stuck sensor,
//! counter reset, clock skew). Message-level faults are shaped in `emit`.

use chrono::Duration;
use serde::Deserialize;

use crate::device::Sample;
use crate::payload::MalformedKind;

fn temperature() -> String {
    "temperature_c".into()
}
fn vibration() -> String {
    "vibration_mm_s".into()
}
fn runtime() -> String {
    crate::profile::RUNTIME_METRIC.into()
}
fn default_max_rise() -> f64 {
    60.0
}
fn two() -> u32 {
    2
}
fn five() -> u32 {
    5
}
fn one() -> u32 {
    1
}

/// How a silenced device goes quiet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SilenceHow {
    /// Stops publishing; its status stays `online` (only a "no data" timeout notices).
    #[default]
    Stop,
    /// Publishes a retained `offline` status, then stops; `online` again when it ends.
    Offline,
    /// Drops its MQTT connection without DISCONNECT, so the broker fires its Last Will
    /// `offline`; reconnects when it ends. Such a device gets a connection of its own.
    Drop,
}

/// What goes wrong. `metric` defaults to the metric the fault is named after.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// The value climbs `rise_per_min` per minute since the fault began, up to `max_rise`.
    Overheat {
        #[serde(default = "temperature")]
        metric: String,
        rise_per_min: f64,
        #[serde(default = "default_max_rise")]
        max_rise: f64,
    },
    /// The value is multiplied by `factor`, or replaced by `value`.
    Spike {
        #[serde(default = "vibration")]
        metric: String,
        #[serde(default)]
        factor: Option<f64>,
        #[serde(default)]
        value: Option<f64>,
    },
    /// The sensor repeats one value: `value`, or the last one it read before the fault.
    Stuck {
        #[serde(default = "temperature")]
        metric: String,
        #[serde(default)]
        value: Option<f64>,
    },
    Silence {
        #[serde(default)]
        how: SilenceHow,
    },
    /// A counter restarts from `to` (e.g. a replaced controller) and counts on from there.
    CounterReset {
        #[serde(default = "runtime")]
        metric: String,
        #[serde(default)]
        to: f64,
    },
    /// The device clock runs `offset_s` seconds ahead (negative: behind).
    ClockSkew { offset_s: f64 },
    /// Every message is published `copies` times (same ts and seq).
    Duplicate {
        #[serde(default = "two")]
        copies: u32,
    },
    /// Messages are held and released in bursts of `burst`, newest first.
    OutOfOrder {
        #[serde(default = "five")]
        burst: u32,
    },
    /// `count` malformed payloads of one kind, published once when the fault begins.
    Malformed {
        payload: MalformedKind,
        #[serde(default = "one")]
        count: u32,
    },
}

impl FaultKind {
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Overheat { .. } => "overheat",
            FaultKind::Spike { .. } => "spike",
            FaultKind::Stuck { .. } => "stuck",
            FaultKind::Silence { .. } => "silence",
            FaultKind::CounterReset { .. } => "counter_reset",
            FaultKind::ClockSkew { .. } => "clock_skew",
            FaultKind::Duplicate { .. } => "duplicate",
            FaultKind::OutOfOrder { .. } => "out_of_order",
            FaultKind::Malformed { .. } => "malformed",
        }
    }

    /// The metric a value fault changes, if it changes one.
    pub fn metric(&self) -> Option<&str> {
        match self {
            FaultKind::Overheat { metric, .. }
            | FaultKind::Spike { metric, .. }
            | FaultKind::Stuck { metric, .. }
            | FaultKind::CounterReset { metric, .. } => Some(metric),
            _ => None,
        }
    }

    /// One-shot faults happen at `at_s` and take no duration.
    pub fn is_one_shot(&self) -> bool {
        matches!(
            self,
            FaultKind::CounterReset { .. } | FaultKind::Malformed { .. }
        )
    }
}

/// One fault for one device, with its window on the simulator's clock (seconds since
/// start). Without `duration_s` it lasts until the end.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    pub at_s: f64,
    pub duration_s: Option<f64>,
    pub kind: FaultKind,
}

impl Fault {
    pub fn started(&self, t: f64) -> bool {
        t >= self.at_s
    }

    pub fn ended(&self, t: f64) -> bool {
        self.duration_s.is_some_and(|d| t >= self.at_s + d)
    }

    pub fn active(&self, t: f64) -> bool {
        self.started(t) && !self.ended(t)
    }
}

/// What a value fault remembers between samples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Memo {
    /// The stuck sensor's frozen value.
    frozen: Option<f64>,
    /// The counter's healthy value at the reset, subtracted from then on.
    reset_base: Option<f64>,
}

/// Applies one value fault to a sample taken at `t`. Faults outside their window leave
/// the sample alone, except a counter reset, which lasts once it has happened.
pub fn apply(fault: &Fault, memo: &mut Memo, t: f64, sample: &mut Sample) {
    if !fault.started(t) {
        return;
    }
    let lasting = matches!(fault.kind, FaultKind::CounterReset { .. });
    if !lasting && fault.ended(t) {
        return;
    }
    match &fault.kind {
        FaultKind::Overheat {
            metric,
            rise_per_min,
            max_rise,
        } => {
            if let Some(v) = sample.get(metric) {
                let rise = (rise_per_min * (t - fault.at_s) / 60.0).min(*max_rise);
                sample.set(metric, round1(v + rise));
            }
        }
        FaultKind::Spike {
            metric,
            factor,
            value,
        } => {
            if let Some(v) = sample.get(metric) {
                let spiked = value.unwrap_or_else(|| v * factor.unwrap_or(1.0));
                sample.set(metric, round1(spiked));
            }
        }
        FaultKind::Stuck { metric, value } => {
            if let Some(v) = sample.get(metric) {
                let frozen = *memo.frozen.get_or_insert(value.unwrap_or(v));
                sample.set(metric, frozen);
            }
        }
        FaultKind::CounterReset { metric, to } => {
            if let Some(v) = sample.get(metric) {
                let base = *memo.reset_base.get_or_insert(v);
                let decimals = if Some(metric.as_str()) == Some("cycles") {
                    0
                } else {
                    3
                };
                let reset = crate::signal::round_to(v - base + to, decimals);
                sample.set(metric, reset.max(0.0));
            }
        }
        FaultKind::ClockSkew { offset_s } => {
            sample.ts += Duration::milliseconds((offset_s * 1000.0) as i64);
        }
        FaultKind::Silence { .. }
        | FaultKind::Duplicate { .. }
        | FaultKind::OutOfOrder { .. }
        | FaultKind::Malformed { .. } => {}
    }
}

fn round1(v: f64) -> f64 {
    crate::signal::round_to(v, 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn sample(temp: f64, vib: f64, runtime: f64) -> Sample {
        Sample {
            ts: Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap(),
            seq: 1,
            values: vec![
                ("temperature_c", temp),
                ("vibration_mm_s", vib),
                ("runtime_h", runtime),
            ],
        }
    }

    fn fault(at_s: f64, duration_s: Option<f64>, kind: FaultKind) -> Fault {
        Fault {
            at_s,
            duration_s,
            kind,
        }
    }

    fn after(f: &Fault, memo: &mut Memo, t: f64, s: Sample) -> Sample {
        let mut s = s;
        apply(f, memo, t, &mut s);
        s
    }

    #[test]
    fn overheat_ramps_from_its_start_and_levels_off_at_max_rise() {
        let f = fault(
            10.0,
            None,
            FaultKind::Overheat {
                metric: temperature(),
                rise_per_min: 30.0,
                max_rise: 20.0,
            },
        );
        let m = &mut Memo::default();
        let at = |t| after(&f, &mut m.clone(), t, sample(70.0, 2.0, 5.0)).get("temperature_c");
        assert_eq!(at(5.0), Some(70.0));
        assert_eq!(at(10.0), Some(70.0));
        assert_eq!(at(30.0), Some(80.0));
        assert_eq!(at(70.0), Some(90.0));
        assert_eq!(at(600.0), Some(90.0));
        // other metrics untouched
        assert_eq!(
            after(&f, m, 30.0, sample(70.0, 2.0, 5.0)).get("vibration_mm_s"),
            Some(2.0)
        );
    }

    #[test]
    fn spike_multiplies_or_replaces_only_inside_its_window() {
        let by_factor = fault(
            5.0,
            Some(10.0),
            FaultKind::Spike {
                metric: vibration(),
                factor: Some(6.0),
                value: None,
            },
        );
        let m = &mut Memo::default();
        assert_eq!(
            after(&by_factor, m, 4.9, sample(70.0, 2.0, 5.0)).get("vibration_mm_s"),
            Some(2.0)
        );
        assert_eq!(
            after(&by_factor, m, 5.0, sample(70.0, 2.0, 5.0)).get("vibration_mm_s"),
            Some(12.0)
        );
        assert_eq!(
            after(&by_factor, m, 15.0, sample(70.0, 2.0, 5.0)).get("vibration_mm_s"),
            Some(2.0)
        );
        let to_value = fault(
            0.0,
            None,
            FaultKind::Spike {
                metric: vibration(),
                factor: None,
                value: Some(25.0),
            },
        );
        assert_eq!(
            after(&to_value, m, 1.0, sample(70.0, 2.0, 5.0)).get("vibration_mm_s"),
            Some(25.0)
        );
    }

    #[test]
    fn stuck_sensor_repeats_the_first_value_it_saw_in_the_fault() {
        let f = fault(
            10.0,
            Some(100.0),
            FaultKind::Stuck {
                metric: temperature(),
                value: None,
            },
        );
        let m = &mut Memo::default();
        assert_eq!(
            after(&f, m, 9.0, sample(60.0, 2.0, 5.0)).get("temperature_c"),
            Some(60.0)
        );
        assert_eq!(
            after(&f, m, 10.0, sample(61.3, 2.0, 5.0)).get("temperature_c"),
            Some(61.3)
        );
        assert_eq!(
            after(&f, m, 11.0, sample(64.0, 2.0, 5.0)).get("temperature_c"),
            Some(61.3)
        );
        assert_eq!(
            after(&f, m, 50.0, sample(58.0, 2.0, 5.0)).get("temperature_c"),
            Some(61.3)
        );
        assert_eq!(
            after(&f, m, 110.0, sample(58.0, 2.0, 5.0)).get("temperature_c"),
            Some(58.0)
        );
    }

    #[test]
    fn stuck_sensor_with_a_given_value_reports_it() {
        let f = fault(
            0.0,
            None,
            FaultKind::Stuck {
                metric: temperature(),
                value: Some(0.0),
            },
        );
        assert_eq!(
            after(&f, &mut Memo::default(), 1.0, sample(60.0, 2.0, 5.0)).get("temperature_c"),
            Some(0.0)
        );
    }

    #[test]
    fn counter_reset_restarts_from_to_and_keeps_counting_for_good() {
        let f = fault(
            20.0,
            None,
            FaultKind::CounterReset {
                metric: runtime(),
                to: 0.0,
            },
        );
        let m = &mut Memo::default();
        assert_eq!(
            after(&f, m, 19.0, sample(70.0, 2.0, 1234.5)).get("runtime_h"),
            Some(1234.5)
        );
        assert_eq!(
            after(&f, m, 20.0, sample(70.0, 2.0, 1234.6)).get("runtime_h"),
            Some(0.0)
        );
        assert_eq!(
            after(&f, m, 3620.0, sample(70.0, 2.0, 1235.6)).get("runtime_h"),
            Some(1.0)
        );
    }

    #[test]
    fn clock_skew_shifts_the_timestamp_not_the_values() {
        let f = fault(0.0, Some(60.0), FaultKind::ClockSkew { offset_s: -90.5 });
        let s = sample(70.0, 2.0, 5.0);
        let skewed = after(&f, &mut Memo::default(), 1.0, s.clone());
        assert_eq!(skewed.ts, s.ts - Duration::milliseconds(90_500));
        assert_eq!(skewed.values, s.values);
        assert_eq!(after(&f, &mut Memo::default(), 60.0, s.clone()).ts, s.ts);
    }

    #[test]
    fn a_fault_on_a_metric_the_sample_lacks_changes_nothing() {
        let f = fault(
            0.0,
            None,
            FaultKind::Overheat {
                metric: "oil_c".into(),
                rise_per_min: 5.0,
                max_rise: 5.0,
            },
        );
        let s = sample(70.0, 2.0, 5.0);
        assert_eq!(after(&f, &mut Memo::default(), 100.0, s.clone()), s);
    }

    #[test]
    fn windows_start_inclusive_and_end_exclusive() {
        let f = fault(10.0, Some(5.0), FaultKind::Duplicate { copies: 2 });
        assert!(!f.active(9.99));
        assert!(f.active(10.0));
        assert!(f.active(14.99));
        assert!(!f.active(15.0));
        let forever = fault(10.0, None, FaultKind::Duplicate { copies: 2 });
        assert!(forever.active(1e9));
    }
}
