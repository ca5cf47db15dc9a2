//! The topics of the MQTT contract: `{prefix}/v1/devices/{device_id}/telemetry` and
//! `/status`, the subscription filters (shared or not) and the parsing of a received
//! topic. Pure; the prefix is configurable, the `v1` is the contract's version.

use crate::validate::is_identifier;

/// What a received topic names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Topic {
    Telemetry {
        device_id: String,
    },
    Status {
        device_id: String,
    },
    /// The broker's `$SYS/broker/publish/messages/dropped` counter.
    BrokerDropped,
    /// Anything else under the prefix, or a device id outside the allowed characters.
    Bad,
}

/// The broker's count of messages dropped for full queues (Mosquitto 2.x).
pub const SYS_DROPPED: &str = "$SYS/broker/publish/messages/dropped";

pub fn telemetry_topic(prefix: &str, device_id: &str) -> String {
    format!("{prefix}/v1/devices/{device_id}/telemetry")
}

pub fn status_topic(prefix: &str, device_id: &str) -> String {
    format!("{prefix}/v1/devices/{device_id}/status")
}

/// The filters to subscribe to: telemetry (through `$share/{group}/` when scaling out),
/// status (never shared: every instance sees it), and the broker's dropped count.
pub fn subscriptions(prefix: &str, shared_group: Option<&str>) -> Vec<String> {
    let telemetry = telemetry_topic(prefix, "+");
    vec![
        match shared_group {
            Some(group) => format!("$share/{group}/{telemetry}"),
            None => telemetry,
        },
        status_topic(prefix, "+"),
        SYS_DROPPED.to_owned(),
    ]
}

pub fn parse(prefix: &str, topic: &str) -> Topic {
    if topic == SYS_DROPPED {
        return Topic::BrokerDropped;
    }
    let Some(rest) = topic
        .strip_prefix(prefix)
        .and_then(|r| r.strip_prefix("/v1/devices/"))
    else {
        return Topic::Bad;
    };
    let Some((device_id, kind)) = rest.split_once('/') else {
        return Topic::Bad;
    };
    if !is_identifier(device_id) {
        return Topic::Bad;
    }
    let device_id = device_id.to_owned();
    match kind {
        "telemetry" => Topic::Telemetry { device_id },
        "status" => Topic::Status { device_id },
        _ => Topic::Bad,
    }
}

/// A topic prefix is one or more plain topic levels (no wildcards, no `$` start).
pub fn valid_prefix(prefix: &str) -> bool {
    !prefix.is_empty()
        && !prefix.starts_with('$')
        && prefix
            .split('/')
            .all(|level| !level.is_empty() && !level.contains(['+', '#']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telemetry_and_status_topics_name_their_device() {
        assert_eq!(
            parse("mainspring", "mainspring/v1/devices/filler-2.plc/telemetry"),
            Topic::Telemetry {
                device_id: "filler-2.plc".into()
            }
        );
        assert_eq!(
            parse("acme/plant", "acme/plant/v1/devices/d1/status"),
            Topic::Status {
                device_id: "d1".into()
            }
        );
    }

    #[test]
    fn other_topics_are_bad() {
        for t in [
            "mainspring/v1/devices/d1/other",
            "mainspring/v2/devices/d1/telemetry",
            "mainspring/v1/devices/d1/telemetry/extra",
            "mainspring/v1/devices/bad id/telemetry",
            "mainspring/v1/devices//telemetry",
            "other/v1/devices/d1/telemetry",
        ] {
            assert_eq!(parse("mainspring", t), Topic::Bad, "{t}");
        }
    }

    #[test]
    fn a_shared_group_shares_telemetry_but_not_status() {
        let subs = subscriptions("mainspring", Some("ingest"));
        assert_eq!(subs[0], "$share/ingest/mainspring/v1/devices/+/telemetry");
        assert_eq!(subs[1], "mainspring/v1/devices/+/status");
        assert_eq!(
            subscriptions("mainspring", None)[0],
            "mainspring/v1/devices/+/telemetry"
        );
    }

    #[test]
    fn prefixes_are_plain_topic_levels() {
        assert!(valid_prefix("mainspring"));
        assert!(valid_prefix("acme/plant-1"));
        for p in ["", "$SYS", "a/+", "a/#", "a//b", "/a"] {
            assert!(!valid_prefix(p), "{p}");
        }
    }
}
