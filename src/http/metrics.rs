//! Prometheus metrics: request counts and latency histograms per route, database pool
//! usage, and (registered by other features) their own counters. Rendered as text by
//! `GET /metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

use super::AppState;

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    pool_connections: IntGauge,
    pool_idle: IntGauge,
    pool_max: IntGauge,
    pub telemetry: crate::telemetry::metrics::TelemetryMetrics,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let requests = IntCounterVec::new(
            Opts::new(
                "mainspring_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["method", "route", "status"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "mainspring_http_request_duration_seconds",
                "HTTP request latency by route and method",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
            &["method", "route"],
        )
        .expect("valid metric");
        let pool_connections = IntGauge::new(
            "mainspring_db_pool_connections",
            "open database connections",
        )
        .expect("valid metric");
        let pool_idle = IntGauge::new("mainspring_db_pool_idle", "idle database connections")
            .expect("valid metric");
        let pool_max =
            IntGauge::new("mainspring_db_pool_max", "database pool size").expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(pool_connections.clone()),
            Box::new(pool_idle.clone()),
            Box::new(pool_max.clone()),
        ] {
            registry.register(c).expect("metric registered once");
        }
        let telemetry = crate::telemetry::metrics::TelemetryMetrics::register(&registry);
        Self {
            telemetry,
            registry,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
        }
    }

    /// The exposition text, with pool gauges read now.
    pub fn render(&self, state: &AppState) -> String {
        let pool = state.db.pool();
        let s = pool.state();
        self.pool_connections.set(i64::from(s.connections));
        self.pool_idle.set(i64::from(s.idle_connections));
        self.pool_max.set(i64::from(pool.max_size()));
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Count and time every request under its route pattern (not its concrete path, so ids
/// don't explode the label set).
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let method = req.method().to_string();
    let res = next.call(req).await;
    if let (Some(m), Ok(r)) = (metrics, &res) {
        let route = r
            .request()
            .match_pattern()
            .unwrap_or_else(|| "unmatched".into());
        let status = r.status().as_u16().to_string();
        m.requests
            .with_label_values(&[method.as_str(), route.as_str(), status.as_str()])
            .inc();
        m.latency
            .with_label_values(&[method.as_str(), route.as_str()])
            .observe(start.elapsed().as_secs_f64());
    }
    res
}
