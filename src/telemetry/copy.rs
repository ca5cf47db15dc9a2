//! Binary COPY of readings into the session's staging table: PostgreSQL's fastest
//! way in (diesel's `copy_from` on a sync connection; diesel-async cannot COPY). The
//! binary format is written by hand, as it is three fixed-size columns.

use chrono::{DateTime, Utc};
use diesel::pg::CopyFormat;
use diesel::prelude::*;

diesel::table! {
    /// The temporary table made by `store::prepare_session`.
    ingest_staging (series_id, ts) {
        series_id -> Int4,
        ts -> Timestamptz,
        value -> Float8,
    }
}

diesel::table! {
    /// The readings themselves (partitioned; see the telemetry migration).
    telemetry.readings (series_id, ts) {
        series_id -> Int4,
        ts -> Timestamptz,
        value -> Float8,
    }
}

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

/// The binary COPY stream of `rows`.
pub fn encode(rows: &[(i32, DateTime<Utc>, f64)]) -> Vec<u8> {
    let mut buf = Vec::with_capacity(21 + rows.len() * 34);
    buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    buf.extend_from_slice(&0i32.to_be_bytes()); // flags
    buf.extend_from_slice(&0i32.to_be_bytes()); // header extension
    for (series, ts, value) in rows {
        buf.extend_from_slice(&3i16.to_be_bytes());
        buf.extend_from_slice(&4i32.to_be_bytes());
        buf.extend_from_slice(&series.to_be_bytes());
        buf.extend_from_slice(&8i32.to_be_bytes());
        buf.extend_from_slice(&(ts.timestamp_micros() - PG_EPOCH_OFFSET_MICROS).to_be_bytes());
        buf.extend_from_slice(&8i32.to_be_bytes());
        buf.extend_from_slice(&value.to_bits().to_be_bytes());
    }
    buf.extend_from_slice(&(-1i16).to_be_bytes());
    buf
}

/// Copy `rows` into `ingest_staging`.
pub fn stage(conn: &mut PgConnection, rows: &[(i32, DateTime<Utc>, f64)]) -> QueryResult<usize> {
    let data = encode(rows);
    diesel::copy_from(ingest_staging::table)
        .from_raw_data(ingest_staging::table, |w| {
            w.write_all(&data)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(CopyFormat::Binary)
        .execute(conn)
}

/// Copy `rows` straight into `telemetry.readings`, bypassing ingest (the benchmarks'
/// baseline and bulk fill). Fails on a reading already stored.
pub fn into_readings(
    conn: &mut PgConnection,
    rows: &[(i32, DateTime<Utc>, f64)],
) -> QueryResult<usize> {
    let data = encode(rows);
    diesel::copy_from(readings::table)
        .from_raw_data(readings::table, |w| {
            w.write_all(&data)
                .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
        })
        .with_format(CopyFormat::Binary)
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_stream_has_header_rows_and_trailer() {
        let ts = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 1).unwrap();
        let buf = encode(&[(7, ts, 1.5)]);
        assert_eq!(&buf[..11], b"PGCOPY\n\xff\r\n\0");
        assert_eq!(buf.len(), 19 + 34 + 2);
        // the timestamp is microseconds since 2000-01-01
        assert_eq!(
            &buf[19 + 2 + 4 + 4 + 4..19 + 2 + 4 + 4 + 4 + 8],
            &1_000_000i64.to_be_bytes()
        );
        assert_eq!(&buf[buf.len() - 2..], &[0xff, 0xff]);
    }
}
