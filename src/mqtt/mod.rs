//! MQTT: the topics of the device contract, the `MQTT_URL` setting, the ingest client
//! (a persistent QoS 1 session whose messages are acknowledged only after what they
//! carried is committed) and the private broker used by `demo` and the tests. What a
//! message means is `telemetry`'s business, not this module's.

pub mod broker;
pub mod client;
pub mod topics;
pub mod url;
