//! The baseline beside the ingest figure: a raw binary COPY of exactly the rows ingest
//! stored, into the same table (with its key and indexes), measured in the same run.

use std::time::Instant;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Float8, Integer, Timestamptz};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Integer)]
    series_id: i32,
    #[diesel(sql_type = Timestamptz)]
    ts: DateTime<Utc>,
    #[diesel(sql_type = Float8)]
    value: f64,
}

/// What the baseline measured.
pub struct Copied {
    pub rows: usize,
    pub seconds: f64,
}

impl Copied {
    pub fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.seconds
    }
}

/// Read the stored rows, empty the table, and COPY them back in one binary stream;
/// the time counts encoding and the COPY, as ingest's own path does.
pub fn copy_back(conn: &mut PgConnection) -> anyhow::Result<Copied> {
    let rows: Vec<Row> =
        diesel::sql_query("SELECT series_id, ts, value FROM telemetry.readings").load(conn)?;
    let rows: Vec<(i32, DateTime<Utc>, f64)> = rows
        .into_iter()
        .map(|r| (r.series_id, r.ts, r.value))
        .collect();
    diesel::sql_query("TRUNCATE telemetry.readings").execute(conn)?;
    diesel::sql_query("CHECKPOINT").execute(conn)?;
    let started = Instant::now();
    let n = mainspring::telemetry::copy::into_readings(conn, &rows)?;
    let seconds = started.elapsed().as_secs_f64();
    anyhow::ensure!(n == rows.len(), "COPY stored {n} of {} rows", rows.len());
    Ok(Copied { rows: n, seconds })
}
