//! Meter arithmetic for meter-triggered plans, apart from any I/O: readings are taken in
//! timestamp order, and a counter that goes backwards was reset (replaced, or rolled
//! over), so what it shows after the drop is usage since the reset, never negative
//! usage.

use chrono::{DateTime, Utc};

/// The usage between consecutive readings, in timestamp order (ties keep their order).
/// A reading lower than the one before is a reset: it counts its own value.
pub fn usage(readings: &[(DateTime<Utc>, f64)]) -> f64 {
    let mut sorted: Vec<&(DateTime<Utc>, f64)> = readings.iter().collect();
    sorted.sort_by_key(|r| r.0);
    sorted
        .windows(2)
        .map(|w| {
            let (before, after) = (w[0].1, w[1].1);
            if after >= before {
                after - before
            } else {
                after.max(0.0)
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + min * 60, 0).unwrap()
    }

    #[test]
    fn usage_is_the_rise_between_readings() {
        assert_eq!(
            usage(&[(at(0), 100.0), (at(1), 110.0), (at(2), 125.5)]),
            25.5
        );
        assert_eq!(usage(&[(at(0), 100.0)]), 0.0);
        assert_eq!(usage(&[]), 0.0);
    }

    #[test]
    fn readings_count_in_timestamp_order_not_arrival_order() {
        let arrived = [(at(2), 125.0), (at(0), 100.0), (at(1), 110.0)];
        assert_eq!(usage(&arrived), 25.0);
    }

    #[test]
    fn a_counter_that_goes_backwards_was_reset() {
        // 100 → 180 (80), reset, 0 → 30 shows as 30 (30), → 50 (20)
        assert_eq!(
            usage(&[(at(0), 100.0), (at(1), 180.0), (at(2), 30.0), (at(3), 50.0)]),
            130.0
        );
    }
}
