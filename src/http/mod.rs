//! The HTTP side: shared state, extractors, pagination, the idempotency and metrics
//! middlewares, operational endpoints, and [`router`], the one place where every route
//! and its OpenAPI description are wired.

pub mod docs;
pub mod extract;
pub mod idempotency;
pub mod metrics;
pub mod ops;
pub mod pagination;
pub mod router;
pub mod server;

use crate::db::Db;

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    /// SHA-256 of `MAINSPRING_ADMIN_KEY`, when one is configured.
    pub admin_key_hash: Option<Vec<u8>>,
    pub metrics: metrics::Metrics,
    /// The database is the embedded cluster (said in `/ready` so a forgotten
    /// `DATABASE_URL` in production is noticed).
    pub embedded_db: bool,
    pub mqtt_configured: bool,
    /// The ingest's broker connection, when this instance runs ingest.
    pub ingest: Option<std::sync::Arc<crate::mqtt::client::Status>>,
    /// Retention, skew and dead-letter settings (replay goes through ingest's commit).
    pub telemetry: crate::telemetry::config::TelemetryConfig,
    /// `MAINSPRING_AUTO_ASSIGN`: tickets opened through the API without an assignee go
    /// to the best fully skilled dispatch suggestion.
    pub auto_assign: bool,
}
