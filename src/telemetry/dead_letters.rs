//! The dead-letter table: input ingest refused, with its reason, bounded (the oldest
//! rows go first), listed through the API and replayed once its device is registered.
//! The HTTP handlers live in `dead_letter_routes`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Bool, Bytea, Nullable, Text, Timestamptz};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::payload::{Reason, Reject, MAX_PAYLOAD};

/// Bytes kept of a payload too large to store (enough to recognise it).
pub const KEPT_OF_OVERSIZED: usize = 4096;

/// A dead letter to write.
#[derive(Debug, Clone)]
pub struct NewDeadLetter {
    pub received_at: DateTime<Utc>,
    pub topic: String,
    pub device_id: Option<String>,
    pub reason: Reason,
    pub detail: String,
    pub payload: Vec<u8>,
    pub truncated: bool,
}

impl NewDeadLetter {
    pub fn new(
        received_at: DateTime<Utc>,
        topic: &str,
        device_id: Option<&str>,
        reason: Reason,
        detail: String,
        payload: &[u8],
    ) -> Self {
        let truncated = payload.len() > MAX_PAYLOAD;
        let kept = if truncated {
            &payload[..KEPT_OF_OVERSIZED]
        } else {
            payload
        };
        Self {
            received_at,
            topic: topic.chars().take(1024).collect(),
            device_id: device_id.map(str::to_owned),
            reason,
            detail: detail.chars().take(2000).collect(),
            payload: kept.to_vec(),
            truncated,
        }
    }

    pub fn from_reject(
        received_at: DateTime<Utc>,
        topic: &str,
        device_id: Option<&str>,
        r: &Reject,
    ) -> Self {
        Self::new(
            received_at,
            topic,
            device_id,
            r.reason,
            r.detail.clone(),
            &r.payload,
        )
    }
}

/// Write `letters`, then drop the oldest beyond `cap`.
pub fn insert(conn: &mut PgConnection, letters: &[NewDeadLetter], cap: i64) -> QueryResult<()> {
    if letters.is_empty() {
        return Ok(());
    }
    let received: Vec<DateTime<Utc>> = letters.iter().map(|l| l.received_at).collect();
    let topics: Vec<&str> = letters.iter().map(|l| l.topic.as_str()).collect();
    let devices: Vec<Option<&str>> = letters.iter().map(|l| l.device_id.as_deref()).collect();
    let reasons: Vec<&str> = letters.iter().map(|l| l.reason.as_str()).collect();
    let details: Vec<&str> = letters.iter().map(|l| l.detail.as_str()).collect();
    let payloads: Vec<&[u8]> = letters.iter().map(|l| l.payload.as_slice()).collect();
    let truncated: Vec<bool> = letters.iter().map(|l| l.truncated).collect();
    diesel::sql_query(
        "INSERT INTO telemetry.dead_letters
           (received_at, topic, device_id, reason, detail, payload, payload_truncated)
         SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::bytea[], $7::bool[])",
    )
    .bind::<Array<Timestamptz>, _>(&received)
    .bind::<Array<Text>, _>(&topics)
    .bind::<Array<Nullable<Text>>, _>(&devices)
    .bind::<Array<Text>, _>(&reasons)
    .bind::<Array<Text>, _>(&details)
    .bind::<Array<Bytea>, _>(&payloads)
    .bind::<Array<Bool>, _>(&truncated)
    .execute(conn)?;
    diesel::sql_query(
        "DELETE FROM telemetry.dead_letters
         WHERE id <= (SELECT max(id) FROM telemetry.dead_letters) - $1",
    )
    .bind::<BigInt, _>(cap)
    .execute(conn)?;
    Ok(())
}

/// A stored dead letter.
#[derive(Debug, Clone, QueryableByName, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": 42, "received_at": "2026-12-03T10:00:00Z",
    "topic": "mainspring/v1/devices/filler-9.plc/telemetry", "device_id": "filler-9.plc",
    "reason": "unknown_device", "detail": "no device is registered as `filler-9.plc`",
    "payload": "{\"values\": {\"temperature_c\": 71.5}}", "payload_truncated": false
}))]
pub struct DeadLetter {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub received_at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub topic: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub device_id: Option<String>,
    /// `malformed_json`, `bad_message`, `bad_value`, `unknown_device`,
    /// `inactive_device`, `timestamp_out_of_window`, `oversized`, `bad_topic`,
    /// `bad_status`.
    #[diesel(sql_type = Text)]
    #[schema(example = "unknown_device")]
    pub reason: String,
    #[diesel(sql_type = Text)]
    pub detail: String,
    /// The refused payload as text (bytes that are not UTF-8 shown as U+FFFD).
    #[serde(serialize_with = "lossy", deserialize_with = "bytes_of")]
    #[diesel(sql_type = Bytea)]
    #[schema(value_type = String)]
    pub payload: Vec<u8>,
    /// Only the first 4 KiB of an oversized payload are kept.
    #[diesel(sql_type = Bool)]
    pub payload_truncated: bool,
}

fn lossy<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&String::from_utf8_lossy(bytes))
}

fn bytes_of<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    String::deserialize(d).map(String::into_bytes)
}

/// Filters of the dead-letter list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub reason: Option<Reason>,
    pub device_id: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// Newest first, after the cursor `before` (an id).
pub fn list(
    conn: &mut PgConnection,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeadLetter>> {
    diesel::sql_query(
        "SELECT id, received_at, topic, device_id, reason, detail, payload, payload_truncated
         FROM telemetry.dead_letters
         WHERE ($1::text IS NULL OR reason = $1)
           AND ($2::text IS NULL OR device_id = $2)
           AND ($3::timestamptz IS NULL OR received_at >= $3)
           AND ($4::timestamptz IS NULL OR received_at < $4)
           AND ($5::int8 IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
    )
    .bind::<Nullable<Text>, _>(f.reason.map(Reason::as_str))
    .bind::<Nullable<Text>, _>(f.device_id.as_deref())
    .bind::<Nullable<Timestamptz>, _>(f.from)
    .bind::<Nullable<Timestamptz>, _>(f.to)
    .bind::<Nullable<BigInt>, _>(before)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Dead letters of telemetry from devices that were unknown or inactive and are now
/// registered and active, oldest first.
pub fn replayable(
    conn: &mut PgConnection,
    device_id: Option<&str>,
    ids: Option<&[i64]>,
    limit: i64,
) -> QueryResult<Vec<DeadLetter>> {
    diesel::sql_query(
        "SELECT l.id, l.received_at, l.topic, l.device_id, l.reason, l.detail, l.payload,
                l.payload_truncated
         FROM telemetry.dead_letters l
         JOIN public.devices d ON d.device_id = l.device_id AND d.active
         WHERE l.reason IN ('unknown_device', 'inactive_device')
           AND l.topic LIKE '%/telemetry' AND NOT l.payload_truncated
           AND ($1::text IS NULL OR l.device_id = $1)
           AND ($2::int8[] IS NULL OR l.id = ANY($2))
         ORDER BY l.id LIMIT $3",
    )
    .bind::<Nullable<Text>, _>(device_id)
    .bind::<Nullable<Array<BigInt>>, _>(ids)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

pub fn delete(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM telemetry.dead_letters WHERE id = ANY($1)")
        .bind::<Array<BigInt>, _>(ids)
        .execute(conn)
}
