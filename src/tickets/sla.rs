//! SLA clocks, as pure functions of a ticket's times. Targets are calendar hours per
//! priority and customer tier (table `sla_targets`, tier `*` the default). The response
//! clock stops at the first `in_progress`; time on hold waiting for the customer moves
//! the resolution due time later; a PM ticket's resolution is due at its occurrence and
//! it has no response target. A clock is at risk when less than 20% of its window is
//! left, breached when it ran past its due time.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The targets for one (tier, priority).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub response_hours: Option<i32>,
    pub resolution_hours: i32,
}

/// Due times for a ticket opened at `created`: PM tickets (`pm_due`) are due at their
/// occurrence with no response target.
pub fn due_times(
    created: DateTime<Utc>,
    targets: Targets,
    pm_due: Option<DateTime<Utc>>,
    customer_hold_seconds: i64,
) -> (Option<DateTime<Utc>>, DateTime<Utc>) {
    match pm_due {
        Some(due) => (None, due),
        None => (
            targets
                .response_hours
                .map(|h| created + Duration::hours(h.into())),
            created
                + Duration::hours(targets.resolution_hours.into())
                + Duration::seconds(customer_hold_seconds),
        ),
    }
}

crate::text_enum! {
    /// Where an SLA clock stands.
    pub enum ClockState {
        /// Met, or running with more than 20% of its window left.
        Ok = "ok",
        /// Running with less than 20% of its window left.
        AtRisk = "at_risk",
        /// Ran, or is running, past its due time.
        Breached = "breached",
        /// Paused (waiting for the customer) or without a target.
        None = "none",
    }
}

/// The SLA of a ticket as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Sla {
    /// The worse of the two clocks.
    pub state: ClockState,
    pub response: ClockState,
    pub resolution: ClockState,
}

/// One clock: `stopped` is when it stopped (or `None` while running), `paused_at` when
/// it was paused.
pub fn clock(
    start: DateTime<Utc>,
    due: Option<DateTime<Utc>>,
    stopped: Option<DateTime<Utc>>,
    paused_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ClockState {
    let Some(due) = due else {
        return ClockState::None;
    };
    if let Some(end) = stopped {
        return if end > due {
            ClockState::Breached
        } else {
            ClockState::Ok
        };
    }
    let at = paused_at.unwrap_or(now);
    if at > due {
        return ClockState::Breached;
    }
    let window = (due - start).num_seconds().max(1);
    let left = (due - at).num_seconds();
    if left * 5 < window {
        ClockState::AtRisk
    } else {
        ClockState::Ok
    }
}

/// Both clocks of a ticket. `end` is when its resolution clock stopped (resolved, or
/// cancelled).
pub fn sla(
    created: DateTime<Utc>,
    response_due: Option<DateTime<Utc>>,
    responded: Option<DateTime<Utc>>,
    resolution_due: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    hold_started: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Sla {
    let response = clock(created, response_due, responded.or(end), None, now);
    let resolution = clock(created, Some(resolution_due), end, hold_started, now);
    let rank = |s: ClockState| match s {
        ClockState::Breached => 3,
        ClockState::AtRisk => 2,
        ClockState::Ok => 1,
        ClockState::None => 0,
    };
    let state = if rank(response) >= rank(resolution) {
        response
    } else {
        resolution
    };
    Sla {
        state,
        response,
        resolution,
    }
}

/// SQL (over `tickets`) that is true when a clock is breached; mirrors [`sla`].
pub const BREACHED_SQL: &str = "(tickets.response_due_at IS NOT NULL AND \
     COALESCE(tickets.responded_at, CASE WHEN tickets.status = 'cancelled' THEN tickets.closed_at END, now()) > tickets.response_due_at) \
  OR COALESCE(tickets.resolved_at, CASE WHEN tickets.status = 'cancelled' THEN tickets.closed_at END, \
              tickets.hold_started_at, now()) > tickets.resolution_due_at";

/// SQL (over `tickets`) that is true when a running clock has less than 20% left and
/// none is breached.
pub const AT_RISK_SQL: &str = "NOT (RISK_BREACHED) AND ( \
     (tickets.response_due_at IS NOT NULL AND tickets.responded_at IS NULL AND tickets.status NOT IN ('cancelled', 'resolved', 'closed') \
      AND (tickets.response_due_at - now()) * 5 < (tickets.response_due_at - tickets.created_at)) \
  OR (tickets.resolved_at IS NULL AND tickets.status NOT IN ('cancelled', 'resolved', 'closed') \
      AND (tickets.resolution_due_at - COALESCE(tickets.hold_started_at, now())) * 5 \
          < (tickets.resolution_due_at - tickets.created_at)))";

/// [`AT_RISK_SQL`] with the breach condition filled in.
pub fn at_risk_sql() -> String {
    AT_RISK_SQL.replace("RISK_BREACHED", BREACHED_SQL)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::hours(h)
    }

    const NORMAL: Targets = Targets {
        response_hours: Some(8),
        resolution_hours: 72,
    };

    #[test]
    fn due_times_follow_the_targets_and_customer_hold() {
        assert_eq!(due_times(t(0), NORMAL, None, 0), (Some(t(8)), t(72)));
        assert_eq!(due_times(t(0), NORMAL, None, 3600), (Some(t(8)), t(73)));
        // PM: due at the occurrence, no response target
        assert_eq!(due_times(t(0), NORMAL, Some(t(200)), 0), (None, t(200)));
    }

    #[test]
    fn a_clock_is_at_risk_in_its_last_fifth_and_breached_after() {
        assert_eq!(clock(t(0), Some(t(10)), None, None, t(7)), ClockState::Ok);
        assert_eq!(
            clock(t(0), Some(t(10)), None, None, t(9)),
            ClockState::AtRisk
        );
        assert_eq!(
            clock(t(0), Some(t(10)), None, None, t(11)),
            ClockState::Breached
        );
        // stopped in time stays met, however late it is now
        assert_eq!(
            clock(t(0), Some(t(10)), Some(t(5)), None, t(100)),
            ClockState::Ok
        );
        assert_eq!(
            clock(t(0), Some(t(10)), Some(t(12)), None, t(100)),
            ClockState::Breached
        );
        // paused (waiting for the customer): judged at the pause
        assert_eq!(
            clock(t(0), Some(t(10)), None, Some(t(5)), t(100)),
            ClockState::Ok
        );
        assert_eq!(clock(t(0), None, None, None, t(100)), ClockState::None);
    }

    #[test]
    fn the_ticket_state_is_the_worse_clock() {
        let s = sla(t(0), Some(t(8)), None, t(72), None, None, t(9));
        assert_eq!(
            (s.response, s.resolution, s.state),
            (ClockState::Breached, ClockState::Ok, ClockState::Breached)
        );
        // responded in time, resolution running late
        let s = sla(t(0), Some(t(8)), Some(t(1)), t(72), None, None, t(70));
        assert_eq!(
            (s.response, s.resolution, s.state),
            (ClockState::Ok, ClockState::AtRisk, ClockState::AtRisk)
        );
    }
}
