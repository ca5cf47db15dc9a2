//! The threshold state machine of one (rule, asset): pure, no I/O, no clock. The store
//! loads a [`State`], feeds it the batch's readings, persists it and turns the
//! [`Effect`]s into tickets.
//!
//! **Device time and lateness.** Phases advance only over *final* readings, in
//! timestamp order. The state keeps `newest` (the newest reading accepted) and
//! `applied_through` (every reading at or before it is final). A reading arriving with
//! `ts <= applied_through` is late: it is stored by ingest but ignored here. Others wait
//! in a small sorted `buffer`; after each batch `applied_through` moves up to
//! `newest - lateness` and the buffered readings up to it are applied in order. So a
//! reading less than `lateness` behind the newest one seen before it is never late, and
//! it is applied before anything newer — out-of-order delivery within the lateness,
//! duplicates, and any batching give the outcome of ordered delivery (the property
//! test below shuffles readings to prove it). The price is latency: a breach is
//! final once readings `lateness` newer have arrived, or, when none come, once the
//! buffer has waited `lateness` of server time ([`State::flush_all`], the periodic
//! idle flush). Lateness 0 evaluates every reading at once, in arrival order.
//! Two exceptions to ordered delivery, both documented for users: after an idle flush
//! everything up to `newest` is final, and a buffer past [`MAX_BUFFER`] readings applies
//! its oldest early.
//!
//! **Phases.** `normal` → (condition holds) → `pending` since the first reading that
//! breached → (still holding at a reading `duration` later) → `breached` [Breach];
//! a reading that does not breach while pending returns to `normal`. `breached` →
//! (a reading clears, past the hysteresis band) → `normal` [Clear]; readings in the band
//! keep it breached. Duration 0 breaches on the first breaching reading.

use chrono::{DateTime, Duration, Utc};

use super::condition::Condition;

/// The most readings one (rule, asset) keeps waiting for lateness; past it, the oldest
/// are applied early (a device sending hundreds of readings per second of one metric).
pub const MAX_BUFFER: usize = 2_000;

/// What the machine needs of a rule.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Params {
    pub condition: Condition,
    /// Clearing needs the value past the condition by this much (≥ 0).
    pub hysteresis: f64,
    /// How long (device time) the condition must hold before it is a breach.
    pub duration: Duration,
    /// How far behind the newest reading a reading may arrive and still count.
    pub lateness: Duration,
}

/// One reading of the rule's metric: device time and value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub ts: DateTime<Utc>,
    pub value: f64,
}

impl Sample {
    /// The order readings are applied in: time, then value (two devices of one asset
    /// may report the same instant).
    fn key_cmp(&self, other: &Sample) -> std::cmp::Ordering {
        self.ts
            .cmp(&other.ts)
            .then(self.value.total_cmp(&other.value))
    }
}

/// Where a (rule, asset) is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Phase {
    Normal,
    /// The condition has held since `since`, not yet for the rule's duration.
    Pending {
        since: DateTime<Utc>,
    },
    /// Breached since `since` (the reading that completed the duration).
    Breached {
        since: DateTime<Utc>,
    },
}

/// What a reading made happen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    /// The condition held for the duration: `at` and `value` are the reading that
    /// completed it, `since` the first breaching reading.
    Breach {
        at: DateTime<Utc>,
        value: f64,
        since: DateTime<Utc>,
    },
    /// A reading cleared the breach.
    Clear { at: DateTime<Utc>, value: f64 },
}

/// The persisted state of one (rule, asset).
#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub phase: Phase,
    /// The newest reading accepted.
    pub newest: Option<DateTime<Utc>>,
    /// Readings at or before this are final: applied, or ignored as late.
    pub applied_through: Option<DateTime<Utc>>,
    /// Accepted readings not final yet, in application order, without duplicates.
    pub buffer: Vec<Sample>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            phase: Phase::Normal,
            newest: None,
            applied_through: None,
            buffer: Vec::new(),
        }
    }
}

/// What a feed did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub effects: Vec<Effect>,
    /// Readings added to the buffer (neither late nor duplicates).
    pub accepted: usize,
    /// Readings ignored because they arrived too late.
    pub late: usize,
}

impl State {
    /// Take a batch of readings (any order), then apply every reading that became final.
    pub fn feed(&mut self, p: &Params, samples: &[Sample]) -> Outcome {
        let mut out = Outcome::default();
        for s in samples {
            if !s.value.is_finite() || self.applied_through.is_some_and(|t| s.ts <= t) {
                out.late += 1;
                continue;
            }
            match self.buffer.binary_search_by(|b| b.key_cmp(s)) {
                Ok(_) => {} // the same reading again
                Err(i) => {
                    self.buffer.insert(i, *s);
                    out.accepted += 1;
                }
            }
            self.newest = self.newest.max(Some(s.ts));
        }
        if let Some(newest) = self.newest {
            let line = newest - p.lateness;
            self.applied_through = self.applied_through.max(Some(line));
        }
        if self.buffer.len() > MAX_BUFFER {
            let early = self.buffer[self.buffer.len() - MAX_BUFFER - 1].ts;
            self.applied_through = self.applied_through.max(Some(early));
        }
        out.effects = self.apply_final(p);
        out
    }

    /// Make everything received final (no reading came for the lateness, in server time).
    pub fn flush_all(&mut self, p: &Params) -> Vec<Effect> {
        self.applied_through = self.applied_through.max(self.newest);
        self.apply_final(p)
    }

    /// Apply, in order, the buffered readings at or before `applied_through`.
    fn apply_final(&mut self, p: &Params) -> Vec<Effect> {
        let Some(through) = self.applied_through else {
            return Vec::new();
        };
        let n = self.buffer.partition_point(|s| s.ts <= through);
        let mut effects = Vec::new();
        for s in self.buffer.drain(..n) {
            let (phase, effect) = step(self.phase, p, s);
            self.phase = phase;
            effects.extend(effect);
        }
        effects
    }
}

/// One final reading applied to a phase.
pub fn step(phase: Phase, p: &Params, s: Sample) -> (Phase, Option<Effect>) {
    let breach = |since: DateTime<Utc>| {
        (
            Phase::Breached { since: s.ts },
            Some(Effect::Breach {
                at: s.ts,
                value: s.value,
                since,
            }),
        )
    };
    match phase {
        Phase::Normal if p.condition.breached(s.value) => {
            if p.duration <= Duration::zero() {
                breach(s.ts)
            } else {
                (Phase::Pending { since: s.ts }, None)
            }
        }
        Phase::Normal => (Phase::Normal, None),
        Phase::Pending { since } if p.condition.breached(s.value) => {
            if s.ts - since >= p.duration {
                breach(since)
            } else {
                (phase, None)
            }
        }
        Phase::Pending { .. } => (Phase::Normal, None),
        Phase::Breached { .. } if p.condition.cleared(s.value, p.hysteresis) => (
            Phase::Normal,
            Some(Effect::Clear {
                at: s.ts,
                value: s.value,
            }),
        ),
        Phase::Breached { .. } => (phase, None),
    }
}

#[cfg(test)]
mod tests;
