//! Site wall-clock time ↔ UTC instants under DESIGN.md's daylight-saving rule: a local
//! time that does not exist (spring-forward gap) fires at the next valid minute after
//! the gap, a repeated one (fall-back) at its first, earlier instant. Pure; no I/O.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The wall-clock time at `instant` in `tz`.
pub fn local(tz: Tz, instant: DateTime<Utc>) -> NaiveDateTime {
    instant.with_timezone(&tz).naive_local()
}

/// The instant a local time fires at. Never decreasing in `local`, so occurrences
/// listed in wall-clock order stay in instant order (several gap times may share one).
pub fn instant(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.to_utc(),
        LocalResult::Ambiguous(earlier, later) => earlier.min(later).to_utc(),
        LocalResult::None => after_gap(tz, local),
    }
}

/// The first whole local minute after `local` that exists. Gaps are an hour or two in
/// practice; the search is capped at two days, beyond which no zone has ever jumped.
fn after_gap(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut minute = local
        .with_second(0)
        .and_then(|m| m.with_nanosecond(0))
        .unwrap_or(local);
    for _ in 0..2 * 24 * 60 {
        minute += Duration::minutes(1);
        if let Some(t) = tz.from_local_datetime(&minute).earliest() {
            return t.to_utc();
        }
    }
    // Unreachable with real zone data: read the time with the offset in force then.
    let offset = tz.offset_from_utc_datetime(&local).fix();
    (local - Duration::seconds(offset.local_minus_utc().into())).and_utc()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use chrono_tz::Europe::Berlin;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn a_time_in_the_spring_gap_fires_when_the_gap_ends() {
        assert_eq!(
            instant(Berlin, at(2026, 3, 29, 2, 30)),
            at(2026, 3, 29, 1, 0).and_utc()
        );
        assert_eq!(
            instant(Berlin, at(2026, 3, 29, 2, 0)),
            at(2026, 3, 29, 1, 0).and_utc()
        );
    }

    #[test]
    fn a_repeated_autumn_time_fires_at_its_first_instant() {
        assert_eq!(
            instant(Berlin, at(2026, 10, 25, 2, 30)),
            at(2026, 10, 25, 0, 30).and_utc()
        );
    }

    #[test]
    fn local_and_instant_round_trip_outside_changes() {
        let t = at(2026, 7, 1, 9, 0);
        assert_eq!(local(Berlin, instant(Berlin, t)), t);
    }
}
