//! Gaps in a device's `seq`: pure. A device numbers its messages; numbers skipped when a
//! higher one first arrives are counted as gaps (a late message does not undo the count),
//! and a number far below the last one is a device restart, not a late message.

/// A `seq` this far below the last one starts counting again (the device restarted).
pub const RESTART_BELOW: i64 = 1000;

/// The new last `seq` and the numbers skipped, given the last `seq` stored for the
/// device (`None`: none yet) and the `seq`s of a batch in any order.
pub fn advance(last: Option<i64>, seqs: &[i64]) -> (Option<i64>, i64) {
    let mut sorted = seqs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut current = last;
    let mut gaps = 0;
    for s in sorted {
        match current {
            None => current = Some(s),
            Some(c) if s > c => {
                gaps += s - c - 1;
                current = Some(s);
            }
            Some(c) if c - s > RESTART_BELOW => current = Some(s),
            Some(_) => {} // late or repeated
        }
    }
    (current, gaps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_numbers_have_no_gap() {
        assert_eq!(advance(Some(4), &[5, 6, 7]), (Some(7), 0));
        assert_eq!(advance(None, &[10, 11]), (Some(11), 0));
    }

    #[test]
    fn skipped_numbers_are_counted_whatever_the_arrival_order() {
        assert_eq!(advance(Some(4), &[9, 6]), (Some(9), 3));
        assert_eq!(advance(None, &[3, 1]), (Some(3), 1));
    }

    #[test]
    fn late_and_repeated_numbers_change_nothing() {
        assert_eq!(advance(Some(10), &[8, 10, 10]), (Some(10), 0));
    }

    #[test]
    fn a_number_far_below_the_last_is_a_restart() {
        assert_eq!(advance(Some(50_000), &[1, 2]), (Some(2), 0));
    }

    #[test]
    fn no_numbers_keep_the_last() {
        assert_eq!(advance(Some(3), &[]), (Some(3), 0));
        assert_eq!(advance(None, &[]), (None, 0));
    }
}
