//! `--record FILE`: one JSON line per telemetry publish handed to the broker
//! (`{"device_id", "malformed", "payload", "sent_at"}`, the payload as text with invalid
//! UTF-8 replaced), so a test can tell which readings a device sent and when, e.g. to
//! check that each distinct one the server accepts was stored exactly once.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub device_id: String,
    pub malformed: bool,
    pub payload: String,
    /// When it was handed to the broker (absent in files of older versions).
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
}

pub struct Recorder(Mutex<BufWriter<File>>);

impl Recorder {
    pub fn create(path: &Path) -> Result<Self> {
        let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        Ok(Self(Mutex::new(BufWriter::new(f))))
    }

    pub fn write(&self, device_id: &str, malformed: bool, payload: &[u8]) {
        let r = Record {
            device_id: device_id.to_owned(),
            malformed,
            payload: String::from_utf8_lossy(payload).into_owned(),
            sent_at: Some(Utc::now()),
        };
        let mut w = self.0.lock().expect("recorder");
        // A full disk must not stop the fleet; the summary still counts everything.
        let _ = serde_json::to_writer(&mut *w, &r);
        let _ = w.write_all(b"\n");
    }

    pub fn flush(&self) -> Result<()> {
        self.0
            .lock()
            .expect("recorder")
            .flush()
            .context("writing the record file")
    }
}

/// Reads a record file back.
pub fn read(path: &Path) -> Result<Vec<Record>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    text.lines()
        .map(|l| serde_json::from_str(l).with_context(|| format!("bad record line: {l}")))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_read_back_as_written_with_bad_bytes_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.jsonl");
        let rec = Recorder::create(&path).unwrap();
        rec.write("d-1", false, br#"{"seq":1}"#);
        rec.write("d-2", true, &[b'{', 0xff]);
        rec.flush().unwrap();
        let back = read(&path).unwrap();
        assert_eq!(back.len(), 2);
        assert_eq!(
            (
                back[0].device_id.as_str(),
                back[0].malformed,
                back[0].payload.as_str()
            ),
            ("d-1", false, r#"{"seq":1}"#)
        );
        let sent = back[0].sent_at.expect("the time it was sent");
        assert!((Utc::now() - sent).num_seconds().abs() < 60);
        assert!(back[1].malformed);
        assert_eq!(back[1].payload, "{\u{fffd}");
    }
}
