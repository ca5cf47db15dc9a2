//! Unauthenticated operational endpoints: liveness, readiness and Prometheus metrics.

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

/// Liveness.
#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Whether the server can do its work.
#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// `ok` or the reason the database cannot be used.
    #[schema(example = "ok")]
    pub database: String,
    /// `embedded` when the server runs its own PostgreSQL cluster (no `DATABASE_URL`),
    /// else `external`.
    #[schema(example = "external")]
    pub database_kind: &'static str,
    /// `ok` when ingest is connected to the broker, else why not; `not_configured`
    /// when `MQTT_URL` is unset (no telemetry ingest); `ingest_role_off` when this
    /// instance does not run ingest.
    #[schema(example = "ok")]
    pub broker: String,
}

/// Liveness: the process is up.
#[utoipa::path(tag = "operations", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/health")]
pub async fn health() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// Readiness: the database answers (and the broker, when MQTT is configured).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "A dependency is unavailable", body = Readiness),
    )
)]
#[get("/ready")]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.db.ping().await {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let (broker, broker_ok) = match (&state.ingest, state.mqtt_configured) {
        (Some(status), _) => (status.describe(), status.subscribed()),
        (None, true) => ("ingest_role_off".to_owned(), true),
        (None, false) => ("not_configured".to_owned(), true),
    };
    let ok = database == "ok" && broker_ok;
    let body = Readiness {
        status: if ok { "ready" } else { "not_ready" },
        database,
        database_kind: if state.embedded_db {
            "embedded"
        } else {
            "external"
        },
        broker,
    };
    if ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

/// Prometheus metrics in the text exposition format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state))
}
