//! Telemetry's settings (read with the rest of the configuration in `crate::config`):
//! where the broker is, the topic prefix, scale-out, retention, the accepted clock skew,
//! batching and the ingest memory budget. A malformed one names itself at start-up.

use std::time::Duration;

use crate::config::{err, parse_bool, parse_number, ConfigError, Sources};
use crate::mqtt::topics::valid_prefix;
use crate::mqtt::url::BrokerUrl;

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    /// `MQTT_URL`; `None`: no ingest.
    pub broker: Option<BrokerUrl>,
    /// `MQTT_TOPIC_PREFIX` (default `mainspring`).
    pub prefix: String,
    /// `MQTT_SHARED_GROUP`: subscribe to telemetry through `$share/{group}/…`.
    pub shared_group: Option<String>,
    /// `MQTT_CLIENT_ID`: the persistent session's id; stable across restarts, distinct
    /// per instance.
    pub client_id: String,
    /// `MAINSPRING_TELEMETRY_RETENTION_DAYS` (30): raw readings are kept this long.
    pub retention_days: u32,
    /// `MAINSPRING_TELEMETRY_ROLLUP_RETENTION_DAYS` (730): hourly rollups.
    pub rollup_retention_days: u32,
    /// `MAINSPRING_TELEMETRY_CLOCK_SKEW_SECONDS` (300): how far ahead `ts` may be.
    pub clock_skew: Duration,
    /// `MAINSPRING_AUTO_REGISTER_DEVICES` (false).
    pub auto_register: bool,
    /// `MAINSPRING_DEAD_LETTER_CAP` (100000): the dead-letter table keeps the newest.
    pub dead_letter_cap: i64,
    /// `MAINSPRING_METER_SAMPLE_SECONDS` (900): at most one meter reading per meter
    /// from telemetry in this time.
    pub meter_sample: Duration,
    /// `MAINSPRING_INGEST_BATCH` (5000): readings per batch at most.
    pub batch_readings: usize,
    /// `MAINSPRING_INGEST_FLUSH_MS` (100): a batch waits at most this long to fill.
    pub flush: Duration,
    /// `MAINSPRING_INGEST_BUFFER_MB` (64): payload bytes held unacknowledged at most.
    pub buffer_bytes: usize,
}

impl TelemetryConfig {
    pub fn load(sources: &Sources) -> Result<Self, ConfigError> {
        let broker = sources
            .get("MQTT_URL")
            .map(|u| BrokerUrl::parse(&u).map_err(|reason| err("MQTT_URL", reason)))
            .transpose()?;
        let prefix = sources
            .get("MQTT_TOPIC_PREFIX")
            .unwrap_or_else(|| "mainspring".into());
        if !valid_prefix(&prefix) {
            return Err(err(
                "MQTT_TOPIC_PREFIX",
                format!("`{prefix}` is not plain topic levels like `mainspring` or `acme/plant`"),
            ));
        }
        let shared_group = sources.get("MQTT_SHARED_GROUP");
        if let Some(g) = &shared_group {
            if g.contains(['/', '+', '#']) {
                return Err(err(
                    "MQTT_SHARED_GROUP",
                    format!("`{g}` must be one topic level"),
                ));
            }
        }
        let client_id = sources
            .get("MQTT_CLIENT_ID")
            .unwrap_or_else(default_client_id);
        if client_id.len() > 128 {
            return Err(err("MQTT_CLIENT_ID", "must be at most 128 characters"));
        }
        let retention_days =
            parse_number(sources, "MAINSPRING_TELEMETRY_RETENTION_DAYS", 30, 1..=3650)? as u32;
        let rollup_retention_days = parse_number(
            sources,
            "MAINSPRING_TELEMETRY_ROLLUP_RETENTION_DAYS",
            730,
            1..=36500,
        )? as u32;
        let clock_skew = Duration::from_secs(parse_number(
            sources,
            "MAINSPRING_TELEMETRY_CLOCK_SKEW_SECONDS",
            300,
            0..=86_400,
        )?);
        let auto_register = parse_bool(sources, "MAINSPRING_AUTO_REGISTER_DEVICES", false)?;
        let dead_letter_cap = parse_number(
            sources,
            "MAINSPRING_DEAD_LETTER_CAP",
            100_000,
            100..=100_000_000,
        )? as i64;
        let meter_sample = Duration::from_secs(parse_number(
            sources,
            "MAINSPRING_METER_SAMPLE_SECONDS",
            900,
            0..=86_400,
        )?);
        let batch_readings =
            parse_number(sources, "MAINSPRING_INGEST_BATCH", 5000, 1..=100_000)? as usize;
        let flush = Duration::from_millis(parse_number(
            sources,
            "MAINSPRING_INGEST_FLUSH_MS",
            100,
            1..=10_000,
        )?);
        let buffer_bytes = parse_number(sources, "MAINSPRING_INGEST_BUFFER_MB", 64, 8..=4096)?
            as usize
            * 1024
            * 1024;
        Ok(Self {
            broker,
            prefix,
            shared_group,
            client_id,
            retention_days,
            rollup_retention_days,
            clock_skew,
            auto_register,
            dead_letter_cap,
            meter_sample,
            batch_readings,
            flush,
            buffer_bytes,
        })
    }
}

/// `mainspring-ingest-{host name}`: stable across restarts of the same machine.
fn default_client_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "local".into());
    format!("mainspring-ingest-{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<TelemetryConfig, ConfigError> {
        let env = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        TelemetryConfig::load(&Sources::from_maps(env, Default::default()))
    }

    #[test]
    fn defaults_follow_the_contract() {
        let c = load(&[]).unwrap();
        assert!(c.broker.is_none());
        assert_eq!(c.prefix, "mainspring");
        assert_eq!(c.retention_days, 30);
        assert_eq!(c.clock_skew, Duration::from_secs(300));
        assert!(!c.auto_register);
        assert!(c.client_id.starts_with("mainspring-ingest-"));
    }

    #[test]
    fn bad_settings_name_themselves() {
        for (name, value) in [
            ("MQTT_URL", "mqtt://h:port"),
            ("MQTT_TOPIC_PREFIX", "a/+"),
            ("MQTT_SHARED_GROUP", "a/b"),
            ("MAINSPRING_TELEMETRY_RETENTION_DAYS", "0"),
            ("MAINSPRING_AUTO_REGISTER_DEVICES", "maybe"),
        ] {
            assert_eq!(load(&[(name, value)]).unwrap_err().name, name, "{value}");
        }
    }
}
