//! Meter arithmetic for meter-triggered plans, apart from any I/O: readings are taken in
//! timestamp order, and a counter that goes backwards was reset (replaced, or rolled
//! over), so what it shows after the drop is usage since the reset, never negative
//! usage. [`Counter`] accumulates usage incrementally, so the scheduler only reads the
//! readings that arrived since it last looked.

use chrono::{DateTime, Utc};

/// The usage between consecutive readings, in timestamp order (ties keep their order).
/// A reading lower than the one before is a reset: it counts its own value.
pub fn usage(readings: &[(DateTime<Utc>, f64)]) -> f64 {
    let mut sorted: Vec<&(DateTime<Utc>, f64)> = readings.iter().collect();
    sorted.sort_by_key(|r| r.0);
    sorted.windows(2).map(|w| rise(w[0].1, w[1].1)).sum()
}

/// The usage from one reading to the next.
fn rise(before: f64, after: f64) -> f64 {
    if after >= before {
        after - before
    } else {
        after.max(0.0)
    }
}

/// Usage counted from a base reading, fed readings in timestamp order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Counter {
    /// The last reading taken (`None` until the first, which becomes the base).
    pub last: Option<(DateTime<Utc>, f64)>,
    /// Usage since the base.
    pub usage: f64,
}

impl Counter {
    /// Counting from a known value (the plan's start value, or the reading in force
    /// when the previous ticket was resolved); `None` counts from the next reading.
    pub fn from(base: Option<(DateTime<Utc>, f64)>) -> Self {
        Self {
            last: base,
            usage: 0.0,
        }
    }

    /// Take readings (in timestamp order, all after `last`) until usage reaches
    /// `every`; returns the time of the reading at which it did, if one did. Readings
    /// after that one are left for the next cycle: the caller stops there.
    pub fn feed(&mut self, readings: &[(DateTime<Utc>, f64)], every: f64) -> Option<DateTime<Utc>> {
        for &(at, value) in readings {
            if let Some((_, before)) = self.last {
                self.usage += rise(before, value);
            }
            self.last = Some((at, value));
            if self.usage >= every {
                return Some(at);
            }
        }
        None
    }
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

    #[test]
    fn a_counter_fires_at_the_reading_that_reaches_the_interval() {
        let mut c = Counter::from(Some((at(0), 1000.0)));
        assert_eq!(c.feed(&[(at(1), 1200.0), (at(2), 1450.0)], 500.0), None);
        assert_eq!(c.usage, 450.0);
        assert_eq!(
            c.feed(&[(at(3), 1499.0), (at(4), 1500.0), (at(5), 1600.0)], 500.0),
            Some(at(4))
        );
        assert_eq!(c.last, Some((at(4), 1500.0)));
    }

    #[test]
    fn a_counter_counts_across_a_reset() {
        // 900 → 1000 (100); replaced meter restarts at 0 → 50 (50) → 400 (350): 500
        let mut c = Counter::from(Some((at(0), 900.0)));
        let fired = c.feed(
            &[
                (at(1), 1000.0),
                (at(2), 50.0),
                (at(3), 399.0),
                (at(4), 400.0),
            ],
            500.0,
        );
        assert_eq!(fired, Some(at(4)));
    }

    #[test]
    fn without_a_base_the_first_reading_is_the_base() {
        let mut c = Counter::from(None);
        assert_eq!(c.feed(&[(at(1), 5000.0)], 10.0), None);
        assert_eq!(c.usage, 0.0);
        assert_eq!(c.feed(&[(at(2), 5010.0)], 10.0), Some(at(2)));
    }

    #[test]
    fn feeding_in_pieces_equals_feeding_at_once() {
        let readings: Vec<(DateTime<Utc>, f64)> =
            (0..50).map(|i| (at(i), ((i * 37) % 400) as f64)).collect();
        let mut whole = Counter::from(None);
        let once = whole.feed(&readings, 1e9);
        let mut pieces = Counter::from(None);
        for chunk in readings.chunks(7) {
            assert_eq!(pieces.feed(chunk, 1e9), None);
        }
        assert_eq!(once, None);
        assert_eq!(whole, pieces);
        assert_eq!(whole.usage, usage(&readings));
    }
}
