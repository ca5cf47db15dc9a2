//! A device with its faults: each publishing turn takes a batch of samples, applies the
//! value faults, and shapes what goes on the wire (silence, duplicates, out-of-order
//! bursts, malformed payloads, status changes, dropped connections). Pure: the
//! connection code only carries out the actions this returns.

use chrono::{DateTime, Duration, Utc};

use crate::device::{Device, Sample};
use crate::fault::{self, Fault, FaultKind, Memo, SilenceHow};
use crate::payload::{self, MalformedKind, TsFormat};

/// What a device status topic says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Online,
    Offline,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Online => "online",
            Status::Offline => "offline",
        }
    }
}

/// One thing to do on the device's behalf.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Publish on the telemetry topic; `readings` counts the good readings it carries.
    Telemetry { payload: Vec<u8>, readings: u32 },
    /// Publish bad input on the telemetry topic.
    Malformed {
        kind: MalformedKind,
        payload: Vec<u8>,
        readings: u32,
    },
    /// Publish a retained status.
    Status(Status),
    /// Close the device's connection without DISCONNECT (the Last Will fires).
    Drop,
    /// Connect again after a drop (the connection publishes `online` once connected).
    Reconnect,
}

/// How a device publishes: samples per message batch and their spacing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cadence {
    /// Samples per publish (1: a single message; more: an array).
    pub batch: u32,
    /// Seconds between samples.
    pub interval_s: f64,
    pub ts_format: TsFormat,
}

#[derive(Debug, Clone)]
pub struct DeviceSim {
    pub device: Device,
    faults: Vec<(Fault, Memo)>,
    started: Vec<bool>,
    ended: Vec<bool>,
    held: Vec<Action>,
    cadence: Cadence,
}

impl DeviceSim {
    pub fn new(device: Device, faults: Vec<Fault>, cadence: Cadence) -> Self {
        let n = faults.len();
        Self {
            device,
            faults: faults.into_iter().map(|f| (f, Memo::default())).collect(),
            started: vec![false; n],
            ended: vec![false; n],
            held: Vec::new(),
            cadence,
        }
    }

    pub fn id(&self) -> &str {
        &self.device.id
    }

    /// Whether the device needs an MQTT connection of its own (its Last Will must name it).
    pub fn needs_own_connection(&self) -> bool {
        self.faults.iter().any(|(f, _)| {
            matches!(
                f.kind,
                FaultKind::Silence {
                    how: SilenceHow::Drop
                }
            )
        })
    }

    /// True while a silence fault keeps the device quiet.
    pub fn silenced(&self, t: f64) -> bool {
        self.faults
            .iter()
            .any(|(f, _)| matches!(f.kind, FaultKind::Silence { .. }) && f.active(t))
    }

    fn samples(&mut self, t: f64, now: DateTime<Utc>) -> Vec<Sample> {
        let b = self.cadence.batch.max(1);
        let mut out = Vec::with_capacity(b as usize);
        for i in 0..b {
            let back = (b - 1 - i) as f64 * self.cadence.interval_s;
            let ts = now - Duration::milliseconds((back * 1000.0) as i64);
            let ti = (t - back).max(0.0);
            let mut s = self.device.sample(ti, ts);
            for (f, memo) in &mut self.faults {
                fault::apply(f, memo, ti, &mut s);
            }
            out.push(s);
        }
        out
    }

    /// One publishing turn at `t` seconds after start (wall time `now`).
    pub fn step(&mut self, t: f64, now: DateTime<Utc>) -> Vec<Action> {
        let samples = self.samples(t, now);
        let mut actions = Vec::new();
        let mut malformed = Vec::new();

        for i in 0..self.faults.len() {
            let f = &self.faults[i].0;
            if !self.started[i] && f.started(t) {
                self.started[i] = true;
                match &f.kind {
                    FaultKind::Silence {
                        how: SilenceHow::Offline,
                    } => actions.push(Action::Status(Status::Offline)),
                    FaultKind::Silence {
                        how: SilenceHow::Drop,
                    } => actions.push(Action::Drop),
                    FaultKind::Malformed { payload, count } => {
                        malformed.extend((0..*count).map(|_| *payload));
                    }
                    _ => {}
                }
            }
            if self.started[i] && !self.ended[i] && f.ended(t) {
                self.ended[i] = true;
                match &f.kind {
                    FaultKind::Silence {
                        how: SilenceHow::Offline,
                    } => actions.push(Action::Status(Status::Online)),
                    FaultKind::Silence {
                        how: SilenceHow::Drop,
                    } => actions.push(Action::Reconnect),
                    FaultKind::OutOfOrder { .. } => {
                        actions.extend(self.held.drain(..).rev());
                    }
                    _ => {}
                }
            }
        }

        if !self.silenced(t) {
            let message = Action::Telemetry {
                payload: payload::encode(&samples, self.cadence.ts_format),
                readings: payload::readings_in(&samples),
            };
            let copies = self.active_kind(t, |k| match k {
                FaultKind::Duplicate { copies } => Some(*copies),
                _ => None,
            });
            let burst = self.active_kind(t, |k| match k {
                FaultKind::OutOfOrder { burst } => Some(*burst),
                _ => None,
            });
            let repeated = std::iter::repeat_n(message, copies.unwrap_or(1).max(1) as usize);
            match burst {
                Some(burst) => {
                    self.held.extend(repeated);
                    if self.held.len() >= burst as usize {
                        actions.extend(self.held.drain(..).rev());
                    }
                }
                None => actions.extend(repeated),
            }
            let base = samples.last().expect("a batch has at least one sample");
            for kind in malformed {
                let (payload, readings) = payload::malformed(kind, base, self.cadence.ts_format);
                actions.push(Action::Malformed {
                    kind,
                    payload,
                    readings,
                });
            }
        }
        actions
    }

    /// What is still held back (an out-of-order burst cut short by the end of the run).
    pub fn flush(&mut self) -> Vec<Action> {
        self.held.drain(..).rev().collect()
    }

    fn active_kind<T>(&self, t: f64, pick: impl Fn(&FaultKind) -> Option<T>) -> Option<T> {
        self.faults
            .iter()
            .filter(|(f, _)| f.active(t))
            .find_map(|(f, _)| pick(&f.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::find;
    use chrono::TimeZone;
    use serde_json::Value;

    const CADENCE: Cadence = Cadence {
        batch: 1,
        interval_s: 1.0,
        ts_format: TsFormat::Rfc3339,
    };

    fn sim(faults: Vec<Fault>) -> DeviceSim {
        let d = Device::new(0, "dev-0".into(), find("compressor").unwrap(), 0.0, 42);
        DeviceSim::new(d, faults, CADENCE)
    }

    fn now(t: f64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap()
            + Duration::milliseconds((t * 1000.0) as i64)
    }

    fn fault(at_s: f64, duration_s: Option<f64>, kind: FaultKind) -> Fault {
        Fault {
            at_s,
            duration_s,
            kind,
        }
    }

    fn seqs(actions: &[Action]) -> Vec<u64> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Telemetry { payload, .. } => {
                    serde_json::from_slice::<Value>(payload).ok()?["seq"].as_u64()
                }
                _ => None,
            })
            .collect()
    }

    fn run(s: &mut DeviceSim, from: u32, to: u32) -> Vec<Action> {
        (from..to)
            .flat_map(|t| s.step(t as f64, now(t as f64)))
            .collect()
    }

    #[test]
    fn healthy_device_publishes_one_message_per_turn_with_all_readings() {
        let mut s = sim(vec![]);
        let a = s.step(0.0, now(0.0));
        assert_eq!(a.len(), 1);
        let Action::Telemetry { payload, readings } = &a[0] else {
            panic!("{a:?}")
        };
        assert_eq!(*readings, 5);
        let v: Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(v["values"].as_object().unwrap().len(), 5);
    }

    #[test]
    fn a_batch_spaces_its_samples_by_the_interval_ending_now() {
        let d = Device::new(0, "dev-0".into(), find("pump").unwrap(), 0.0, 1);
        let mut s = DeviceSim::new(
            d,
            vec![],
            Cadence {
                batch: 3,
                interval_s: 2.0,
                ..CADENCE
            },
        );
        let a = s.step(10.0, now(10.0));
        let Action::Telemetry { payload, readings } = &a[0] else {
            panic!()
        };
        assert_eq!(*readings, 15);
        let v: Value = serde_json::from_slice(payload).unwrap();
        let ts: Vec<&str> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["ts"].as_str().unwrap())
            .collect();
        assert_eq!(
            ts,
            [
                "2026-11-23T03:00:06.000Z",
                "2026-11-23T03:00:08.000Z",
                "2026-11-23T03:00:10.000Z"
            ]
        );
    }

    #[test]
    fn silence_stop_publishes_nothing_inside_the_window_and_resumes_after() {
        let mut s = sim(vec![fault(
            2.0,
            Some(3.0),
            FaultKind::Silence {
                how: SilenceHow::Stop,
            },
        )]);
        let a = run(&mut s, 0, 8);
        assert!(a.iter().all(|x| matches!(x, Action::Telemetry { .. })));
        // turns 2, 3, 4 are silent; their samples still take sequence numbers (a gap)
        assert_eq!(seqs(&a), vec![1, 2, 6, 7, 8]);
    }

    #[test]
    fn silence_offline_announces_offline_then_online() {
        let mut s = sim(vec![fault(
            1.0,
            Some(2.0),
            FaultKind::Silence {
                how: SilenceHow::Offline,
            },
        )]);
        let a = run(&mut s, 0, 5);
        let statuses: Vec<_> = a
            .iter()
            .filter_map(|x| match x {
                Action::Status(st) => Some(*st),
                _ => None,
            })
            .collect();
        assert_eq!(statuses, vec![Status::Offline, Status::Online]);
        assert_eq!(seqs(&a), vec![1, 4, 5]);
    }

    #[test]
    fn silence_drop_drops_the_connection_and_reconnects_and_needs_its_own_connection() {
        let mut s = sim(vec![fault(
            1.0,
            Some(2.0),
            FaultKind::Silence {
                how: SilenceHow::Drop,
            },
        )]);
        assert!(s.needs_own_connection());
        assert!(!sim(vec![]).needs_own_connection());
        let a = run(&mut s, 0, 4);
        assert!(matches!(a[1], Action::Drop));
        assert_eq!(
            a.iter().filter(|x| matches!(x, Action::Reconnect)).count(),
            1
        );
        assert_eq!(seqs(&a), vec![1, 4]);
    }

    #[test]
    fn silence_forever_never_comes_back() {
        let mut s = sim(vec![fault(
            1.0,
            None,
            FaultKind::Silence {
                how: SilenceHow::Drop,
            },
        )]);
        let a = run(&mut s, 0, 50);
        assert!(!a.iter().any(|x| matches!(x, Action::Reconnect)));
        assert_eq!(seqs(&a), vec![1]);
    }

    #[test]
    fn duplicates_repeat_the_same_message() {
        let mut s = sim(vec![fault(
            1.0,
            Some(1.0),
            FaultKind::Duplicate { copies: 3 },
        )]);
        let a = run(&mut s, 0, 3);
        assert_eq!(seqs(&a), vec![1, 2, 2, 2, 3]);
        assert_eq!(a[1], a[2]);
    }

    #[test]
    fn out_of_order_releases_bursts_newest_first_and_flushes_at_the_end() {
        let mut s = sim(vec![fault(
            1.0,
            Some(7.0),
            FaultKind::OutOfOrder { burst: 3 },
        )]);
        let a = run(&mut s, 0, 10);
        // turns 1..=7 (seq 2..=8) are held: 4,3,2 and 7,6,5 go out as bursts, 8 when the window ends
        assert_eq!(seqs(&a), vec![1, 4, 3, 2, 7, 6, 5, 8, 9, 10]);
    }

    #[test]
    fn held_burst_is_flushed_at_shutdown() {
        let mut s = sim(vec![fault(0.0, None, FaultKind::OutOfOrder { burst: 5 })]);
        let a = run(&mut s, 0, 2);
        assert!(a.is_empty());
        assert_eq!(seqs(&s.flush()), vec![2, 1]);
    }

    #[test]
    fn malformed_payloads_are_published_once_beside_the_normal_message() {
        let mut s = sim(vec![fault(
            2.0,
            None,
            FaultKind::Malformed {
                payload: MalformedKind::BadJson,
                count: 3,
            },
        )]);
        let a = run(&mut s, 0, 6);
        let bad: Vec<_> = a
            .iter()
            .filter(|x| matches!(x, Action::Malformed { .. }))
            .collect();
        assert_eq!(bad.len(), 3);
        assert_eq!(seqs(&a), vec![1, 2, 3, 4, 5, 6]);
        assert!(matches!(
            a[3],
            Action::Malformed {
                kind: MalformedKind::BadJson,
                readings: 0,
                ..
            }
        ));
    }

    #[test]
    fn a_value_fault_shows_in_the_published_values() {
        let mut s = sim(vec![fault(
            0.0,
            None,
            FaultKind::Spike {
                metric: "vibration_mm_s".into(),
                factor: None,
                value: Some(42.0),
            },
        )]);
        let Action::Telemetry { payload, .. } = &s.step(3.0, now(3.0))[0] else {
            panic!()
        };
        let v: Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(v["values"]["vibration_mm_s"], 42.0);
    }

    #[test]
    fn clock_skew_moves_the_published_timestamp() {
        let mut s = sim(vec![fault(
            0.0,
            None,
            FaultKind::ClockSkew { offset_s: 3600.0 },
        )]);
        let Action::Telemetry { payload, .. } = &s.step(0.0, now(0.0))[0] else {
            panic!()
        };
        let v: Value = serde_json::from_slice(payload).unwrap();
        assert_eq!(v["ts"], "2026-11-23T04:00:00.000Z");
    }

    #[test]
    fn faults_are_deterministic_for_a_seed() {
        let make = || {
            sim(vec![fault(
                1.0,
                Some(5.0),
                FaultKind::Overheat {
                    metric: "temperature_c".into(),
                    rise_per_min: 60.0,
                    max_rise: 30.0,
                },
            )])
        };
        let (mut a, mut b) = (make(), make());
        assert_eq!(run(&mut a, 0, 20), run(&mut b, 0, 20));
    }
}
