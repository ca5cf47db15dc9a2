//! The forecast's pure rules: when a (plan, asset) falls due in a window, and whether
//! the serving warehouse's available stock covers each occurrence's kit, taken
//! cumulatively in due order. No I/O.
//!
//! Projection follows the scheduler's semantics: calendar occurrences from the trigger
//! (a floating interval counting from each projected resolution, assumed on the due
//! date); a meter trigger from the asset's average daily usage, due when the usage since
//! the previous resolution reaches the interval; with both triggers whichever comes
//! first, every occurrence restarting the meter count.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::ids::{PartId, WarehouseId};
use crate::maintenance::occurrence::{CalendarTrigger, IntervalMode};
use crate::tickets::model::PmTrigger;

/// The most occurrences projected for one (plan, asset) in one window.
pub const MAX_PER_PAIR: usize = 1000;

/// A meter trigger's outlook for one asset.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeterOutlook {
    pub every: f64,
    /// Usage since the previous resolution (or since the plan began covering the asset).
    pub used: f64,
    /// Average usage per day over the last 30 days; nothing is projected without use.
    pub per_day: f64,
}

/// What one (plan, asset) projection needs.
#[derive(Debug, Clone)]
pub struct PairOutlook<'a> {
    pub calendar: Option<&'a CalendarTrigger>,
    pub tz: Tz,
    pub last_resolution: Option<DateTime<Utc>>,
    pub meter: Option<MeterOutlook>,
    /// A ticket of the plan for the asset is still in work: the meter count and a
    /// floating interval restart when it is resolved, assumed now.
    pub in_work: bool,
    /// A fixed calendar's occurrences in the window, when the caller has them already
    /// (they are the same for every asset in a time zone); worked out here otherwise.
    pub calendar_dues: Option<&'a [DateTime<Utc>]>,
}

/// One projected occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    pub at: DateTime<Utc>,
    pub trigger: PmTrigger,
}

fn meter_days(units: f64, per_day: f64) -> Duration {
    let seconds = (units.max(0.0) / per_day * 86_400.0).min(1e11);
    Duration::seconds(seconds as i64)
}

/// Occurrences in (`now`, `to`], in order, at most [`MAX_PER_PAIR`].
pub fn project(p: &PairOutlook<'_>, now: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Due> {
    let floating = matches!(
        p.calendar,
        Some(CalendarTrigger::Interval {
            mode: IntervalMode::Floating,
            ..
        })
    );
    let meter = p.meter.filter(|m| m.per_day > 0.0 && m.every > 0.0);
    // A fixed calendar (cron or fixed interval) does not move with the meter: its
    // occurrences are listed once (working one out costs a cron parse) and walked; only
    // a floating interval is asked afresh after each projected resolution.
    let listed: Vec<DateTime<Utc>>;
    let fixed: &[DateTime<Utc>] = match (p.calendar, p.calendar_dues) {
        (Some(_), Some(dues)) if !floating => dues,
        (Some(t), None) if !floating => {
            listed = t.occurrences_between(p.tz, now, to, p.last_resolution);
            &listed
        }
        _ => &[],
    };
    if meter.is_none() && !floating {
        // the common case: a fixed calendar, no meter
        return fixed
            .iter()
            .take(MAX_PER_PAIR)
            .map(|&at| Due {
                at,
                trigger: PmTrigger::Calendar,
            })
            .collect();
    }
    let mut last_resolution = if p.in_work && floating {
        Some(now)
    } else {
        p.last_resolution
    };
    let mut meter_next = meter.map(|m| {
        let left = if p.in_work { m.every } else { m.every - m.used };
        now + meter_days(left, m.per_day)
    });
    let mut fixed = fixed.iter().copied().peekable();
    let mut after = now;
    let mut out = Vec::new();
    while out.len() < MAX_PER_PAIR {
        let c = if floating {
            p.calendar
                .and_then(|t| t.next_after(p.tz, after, last_resolution))
                .filter(|t| *t <= to)
        } else {
            while fixed.next_if(|t| *t <= after).is_some() {}
            fixed.peek().copied()
        };
        let m = meter_next.filter(|t| *t <= to);
        let due = match (c, m) {
            (Some(c), Some(m)) if m < c => Due {
                at: m,
                trigger: PmTrigger::Meter,
            },
            (Some(c), _) => Due {
                at: c,
                trigger: PmTrigger::Calendar,
            },
            (None, Some(m)) => Due {
                at: m,
                trigger: PmTrigger::Meter,
            },
            (None, None) => break,
        };
        out.push(due);
        after = due.at;
        if floating {
            last_resolution = Some(due.at);
        }
        if let Some(m) = meter {
            meter_next = Some(due.at + meter_days(m.every, m.per_day).max(Duration::seconds(1)));
        }
    }
    out
}

/// What a kit line of an occurrence finds at its warehouse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cover {
    pub covered: bool,
    /// What the warehouse lacks for this line, after the occurrences due before it.
    pub shortfall: Decimal,
}

/// Stock taken cumulatively in due order: each kit line, asked for in the order the
/// occurrences fall due, takes from what the earlier ones left at its warehouse; lines
/// without a warehouse are not covered.
pub struct Stock<'a> {
    available: &'a HashMap<(PartId, WarehouseId), Decimal>,
    left: HashMap<(PartId, WarehouseId), Decimal>,
}

impl<'a> Stock<'a> {
    /// Starting from what is available now, per (part, warehouse).
    pub fn new(available: &'a HashMap<(PartId, WarehouseId), Decimal>) -> Self {
        Stock {
            available,
            left: HashMap::new(),
        }
    }

    /// Take `quantity` of `part` at `warehouse` for the next occurrence.
    pub fn take(
        &mut self,
        warehouse: Option<WarehouseId>,
        part: PartId,
        quantity: Decimal,
    ) -> Cover {
        let Some(w) = warehouse else {
            return Cover {
                covered: false,
                shortfall: quantity,
            };
        };
        let available = self.available;
        let have = self.left.entry((part, w)).or_insert_with(|| {
            available
                .get(&(part, w))
                .copied()
                .unwrap_or_default()
                .max(Decimal::ZERO)
        });
        let taken = quantity.min(*have);
        *have -= taken;
        Cover {
            covered: taken == quantity,
            shortfall: quantity - taken,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime, TimeZone};
    use chrono_tz::Europe::Berlin;

    use crate::maintenance::occurrence::IntervalUnit;

    fn utc(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, m, d, h, 0, 0).unwrap()
    }

    fn weekly(mode: IntervalMode) -> CalendarTrigger {
        CalendarTrigger::interval(
            1,
            IntervalUnit::Weeks,
            NaiveDate::from_ymd_opt(2027, 1, 4).unwrap(),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
            mode,
        )
        .unwrap()
    }

    fn outlook(calendar: Option<&CalendarTrigger>, meter: Option<MeterOutlook>) -> PairOutlook<'_> {
        PairOutlook {
            calendar,
            tz: Berlin,
            last_resolution: None,
            meter,
            in_work: false,
            calendar_dues: None,
        }
    }

    #[test]
    fn a_fixed_calendar_lists_its_occurrences_in_the_window() {
        let t = weekly(IntervalMode::Fixed);
        let due = project(&outlook(Some(&t), None), utc(1, 1, 0), utc(1, 31, 0));
        let days: Vec<u32> = due.iter().map(|d| chrono::Datelike::day(&d.at)).collect();
        assert_eq!(days, [4, 11, 18, 25]);
        assert!(due.iter().all(|d| d.trigger == PmTrigger::Calendar));
    }

    #[test]
    fn a_meter_is_projected_from_its_daily_usage() {
        // 100 h left at 20 h a day: due in 5 days, then every 25 days
        let m = MeterOutlook {
            every: 500.0,
            used: 400.0,
            per_day: 20.0,
        };
        let due = project(&outlook(None, Some(m)), utc(1, 1, 0), utc(2, 28, 0));
        assert_eq!(
            due.iter().map(|d| d.at).collect::<Vec<_>>(),
            [utc(1, 6, 0), utc(1, 31, 0), utc(2, 25, 0)]
        );
        assert!(due.iter().all(|d| d.trigger == PmTrigger::Meter));
    }

    #[test]
    fn an_unused_meter_projects_nothing() {
        let m = MeterOutlook {
            every: 500.0,
            used: 0.0,
            per_day: 0.0,
        };
        assert!(project(&outlook(None, Some(m)), utc(1, 1, 0), utc(12, 31, 0)).is_empty());
    }

    #[test]
    fn with_both_triggers_whichever_comes_first_and_the_meter_restarts() {
        // weekly calendar; the meter would fall due after 10 days of use each time
        let t = weekly(IntervalMode::Fixed);
        let m = MeterOutlook {
            every: 100.0,
            used: 95.0,
            per_day: 10.0,
        };
        let due = project(&outlook(Some(&t), Some(m)), utc(1, 1, 0), utc(1, 20, 0));
        assert_eq!(
            due[0],
            Due {
                at: Utc.with_ymd_and_hms(2027, 1, 1, 12, 0, 0).unwrap(),
                trigger: PmTrigger::Meter
            }
        );
        // the calendar still comes every Monday (08:00 UTC); the meter never catches up
        assert_eq!(
            due[1..]
                .iter()
                .map(|d| (d.at, d.trigger))
                .collect::<Vec<_>>(),
            [
                (utc(1, 4, 8), PmTrigger::Calendar),
                (utc(1, 11, 8), PmTrigger::Calendar),
                (utc(1, 18, 8), PmTrigger::Calendar)
            ]
        );
    }

    #[test]
    fn a_cron_with_a_meter_is_the_same_from_a_shared_listing_of_its_occurrences() {
        // every Monday 08:00 Berlin, or every 4 days of use, whichever comes first
        let t = CalendarTrigger::cron("0 8 * * 1").unwrap();
        let m = MeterOutlook {
            every: 100.0,
            used: 60.0,
            per_day: 25.0,
        };
        let (from, to) = (utc(1, 1, 0), utc(3, 1, 0));
        let alone = project(&outlook(Some(&t), Some(m)), from, to);
        let listed = t.occurrences_between(Berlin, from, to, None);
        let shared = project(
            &PairOutlook {
                calendar_dues: Some(&listed),
                ..outlook(Some(&t), Some(m))
            },
            from,
            to,
        );
        assert_eq!(alone, shared);
        assert!(alone.iter().any(|d| d.trigger == PmTrigger::Calendar));
        assert!(alone.iter().any(|d| d.trigger == PmTrigger::Meter));
        // in due order, each once
        assert!(alone.windows(2).all(|w| w[1].at > w[0].at));
    }

    #[test]
    fn a_floating_interval_counts_from_each_projected_resolution() {
        let t = weekly(IntervalMode::Floating);
        let m = MeterOutlook {
            every: 100.0,
            used: 0.0,
            per_day: 20.0,
        };
        // the meter falls due every 5 days, before each week is up: the calendar never fires
        let due = project(&outlook(Some(&t), Some(m)), utc(1, 5, 0), utc(1, 25, 0));
        assert!(due.iter().all(|d| d.trigger == PmTrigger::Meter), "{due:?}");
        assert_eq!(due.len(), 4);
    }

    #[test]
    fn while_a_ticket_is_in_work_the_next_cycle_counts_from_now() {
        let m = MeterOutlook {
            every: 100.0,
            used: 150.0,
            per_day: 10.0,
        };
        let p = PairOutlook {
            in_work: true,
            ..outlook(None, Some(m))
        };
        assert_eq!(
            project(&p, utc(1, 1, 0), utc(1, 31, 0))[0].at,
            utc(1, 11, 0)
        );
    }

    #[test]
    fn projections_are_bounded_per_pair() {
        let every_minute = CalendarTrigger::cron("* * * * *").unwrap();
        let due = project(
            &outlook(Some(&every_minute), None),
            utc(1, 1, 0),
            utc(3, 1, 0),
        );
        assert_eq!(due.len(), MAX_PER_PAIR);
    }

    #[test]
    fn stock_covers_occurrences_cumulatively_in_due_order() {
        let (p, w) = (PartId::new(), WarehouseId::new());
        let available = HashMap::from([((p, w), Decimal::from(3))]);
        let two = Decimal::from(2);
        let mut stock = Stock::new(&available);
        let cover = [
            stock.take(Some(w), p, two),
            stock.take(Some(w), p, two),
            stock.take(Some(w), p, two),
            stock.take(None, p, Decimal::ONE),
        ];
        assert_eq!(
            cover[0],
            Cover {
                covered: true,
                shortfall: Decimal::ZERO
            }
        );
        assert_eq!(
            cover[1],
            Cover {
                covered: false,
                shortfall: Decimal::ONE
            }
        );
        assert_eq!(
            cover[2],
            Cover {
                covered: false,
                shortfall: Decimal::from(2)
            }
        );
        assert_eq!(
            cover[3],
            Cover {
                covered: false,
                shortfall: Decimal::ONE
            },
            "no serving warehouse"
        );
    }
}
