//! The arithmetic of stock, apart from any I/O: how an issue splits between a ticket's
//! reservation and free stock, how freed stock fills shortages, how receipts move the
//! moving-average cost, and what to reorder.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::decimal::{Money, Quantity};

/// How an issue to a ticket is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IssueSplit {
    /// Taken from the ticket's own reservation.
    pub from_reservation: Decimal,
    /// Taken from unreserved stock.
    pub from_free: Decimal,
}

/// Split an issue of `qty` between the ticket's reservation (`reserved_for_ticket`) and
/// free stock (`available`, which excludes every reservation). `Err` carries what the
/// ticket could have: its reservation plus the free stock.
pub fn split_issue(
    qty: Decimal,
    reserved_for_ticket: Decimal,
    available: Decimal,
) -> Result<IssueSplit, Decimal> {
    let from_reservation = qty.min(reserved_for_ticket);
    let from_free = qty - from_reservation;
    if from_free > available {
        return Err(reserved_for_ticket + available.max(Decimal::ZERO));
    }
    Ok(IssueSplit {
        from_reservation,
        from_free,
    })
}

/// Hand `available` stock to shortages in order (oldest first); returns how much each
/// gets, in the same order, stopping when the stock runs out.
pub fn fill_shortages(mut available: Decimal, shortages: &[Decimal]) -> Vec<Decimal> {
    shortages
        .iter()
        .map(|short| {
            let take = available.min(*short).max(Decimal::ZERO);
            available -= take;
            take
        })
        .collect()
}

/// Take `excess` back from reservations, newest first (`held` is in creation order);
/// returns how much each one gives up, in creation order.
pub fn trim_reservations(mut excess: Decimal, held: &[Decimal]) -> Vec<Decimal> {
    let mut out = vec![Decimal::ZERO; held.len()];
    for (i, h) in held.iter().enumerate().rev() {
        if excess <= Decimal::ZERO {
            break;
        }
        let take = excess.min(*h);
        out[i] = take;
        excess -= take;
    }
    out
}

/// The moving-average unit cost after `qty` (signed: a receipt or its reversal) at
/// `cost` joins `on_hand` units valued at `average`. Rounded to cents of a cent.
pub fn moving_average(on_hand: Decimal, average: Money, qty: Decimal, cost: Money) -> Money {
    let after = on_hand + qty;
    if after <= Decimal::ZERO {
        // nothing left to average: keep the last known cost
        return if qty > Decimal::ZERO { cost } else { average };
    }
    if on_hand <= Decimal::ZERO {
        return cost;
    }
    let value = on_hand * average.0 + qty * cost.0;
    let avg = (value / after)
        .round_dp_with_strategy(Money::SCALE, RoundingStrategy::MidpointAwayFromZero)
        .max(Decimal::ZERO);
    Money(avg.normalize())
}

/// What the reorder position of a balance asks for, if it is at or below its point.
/// The position is what is available plus what is already on order. The suggestion
/// orders the reorder quantity (or, without one, what brings the position back to the
/// point) as many times as needed to lift the position above the point, and at least
/// the supplier's minimum order quantity.
pub fn reorder_quantity(
    available: Quantity,
    on_order: Quantity,
    reorder_point: Option<Quantity>,
    reorder_qty: Option<Quantity>,
    min_order_qty: Option<Quantity>,
) -> Option<Quantity> {
    let point = reorder_point?.0;
    let position = available.0 + on_order.0;
    if position > point {
        return None;
    }
    let gap = point - position;
    let qty = match reorder_qty.map(|q| q.0).filter(|q| *q > Decimal::ZERO) {
        // the smallest multiple of Q that lifts the position above the point
        Some(q) => q * ((gap / q).floor() + Decimal::ONE),
        None => gap,
    };
    let qty = qty.max(min_order_qty.map(|m| m.0).unwrap_or(Decimal::ONE));
    Some(Quantity(qty.normalize()))
}

/// `price × qty` as money, rounded like every amount.
pub fn value(qty: Quantity, price: Money) -> Money {
    Money(
        (qty.0 * price.0)
            .round_dp_with_strategy(Money::SCALE, RoundingStrategy::MidpointAwayFromZero)
            .normalize(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }
    fn q(s: &str) -> Quantity {
        s.parse().unwrap()
    }
    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn an_issue_uses_the_tickets_reservation_first_then_free_stock() {
        let s = split_issue(d("5"), d("3"), d("4")).unwrap();
        assert_eq!((s.from_reservation, s.from_free), (d("3"), d("2")));
        assert_eq!(
            split_issue(d("2"), d("3"), d("0")).unwrap().from_free,
            d("0")
        );
    }

    #[test]
    fn an_issue_beyond_reservation_and_free_stock_says_what_could_be_had() {
        assert_eq!(split_issue(d("8"), d("3"), d("4")), Err(d("7")));
        assert_eq!(split_issue(d("1"), d("0"), d("0")), Err(d("0")));
    }

    #[test]
    fn shortages_fill_oldest_first_until_stock_runs_out() {
        assert_eq!(
            fill_shortages(d("5"), &[d("2"), d("4"), d("1")]),
            vec![d("2"), d("3"), d("0")]
        );
    }

    #[test]
    fn trimming_takes_from_the_newest_reservation_first() {
        assert_eq!(
            trim_reservations(d("4"), &[d("3"), d("2"), d("1")]),
            vec![d("1"), d("2"), d("1")]
        );
        assert_eq!(trim_reservations(d("0"), &[d("3")]), vec![d("0")]);
    }

    #[test]
    fn receipts_move_the_moving_average() {
        // 10 at 2.00 and 10 more at 3.00 average 2.50
        assert_eq!(moving_average(d("10"), m("2"), d("10"), m("3")), m("2.5"));
        // 3 at 1.00 plus 1 at 2.00 → 1.25
        assert_eq!(moving_average(d("3"), m("1"), d("1"), m("2")), m("1.25"));
        // 1/3 rounds to four places
        assert_eq!(moving_average(d("2"), m("0"), d("1"), m("1")), m("0.3333"));
        // the first receipt sets it
        assert_eq!(moving_average(d("0"), m("9"), d("5"), m("4")), m("4"));
        // reversing the second receipt gives the first average back
        assert_eq!(moving_average(d("20"), m("2.5"), d("-10"), m("3")), m("2"));
    }

    #[test]
    fn reorder_suggests_multiples_of_the_reorder_quantity() {
        // position 4 at point 5 with Q 10 → 10
        assert_eq!(
            reorder_quantity(q("4"), q("0"), Some(q("5")), Some(q("10")), None),
            Some(q("10"))
        );
        // position -? no: available 0, point 25, Q 10 → 30 lifts the position to 30 > 25
        assert_eq!(
            reorder_quantity(q("0"), q("0"), Some(q("25")), Some(q("10")), None),
            Some(q("30"))
        );
        // at the point exactly counts as fallen to it
        assert_eq!(
            reorder_quantity(q("5"), q("0"), Some(q("5")), Some(q("2")), None),
            Some(q("2"))
        );
        // on order counts toward the position
        assert_eq!(
            reorder_quantity(q("4"), q("2"), Some(q("5")), Some(q("10")), None),
            None
        );
        // without a point nothing is suggested
        assert_eq!(
            reorder_quantity(q("0"), q("0"), None, Some(q("10")), None),
            None
        );
        // the supplier's minimum wins
        assert_eq!(
            reorder_quantity(q("1.5"), q("0"), Some(q("2")), None, Some(q("12"))),
            Some(q("12"))
        );
        // without Q: the gap, at least 1 unit
        assert_eq!(
            reorder_quantity(q("1"), q("0"), Some(q("4")), None, None),
            Some(q("3"))
        );
    }

    #[test]
    fn values_round_to_four_places() {
        assert_eq!(value(q("3"), m("0.3333")), m("0.9999"));
        assert_eq!(value(q("2.5"), m("4.2")), m("10.5"));
    }
}
