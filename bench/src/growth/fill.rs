//! Growing the stored telemetry quickly: readings of the fleet's real series, one a
//! minute per series going back in time from a cursor, written by binary COPY in
//! chunks; then the hourly rollups of those hours, as the server's rollup job would
//! have made them (the server is told its rollups are done up to now, so it does not
//! also catch up on them).

use chrono::{DateTime, Duration, DurationRound, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamptz};

const CHUNK: usize = 1_000_000;

/// One series of the fleet.
#[derive(QueryableByName, Clone)]
pub struct Series {
    #[diesel(sql_type = Integer)]
    pub id: i32,
    #[diesel(sql_type = Text)]
    pub device_id: String,
    #[diesel(sql_type = Text)]
    pub metric: String,
}

pub fn series(conn: &mut PgConnection) -> QueryResult<Vec<Series>> {
    diesel::sql_query(
        "SELECT s.id, d.device_id, s.metric FROM telemetry.series s \
         JOIN devices d ON d.id = s.device_id ORDER BY s.id",
    )
    .load(conn)
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn count(conn: &mut PgConnection) -> QueryResult<i64> {
    Ok(
        diesel::sql_query("SELECT count(*) AS n FROM telemetry.readings")
            .get_result::<N>(conn)?
            .n,
    )
}

/// Bytes of the readings partitions with their indexes.
pub fn size_bytes(conn: &mut PgConnection) -> QueryResult<i64> {
    Ok(diesel::sql_query(
        "SELECT coalesce(sum(pg_total_relation_size(inhrelid)), 0)::int8 AS n \
         FROM pg_inherits WHERE inhparent = 'telemetry.readings'::regclass",
    )
    .get_result::<N>(conn)?
    .n)
}

/// Tell the server every hour before `until` is rolled up (the fill makes its own).
pub fn mark_rolled_up(conn: &mut PgConnection, until: DateTime<Utc>) -> QueryResult<()> {
    diesel::sql_query("UPDATE telemetry.rollup_state SET done_until = $1")
        .bind::<Timestamptz, _>(until)
        .execute(conn)?;
    Ok(())
}

/// Add at least `rows` readings before `cursor` (one per series per minute, going back),
/// roll up the hours they touch; the new cursor (the oldest timestamp written).
pub fn fill(
    conn: &mut PgConnection,
    series: &[i32],
    cursor: DateTime<Utc>,
    rows: u64,
) -> anyhow::Result<DateTime<Utc>> {
    let minutes = rows.div_ceil(series.len() as u64) as i64;
    let oldest = cursor - Duration::minutes(minutes);
    let mut chunk: Vec<(i32, DateTime<Utc>, f64)> = Vec::with_capacity(CHUNK);
    for m in 1..=minutes {
        let ts = cursor - Duration::minutes(m);
        for &id in series {
            // a plausible signal: a daily cycle per series, and a little structure
            let phase = (ts.timestamp() as f64 / 86_400.0 + id as f64 * 0.37).fract();
            let value = 50.0 + 20.0 * (phase * std::f64::consts::TAU).sin() + (m % 7) as f64;
            chunk.push((id, ts, value));
            if chunk.len() == CHUNK {
                copy(conn, &chunk)?;
                chunk.clear();
            }
        }
    }
    if !chunk.is_empty() {
        copy(conn, &chunk)?;
    }
    roll_up(conn, oldest, cursor)?;
    Ok(oldest)
}

fn copy(conn: &mut PgConnection, rows: &[(i32, DateTime<Utc>, f64)]) -> anyhow::Result<()> {
    mainspring::telemetry::copy::into_readings(conn, rows)?;
    Ok(())
}

/// (Re)compute whole hours from `from` to `to` from every reading in them, as the
/// server's rollup job does.
fn roll_up(conn: &mut PgConnection, from: DateTime<Utc>, to: DateTime<Utc>) -> QueryResult<()> {
    let hour = Duration::hours(1);
    let start = from.duration_trunc(hour).expect("an hour divides any time");
    let end = to.duration_trunc(hour).expect("an hour divides any time") + hour;
    diesel::sql_query(
        "INSERT INTO telemetry.rollups_hourly (series_id, hour, min, max, sum, count)
         SELECT series_id, date_trunc('hour', ts), min(value), max(value), sum(value), count(*)
         FROM telemetry.readings WHERE ts >= $1 AND ts < $2 GROUP BY 1, 2
         ON CONFLICT (series_id, hour) DO UPDATE SET min = EXCLUDED.min,
           max = EXCLUDED.max, sum = EXCLUDED.sum, count = EXCLUDED.count",
    )
    .bind::<Timestamptz, _>(start)
    .bind::<Timestamptz, _>(end)
    .execute(conn)?;
    diesel::sql_query("ANALYZE telemetry.readings").execute(conn)?;
    Ok(())
}
