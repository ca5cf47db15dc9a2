//! When a calendar trigger of a maintenance plan is due: a 5-field cron expression or an
//! interval of days/weeks/months, fixed from an anchor or floating from the last
//! resolution, evaluated in the site's wall-clock time (`wall_clock` maps it to
//! instants with the daylight-saving rule). Pure functions over plain data; plans,
//! tickets and the clock are the caller's business.
//!
//! Cron follows croner (5 fields, no seconds, no year) with standard Vixie-cron day
//! matching: when both day-of-month and day-of-week are restricted a day matches if
//! EITHER does (`0 12 13 * 5` is every 13th and every Friday); when one of them is `*`
//! only the other counts. croner's `+` day-of-week prefix (AND instead) is refused.
//! One departure from Vixie: croner treats only a bare `*` (or `?`) as unrestricted,
//! so `*/2` in day-of-month still ORs with a restricted day-of-week, where Vixie ANDs.

use chrono::{
    DateTime, Datelike, Days, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc,
};
use chrono_tz::Tz;
use croner::parser::{CronParser, Seconds, Year};
use croner::Cron;

use super::wall_clock;

/// No listing returns more occurrences than this (a forecast or a catch-up of a
/// minutely cron over months would otherwise be unbounded).
pub const MAX_OCCURRENCES: usize = 10_000;

crate::text_enum! {
    /// The unit of an interval trigger.
    pub enum IntervalUnit {
        Days = "days",
        Weeks = "weeks",
        /// Calendar months; a day the month lacks becomes its last day (Jan 31 → Feb 28).
        Months = "months",
    }
}

impl IntervalUnit {
    /// The largest `every` accepted: ten years.
    fn max_every(self) -> u32 {
        match self {
            IntervalUnit::Days => 3660,
            IntervalUnit::Weeks => 522,
            IntervalUnit::Months => 120,
        }
    }
}

crate::text_enum! {
    /// Where an interval trigger counts from.
    pub enum IntervalMode {
        /// Due at anchor + k × interval, whenever the work was done.
        Fixed = "fixed",
        /// Due one interval after the local date of the last resolution (the anchor
        /// while there is none).
        Floating = "floating",
    }
}

/// A plan's calendar trigger. Build it with [`CalendarTrigger::cron`] or
/// [`CalendarTrigger::interval`], or check a stored one with [`CalendarTrigger::validate`];
/// an invalid trigger has no occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarTrigger {
    /// A 5-field cron expression in the site's wall-clock time.
    Cron { expr: String },
    /// Every `every` `unit`s at local time `at`, counted from `anchor` (a local date)
    /// or, floating, from the last resolution.
    Interval {
        every: u32,
        unit: IntervalUnit,
        anchor: NaiveDate,
        at: NaiveTime,
        mode: IntervalMode,
    },
}

/// What a scheduler that was down missed: how many occurrences (at most
/// [`MAX_OCCURRENCES`]) and the latest of them, the one to open a late ticket for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Missed {
    pub count: usize,
    pub latest: Option<DateTime<Utc>>,
}

impl CalendarTrigger {
    /// A cron trigger, or why `expr` is not a usable 5-field cron expression.
    pub fn cron(expr: &str) -> Result<Self, String> {
        let expr = expr.trim().to_string();
        parse_cron(&expr)?;
        Ok(CalendarTrigger::Cron { expr })
    }

    /// An interval trigger, or why it is invalid.
    pub fn interval(
        every: u32,
        unit: IntervalUnit,
        anchor: NaiveDate,
        at: NaiveTime,
        mode: IntervalMode,
    ) -> Result<Self, String> {
        let trigger = CalendarTrigger::Interval {
            every,
            unit,
            anchor,
            at,
            mode,
        };
        trigger.validate()?;
        Ok(trigger)
    }

    /// `Err` says what is wrong, in words fit for a 422.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            CalendarTrigger::Cron { expr } => parse_cron(expr).map(|_| ()),
            CalendarTrigger::Interval { every, unit, .. } => {
                if (1..=unit.max_every()).contains(every) {
                    Ok(())
                } else {
                    Err(format!(
                        "interval: every must be between 1 and {} {unit}, not {every}",
                        unit.max_every()
                    ))
                }
            }
        }
    }

    /// The first occurrence strictly after `after`.
    pub fn next_after(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        last_resolution: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        self.occurrences(tz, after, last_resolution)?.next()
    }

    /// The occurrences in (`from`, `to`], in order, at most [`MAX_OCCURRENCES`]. A
    /// floating trigger is projected as if each occurrence were resolved on its due date.
    pub fn occurrences_between(
        &self,
        tz: Tz,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        last_resolution: Option<DateTime<Utc>>,
    ) -> Vec<DateTime<Utc>> {
        match self.occurrences(tz, from, last_resolution) {
            Some(it) => it.take_while(|t| *t <= to).take(MAX_OCCURRENCES).collect(),
            None => Vec::new(),
        }
    }

    /// The occurrences in (`since`, `now`] a stopped scheduler missed, so it can open
    /// one late ticket for the latest and say how many there were.
    pub fn missed(
        &self,
        tz: Tz,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        last_resolution: Option<DateTime<Utc>>,
    ) -> Missed {
        let all = self.occurrences_between(tz, since, now, last_resolution);
        let count = all.len();
        let mut latest = all.last().copied();
        if count == MAX_OCCURRENCES {
            // Capped: find the true latest by looking back over growing windows.
            let mut window = Duration::days(1);
            latest = loop {
                let from = (now - window).max(since);
                let found = self
                    .occurrences(tz, from, last_resolution)
                    .and_then(|it| it.take_while(|t| *t <= now).take(MAX_OCCURRENCES).last());
                if found.is_some() || from == since {
                    break found.or(latest);
                }
                window = window * 2;
            };
        }
        Missed { count, latest }
    }

    /// The occurrences strictly after `after`, in order; `None` if the trigger is invalid.
    fn occurrences(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        last_resolution: Option<DateTime<Utc>>,
    ) -> Option<Occurrences> {
        // Wall-clock order equals instant order except that a fall-back repeats local
        // times; starting a day early and skipping what is not after `after` covers it.
        // Occurrences are whole minutes whatever the seconds of `after` (croner keeps
        // the sub-second part of its starting point).
        let start = wall_clock::local(tz, after) - Duration::days(1);
        let start = start
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap_or(start);
        let source = match self {
            // parsing is the validation (and the dearest part of a cron occurrence)
            CalendarTrigger::Cron { expr } => LocalTimes::Cron {
                cron: Box::new(parse_cron(expr).ok()?),
                cursor: start,
            },
            &CalendarTrigger::Interval {
                every,
                unit,
                anchor,
                at,
                mode,
            } => {
                self.validate().ok()?;
                let (base, first_k) = match (mode, last_resolution) {
                    (IntervalMode::Floating, Some(done)) => (wall_clock::local(tz, done).date(), 1),
                    _ => (anchor, 0),
                };
                let k = first_k.max(steps_before(base, every, unit, start.date()));
                LocalTimes::Interval {
                    base,
                    at,
                    every,
                    unit,
                    k,
                }
            }
        };
        Some(Occurrences { tz, after, source })
    }
}

/// croner in 5-field mode with Vixie-cron day matching; errors start with `cron:`.
fn parse_cron(expr: &str) -> Result<Cron, String> {
    let fail = |why: String| format!("cron: `{expr}`: {why}");
    let fields: Vec<&str> = expr.split_whitespace().collect();
    if !expr.starts_with('@') && fields.len() != 5 {
        return Err(fail(format!(
            "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
            fields.len()
        )));
    }
    if fields.get(4).is_some_and(|dow| dow.starts_with('+')) {
        return Err(fail("the `+` day-of-week modifier is not supported".into()));
    }
    let cron = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .dom_and_dow(false)
        .build()
        .parse(expr)
        .map_err(|e| fail(e.to_string()))?;
    // `0 0 30 2 *` parses but never fires.
    let probe = NaiveDate::from_ymd_opt(2000, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    match probe.map(|p| cron.find_next_occurrence(&p, false)) {
        Some(Ok(_)) => Ok(cron),
        _ => Err(fail("it never matches a date".into())),
    }
}

/// A k ≥ 0 with base + k × interval on or before `date` (0 when none is), so that
/// iteration can start there instead of at the anchor.
fn steps_before(base: NaiveDate, every: u32, unit: IntervalUnit, date: NaiveDate) -> u32 {
    if date <= base {
        return 0;
    }
    let k = match unit {
        IntervalUnit::Days => (date - base).num_days() / i64::from(every),
        IntervalUnit::Weeks => (date - base).num_days() / (7 * i64::from(every)),
        IntervalUnit::Months => {
            let months = (i64::from(date.year()) - i64::from(base.year())) * 12
                + i64::from(date.month())
                - i64::from(base.month());
            months / i64::from(every) - 1
        }
    };
    u32::try_from(k.max(0)).unwrap_or(u32::MAX)
}

/// Candidate wall-clock times in increasing order.
enum LocalTimes {
    Cron {
        cron: Box<Cron>,
        /// The last time returned (exclusive lower bound of the next one).
        cursor: NaiveDateTime,
    },
    Interval {
        base: NaiveDate,
        at: NaiveTime,
        every: u32,
        unit: IntervalUnit,
        /// The next multiple of the interval to return.
        k: u32,
    },
}

impl LocalTimes {
    fn next(&mut self) -> Option<NaiveDateTime> {
        match self {
            LocalTimes::Cron { cron, cursor } => {
                // croner evaluates in the zone of its argument; giving it the wall-clock
                // time as if it were UTC keeps it free of offsets, which we apply after.
                let next = cron
                    .find_next_occurrence(&cursor.and_utc(), false)
                    .ok()?
                    .naive_utc();
                *cursor = next;
                Some(next)
            }
            LocalTimes::Interval {
                base,
                at,
                every,
                unit,
                k,
            } => {
                let n = k.checked_mul(*every)?;
                // Always from the base, never from the previous date: Jan 31 + 2 months
                // is Mar 31, not Feb 28 + 1 month.
                let date = match unit {
                    IntervalUnit::Days => base.checked_add_days(Days::new(n.into())),
                    IntervalUnit::Weeks => base.checked_add_days(Days::new(u64::from(n) * 7)),
                    IntervalUnit::Months => base.checked_add_months(Months::new(n)),
                }?;
                *k = k.checked_add(1)?;
                Some(date.and_time(*at))
            }
        }
    }
}

/// Occurrence instants strictly after `after`, increasing, each once.
struct Occurrences {
    tz: Tz,
    /// The last instant returned, or the caller's lower bound.
    after: DateTime<Utc>,
    source: LocalTimes,
}

impl Iterator for Occurrences {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        loop {
            let t = wall_clock::instant(self.tz, self.source.next()?);
            // Skips what the early start covers, the second pass of a repeated hour,
            // and gap times that collapse onto an instant already returned.
            if t > self.after {
                self.after = t;
                return Some(t);
            }
        }
    }
}

#[cfg(test)]
mod tests;
