//! The commit of one ingest batch, in one transaction: devices resolved (unknown and
//! inactive ones dead-lettered, or registered when that is turned on), readings copied
//! (binary COPY) into a temporary staging table and moved into `telemetry.readings`
//! with `ON CONFLICT DO NOTHING`, so a redelivered reading is stored once; the latest
//! value per series, `seq` gaps, last-seen, online/offline, meters and dead letters in
//! the same transaction. Only after it commits does the caller acknowledge the messages.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Float8, Integer, Text, Timestamptz, Uuid};

use super::copy;
use super::dead_letters::{self, NewDeadLetter};
use super::meters::MeterCache;
use super::partitions::LATE_MARK_MINUTES;
use super::payload::{Parsed, Reason, Reject};
use super::seq;
use crate::ids::{AssetId, DeviceRecordId};

/// One received message, parsed (pure work done before the transaction).
#[derive(Debug, Clone)]
pub enum Item {
    Telemetry {
        device_id: String,
        topic: String,
        received_at: DateTime<Utc>,
        payload: Vec<u8>,
        parsed: Parsed,
    },
    Status {
        device_id: String,
        topic: String,
        received_at: DateTime<Utc>,
        online: bool,
    },
    /// Refused before its device mattered (bad topic, bad status payload).
    Refused {
        device_id: Option<String>,
        topic: String,
        received_at: DateTime<Utc>,
        reject: Reject,
    },
}

/// A reading newly stored by a batch (not a duplicate): what the rules engine gets.
pub use crate::rules::Reading as StoredReading;

/// A device's online/offline change committed by a batch.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    pub device: DeviceRecordId,
    pub asset: AssetId,
    pub online: bool,
    pub at: DateTime<Utc>,
}

/// What a batch did.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    pub stored: u64,
    pub duplicates: u64,
    pub rejected: Vec<Reason>,
    pub seq_gaps: i64,
    pub stored_readings: Vec<StoredReading>,
    pub status_changes: Vec<StatusChange>,
}

/// Settings of the commit path.
#[derive(Debug, Clone)]
pub struct StoreSettings {
    pub auto_register: bool,
    pub dead_letter_cap: i64,
    pub meter_sample: std::time::Duration,
}

#[derive(Debug, Clone, Copy)]
struct DeviceRef {
    id: DeviceRecordId,
    asset: AssetId,
    active: bool,
}

/// The small integer key of each (device, metric): cached, as series never change.
/// Compact, as a large fleet has hundreds of thousands of series: metric names are
/// shared between devices, and a device's few series sit in a short list.
#[derive(Default)]
pub struct SeriesCache {
    by_device: HashMap<DeviceRecordId, Vec<(Arc<str>, i32)>>,
    metrics: HashSet<Arc<str>>,
}

impl SeriesCache {
    fn get(&self, device: DeviceRecordId, metric: &str) -> Option<i32> {
        self.by_device
            .get(&device)?
            .iter()
            .find(|(m, _)| &**m == metric)
            .map(|(_, id)| *id)
    }

    fn insert(&mut self, id: i32, device: DeviceRecordId, metric: &str) {
        let metric = match self.metrics.get(metric) {
            Some(shared) => shared.clone(),
            None => {
                let shared: Arc<str> = Arc::from(metric);
                self.metrics.insert(shared.clone());
                shared
            }
        };
        let series = self.by_device.entry(device).or_default();
        if !series.iter().any(|(m, _)| *m == metric) {
            series.push((metric, id));
        }
    }
}

/// Commits batches; keeps the caches that spare queries.
pub struct Committer {
    pub settings: StoreSettings,
    series: SeriesCache,
    meters: MeterCache,
}

#[derive(QueryableByName)]
struct DeviceRow {
    #[diesel(sql_type = Uuid)]
    id: DeviceRecordId,
    #[diesel(sql_type = Text)]
    device_id: String,
    #[diesel(sql_type = Uuid)]
    asset_id: AssetId,
    #[diesel(sql_type = Bool)]
    active: bool,
}

#[derive(QueryableByName)]
struct SeqRow {
    #[diesel(sql_type = Uuid)]
    device_id: DeviceRecordId,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    last_seq: Option<i64>,
}

#[derive(QueryableByName)]
struct SeriesRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Uuid)]
    device_id: DeviceRecordId,
    #[diesel(sql_type = Text)]
    metric: String,
}

#[derive(QueryableByName)]
struct NewRow {
    #[diesel(sql_type = Integer)]
    series_id: i32,
    #[diesel(sql_type = Timestamptz)]
    ts: DateTime<Utc>,
    #[diesel(sql_type = Float8)]
    value: f64,
}

#[derive(QueryableByName)]
struct Changed {
    #[diesel(sql_type = Uuid)]
    device_id: DeviceRecordId,
}

/// Make the session's staging table (temporary, emptied at each commit).
pub fn prepare_session(conn: &mut PgConnection) -> QueryResult<()> {
    diesel::sql_query(
        "CREATE TEMP TABLE IF NOT EXISTS ingest_staging \
         (series_id integer NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL) \
         ON COMMIT DELETE ROWS",
    )
    .execute(conn)?;
    Ok(())
}

impl Committer {
    pub fn new(settings: StoreSettings) -> Self {
        Self {
            settings,
            series: SeriesCache::default(),
            meters: MeterCache::default(),
        }
    }

    /// Commit `items` in one transaction (the session must be prepared with
    /// [`prepare_session`]). Nothing is kept on error: the caller retries the batch.
    pub fn commit(&mut self, conn: &mut PgConnection, items: &[Item]) -> QueryResult<Outcome> {
        let now = Utc::now();
        let mut new_series = Vec::new();
        let outcome = conn.transaction(|conn| self.commit_in(conn, items, now, &mut new_series))?;
        // only series that exist now (their transaction committed) enter the cache
        for (id, device, metric) in new_series {
            self.series.insert(id, device, &metric);
        }
        Ok(outcome)
    }

    fn commit_in(
        &mut self,
        conn: &mut PgConnection,
        items: &[Item],
        now: DateTime<Utc>,
        new_series: &mut Vec<(i32, DeviceRecordId, String)>,
    ) -> QueryResult<Outcome> {
        let mut out = Outcome::default();
        let mut letters: Vec<NewDeadLetter> = Vec::new();
        let devices = self.resolve_devices(conn, items)?;

        // per known device: its readings' series, seqs, last seen
        let mut per_device: HashMap<DeviceRecordId, (Vec<i64>, DateTime<Utc>)> = HashMap::new();
        let mut staged: Vec<(DeviceRecordId, &str, DateTime<Utc>, f64)> = Vec::new();
        let mut statuses: Vec<(DeviceRef, bool, DateTime<Utc>)> = Vec::new();
        for item in items {
            match item {
                Item::Refused {
                    device_id,
                    topic,
                    received_at,
                    reject,
                } => letters.push(NewDeadLetter::from_reject(
                    *received_at,
                    topic,
                    device_id.as_deref(),
                    reject,
                )),
                Item::Telemetry {
                    device_id,
                    topic,
                    received_at,
                    payload,
                    parsed,
                } => match devices.get(device_id.as_str()) {
                    Some(d) if d.active => {
                        for r in &parsed.rejects {
                            letters.push(NewDeadLetter::from_reject(
                                *received_at,
                                topic,
                                Some(device_id),
                                r,
                            ));
                        }
                        let entry = per_device.entry(d.id).or_insert((Vec::new(), *received_at));
                        entry.0.extend(&parsed.seqs);
                        entry.1 = entry.1.max(*received_at);
                        for r in &parsed.readings {
                            staged.push((d.id, &r.metric, r.ts, r.value));
                        }
                    }
                    found => {
                        let (reason, detail) = match found {
                            Some(_) => (
                                Reason::InactiveDevice,
                                format!("device `{device_id}` is inactive"),
                            ),
                            None => (
                                Reason::UnknownDevice,
                                format!("no device is registered as `{device_id}`"),
                            ),
                        };
                        if parsed.readings.is_empty() && !parsed.rejects.is_empty() {
                            // never storable, registered or not: keep the real reason
                            for r in &parsed.rejects {
                                letters.push(NewDeadLetter::from_reject(
                                    *received_at,
                                    topic,
                                    Some(device_id),
                                    r,
                                ));
                            }
                        } else {
                            letters.push(NewDeadLetter::new(
                                *received_at,
                                topic,
                                Some(device_id),
                                reason,
                                detail,
                                payload,
                            ));
                        }
                    }
                },
                Item::Status {
                    device_id,
                    topic,
                    received_at,
                    online,
                } => match devices.get(device_id.as_str()) {
                    Some(d) => statuses.push((*d, *online, *received_at)),
                    None => letters.push(NewDeadLetter::new(
                        *received_at,
                        topic,
                        Some(device_id),
                        Reason::UnknownDevice,
                        format!("no device is registered as `{device_id}`"),
                        if *online { b"online" } else { b"offline" },
                    )),
                },
            }
        }

        // lock the devices' state rows in one order: two instances never deadlock
        let mut locked: Vec<DeviceRecordId> = per_device
            .keys()
            .copied()
            .chain(statuses.iter().map(|s| s.0.id))
            .collect();
        locked.sort();
        locked.dedup();
        let last_seqs = lock_device_state(conn, &locked)?;

        // readings
        let ids = self.series_ids(conn, &staged, new_series)?;
        let rows: Vec<(i32, DateTime<Utc>, f64)> = staged
            .iter()
            .zip(&ids)
            .map(|((_, _, ts, value), id)| (*id, *ts, *value))
            .collect();
        if !rows.is_empty() {
            copy::stage(conn, &rows)?;
            let late_before = now - Duration::minutes(LATE_MARK_MINUTES);
            let inserted = move_staged(conn, late_before)?;
            out.stored = inserted.len() as u64;
            out.duplicates = (rows.len() - inserted.len()) as u64;
            let assets: HashMap<DeviceRecordId, AssetId> =
                devices.values().map(|d| (d.id, d.asset)).collect();
            let lookup: HashMap<i32, (DeviceRecordId, &str)> = staged
                .iter()
                .zip(&ids)
                .map(|((device, metric, _, _), id)| (*id, (*device, *metric)))
                .collect();
            out.stored_readings = inserted
                .into_iter()
                .filter_map(|r| {
                    let (device, metric) = lookup.get(&r.series_id)?;
                    Some(StoredReading {
                        device: *device,
                        asset: *assets.get(device)?,
                        metric: (*metric).to_owned(),
                        ts: r.ts,
                        value: r.value,
                    })
                })
                .collect();
        }

        // sequence gaps and last seen
        let mut seq_devices = Vec::new();
        let mut seq_last = Vec::new();
        let mut seq_gaps = Vec::new();
        let mut seen_devices = Vec::new();
        let mut seen_at = Vec::new();
        for (device, (seqs, seen)) in &per_device {
            seen_devices.push(*device);
            seen_at.push(*seen);
            if !seqs.is_empty() {
                let (last, gaps) = seq::advance(last_seqs.get(device).copied().flatten(), seqs);
                seq_devices.push(*device);
                seq_last.push(last.unwrap_or_default());
                seq_gaps.push(gaps);
                out.seq_gaps += gaps;
            }
        }
        if !seq_devices.is_empty() {
            diesel::sql_query(
                "UPDATE telemetry.device_state s SET last_seq = v.last_seq, seq_gaps = s.seq_gaps + v.gaps
                 FROM unnest($1::uuid[], $2::int8[], $3::int8[]) AS v(device_id, last_seq, gaps)
                 WHERE s.device_id = v.device_id",
            )
            .bind::<Array<Uuid>, _>(&seq_devices)
            .bind::<Array<BigInt>, _>(&seq_last)
            .bind::<Array<BigInt>, _>(&seq_gaps)
            .execute(conn)?;
        }
        if !seen_devices.is_empty() {
            diesel::sql_query(
                "UPDATE public.devices d SET last_seen_at = v.seen
                 FROM unnest($1::uuid[], $2::timestamptz[]) AS v(id, seen)
                 WHERE d.id = v.id
                   AND (d.last_seen_at IS NULL OR d.last_seen_at < v.seen - interval '1 second')",
            )
            .bind::<Array<Uuid>, _>(&seen_devices)
            .bind::<Array<Timestamptz>, _>(&seen_at)
            .execute(conn)?;
        }

        // online / offline: idempotent, only a change is reported
        out.status_changes = apply_statuses(conn, &statuses)?;

        // meters fed by telemetry (downsampled)
        self.meters
            .record(conn, &out.stored_readings, self.settings.meter_sample, now)?;

        // The rules run here, in this transaction, on what this batch stored (duplicates
        // excluded) and on online/offline changes, so a breach commits with its readings.
        // They work inside a savepoint: a rule that fails is logged and the batch still
        // commits (bad rules must never stall ingest); a lost connection fails the batch
        // at its next statement, and the broker redelivers it.
        if !out.stored_readings.is_empty() {
            if let Err(e) = crate::rules::on_readings(conn, &out.stored_readings, now) {
                tracing::error!(error = %e, readings = out.stored_readings.len(),
                    "rules evaluation failed for a batch; its readings are stored");
            }
        }
        if !out.status_changes.is_empty() {
            // a fleet reconnecting sends a status per device: only the assets an
            // offline rule covers go through the rules, found in one query
            let assets: Vec<AssetId> = out.status_changes.iter().map(|c| c.asset).collect();
            match crate::rules::offline_rule_assets(conn, &assets) {
                Ok(covered) => {
                    for c in out
                        .status_changes
                        .iter()
                        .filter(|c| covered.contains(&c.asset))
                    {
                        if let Err(e) =
                            crate::rules::on_status(conn, c.device, c.asset, c.online, c.at)
                        {
                            tracing::error!(error = %e, device = %c.device,
                                "rules failed on a status change");
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "rules failed on status changes"),
            }
        }

        out.rejected = letters.iter().map(|l| l.reason).collect();
        dead_letters::insert(conn, &letters, self.settings.dead_letter_cap)?;
        Ok(out)
    }

    /// The devices named by `items`, registering unknown ones when that is on.
    fn resolve_devices(
        &mut self,
        conn: &mut PgConnection,
        items: &[Item],
    ) -> QueryResult<HashMap<String, DeviceRef>> {
        let mut names: Vec<&str> = items
            .iter()
            .filter_map(|i| match i {
                Item::Telemetry { device_id, .. } | Item::Status { device_id, .. } => {
                    Some(device_id.as_str())
                }
                Item::Refused { .. } => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        if names.is_empty() {
            return Ok(HashMap::new());
        }
        let mut found = load_devices(conn, &names)?;
        if self.settings.auto_register {
            let unknown: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| !found.contains_key(*n))
                .collect();
            if !unknown.is_empty() {
                register_by_serial(conn, &unknown)?;
                found.extend(load_devices(conn, &unknown)?);
            }
        }
        Ok(found)
    }

    /// The series id of each staged reading, creating missing series.
    fn series_ids(
        &mut self,
        conn: &mut PgConnection,
        staged: &[(DeviceRecordId, &str, DateTime<Utc>, f64)],
        new_series: &mut Vec<(i32, DeviceRecordId, String)>,
    ) -> QueryResult<Vec<i32>> {
        let mut missing: HashSet<(DeviceRecordId, &str)> = HashSet::new();
        for (device, metric, _, _) in staged {
            if self.series.get(*device, metric).is_none() {
                missing.insert((*device, metric));
            }
        }
        let mut fresh: HashMap<(DeviceRecordId, String), i32> = HashMap::new();
        if !missing.is_empty() {
            let (devices, metrics): (Vec<DeviceRecordId>, Vec<&str>) =
                missing.iter().copied().unzip();
            diesel::sql_query(
                "INSERT INTO telemetry.series (device_id, metric)
                 SELECT * FROM unnest($1::uuid[], $2::text[]) ORDER BY 1, 2
                 ON CONFLICT DO NOTHING",
            )
            .bind::<Array<Uuid>, _>(&devices)
            .bind::<Array<Text>, _>(&metrics)
            .execute(conn)?;
            let rows: Vec<SeriesRow> = diesel::sql_query(
                "SELECT s.id, s.device_id, s.metric FROM telemetry.series s
                 JOIN unnest($1::uuid[], $2::text[]) AS v(device_id, metric)
                   ON s.device_id = v.device_id AND s.metric = v.metric",
            )
            .bind::<Array<Uuid>, _>(&devices)
            .bind::<Array<Text>, _>(&metrics)
            .load(conn)?;
            for r in rows {
                new_series.push((r.id, r.device_id, r.metric.clone()));
                fresh.insert((r.device_id, r.metric), r.id);
            }
        }
        Ok(staged
            .iter()
            .map(|(device, metric, _, _)| {
                self.series
                    .get(*device, metric)
                    .or_else(|| fresh.get(&(*device, (*metric).to_owned())).copied())
                    .expect("every series was created above")
            })
            .collect())
    }
}

/// Move the staged rows into the readings and mark hours already rolled up that got
/// late readings. Returns the rows stored now. (The latest value per series is read
/// from the readings' index when asked for, not written here.)
///
/// Redelivered readings are rare, so a plain INSERT is tried first (one index descent a
/// row); only when it meets a stored reading does the batch go again with
/// `ON CONFLICT DO NOTHING`, which checks each row before inserting it (two descents).
fn move_staged(conn: &mut PgConnection, late_before: DateTime<Utc>) -> QueryResult<Vec<NewRow>> {
    let plain = conn.transaction(|conn| {
        diesel::sql_query(move_staged_sql(""))
            .bind::<Timestamptz, _>(late_before)
            .load::<NewRow>(conn)
    });
    match plain {
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => diesel::sql_query(move_staged_sql("ON CONFLICT DO NOTHING"))
            .bind::<Timestamptz, _>(late_before)
            .load(conn),
        other => other,
    }
}

fn move_staged_sql(on_conflict: &str) -> String {
    format!(
        "WITH ins AS (
            INSERT INTO telemetry.readings (series_id, ts, value)
            SELECT series_id, ts, value FROM ingest_staging
            {on_conflict}
            RETURNING series_id, ts, value
        ), late AS (
            INSERT INTO telemetry.rollup_dirty (series_id, hour)
            SELECT DISTINCT series_id, date_trunc('hour', ts, 'UTC') FROM ins
            WHERE date_trunc('hour', ts, 'UTC') + interval '1 hour' <= $1
            ON CONFLICT DO NOTHING
        )
        SELECT series_id, ts, value FROM ins"
    )
}

/// Apply online/offline statuses in one statement per round: round k holds each
/// device's k-th status of the batch, so several statuses of one device keep their
/// order (a fleet reconnecting sends one per device: one round). Returns the changes.
fn apply_statuses(
    conn: &mut PgConnection,
    statuses: &[(DeviceRef, bool, DateTime<Utc>)],
) -> QueryResult<Vec<StatusChange>> {
    let mut rounds: Vec<Vec<&(DeviceRef, bool, DateTime<Utc>)>> = Vec::new();
    let mut seen: HashMap<DeviceRecordId, usize> = HashMap::new();
    for s in statuses {
        let k = seen.entry(s.0.id).or_insert(0);
        if rounds.len() <= *k {
            rounds.push(Vec::new());
        }
        rounds[*k].push(s);
        *k += 1;
    }
    let mut changes = Vec::new();
    for round in rounds {
        let ids: Vec<DeviceRecordId> = round.iter().map(|s| s.0.id).collect();
        let online: Vec<bool> = round.iter().map(|s| s.1).collect();
        let at: Vec<DateTime<Utc>> = round.iter().map(|s| s.2).collect();
        let changed: Vec<Changed> = diesel::sql_query(
            "UPDATE telemetry.device_state s SET online = v.online, status_at = v.at
             FROM unnest($1::uuid[], $2::bool[], $3::timestamptz[]) AS v(device_id, online, at)
             WHERE s.device_id = v.device_id AND s.online IS DISTINCT FROM v.online
             RETURNING s.device_id",
        )
        .bind::<Array<Uuid>, _>(&ids)
        .bind::<Array<Bool>, _>(&online)
        .bind::<Array<Timestamptz>, _>(&at)
        .load(conn)?;
        let changed: HashSet<DeviceRecordId> = changed.into_iter().map(|c| c.device_id).collect();
        changes.extend(round.iter().filter(|s| changed.contains(&s.0.id)).map(
            |(device, online, at)| StatusChange {
                device: device.id,
                asset: device.asset,
                online: *online,
                at: *at,
            },
        ));
    }
    Ok(changes)
}

fn load_devices(
    conn: &mut PgConnection,
    names: &[&str],
) -> QueryResult<HashMap<String, DeviceRef>> {
    let rows: Vec<DeviceRow> = diesel::sql_query(
        "SELECT id, device_id, asset_id, active FROM public.devices WHERE device_id = ANY($1)",
    )
    .bind::<Array<Text>, _>(names)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.device_id,
                DeviceRef {
                    id: r.id,
                    asset: r.asset_id,
                    active: r.active,
                },
            )
        })
        .collect())
}

/// `MAINSPRING_AUTO_REGISTER_DEVICES`: an unknown device whose `device_id` equals the
/// serial number of exactly one asset is registered on that asset; any other stays
/// unknown (there is no sensible asset to bind it to).
fn register_by_serial(conn: &mut PgConnection, names: &[&str]) -> QueryResult<usize> {
    let ids: Vec<DeviceRecordId> = names.iter().map(|_| DeviceRecordId::new()).collect();
    diesel::sql_query(
        "INSERT INTO public.devices (id, device_id, asset_id, name)
         SELECT v.id, v.device_id, min(a.id::text)::uuid, 'registered from telemetry'
         FROM unnest($1::uuid[], $2::text[]) AS v(id, device_id)
         JOIN public.assets a ON a.serial_number = v.device_id
         GROUP BY v.id, v.device_id HAVING count(*) = 1
         ON CONFLICT (device_id) DO NOTHING",
    )
    .bind::<Array<Uuid>, _>(&ids)
    .bind::<Array<Text>, _>(names)
    .execute(conn)
}

/// Lock the state rows of `devices` (sorted), creating missing ones; their last `seq`.
fn lock_device_state(
    conn: &mut PgConnection,
    devices: &[DeviceRecordId],
) -> QueryResult<HashMap<DeviceRecordId, Option<i64>>> {
    if devices.is_empty() {
        return Ok(HashMap::new());
    }
    diesel::sql_query(
        "INSERT INTO telemetry.device_state (device_id)
         SELECT d FROM unnest($1::uuid[]) AS d ORDER BY d ON CONFLICT DO NOTHING",
    )
    .bind::<Array<Uuid>, _>(devices)
    .execute(conn)?;
    let rows: Vec<SeqRow> = diesel::sql_query(
        "SELECT device_id, last_seq FROM telemetry.device_state
         WHERE device_id = ANY($1) ORDER BY device_id FOR UPDATE",
    )
    .bind::<Array<Uuid>, _>(devices)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.device_id, r.last_seq))
        .collect())
}
