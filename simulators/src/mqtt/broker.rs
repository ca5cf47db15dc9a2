//! The broker to publish to (`mqtt://user:password@host:port`) and the rumqttc options
//! every simulator connection uses: QoS 1 limits, Last Will, packet sizes.

use std::time::Duration;

use anyhow::{bail, Context, Result};
use rumqttc::{LastWill, MqttOptions, QoS};

use crate::payload::MAX_PAYLOAD_BYTES;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broker {
    pub host: String,
    pub port: u16,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl Broker {
    /// Parses `mqtt://[user[:password]@]host[:port]` (`tcp://` too). TLS is not built in.
    pub fn parse(url: &str) -> Result<Self> {
        let rest = if let Some(r) = url.strip_prefix("mqtt://") {
            r
        } else if let Some(r) = url.strip_prefix("tcp://") {
            r
        } else if url.starts_with("mqtts://") || url.starts_with("ssl://") {
            bail!("MQTT URL `{url}`: the simulator speaks plain MQTT only; use mqtt://");
        } else {
            bail!("MQTT URL `{url}` must start with mqtt://");
        };
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            Some((a, h)) => (Some(a), h),
            None => (None, rest),
        };
        let (username, password) = match auth {
            Some(a) => match a.split_once(':') {
                Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
                None => (Some(a.to_owned()), None),
            },
            None => (None, None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse()
                    .with_context(|| format!("MQTT URL `{url}`: bad port `{p}`"))?,
            ),
            _ => (hostport, 1883),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            bail!("MQTT URL `{url}` names no host");
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            username,
            password,
        })
    }
}

/// Connection settings shared by every connection of a run.
#[derive(Debug, Clone)]
pub struct Tuning {
    /// QoS 1 messages unacknowledged at once per connection (rumqttc's inflight window).
    pub inflight: u16,
    pub keep_alive: Duration,
    /// Requests queued towards rumqttc's event loop before publishing waits.
    pub channel_capacity: usize,
    /// `false` keeps the broker session, so unacknowledged messages are resent after a
    /// reconnect instead of being dropped.
    pub clean_session: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            inflight: 100,
            keep_alive: Duration::from_secs(30),
            channel_capacity: 256,
            clean_session: false,
        }
    }
}

/// rumqttc options for one connection, its Last Will `offline` retained on `will_topic`.
pub fn options(broker: &Broker, client_id: &str, will_topic: &str, tuning: &Tuning) -> MqttOptions {
    let mut o = MqttOptions::new(client_id, broker.host.clone(), broker.port);
    o.set_keep_alive(tuning.keep_alive)
        .set_clean_session(tuning.clean_session)
        .set_inflight(tuning.inflight.max(1))
        .set_request_channel_capacity(tuning.channel_capacity)
        // Outgoing room for the oversize payloads scenarios publish on purpose; incoming
        // stays small (a publisher receives only acks).
        .set_max_packet_size(64 * 1024, 4 * MAX_PAYLOAD_BYTES)
        .set_last_will(LastWill::new(will_topic, "offline", QoS::AtLeastOnce, true));
    if let Some(user) = &broker.username {
        o.set_credentials(user.clone(), broker.password.clone().unwrap_or_default());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_credentials_and_port_parses() {
        let b = Broker::parse("mqtt://dev-1:s3cret@broker.local:2883").unwrap();
        assert_eq!(b.host, "broker.local");
        assert_eq!(b.port, 2883);
        assert_eq!(b.username.as_deref(), Some("dev-1"));
        assert_eq!(b.password.as_deref(), Some("s3cret"));
    }

    #[test]
    fn url_without_port_uses_1883() {
        let b = Broker::parse("mqtt://127.0.0.1").unwrap();
        assert_eq!(
            (b.host.as_str(), b.port, b.username),
            ("127.0.0.1", 1883, None)
        );
        assert_eq!(Broker::parse("tcp://[::1]:1884/").unwrap().host, "::1");
    }

    #[test]
    fn tls_and_unknown_schemes_and_bad_ports_are_refused() {
        assert!(Broker::parse("mqtts://h:8883").is_err());
        assert!(Broker::parse("http://h").is_err());
        assert!(Broker::parse("mqtt://h:notaport").is_err());
        assert!(Broker::parse("mqtt://").is_err());
    }

    #[test]
    fn options_carry_the_last_will_and_room_for_oversize_payloads() {
        let b = Broker::parse("mqtt://u:p@h:1").unwrap();
        let o = options(
            &b,
            "dev-1",
            "mainspring/v1/devices/dev-1/status",
            &Tuning::default(),
        );
        let will = o.last_will().unwrap();
        assert_eq!(will.topic, "mainspring/v1/devices/dev-1/status");
        assert_eq!(&will.message[..], b"offline");
        assert!(will.retain);
        assert_eq!(will.qos, QoS::AtLeastOnce);
        assert!(!o.clean_session());
        assert_eq!(o.credentials().map(|l| l.username), Some("u".to_owned()));
    }
}
