//! Specification of calendar occurrences: daylight-saving changes in two zones, cron
//! day matching, month-end clamping, fixed and floating intervals, catch-up.

use super::*;
use chrono::TimeZone;
use chrono_tz::America::New_York;
use chrono_tz::Europe::Berlin;
use chrono_tz::UTC;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn time(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn cron(expr: &str) -> CalendarTrigger {
    CalendarTrigger::cron(expr).unwrap()
}

fn every(n: u32, unit: IntervalUnit, anchor: NaiveDate, at: NaiveTime) -> CalendarTrigger {
    CalendarTrigger::interval(n, unit, anchor, at, IntervalMode::Fixed).unwrap()
}

#[test]
fn daily_0900_berlin_stays_at_0900_local_across_spring_forward() {
    let got = cron("0 9 * * *").occurrences_between(
        Berlin,
        utc(2026, 3, 27, 0, 0),
        utc(2026, 3, 31, 0, 0),
        None,
    );
    assert_eq!(
        got,
        [
            utc(2026, 3, 27, 8, 0),
            utc(2026, 3, 28, 8, 0),
            utc(2026, 3, 29, 7, 0),
            utc(2026, 3, 30, 7, 0),
        ]
    );
}

#[test]
fn daily_0900_berlin_stays_at_0900_local_across_fall_back() {
    let got = cron("0 9 * * *").occurrences_between(
        Berlin,
        utc(2026, 10, 23, 12, 0),
        utc(2026, 10, 27, 0, 0),
        None,
    );
    assert_eq!(
        got,
        [
            utc(2026, 10, 24, 7, 0),
            utc(2026, 10, 25, 8, 0),
            utc(2026, 10, 26, 8, 0),
        ]
    );
}

#[test]
fn a_0230_plan_fires_once_at_0300_local_on_the_spring_forward_day() {
    let plan = cron("30 2 * * *");
    // The whole local day of March 29 (CET midnight to CEST midnight).
    let day = plan.occurrences_between(
        Berlin,
        utc(2026, 3, 28, 23, 0),
        utc(2026, 3, 29, 22, 0),
        None,
    );
    assert_eq!(day, [utc(2026, 3, 29, 1, 0)]);
    assert_eq!(
        plan.next_after(Berlin, utc(2026, 3, 29, 1, 0), None),
        Some(utc(2026, 3, 30, 0, 30))
    );
}

#[test]
fn a_0230_plan_fires_once_on_the_fall_back_day_at_the_first_0230() {
    let plan = cron("30 2 * * *");
    // The whole local day of October 25 (CEST midnight to CET midnight, 25 hours).
    let day = plan.occurrences_between(
        Berlin,
        utc(2026, 10, 24, 22, 0),
        utc(2026, 10, 25, 23, 0),
        None,
    );
    assert_eq!(day, [utc(2026, 10, 25, 0, 30)]);
    // Not again at the second 02:30 (01:30 UTC).
    assert_eq!(
        plan.next_after(Berlin, utc(2026, 10, 25, 0, 30), None),
        Some(utc(2026, 10, 26, 1, 30))
    );
}

#[test]
fn interval_times_follow_the_same_daylight_saving_rule() {
    let plan = every(1, IntervalUnit::Days, date(2026, 3, 1), time(2, 30));
    let got = plan.occurrences_between(
        Berlin,
        utc(2026, 3, 27, 12, 0),
        utc(2026, 3, 30, 12, 0),
        None,
    );
    assert_eq!(
        got,
        [
            utc(2026, 3, 28, 1, 30),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 30, 0, 30)
        ]
    );
}

#[test]
fn every_15_minutes_fires_four_times_an_hour() {
    let got = cron("*/15 * * * *").occurrences_between(
        Berlin,
        utc(2026, 11, 23, 8, 0),
        utc(2026, 11, 23, 9, 0),
        None,
    );
    assert_eq!(
        got,
        [
            utc(2026, 11, 23, 8, 15),
            utc(2026, 11, 23, 8, 30),
            utc(2026, 11, 23, 8, 45),
            utc(2026, 11, 23, 9, 0),
        ]
    );
}

#[test]
fn every_15_minutes_collapses_the_spring_gap_into_one_firing() {
    // Local 01:45 CET, then 02:00–02:45 do not exist and fire with 03:00 CEST, once.
    let got = cron("*/15 * * * *").occurrences_between(
        Berlin,
        utc(2026, 3, 29, 0, 30),
        utc(2026, 3, 29, 1, 30),
        None,
    );
    assert_eq!(
        got,
        [
            utc(2026, 3, 29, 0, 45),
            utc(2026, 3, 29, 1, 0),
            utc(2026, 3, 29, 1, 15),
            utc(2026, 3, 29, 1, 30),
        ]
    );
}

#[test]
fn weekday_cron_skips_the_weekend() {
    // Friday 2026-11-20 after 08:00 local: next is Monday 08:00 CET.
    assert_eq!(
        cron("0 8 * * 1-5").next_after(Berlin, utc(2026, 11, 20, 7, 0), None),
        Some(utc(2026, 11, 23, 7, 0))
    );
    assert_eq!(
        cron("0 8 * * MON").next_after(Berlin, utc(2026, 11, 23, 7, 0), None),
        Some(utc(2026, 11, 30, 7, 0))
    );
}

#[test]
fn restricted_day_of_month_and_day_of_week_match_either_like_vixie_cron() {
    let got = cron("0 12 13 * 5").occurrences_between(
        UTC,
        utc(2026, 11, 30, 0, 0),
        utc(2026, 12, 31, 0, 0),
        None,
    );
    let days: Vec<u32> = got.iter().map(|t| t.day()).collect();
    assert_eq!(days, [4, 11, 13, 18, 25]);
}

#[test]
fn monthly_from_jan_31_clamps_to_month_end_without_drifting() {
    let plan = every(1, IntervalUnit::Months, date(2026, 1, 31), time(10, 0));
    let got = plan.occurrences_between(Berlin, utc(2026, 1, 1, 0, 0), utc(2026, 5, 1, 0, 0), None);
    assert_eq!(
        got,
        [
            utc(2026, 1, 31, 9, 0),
            utc(2026, 2, 28, 9, 0),
            utc(2026, 3, 31, 8, 0),
            utc(2026, 4, 30, 8, 0),
        ]
    );
    // Far from the anchor it still lands on month ends, and on Feb 29 in a leap year.
    assert_eq!(
        plan.next_after(Berlin, utc(2028, 2, 1, 0, 0), None),
        Some(utc(2028, 2, 29, 9, 0))
    );
}

#[test]
fn nothing_is_due_before_the_anchor() {
    let plan = every(3, IntervalUnit::Months, date(2027, 1, 15), time(0, 0));
    assert_eq!(
        plan.next_after(UTC, utc(2026, 1, 1, 0, 0), None),
        Some(utc(2027, 1, 15, 0, 0))
    );
}

#[test]
fn fixed_fortnightly_counts_from_the_anchor() {
    let plan = every(2, IntervalUnit::Weeks, date(2026, 11, 2), time(7, 30));
    assert_eq!(
        plan.next_after(Berlin, utc(2026, 11, 20, 0, 0), None),
        Some(utc(2026, 11, 30, 6, 30))
    );
    // A resolution does not move a fixed interval.
    assert_eq!(
        plan.next_after(
            Berlin,
            utc(2026, 11, 20, 0, 0),
            Some(utc(2026, 11, 19, 0, 0))
        ),
        Some(utc(2026, 11, 30, 6, 30))
    );
}

#[test]
fn floating_counts_from_the_local_date_of_the_last_resolution() {
    let plan = CalendarTrigger::interval(
        10,
        IntervalUnit::Days,
        date(2026, 1, 1),
        time(8, 0),
        IntervalMode::Floating,
    )
    .unwrap();
    // Resolved 23:30 UTC on Nov 5, already Nov 6 in Berlin: due Nov 16 08:00 local.
    let resolved = Some(utc(2026, 11, 5, 23, 30));
    assert_eq!(
        plan.next_after(Berlin, utc(2026, 11, 6, 0, 0), resolved),
        Some(utc(2026, 11, 16, 7, 0))
    );
    // Projected onward as if each were resolved when due.
    assert_eq!(
        plan.occurrences_between(
            Berlin,
            utc(2026, 11, 6, 0, 0),
            utc(2026, 12, 1, 0, 0),
            resolved
        ),
        [utc(2026, 11, 16, 7, 0), utc(2026, 11, 26, 7, 0)]
    );
    // Never resolved: the anchor is the first due date.
    assert_eq!(
        plan.next_after(Berlin, utc(2025, 12, 1, 0, 0), None),
        Some(utc(2026, 1, 1, 7, 0))
    );
}

#[test]
fn new_york_keeps_local_time_and_the_rule_on_its_own_change_dates() {
    let daily = cron("0 9 * * *");
    assert_eq!(
        daily.occurrences_between(New_York, utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0), None),
        [utc(2026, 3, 7, 14, 0), utc(2026, 3, 8, 13, 0)]
    );
    // 02:30 does not exist on March 8: 03:00 EDT.
    assert_eq!(
        cron("30 2 * * *").next_after(New_York, utc(2026, 3, 8, 0, 0), None),
        Some(utc(2026, 3, 8, 7, 0))
    );
    // 01:30 happens twice on November 1: once, in EDT.
    let fall = cron("30 1 * * *").occurrences_between(
        New_York,
        utc(2026, 11, 1, 4, 0),
        utc(2026, 11, 2, 5, 0),
        None,
    );
    assert_eq!(fall, [utc(2026, 11, 1, 5, 30)]);
}

#[test]
fn invalid_cron_is_refused_with_the_expression_in_the_message() {
    for expr in [
        "61 * * * *",
        "0 9 * *",
        "0 0 9 * * *",
        "0 0 30 2 *",
        "0 9 * * +1",
        "hello",
    ] {
        let err = CalendarTrigger::cron(expr).unwrap_err();
        assert!(err.starts_with("cron: "), "{err}");
        assert!(err.contains(expr), "{err}");
    }
    let stored = CalendarTrigger::Cron {
        expr: "not cron".into(),
    };
    assert!(stored.validate().is_err());
    assert_eq!(stored.next_after(UTC, utc(2026, 1, 1, 0, 0), None), None);
}

#[test]
fn nicknames_and_names_are_accepted() {
    assert_eq!(
        cron("@daily").next_after(UTC, utc(2026, 1, 1, 0, 0), None),
        Some(utc(2026, 1, 2, 0, 0))
    );
    assert_eq!(
        cron("0 6 1 JAN *").next_after(UTC, utc(2026, 1, 1, 7, 0), None),
        Some(utc(2027, 1, 1, 6, 0))
    );
}

#[test]
fn zero_or_huge_intervals_are_refused() {
    let try_every = |n, unit| {
        CalendarTrigger::interval(n, unit, date(2026, 1, 1), time(0, 0), IntervalMode::Fixed)
    };
    assert_eq!(
        try_every(0, IntervalUnit::Days).unwrap_err(),
        "interval: every must be between 1 and 3660 days, not 0"
    );
    assert!(try_every(121, IntervalUnit::Months).is_err());
    assert!(try_every(120, IntervalUnit::Months).is_ok());
}

#[test]
fn catch_up_reports_three_missed_daily_occurrences_and_the_latest() {
    let plan = cron("0 9 * * *");
    // Last ran just after Nov 20's 09:00; back at 11:00 local on Nov 23.
    let missed = plan.missed(
        Berlin,
        utc(2026, 11, 20, 8, 30),
        utc(2026, 11, 23, 10, 0),
        None,
    );
    assert_eq!(
        missed,
        Missed {
            count: 3,
            latest: Some(utc(2026, 11, 23, 8, 0))
        }
    );
    let none = plan.missed(
        Berlin,
        utc(2026, 11, 23, 8, 0),
        utc(2026, 11, 23, 10, 0),
        None,
    );
    assert_eq!(
        none,
        Missed {
            count: 0,
            latest: None
        }
    );
}

#[test]
fn listings_are_capped_but_the_latest_missed_is_still_exact() {
    let minutely = cron("* * * * *");
    let since = utc(2026, 1, 1, 0, 0);
    let now = utc(2026, 3, 1, 12, 34);
    assert_eq!(
        minutely.occurrences_between(UTC, since, now, None).len(),
        MAX_OCCURRENCES
    );
    assert_eq!(
        minutely.missed(UTC, since, now, None),
        Missed {
            count: MAX_OCCURRENCES,
            latest: Some(now)
        }
    );
}

#[test]
fn occurrences_are_whole_minutes_whatever_the_seconds_of_the_start() {
    let after =
        utc(2027, 1, 10, 7, 59) + Duration::nanoseconds(678_495_306) + Duration::seconds(17);
    let next = cron("0 9 * * *").next_after(Berlin, after, None).unwrap();
    assert_eq!(next, utc(2027, 1, 10, 8, 0));
    let all =
        cron("*/30 * * * *").occurrences_between(Berlin, after, after + Duration::hours(1), None);
    assert_eq!(all, [utc(2027, 1, 10, 8, 0), utc(2027, 1, 10, 8, 30)]);
}
