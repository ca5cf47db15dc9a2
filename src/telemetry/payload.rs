//! The telemetry payload of the MQTT contract, parsed: one message or an array of them,
//! `{"ts": RFC 3339 | epoch ms, "seq": n, "values": {"metric": number | bool}}`. Pure:
//! what cannot be stored comes back as [`Reject`]s with their reason, each carrying only
//! the part that was refused (a bad value is refused alone, its message's other values
//! are kept), so a dead letter replays exactly what was not stored.

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Map, Value};

use crate::validate::is_identifier;

/// The largest payload the contract accepts.
pub const MAX_PAYLOAD: usize = 256 * 1024;

crate::text_enum! {
    /// Why input was not stored (the `reason` of a dead letter and of the rejection
    /// counter in `/metrics`).
    pub enum Reason {
        /// Not UTF-8 JSON.
        MalformedJson = "malformed_json",
        /// JSON, but not a message of the contract (no `values` object, a bad `ts` or `seq`).
        BadMessage = "bad_message",
        /// A value that is not a finite number or a boolean, or a bad metric name.
        BadValue = "bad_value",
        /// No device is registered with this `device_id`.
        UnknownDevice = "unknown_device",
        /// The device is registered but inactive.
        InactiveDevice = "inactive_device",
        /// `ts` before now minus the retention period, or after now plus the allowed skew.
        TimestampOutOfWindow = "timestamp_out_of_window",
        /// A payload above 256 KiB.
        Oversized = "oversized",
        /// A topic under the prefix that the contract does not define.
        BadTopic = "bad_topic",
        /// A status payload other than `online` or `offline`.
        BadStatus = "bad_status",
    }
}

/// One value to store (the device is known from the topic).
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub metric: String,
    pub ts: DateTime<Utc>,
    pub value: f64,
}

/// Input that will not be stored, and the bytes to keep as its dead letter.
#[derive(Debug, Clone, PartialEq)]
pub struct Reject {
    pub reason: Reason,
    pub detail: String,
    pub payload: Vec<u8>,
}

/// What a payload carried.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Parsed {
    pub readings: Vec<Reading>,
    /// The `seq` of each accepted message.
    pub seqs: Vec<i64>,
    pub rejects: Vec<Reject>,
}

/// The accepted time range of `ts`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Used when a message has no `ts`.
    pub received_at: DateTime<Utc>,
    pub earliest: DateTime<Utc>,
    pub latest: DateTime<Utc>,
}

impl Window {
    /// From now minus the retention period to now plus the allowed clock skew.
    pub fn new(received_at: DateTime<Utc>, retention: Duration, skew: Duration) -> Self {
        Self {
            received_at,
            earliest: received_at - retention,
            latest: received_at + skew,
        }
    }
}

pub fn parse(payload: &[u8], window: &Window) -> Parsed {
    let mut out = Parsed::default();
    if payload.len() > MAX_PAYLOAD {
        out.rejects.push(Reject {
            reason: Reason::Oversized,
            detail: format!(
                "the payload has {} bytes; at most {MAX_PAYLOAD} are accepted",
                payload.len()
            ),
            payload: payload.to_vec(),
        });
        return out;
    }
    let doc: Value = match std::str::from_utf8(payload)
        .map_err(|e| e.to_string())
        .and_then(|text| serde_json::from_str(text).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            out.rejects.push(Reject {
                reason: Reason::MalformedJson,
                detail: format!("not UTF-8 JSON: {e}"),
                payload: payload.to_vec(),
            });
            return out;
        }
    };
    match doc {
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                message(item, Some(i), window, &mut out);
            }
        }
        other => message(other, None, window, &mut out),
    }
    out
}

fn reject(out: &mut Parsed, reason: Reason, at: Option<usize>, detail: String, part: &Value) {
    let detail = match at {
        Some(i) => format!("[{i}]: {detail}"),
        None => detail,
    };
    out.rejects.push(Reject {
        reason,
        detail,
        payload: serde_json::to_vec(part).unwrap_or_default(),
    });
}

fn message(item: Value, at: Option<usize>, window: &Window, out: &mut Parsed) {
    let Value::Object(mut fields) = item else {
        let detail = "a message must be a JSON object with `values`".to_owned();
        return reject(out, Reason::BadMessage, at, detail, &item);
    };
    let ts = match timestamp(fields.get("ts"), window.received_at) {
        Ok(ts) => ts,
        Err(detail) => return reject(out, Reason::BadMessage, at, detail, &Value::Object(fields)),
    };
    let seq = match fields.get("seq") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64().filter(|n| *n >= 0) {
            Some(n) => Some(n),
            None => {
                let detail = format!("`seq` must be a whole number ≥ 0, not {v}");
                return reject(out, Reason::BadMessage, at, detail, &Value::Object(fields));
            }
        },
    };
    let values = match fields.remove("values") {
        Some(Value::Object(values)) => values,
        other => {
            if let Some(v) = other {
                fields.insert("values".into(), v);
            }
            let detail = "`values` must be an object of metric: number".to_owned();
            return reject(out, Reason::BadMessage, at, detail, &Value::Object(fields));
        }
    };
    if ts < window.earliest || ts > window.latest {
        fields.insert("values".into(), Value::Object(values));
        let detail = format!(
            "ts {} is outside the accepted window {} .. {}",
            ts.to_rfc3339(),
            window.earliest.to_rfc3339(),
            window.latest.to_rfc3339()
        );
        return reject(
            out,
            Reason::TimestampOutOfWindow,
            at,
            detail,
            &Value::Object(fields),
        );
    }
    if let Some(seq) = seq {
        out.seqs.push(seq);
    }
    for (metric, value) in values {
        let number = match &value {
            Value::Number(n) => n.as_f64().filter(|f| f.is_finite()),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        };
        let problem = if !is_identifier(&metric) {
            Some(format!(
                "metric name `{metric}` must match [A-Za-z0-9_.:-]{{1,64}}"
            ))
        } else if number.is_none() {
            Some(format!(
                "`{metric}`: {value} is not a finite number or a boolean"
            ))
        } else {
            None
        };
        match (problem, number) {
            (None, Some(value)) => out.readings.push(Reading { metric, ts, value }),
            (problem, _) => {
                // the dead letter holds this value alone, with the message's time
                let mut part = Map::new();
                part.insert("ts".into(), Value::String(ts.to_rfc3339()));
                if let Some(seq) = seq {
                    part.insert("seq".into(), seq.into());
                }
                let mut values = Map::new();
                values.insert(metric, value);
                part.insert("values".into(), Value::Object(values));
                let detail = problem.unwrap_or_default();
                reject(out, Reason::BadValue, at, detail, &Value::Object(part));
            }
        }
    }
}

fn timestamp(ts: Option<&Value>, received_at: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    match ts {
        None | Some(Value::Null) => Ok(received_at),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| format!("`ts` {s:?} is not RFC 3339: {e}")),
        Some(Value::Number(n)) => n
            .as_i64()
            .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
            .ok_or_else(|| format!("`ts` {n} is not whole epoch milliseconds")),
        Some(other) => Err(format!(
            "`ts` must be RFC 3339 text or epoch milliseconds, not {other}"
        )),
    }
}

#[cfg(test)]
mod tests;
