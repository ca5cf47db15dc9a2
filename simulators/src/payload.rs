//! Telemetry payloads per the MQTT contract (`{"ts", "seq", "values"}`, one object or
//! an array) and the malformed payloads scenarios inject. Encoding is written by hand:
//! the load generator encodes tens of thousands of messages a second.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;

use crate::device::Sample;

/// The contract's payload limit; `oversize` payloads exceed it.
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// How `ts` is written: both forms are in the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TsFormat {
    /// `"2026-11-23T03:00:00.000Z"`
    #[default]
    Rfc3339,
    /// `1795402800000`
    EpochMs,
}

/// Kinds of bad input a scenario can publish on a device's telemetry topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MalformedKind {
    /// Truncated JSON.
    BadJson,
    /// Bytes that are not UTF-8.
    NonUtf8,
    /// Valid JSON that is not a message (a string, a number array, `values` not an object).
    WrongShape,
    /// A message whose first value is a string: that value is bad, the others good.
    NonNumeric,
    /// A message stamped in 1999, far outside the accepted window.
    AbsurdTs,
    /// A valid batch larger than the 256 KiB limit.
    Oversize,
}

impl MalformedKind {
    pub fn name(self) -> &'static str {
        match self {
            MalformedKind::BadJson => "bad_json",
            MalformedKind::NonUtf8 => "non_utf8",
            MalformedKind::WrongShape => "wrong_shape",
            MalformedKind::NonNumeric => "non_numeric",
            MalformedKind::AbsurdTs => "absurd_ts",
            MalformedKind::Oversize => "oversize",
        }
    }
}

fn write_ts(out: &mut String, ts: DateTime<Utc>, fmt: TsFormat) {
    match fmt {
        TsFormat::Rfc3339 => {
            out.push('"');
            out.push_str(&ts.to_rfc3339_opts(SecondsFormat::Millis, true));
            out.push('"');
        }
        TsFormat::EpochMs => {
            let _ = write!(out, "{}", ts.timestamp_millis());
        }
    }
}

fn write_number(out: &mut String, v: f64) {
    // Values are finite by construction; guard anyway so the JSON stays valid.
    if v.is_finite() {
        let _ = write!(out, "{v}");
    } else {
        out.push('0');
    }
}

fn write_message(out: &mut String, s: &Sample, fmt: TsFormat) {
    out.push_str("{\"ts\":");
    write_ts(out, s.ts, fmt);
    let _ = write!(out, ",\"seq\":{},\"values\":{{", s.seq);
    for (i, (metric, v)) in s.values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "\"{metric}\":");
        write_number(out, *v);
    }
    out.push_str("}}");
}

/// One sample as one message, several as an array (a batch).
pub fn encode(samples: &[Sample], fmt: TsFormat) -> Vec<u8> {
    let mut out = String::with_capacity(96 * samples.len());
    if let [one] = samples {
        write_message(&mut out, one, fmt);
    } else {
        out.push('[');
        for (i, s) in samples.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_message(&mut out, s, fmt);
        }
        out.push(']');
    }
    out.into_bytes()
}

/// Readings a payload carries: one per (message, metric).
pub fn readings_in(samples: &[Sample]) -> u32 {
    samples.iter().map(|s| s.values.len() as u32).sum()
}

/// A malformed payload built from a healthy sample, and how many good readings it
/// still carries (only `non_numeric` has some: its other values are valid).
pub fn malformed(kind: MalformedKind, sample: &Sample, fmt: TsFormat) -> (Vec<u8>, u32) {
    match kind {
        MalformedKind::BadJson => {
            let full = encode(std::slice::from_ref(sample), fmt);
            let cut = full.len() * 2 / 3;
            (full[..cut].to_vec(), 0)
        }
        MalformedKind::NonUtf8 => {
            let mut bytes = b"{\"ts\":\"".to_vec();
            bytes.extend_from_slice(&[0xff, 0xfe, 0xc3, 0x28]);
            bytes.extend_from_slice(b"\",\"values\":{}}");
            (bytes, 0)
        }
        MalformedKind::WrongShape => {
            let body = format!(
                "{{\"ts\":\"{}\",\"seq\":{},\"values\":[1,2,3]}}",
                sample.ts.to_rfc3339_opts(SecondsFormat::Millis, true),
                sample.seq
            );
            (body.into_bytes(), 0)
        }
        MalformedKind::NonNumeric => {
            let mut out = String::from("{\"ts\":");
            write_ts(&mut out, sample.ts, fmt);
            let _ = write!(out, ",\"seq\":{},\"values\":{{", sample.seq);
            for (i, (metric, v)) in sample.values.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                if i == 0 {
                    let _ = write!(out, "\"{metric}\":\"hot\"");
                } else {
                    let _ = write!(out, "\"{metric}\":");
                    write_number(&mut out, *v);
                }
            }
            out.push_str("}}");
            let good = sample.values.len().saturating_sub(1) as u32;
            (out.into_bytes(), good)
        }
        MalformedKind::AbsurdTs => {
            let mut old = sample.clone();
            old.ts = DateTime::parse_from_rfc3339("1999-01-01T00:00:00Z")
                .expect("constant")
                .with_timezone(&Utc);
            (encode(std::slice::from_ref(&old), fmt), 0)
        }
        MalformedKind::Oversize => {
            let one = encode(std::slice::from_ref(sample), fmt);
            let copies = MAX_PAYLOAD_BYTES / (one.len() + 1) + 16;
            let batch = vec![sample.clone(); copies];
            let body = encode(&batch, fmt);
            debug_assert!(body.len() > MAX_PAYLOAD_BYTES);
            (body, 0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::Value;

    fn sample(seq: u64) -> Sample {
        Sample {
            ts: Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap(),
            seq,
            values: vec![
                ("temperature_c", 71.5),
                ("vibration_mm_s", 2.0),
                ("runtime_h", 1234.567),
            ],
        }
    }

    fn json(bytes: &[u8]) -> Value {
        serde_json::from_slice(bytes).expect("valid JSON")
    }

    #[test]
    fn one_sample_is_one_message_in_the_contract_shape() {
        let v = json(&encode(&[sample(1042)], TsFormat::Rfc3339));
        assert_eq!(v["ts"], "2026-11-23T03:00:00.000Z");
        assert_eq!(v["seq"], 1042);
        assert_eq!(v["values"]["temperature_c"], 71.5);
        assert_eq!(v["values"]["vibration_mm_s"], 2.0);
        assert_eq!(v["values"]["runtime_h"], 1234.567);
        assert_eq!(v.as_object().unwrap().len(), 3);
    }

    #[test]
    fn several_samples_are_an_array_batch() {
        let v = json(&encode(&[sample(1), sample(2)], TsFormat::EpochMs));
        let items = v.as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1]["seq"], 2);
        assert_eq!(items[0]["ts"], 1_795_402_800_000i64);
        assert_eq!(readings_in(&[sample(1), sample(2)]), 6);
    }

    #[test]
    fn bad_json_and_non_utf8_do_not_parse() {
        for kind in [MalformedKind::BadJson, MalformedKind::NonUtf8] {
            let (bytes, good) = malformed(kind, &sample(1), TsFormat::Rfc3339);
            assert!(serde_json::from_slice::<Value>(&bytes).is_err(), "{kind:?}");
            assert_eq!(good, 0);
        }
        let (bytes, _) = malformed(MalformedKind::NonUtf8, &sample(1), TsFormat::Rfc3339);
        assert!(std::str::from_utf8(&bytes).is_err());
    }

    #[test]
    fn wrong_shape_parses_but_values_is_no_object() {
        let (bytes, _) = malformed(MalformedKind::WrongShape, &sample(1), TsFormat::Rfc3339);
        assert!(json(&bytes)["values"].is_array());
    }

    #[test]
    fn non_numeric_spoils_one_value_and_keeps_the_others() {
        let (bytes, good) = malformed(MalformedKind::NonNumeric, &sample(1), TsFormat::Rfc3339);
        let v = json(&bytes);
        assert_eq!(v["values"]["temperature_c"], "hot");
        assert_eq!(v["values"]["vibration_mm_s"], 2.0);
        assert_eq!(good, 2);
    }

    #[test]
    fn absurd_ts_is_from_another_century() {
        let (bytes, _) = malformed(MalformedKind::AbsurdTs, &sample(1), TsFormat::EpochMs);
        assert_eq!(json(&bytes)["ts"], 915_148_800_000i64);
    }

    #[test]
    fn oversize_is_valid_json_just_over_the_limit() {
        let (bytes, _) = malformed(MalformedKind::Oversize, &sample(1), TsFormat::Rfc3339);
        assert!(bytes.len() > MAX_PAYLOAD_BYTES);
        assert!(bytes.len() < MAX_PAYLOAD_BYTES + 16 * 1024);
        assert!(json(&bytes).is_array());
    }
}
