//! Devices: telemetry sources, each with its MQTT `device_id` (the pattern of DESIGN.md)
//! and bound to one asset. Ingest looks devices up by `device_id`.

pub mod csv;
pub mod model;
pub mod routes;
pub mod store;

pub use model::Device;
