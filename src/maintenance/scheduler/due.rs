//! What a calendar trigger asks of one scheduler run for one (plan, asset), as a pure
//! function of the trigger, the site's time zone, the plan's lead time, how far the
//! previous run got, and now. Occurrences already past due when the run gets to them
//! were missed (the scheduler was not running): they become one late ticket for the
//! latest, saying how many it stands for. Occurrences still ahead but inside the lead
//! window each get their own ticket.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::maintenance::occurrence::CalendarTrigger;

/// The most tickets one run opens ahead of time for one (plan, asset); the rest wait
/// for the next run (a minutely cron with a long lead time is otherwise unbounded).
pub const MAX_AHEAD_PER_RUN: usize = 100;

/// The latest occurrence already due, and how many before it had no ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late {
    pub due: DateTime<Utc>,
    pub missed: usize,
}

/// What to open now, and how far this run got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarWork {
    pub late: Option<Late>,
    /// Occurrences ahead of now whose lead window has begun, in order.
    pub ahead: Vec<DateTime<Utc>>,
    /// Occurrences due at or before this are handled once this work is done.
    pub checked_through: DateTime<Utc>,
}

/// The calendar work for occurrences after `checked_through` up to `now + lead`.
pub fn calendar_work(
    trigger: &CalendarTrigger,
    tz: Tz,
    lead: Duration,
    checked_through: DateTime<Utc>,
    now: DateTime<Utc>,
    last_resolution: Option<DateTime<Utc>>,
) -> CalendarWork {
    let past = trigger.missed(tz, checked_through, now, last_resolution);
    let late = past.latest.map(|due| Late {
        due,
        missed: past.count.saturating_sub(1),
    });
    let horizon = now + lead;
    let ahead: Vec<DateTime<Utc>> = trigger
        .occurrences_between(tz, checked_through.max(now), horizon, last_resolution)
        .into_iter()
        .take(MAX_AHEAD_PER_RUN)
        .collect();
    let checked_through = if ahead.len() == MAX_AHEAD_PER_RUN {
        *ahead.last().expect("not empty")
    } else {
        checked_through.max(horizon)
    };
    CalendarWork {
        late,
        ahead,
        checked_through,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};
    use chrono_tz::Europe::Berlin;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    fn daily_nine() -> CalendarTrigger {
        CalendarTrigger::cron("0 9 * * *").unwrap()
    }

    #[test]
    fn a_run_just_after_an_occurrence_opens_it_on_time() {
        let w = calendar_work(
            &daily_nine(),
            Berlin,
            Duration::zero(),
            utc(2027, 1, 10, 7, 59),
            utc(2027, 1, 10, 8, 0),
            None,
        );
        // 09:00 Berlin in winter is 08:00 UTC
        assert_eq!(
            w.late,
            Some(Late {
                due: utc(2027, 1, 10, 8, 0),
                missed: 0
            })
        );
        assert!(w.ahead.is_empty());
        assert_eq!(w.checked_through, utc(2027, 1, 10, 8, 0));
    }

    #[test]
    fn nothing_is_due_between_occurrences() {
        let w = calendar_work(
            &daily_nine(),
            Berlin,
            Duration::zero(),
            utc(2027, 1, 10, 8, 0),
            utc(2027, 1, 10, 12, 0),
            None,
        );
        assert_eq!(w.late, None);
        assert!(w.ahead.is_empty());
        assert_eq!(w.checked_through, utc(2027, 1, 10, 12, 0));
    }

    #[test]
    fn occurrences_missed_while_stopped_become_one_late_ticket() {
        let w = calendar_work(
            &daily_nine(),
            Berlin,
            Duration::zero(),
            utc(2027, 1, 10, 12, 0),
            utc(2027, 1, 13, 12, 0),
            None,
        );
        assert_eq!(
            w.late,
            Some(Late {
                due: utc(2027, 1, 13, 8, 0),
                missed: 2
            })
        );
    }

    #[test]
    fn the_lead_window_opens_each_upcoming_occurrence_apart() {
        let w = calendar_work(
            &daily_nine(),
            Berlin,
            Duration::days(3),
            utc(2027, 1, 10, 12, 0),
            utc(2027, 1, 10, 12, 1),
            None,
        );
        assert_eq!(w.late, None);
        assert_eq!(
            w.ahead,
            vec![
                utc(2027, 1, 11, 8, 0),
                utc(2027, 1, 12, 8, 0),
                utc(2027, 1, 13, 8, 0)
            ]
        );
        assert_eq!(w.checked_through, utc(2027, 1, 13, 12, 1));
        // the next run does not open them again
        let again = calendar_work(
            &daily_nine(),
            Berlin,
            Duration::days(3),
            w.checked_through,
            utc(2027, 1, 10, 12, 2),
            None,
        );
        assert_eq!((again.late, again.ahead.len()), (None, 0));
    }

    #[test]
    fn a_long_lead_on_a_frequent_trigger_is_opened_in_bounded_steps() {
        let every_minute = CalendarTrigger::cron("* * * * *").unwrap();
        let start = utc(2027, 1, 10, 0, 0);
        let w = calendar_work(&every_minute, Berlin, Duration::days(1), start, start, None);
        assert_eq!(w.ahead.len(), MAX_AHEAD_PER_RUN);
        assert_eq!(w.checked_through, *w.ahead.last().unwrap());
        let next = calendar_work(
            &every_minute,
            Berlin,
            Duration::days(1),
            w.checked_through,
            start,
            None,
        );
        assert!(next.ahead[0] > w.checked_through);
    }

    #[test]
    fn an_interval_plan_counts_from_its_anchor() {
        let t = CalendarTrigger::interval(
            2,
            crate::maintenance::occurrence::IntervalUnit::Weeks,
            NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
            chrono::NaiveTime::from_hms_opt(6, 30, 0).unwrap(),
            crate::maintenance::occurrence::IntervalMode::Fixed,
        )
        .unwrap();
        let w = calendar_work(
            &t,
            Berlin,
            Duration::zero(),
            utc(2027, 1, 5, 0, 0),
            utc(2027, 1, 18, 6, 0),
            None,
        );
        assert_eq!(
            w.late,
            Some(Late {
                due: utc(2027, 1, 18, 5, 30),
                missed: 0
            })
        );
    }
}
