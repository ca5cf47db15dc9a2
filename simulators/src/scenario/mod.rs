//! Scenario files (`simulators/scenarios/*.toml`): the fleet, the faults injected at
//! chosen times for chosen devices, the rules to create, and the outcome a server must
//! show. Parsing and the file format live here; checks in `validate`.

pub mod expect;
pub mod rule;
mod validate;

use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};

use crate::fault::{Fault, FaultKind};
use crate::payload::TsFormat;
pub use expect::Expectation;
pub use rule::RuleSpec;

fn default_pattern() -> String {
    "{scenario}-{n:03}".into()
}
fn default_interval_ms() -> u64 {
    1000
}
fn one() -> u32 {
    1
}

/// A scenario file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Also the default prefix of its device ids.
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// How long a run lasts by default (and how long a test runs it), in seconds.
    pub run_s: f64,
    /// Device ids: `{n}`, `{n:03}`, `{scenario}`, `{profile}`, `{seed}`.
    #[serde(default = "default_pattern")]
    pub id_pattern: String,
    /// Seconds between a device's samples, in milliseconds.
    #[serde(default = "default_interval_ms")]
    pub interval_ms: u64,
    /// Samples per publish (1: one message; more: an array batch).
    #[serde(default = "one")]
    pub batch: u32,
    #[serde(default)]
    pub ts_format: TsFormat,
    /// Synthetic metrics (`aux_01`…) each message carries beside the profile's, up to 32.
    #[serde(default)]
    pub extra_metrics: usize,
    #[serde(rename = "group")]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub register: RegisterSpec,
    #[serde(default, rename = "rule")]
    pub rules: Vec<RuleSpec>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultSpec>,
    #[serde(default, rename = "expect")]
    pub expect: Vec<Expectation>,
}

/// `count` devices of one profile; devices are numbered across groups in file order.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub profile: String,
    pub count: usize,
    /// The site the group's assets are registered at (default: `[register] site`).
    #[serde(default)]
    pub site: Option<String>,
    /// The IANA zone of that site (default: `[register] time_zone`).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Hours from UTC of the site's local time, for the daily temperature swing.
    #[serde(default)]
    pub utc_offset_h: f64,
}

fn default_customer() -> String {
    "Simulated fleet".into()
}
fn default_site() -> String {
    "Simulator plant".into()
}
fn default_zone() -> String {
    "UTC".into()
}

/// Names the installed base is registered under (`--register`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterSpec {
    #[serde(default = "default_customer")]
    pub customer: String,
    #[serde(default = "default_site")]
    pub site: String,
    #[serde(default = "default_zone")]
    pub time_zone: String,
}

impl Default for RegisterSpec {
    fn default() -> Self {
        Self {
            customer: default_customer(),
            site: default_site(),
            time_zone: default_zone(),
        }
    }
}

/// Which devices (indices into the fleet) a fault or rule applies to:
/// `devices = 0`, `devices = [0, 3]`, `devices = "2..5"` (end excluded), `devices = "all"`.
#[derive(Debug, Clone, PartialEq)]
pub enum DeviceSelector {
    All,
    List(Vec<usize>),
    Range(usize, usize),
}

impl<'de> Deserialize<'de> for DeviceSelector {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            One(usize),
            List(Vec<usize>),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::One(i) => Ok(DeviceSelector::List(vec![i])),
            Raw::List(l) => Ok(DeviceSelector::List(l)),
            Raw::Text(t) if t == "all" => Ok(DeviceSelector::All),
            Raw::Text(t) => {
                let parsed = t
                    .split_once("..")
                    .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
                match parsed {
                    Some((a, b)) => Ok(DeviceSelector::Range(a, b)),
                    None => Err(D::Error::custom(format!(
                        "devices `{t}`: use an index, a list, \"a..b\" or \"all\""
                    ))),
                }
            }
        }
    }
}

impl DeviceSelector {
    /// The selected indices, or why they do not fit a fleet of `total`.
    pub fn resolve(&self, total: usize) -> Result<Vec<usize>, String> {
        let list: Vec<usize> = match self {
            DeviceSelector::All => (0..total).collect(),
            DeviceSelector::List(l) => l.clone(),
            DeviceSelector::Range(a, b) if a < b => (*a..*b).collect(),
            DeviceSelector::Range(a, b) => return Err(format!("empty range {a}..{b}")),
        };
        if list.is_empty() {
            return Err("selects no device".into());
        }
        match list.iter().find(|i| **i >= total) {
            Some(i) => Err(format!("device {i} is beyond the fleet of {total}")),
            None => Ok(list),
        }
    }
}

/// A `[[fault]]` entry: which devices, when, for how long, and the fault's own fields
/// (`kind = "overheat"`, …).
#[derive(Debug, Clone, PartialEq)]
pub struct FaultSpec {
    pub devices: DeviceSelector,
    pub fault: Fault,
}

impl<'de> Deserialize<'de> for FaultSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut table = toml::Table::deserialize(d)?;
        let devices = table
            .remove("devices")
            .ok_or_else(|| D::Error::missing_field("devices"))?;
        let devices = DeviceSelector::deserialize(devices).map_err(D::Error::custom)?;
        let number = |v: toml::Value, field: &str| match v {
            toml::Value::Integer(i) => Ok(i as f64),
            toml::Value::Float(f) => Ok(f),
            other => Err(D::Error::custom(format!(
                "{field} must be a number of seconds, not {other}"
            ))),
        };
        let at_s = number(
            table
                .remove("at_s")
                .ok_or_else(|| D::Error::missing_field("at_s"))?,
            "at_s",
        )?;
        let duration_s = table
            .remove("duration_s")
            .map(|v| number(v, "duration_s"))
            .transpose()?;
        let kind = FaultKind::deserialize(toml::Value::Table(table)).map_err(D::Error::custom)?;
        Ok(FaultSpec {
            devices,
            fault: Fault {
                at_s,
                duration_s,
                kind,
            },
        })
    }
}

impl Scenario {
    /// A fleet without faults, rules or expectations: `devices` of `profile`, or spread
    /// evenly over every profile for `"mix"`.
    pub fn plain(name: &str, devices: usize, profile: &str, interval_ms: u64, batch: u32) -> Self {
        let keys = if profile == "mix" {
            crate::profile::keys()
        } else {
            vec![profile]
        };
        let groups = keys
            .iter()
            .enumerate()
            .map(|(i, key)| Group {
                profile: (*key).to_owned(),
                count: devices / keys.len() + usize::from(i < devices % keys.len()),
                site: None,
                time_zone: None,
                utc_offset_h: 0.0,
            })
            .filter(|g| g.count > 0)
            .collect();
        Scenario {
            name: name.to_owned(),
            description: String::new(),
            run_s: 86_400.0,
            id_pattern: "sim-{n:05}".into(),
            interval_ms,
            batch,
            ts_format: TsFormat::default(),
            extra_metrics: 0,
            groups,
            register: RegisterSpec::default(),
            rules: vec![],
            faults: vec![],
            expect: vec![],
        }
    }

    pub fn parse(text: &str) -> Result<Self> {
        let s: Scenario = toml::from_str(text).map_err(|e| anyhow!("{e}"))?;
        let problems = s.problems();
        if !problems.is_empty() {
            bail!("{}", problems.join("\n"));
        }
        Ok(s)
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("scenario {}", path.display()))
    }

    pub fn device_count(&self) -> usize {
        self.groups.iter().map(|g| g.count).sum()
    }

    /// The group each device belongs to, by device index.
    pub fn group_of(&self, index: usize) -> Option<&Group> {
        let mut start = 0;
        for g in &self.groups {
            if index < start + g.count {
                return Some(g);
            }
            start += g.count;
        }
        None
    }

    /// Every problem with the file, in one list (empty when it is valid).
    pub fn problems(&self) -> Vec<String> {
        validate::problems(self)
    }

    /// The faults of device `index`, in file order.
    pub fn faults_for(&self, index: usize) -> Vec<Fault> {
        let total = self.device_count();
        self.faults
            .iter()
            .filter(|f| {
                f.devices
                    .resolve(total)
                    .map(|l| l.contains(&index))
                    .unwrap_or(false)
            })
            .map(|f| f.fault.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests;
