//! `[[expect]]` entries: the outcome a server must show after running the scenario for
//! `run_s` seconds, in a form a test can check through the REST API. Devices are fleet
//! indices; the test maps them to device ids and assets with the scenario's pattern.

use serde::Deserialize;

/// Ticket sources DESIGN.md names that a fleet can cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketSource {
    Threshold,
    Offline,
}

/// Dead-letter reasons a fleet can cause, in the server's vocabulary (`reason` of
/// `/api/v1/dead-letters`): truncated or non-UTF-8 JSON, JSON that is no message, a bad
/// value, a `ts` outside the accepted window, a payload above 256 KiB, a device the
/// server does not know or has deactivated.
pub const DEAD_LETTER_REASONS: &[&str] = &[
    "malformed_json",
    "bad_message",
    "bad_value",
    "timestamp_out_of_window",
    "oversized",
    "unknown_device",
    "inactive_device",
];

fn one() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expectation {
    /// Exactly `count` tickets of this source for the device's asset, the first opened
    /// within `within_s` seconds of the start. `rule` names a `[[rule]]`; `rule_metric`
    /// the metric of the rule that opened it.
    Ticket {
        device: usize,
        source: TicketSource,
        #[serde(default)]
        rule: Option<String>,
        #[serde(default)]
        rule_metric: Option<String>,
        #[serde(default = "one")]
        count: u32,
        within_s: f64,
    },
    /// No ticket (of this source, when given) for the device's asset, or for any asset
    /// of the fleet when `device` is absent.
    NoTicket {
        #[serde(default)]
        device: Option<usize>,
        #[serde(default)]
        source: Option<TicketSource>,
    },
    /// Exactly `count` dead letters of this reason (from this device, when given).
    DeadLetter {
        reason: String,
        count: u32,
        #[serde(default)]
        device: Option<usize>,
    },
    /// No dead letter at all (from this device, when given).
    NoDeadLetter {
        #[serde(default)]
        device: Option<usize>,
    },
    /// Every distinct (metric, ts) the device published is stored exactly once,
    /// however often and in whatever order it was delivered.
    StoredOnce { device: usize },
    /// The device's status as the server last recorded it.
    DeviceStatus { device: usize, status: String },
    /// The asset meter fed by this metric shows the counter reset as a reset (usage
    /// never negative), not as bad input.
    MeterReset { device: usize, meter: String },
}

impl Expectation {
    /// The fleet devices this expectation names.
    pub fn devices(&self) -> Vec<usize> {
        match self {
            Expectation::Ticket { device, .. }
            | Expectation::StoredOnce { device }
            | Expectation::DeviceStatus { device, .. }
            | Expectation::MeterReset { device, .. } => vec![*device],
            Expectation::NoTicket { device, .. }
            | Expectation::DeadLetter { device, .. }
            | Expectation::NoDeadLetter { device } => device.iter().copied().collect(),
        }
    }
}
