//! A plan's triggers as the API shows and takes them: the calendar trigger (a cron
//! expression or an interval) and the meter trigger, each checked into what the
//! occurrence engine and the scheduler use, with every problem named for a 422.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::maintenance::occurrence::{CalendarTrigger, IntervalMode, IntervalUnit};
use crate::validate::Errors;

/// A plan's calendar trigger: either `cron`, or an interval (`every`, `unit`, `anchor`,
/// and optionally `at` and `mode`). Times are the site's wall-clock time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"every": 3, "unit": "months", "anchor": "2026-01-15", "at": "09:00", "mode": "fixed"}))]
pub struct Calendar {
    /// A 5-field cron expression (minute hour day-of-month month day-of-week); when
    /// both day fields are restricted a day matching either fires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "0 9 * * 1")]
    pub cron: Option<String>,
    /// Interval length, in `unit`s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = 3)]
    pub every: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<IntervalUnit>,
    /// The local date the interval counts from (its first occurrence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<NaiveDate>,
    /// Local time of day, `HH:MM` (default `00:00`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "09:00")]
    pub at: Option<String>,
    /// `fixed` (default): due at anchor + k × interval. `floating`: due one interval
    /// after the last resolution of the plan's ticket for the asset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<IntervalMode>,
}

impl Calendar {
    /// The trigger this describes, or the problems, reported under `field`.
    pub fn trigger(&self, e: &mut Errors, field: &str) -> Option<CalendarTrigger> {
        let interval_given = self.every.is_some()
            || self.unit.is_some()
            || self.anchor.is_some()
            || self.at.is_some()
            || self.mode.is_some();
        if let Some(expr) = &self.cron {
            if interval_given {
                e.add(
                    field,
                    "give either `cron` or an interval (`every`, `unit`, `anchor`), not both",
                );
                return None;
            }
            return match CalendarTrigger::cron(expr) {
                Ok(t) => Some(t),
                Err(why) => {
                    e.add(format!("{field}.cron"), why);
                    None
                }
            };
        }
        let mut missing = |name: &str| e.add(format!("{field}.{name}"), "required for an interval");
        let (Some(every), Some(unit), Some(anchor)) = (self.every, self.unit, self.anchor) else {
            if self.every.is_none() {
                missing("every");
            }
            if self.unit.is_none() {
                missing("unit");
            }
            if self.anchor.is_none() {
                missing("anchor");
            }
            return None;
        };
        let at = match self.at.as_deref().map(parse_time_of_day) {
            None => NaiveTime::MIN,
            Some(Ok(t)) => t,
            Some(Err(why)) => {
                e.add(format!("{field}.at"), why);
                return None;
            }
        };
        e.date(&format!("{field}.anchor"), Some(anchor));
        match CalendarTrigger::interval(
            every,
            unit,
            anchor,
            at,
            self.mode.unwrap_or(IntervalMode::Fixed),
        ) {
            Ok(t) => Some(t),
            Err(why) => {
                e.add(format!("{field}.every"), why);
                None
            }
        }
    }

    /// How the API shows a stored trigger.
    pub fn of(t: &CalendarTrigger) -> Self {
        match t {
            CalendarTrigger::Cron { expr } => Calendar {
                cron: Some(expr.clone()),
                every: None,
                unit: None,
                anchor: None,
                at: None,
                mode: None,
            },
            CalendarTrigger::Interval {
                every,
                unit,
                anchor,
                at,
                mode,
            } => Calendar {
                cron: None,
                every: Some(*every),
                unit: Some(*unit),
                anchor: Some(*anchor),
                at: Some(at.format("%H:%M").to_string()),
                mode: Some(*mode),
            },
        }
    }
}

/// `HH:MM` or `HH:MM:SS`, whole minutes.
fn parse_time_of_day(s: &str) -> Result<NaiveTime, String> {
    let s = s.trim();
    let t = NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .map_err(|_| format!("`{s}` is not a time of day like 09:00"))?;
    if t.format("%S").to_string() != "00" {
        return Err("must be a whole minute".into());
    }
    Ok(t)
}

/// A plan's meter trigger: due every `every` units of the asset meter `name`, counted
/// from the meter's value when the plan's previous ticket for the asset was resolved
/// (or `start`, or the first reading after the plan began covering the asset).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "runtime_h", "every": 500}))]
pub struct MeterTrigger {
    /// An asset meter (`runtime_h`, `cycles`, …).
    #[schema(example = "runtime_h")]
    pub name: String,
    #[schema(example = 500)]
    pub every: f64,
    /// The meter value the first interval counts from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<f64>,
}

impl MeterTrigger {
    pub fn check(&self, e: &mut Errors, field: &str) -> MeterTrigger {
        let name = self.name.trim().to_owned();
        if !crate::validate::is_identifier(&name) {
            e.add(format!("{field}.name"), "must match [A-Za-z0-9_.:-]{1,64}");
        }
        if !(self.every.is_finite() && self.every > 0.0) {
            e.add(format!("{field}.every"), "must be a number above 0");
        }
        if self.start.is_some_and(|s| !(s.is_finite() && s >= 0.0)) {
            e.add(format!("{field}.start"), "must be a number of at least 0");
        }
        MeterTrigger {
            name,
            every: self.every,
            start: self.start,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval() -> Calendar {
        Calendar {
            cron: None,
            every: Some(2),
            unit: Some(IntervalUnit::Weeks),
            anchor: NaiveDate::from_ymd_opt(2026, 1, 5),
            at: Some("07:30".into()),
            mode: None,
        }
    }

    #[test]
    fn an_interval_defaults_to_fixed_and_round_trips() {
        let mut e = Errors::new();
        let t = interval().trigger(&mut e, "calendar").unwrap();
        assert!(e.0.is_empty());
        let shown = Calendar::of(&t);
        assert_eq!(shown.mode, Some(IntervalMode::Fixed));
        assert_eq!(shown.at.as_deref(), Some("07:30"));
    }

    #[test]
    fn cron_and_interval_together_are_refused() {
        let mut e = Errors::new();
        let c = Calendar {
            cron: Some("0 9 * * *".into()),
            ..interval()
        };
        assert!(c.trigger(&mut e, "calendar").is_none());
        assert_eq!(e.0[0].field, "calendar");
    }

    #[test]
    fn an_incomplete_interval_names_each_missing_field() {
        let mut e = Errors::new();
        let c = Calendar {
            every: None,
            anchor: None,
            ..interval()
        };
        assert!(c.trigger(&mut e, "calendar").is_none());
        let fields: Vec<&str> = e.0.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["calendar.every", "calendar.anchor"]);
    }

    #[test]
    fn a_bad_cron_or_time_says_what_is_wrong() {
        let mut e = Errors::new();
        let c = Calendar {
            cron: Some("61 * * * *".into()),
            every: None,
            unit: None,
            anchor: None,
            at: None,
            mode: None,
        };
        assert!(c.trigger(&mut e, "calendar").is_none());
        assert_eq!(e.0[0].field, "calendar.cron");
        let mut e = Errors::new();
        let c = Calendar {
            at: Some("25:00".into()),
            ..interval()
        };
        assert!(c.trigger(&mut e, "calendar").is_none());
        assert_eq!(e.0[0].field, "calendar.at");
    }

    #[test]
    fn time_of_day_takes_minutes_or_zero_seconds() {
        assert_eq!(
            parse_time_of_day("09:05").unwrap(),
            NaiveTime::from_hms_opt(9, 5, 0).unwrap()
        );
        assert!(parse_time_of_day("09:05:00").is_ok());
        assert!(parse_time_of_day("09:05:30").is_err());
        assert!(parse_time_of_day("nine").is_err());
    }
}
