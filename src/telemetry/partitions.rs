//! Storage over time: daily partitions of `telemetry.readings` created ahead (and back
//! to the start of the retention period, so any accepted `ts` has a home), dropped once
//! wholly older than the retention period; hourly rollups of completed hours, hours
//! that received late readings rolled up again, old rollups deleted. Run at start and
//! periodically by every ingest instance, one at a time (an advisory lock).

use chrono::{DateTime, Duration, DurationRound, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};

/// Days of partitions created ahead of today.
pub const DAYS_AHEAD: i64 = 3;
/// An hour is rolled up once it ended this long ago.
pub const ROLLUP_DELAY_MINUTES: i64 = 30;
/// A batch marks an hour for a second rollup when it ended this long ago: earlier than
/// [`ROLLUP_DELAY_MINUTES`] by more than a batch transaction can last (its statements
/// are bounded by `statement_timeout`), so no rolled-up hour misses a late reading.
pub const LATE_MARK_MINUTES: i64 = 10;
// a batch may last minutes: the gap between marking and rolling up must exceed that
const _: () = assert!(ROLLUP_DELAY_MINUTES - LATE_MARK_MINUTES >= 15);
/// Hours rolled up per run at most (catching up after downtime is spread over runs).
const HOURS_PER_RUN: i64 = 48;
const LOCK_KEY: i64 = 0x6d73_7465_6c65_6d01; // "mstelem" + 1

fn partition_name(day: NaiveDate) -> String {
    format!("readings_{}", day.format("%Y%m%d"))
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    locked: bool,
}

/// Take the telemetry maintenance lock for this transaction; false when another
/// instance holds it.
fn try_lock(conn: &mut PgConnection) -> QueryResult<bool> {
    let r: Locked = diesel::sql_query("SELECT pg_try_advisory_xact_lock($1) AS locked")
        .bind::<BigInt, _>(LOCK_KEY)
        .get_result(conn)?;
    Ok(r.locked)
}

fn existing(conn: &mut PgConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<Name> = diesel::sql_query(
        "SELECT c.relname::text AS name FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
         WHERE n.nspname = 'telemetry' AND p.relname = 'readings'",
    )
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// The days that must have a partition at `now`.
pub fn wanted_days(now: DateTime<Utc>, retention_days: u32) -> Vec<NaiveDate> {
    let first = (now - Duration::days(i64::from(retention_days))).date_naive();
    let last = now.date_naive() + Duration::days(DAYS_AHEAD);
    first.iter_days().take_while(|d| *d <= last).collect()
}

/// Create missing partitions and drop expired ones; returns (created, dropped).
pub fn maintain_partitions(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    retention_days: u32,
) -> QueryResult<(usize, usize)> {
    conn.transaction(|conn| {
        if !try_lock(conn)? {
            return Ok((0, 0));
        }
        let have = existing(conn)?;
        let wanted = wanted_days(now, retention_days);
        let mut created = 0;
        for day in &wanted {
            let name = partition_name(*day);
            if have.contains(&name) {
                continue;
            }
            let next = *day + Duration::days(1);
            diesel::sql_query(format!(
                "CREATE TABLE telemetry.{name} PARTITION OF telemetry.readings \
                 FOR VALUES FROM ('{day} 00:00:00+00') TO ('{next} 00:00:00+00')"
            ))
            .execute(conn)?;
            created += 1;
        }
        let first = wanted[0];
        let mut dropped = 0;
        for name in have {
            let day = name
                .strip_prefix("readings_")
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok());
            if matches!(day, Some(d) if d < first) {
                diesel::sql_query(format!("DROP TABLE telemetry.{name}")).execute(conn)?;
                dropped += 1;
            }
        }
        Ok((created, dropped))
    })
}

#[derive(QueryableByName)]
struct DoneUntil {
    #[diesel(sql_type = diesel::sql_types::Nullable<Timestamptz>)]
    done_until: Option<DateTime<Utc>>,
}

/// Every hour before this has been rolled up (`None`: nothing yet).
pub fn rolled_up_until(conn: &mut PgConnection) -> QueryResult<Option<DateTime<Utc>>> {
    let r: DoneUntil =
        diesel::sql_query("SELECT done_until FROM telemetry.rollup_state").get_result(conn)?;
    Ok(r.done_until)
}

const ROLLUP_UPSERT: &str = "ON CONFLICT (series_id, hour) DO UPDATE SET min = EXCLUDED.min, \
     max = EXCLUDED.max, sum = EXCLUDED.sum, count = EXCLUDED.count";

/// Roll up completed hours, then hours marked by late readings, and delete rollups
/// older than their retention. Returns the hours rolled up.
pub fn roll_up(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    retention_days: u32,
    rollup_retention_days: u32,
) -> QueryResult<i64> {
    conn.transaction(|conn| {
        if !try_lock(conn)? {
            return Ok(0);
        }
        let hour = Duration::hours(1);
        let start = match rolled_up_until(conn)? {
            Some(t) => t,
            None => (now - Duration::days(i64::from(retention_days)))
                .duration_trunc(hour)
                .expect("an hour divides any time"),
        };
        let limit = now - Duration::minutes(ROLLUP_DELAY_MINUTES);
        let mut done = start;
        let mut hours = 0;
        while done + hour <= limit && hours < HOURS_PER_RUN {
            diesel::sql_query(format!(
                "INSERT INTO telemetry.rollups_hourly (series_id, hour, min, max, sum, count)
                 SELECT r.series_id, $1, min(r.value), max(r.value), sum(r.value), count(*)
                 FROM telemetry.readings r JOIN telemetry.series s ON s.id = r.series_id
                 WHERE r.ts >= $1 AND r.ts < $2 GROUP BY r.series_id {ROLLUP_UPSERT}"
            ))
            .bind::<Timestamptz, _>(done)
            .bind::<Timestamptz, _>(done + hour)
            .execute(conn)?;
            done += hour;
            hours += 1;
        }
        diesel::sql_query("UPDATE telemetry.rollup_state SET done_until = $1")
            .bind::<Timestamptz, _>(done)
            .execute(conn)?;
        diesel::sql_query(format!(
            "WITH d AS (DELETE FROM telemetry.rollup_dirty WHERE hour < $1 RETURNING series_id, hour)
             INSERT INTO telemetry.rollups_hourly (series_id, hour, min, max, sum, count)
             SELECT d.series_id, d.hour, min(r.value), max(r.value), sum(r.value), count(*)
             FROM d JOIN telemetry.series s ON s.id = d.series_id
             JOIN telemetry.readings r ON r.series_id = d.series_id
                  AND r.ts >= d.hour AND r.ts < d.hour + interval '1 hour'
             GROUP BY d.series_id, d.hour {ROLLUP_UPSERT}"
        ))
        .bind::<Timestamptz, _>(done)
        .execute(conn)?;
        diesel::sql_query("DELETE FROM telemetry.rollups_hourly WHERE hour < $1")
            .bind::<Timestamptz, _>(now - Duration::days(i64::from(rollup_retention_days)))
            .execute(conn)?;
        Ok(hours)
    })
}

/// The number of readings stored in a partition-free way (tests and the benchmark).
pub fn count_readings(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let r: N =
        diesel::sql_query("SELECT count(*) AS n FROM telemetry.readings").get_result(conn)?;
    Ok(r.n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn partitions_cover_the_retention_period_and_three_days_ahead() {
        let now = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
        let days = wanted_days(now, 30);
        assert_eq!(days[0], NaiveDate::from_ymd_opt(2026, 11, 3).unwrap());
        assert_eq!(
            *days.last().unwrap(),
            NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
        );
        assert_eq!(days.len(), 34);
        assert_eq!(partition_name(days[0]), "readings_20261103");
    }
}
