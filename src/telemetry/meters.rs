//! Meters from telemetry: a metric named like one of its asset's meters (`runtime_h`,
//! `cycles`) feeds that meter through the installed base's own `record`, at most one
//! reading per meter per `MAINSPRING_METER_SAMPLE_SECONDS`, so a 1 Hz counter does not
//! flood `meter_readings` (the meter's newest reading is what plans need).

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use super::store::StoredReading;
use crate::ids::AssetId;
use crate::installed_base::assets::readings::record;
use crate::schema::asset_meters;

/// How long the list of meters is trusted before it is read again.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(30);

/// The (asset, meter) pairs that exist, read every [`REFRESH`].
#[derive(Default)]
pub struct MeterCache {
    loaded: Option<Instant>,
    meters: HashMap<AssetId, HashSet<String>>,
}

/// Which readings become meter readings: per (asset, meter) the newest of the batch,
/// when the meter was last read `sample` or more before it (or never). Pure.
pub fn pick<'a>(
    readings: &'a [&'a StoredReading],
    last_read: &HashMap<(AssetId, &str), Option<DateTime<Utc>>>,
    sample: Duration,
) -> Vec<&'a StoredReading> {
    let mut newest: HashMap<(AssetId, &str), &StoredReading> = HashMap::new();
    for r in readings {
        let e = newest.entry((r.asset, r.metric.as_str())).or_insert(r);
        if r.ts > e.ts {
            *e = r;
        }
    }
    let mut picked: Vec<&StoredReading> = newest
        .into_iter()
        .filter(|(key, r)| match last_read.get(key) {
            Some(Some(at)) => r.ts >= *at + sample,
            _ => true,
        })
        .map(|(_, r)| r)
        .collect();
    picked.sort_by(|a, b| (a.asset, &a.metric).cmp(&(b.asset, &b.metric)));
    picked
}

impl MeterCache {
    fn refresh(&mut self, conn: &mut PgConnection) -> QueryResult<()> {
        if self.loaded.is_some_and(|t| t.elapsed() < REFRESH) {
            return Ok(());
        }
        let rows: Vec<(AssetId, String)> = asset_meters::table
            .select((asset_meters::asset_id, asset_meters::name))
            .load(conn)?;
        self.meters.clear();
        for (asset, name) in rows {
            self.meters.entry(asset).or_default().insert(name);
        }
        self.loaded = Some(Instant::now());
        Ok(())
    }

    /// Record the meter readings due among `stored`.
    pub fn record(
        &mut self,
        conn: &mut PgConnection,
        stored: &[StoredReading],
        sample: std::time::Duration,
        _now: DateTime<Utc>,
    ) -> QueryResult<usize> {
        if stored.is_empty() {
            return Ok(0);
        }
        self.refresh(conn)?;
        let candidates: Vec<&StoredReading> = stored
            .iter()
            .filter(|r| {
                self.meters
                    .get(&r.asset)
                    .is_some_and(|m| m.contains(r.metric.as_str()))
            })
            .collect();
        if candidates.is_empty() {
            return Ok(0);
        }
        let mut last_read: HashMap<(AssetId, &str), Option<DateTime<Utc>>> = HashMap::new();
        for r in &candidates {
            if last_read.contains_key(&(r.asset, r.metric.as_str())) {
                continue;
            }
            let at: Option<Option<DateTime<Utc>>> = asset_meters::table
                .find((r.asset, r.metric.as_str()))
                .select(asset_meters::read_at)
                .first(conn)
                .optional()?;
            last_read.insert((r.asset, r.metric.as_str()), at.flatten());
        }
        let sample = Duration::from_std(sample).unwrap_or(Duration::zero());
        let picked = pick(&candidates, &last_read, sample);
        for r in &picked {
            record(
                conn,
                r.asset,
                &[(r.metric.clone(), r.value, r.ts)],
                "telemetry",
                "telemetry",
            )?;
        }
        Ok(picked.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::DeviceRecordId;
    use chrono::TimeZone;

    fn reading(asset: AssetId, metric: &str, minute: u32, value: f64) -> StoredReading {
        StoredReading {
            device: DeviceRecordId(uuid::Uuid::nil()),
            asset,
            metric: metric.into(),
            ts: Utc.with_ymd_and_hms(2026, 12, 3, 10, minute, 0).unwrap(),
            value,
        }
    }

    #[test]
    fn the_newest_reading_of_a_batch_feeds_the_meter() {
        let a = AssetId(uuid::Uuid::nil());
        let rs = [
            reading(a, "runtime_h", 1, 10.0),
            reading(a, "runtime_h", 3, 10.5),
        ];
        let refs: Vec<&StoredReading> = rs.iter().collect();
        let picked = pick(&refs, &HashMap::new(), Duration::minutes(15));
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].value, 10.5);
    }

    #[test]
    fn a_meter_read_recently_waits_for_the_sample_interval() {
        let a = AssetId(uuid::Uuid::nil());
        let rs = [reading(a, "runtime_h", 10, 11.0)];
        let refs: Vec<&StoredReading> = rs.iter().collect();
        let mut last = HashMap::new();
        last.insert(
            (a, "runtime_h"),
            Some(Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap()),
        );
        assert!(pick(&refs, &last, Duration::minutes(15)).is_empty());
        assert_eq!(pick(&refs, &last, Duration::minutes(10)).len(), 1);
    }
}
