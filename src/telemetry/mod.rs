//! Telemetry: what devices report over MQTT, stored losslessly and fast. `payload`
//! (the contract's message format, pure), `ingest` (batching, retries, acknowledging
//! after commit), `store` and `copy` (the commit path), `partitions` (daily partitions,
//! retention, hourly rollups), `dead_letters` (refused input), `meters` (telemetry
//! feeding asset meters), `routes` (the query API). MQTT plumbing lives in `crate::mqtt`.

pub mod config;
pub mod copy;
pub mod dead_letter_routes;
pub mod dead_letters;
pub mod ingest;
pub mod meters;
pub mod metrics;
pub mod partitions;
pub mod payload;
pub mod routes;
pub mod seq;
pub mod store;
