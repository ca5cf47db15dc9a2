//! The persisted state of each (rule, asset): one `rule_states` row, created on first
//! use, locked `FOR UPDATE` (in (asset, rule) order, so concurrent batches cannot
//! deadlock) for as long as the transaction evaluates it, and written back in one
//! statement per batch. The table has no index on what changes per batch, so those
//! updates stay HOT (heap-only) on its half-empty pages.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bytea, Nullable, Text, Timestamptz, Uuid};

use super::engine::{Phase, Sample, State};
use crate::ids::{AssetId, RuleId};
use crate::schema::rule_states;

/// The bytes of one buffered sample: device time (µs since the epoch) and value, both
/// big-endian.
const SAMPLE_BYTES: usize = 16;

/// The buffer as stored: binary, because every ingest batch reads and rewrites it (JSON
/// cost twice as much to write and parse).
pub fn encode(samples: &[Sample]) -> Vec<u8> {
    let mut out = Vec::with_capacity(samples.len() * SAMPLE_BYTES);
    for s in samples {
        out.extend_from_slice(&s.ts.timestamp_micros().to_be_bytes());
        out.extend_from_slice(&s.value.to_be_bytes());
    }
    out
}

/// The stored buffer's samples (a malformed tail, which `encode` never writes, is
/// dropped).
pub fn decode(bytes: &[u8]) -> Vec<Sample> {
    bytes
        .chunks_exact(SAMPLE_BYTES)
        .filter_map(|c| {
            let micros = i64::from_be_bytes(c[..8].try_into().ok()?);
            let value = f64::from_be_bytes(c[8..].try_into().ok()?);
            Some(Sample {
                ts: DateTime::from_timestamp_micros(micros)?,
                value,
            })
        })
        .collect()
}

/// A `rule_states` row.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = rule_states, check_for_backend(diesel::pg::Pg))]
pub struct StateRow {
    pub rule_id: RuleId,
    pub asset_id: AssetId,
    pub phase: String,
    pub phase_since: Option<DateTime<Utc>>,
    pub newest_at: Option<DateTime<Utc>>,
    pub applied_through: Option<DateTime<Utc>>,
    /// [`encode`]d samples.
    pub buffer: Vec<u8>,
    pub flush_due_at: Option<DateTime<Utc>>,
}

impl StateRow {
    /// The engine's state (a phase without its time reads as `normal`).
    pub fn engine(&self) -> State {
        let phase = match (self.phase.as_str(), self.phase_since) {
            ("pending", Some(since)) => Phase::Pending { since },
            ("breached", Some(since)) => Phase::Breached { since },
            _ => Phase::Normal,
        };
        State {
            phase,
            newest: self.newest_at,
            applied_through: self.applied_through,
            buffer: decode(&self.buffer),
        }
    }

    /// This row with the engine's new state; the buffer waits `lateness` of server
    /// time after `now` when readings were just accepted.
    pub fn with(&self, s: State, accepted: bool, now: DateTime<Utc>, lateness: Duration) -> Self {
        let (phase, since) = match s.phase {
            Phase::Normal => ("normal", None),
            Phase::Pending { since } => ("pending", Some(since)),
            Phase::Breached { since } => ("breached", Some(since)),
        };
        let flush_due_at = if s.buffer.is_empty() {
            None
        } else if accepted {
            Some(now + lateness)
        } else {
            self.flush_due_at
        };
        Self {
            rule_id: self.rule_id,
            asset_id: self.asset_id,
            phase: phase.to_owned(),
            phase_since: since,
            newest_at: s.newest,
            applied_through: s.applied_through,
            buffer: encode(&s.buffer),
            flush_due_at,
        }
    }
}

/// Create the missing rows of these (rule, asset) pairs.
fn ensure(conn: &mut PgConnection, pairs: &[(RuleId, AssetId)]) -> QueryResult<()> {
    for chunk in pairs.chunks(10_000) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|(r, a)| (rule_states::rule_id.eq(*r), rule_states::asset_id.eq(*a)))
            .collect();
        diesel::insert_into(rule_states::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(())
}

fn select_locked(
    conn: &mut PgConnection,
    pairs: &[(RuleId, AssetId)],
) -> QueryResult<Vec<StateRow>> {
    let (rules, assets): (Vec<uuid::Uuid>, Vec<uuid::Uuid>) =
        pairs.iter().map(|(r, a)| (r.0, a.0)).unzip();
    diesel::sql_query(
        "SELECT s.rule_id, s.asset_id, s.phase, s.phase_since, s.newest_at, s.applied_through,
                s.buffer, s.flush_due_at
         FROM rule_states s
         JOIN unnest($1::uuid[], $2::uuid[]) AS p(rule_id, asset_id)
           ON s.rule_id = p.rule_id AND s.asset_id = p.asset_id
         ORDER BY s.asset_id, s.rule_id
         FOR UPDATE OF s",
    )
    .bind::<Array<Uuid>, _>(rules)
    .bind::<Array<Uuid>, _>(assets)
    .load(conn)
}

/// Lock and read the rows of these pairs, in (asset, rule) order, creating the missing
/// ones first (the usual case, every row there, is one statement).
pub fn lock(conn: &mut PgConnection, pairs: &[(RuleId, AssetId)]) -> QueryResult<Vec<StateRow>> {
    let rows = select_locked(conn, pairs)?;
    if rows.len() == pairs.len() {
        return Ok(rows);
    }
    let present: HashSet<(RuleId, AssetId)> =
        rows.iter().map(|r| (r.rule_id, r.asset_id)).collect();
    let missing: Vec<(RuleId, AssetId)> = pairs
        .iter()
        .filter(|p| !present.contains(p))
        .copied()
        .collect();
    ensure(conn, &missing)?;
    // again, all of them: locks already held are kept, and the order stays the same
    select_locked(conn, pairs)
}

/// Write rows back, all in one statement.
pub fn save(conn: &mut PgConnection, rows: &[StateRow], now: DateTime<Utc>) -> QueryResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let rules: Vec<uuid::Uuid> = rows.iter().map(|r| r.rule_id.0).collect();
    let assets: Vec<uuid::Uuid> = rows.iter().map(|r| r.asset_id.0).collect();
    let phases: Vec<String> = rows.iter().map(|r| r.phase.clone()).collect();
    let since: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.phase_since).collect();
    let newest: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.newest_at).collect();
    let applied: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.applied_through).collect();
    let buffers: Vec<&[u8]> = rows.iter().map(|r| r.buffer.as_slice()).collect();
    let due: Vec<Option<DateTime<Utc>>> = rows.iter().map(|r| r.flush_due_at).collect();
    diesel::sql_query(
        "UPDATE rule_states s
         SET phase = u.phase, phase_since = u.since, newest_at = u.newest,
             applied_through = u.applied, buffer = u.buffer, flush_due_at = u.due,
             updated_at = $9
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[],
                     $6::timestamptz[], $7::bytea[], $8::timestamptz[])
              AS u(rule_id, asset_id, phase, since, newest, applied, buffer, due)
         WHERE s.rule_id = u.rule_id AND s.asset_id = u.asset_id",
    )
    .bind::<Array<Uuid>, _>(rules)
    .bind::<Array<Uuid>, _>(assets)
    .bind::<Array<Text>, _>(phases)
    .bind::<Array<Nullable<Timestamptz>>, _>(since)
    .bind::<Array<Nullable<Timestamptz>>, _>(newest)
    .bind::<Array<Nullable<Timestamptz>>, _>(applied)
    .bind::<Array<Bytea>, _>(buffers)
    .bind::<Array<Nullable<Timestamptz>>, _>(due)
    .bind::<Timestamptz, _>(now)
    .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_round_trip_through_their_binary_form() {
        let samples: Vec<Sample> = [(0i64, 2.5), (1_700_000_000_123_456, -1e300), (-5, 0.0)]
            .iter()
            .map(|(us, v)| Sample {
                ts: DateTime::from_timestamp_micros(*us).unwrap(),
                value: *v,
            })
            .collect();
        let bytes = encode(&samples);
        assert_eq!(bytes.len(), 3 * SAMPLE_BYTES);
        assert_eq!(decode(&bytes), samples);
        assert_eq!(decode(&bytes[..20]), samples[..1], "a torn tail is dropped");
        assert!(decode(&[]).is_empty());
    }
}
