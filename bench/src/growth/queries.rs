//! Query latency at a given size: the three shapes a dashboard asks of one device
//! metric — the last hour raw, the last day in 15-minute buckets, the last week
//! hourly (from rollups) — each over random series, one request at a time.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::fill::Series;
use crate::report::percentile;

/// One query shape.
pub struct Shape {
    pub name: &'static str,
    span: chrono::Duration,
    bucket: Option<&'static str>,
}

pub const SHAPES: &[Shape] = &[
    Shape {
        name: "1 h raw",
        span: chrono::Duration::hours(1),
        bucket: None,
    },
    Shape {
        name: "24 h, 15 min buckets",
        span: chrono::Duration::hours(24),
        bucket: Some("15m"),
    },
    Shape {
        name: "7 days, hourly",
        span: chrono::Duration::days(7),
        bucket: Some("1h"),
    },
];

/// p50 and p99 in milliseconds per shape, over `n` requests each; the requests end at
/// `to` (inside the stored data).
pub async fn measure(
    base: &str,
    key: &str,
    series: &[Series],
    to: DateTime<Utc>,
    n: usize,
) -> anyhow::Result<Vec<(f64, f64)>> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut out = Vec::new();
    for shape in SHAPES {
        let mut ms = Vec::with_capacity(n);
        for i in 0..n {
            // a spread of series, the same ones at every size
            let s = &series[(i * 7919) % series.len()];
            let from = to - shape.span;
            let mut q: Vec<(&str, String)> = vec![
                ("device", s.device_id.clone()),
                ("metric", s.metric.clone()),
                ("from", from.to_rfc3339()),
                ("to", to.to_rfc3339()),
            ];
            if let Some(b) = shape.bucket {
                q.push(("bucket", b.to_owned()));
            }
            let t = Instant::now();
            let res = http
                .get(format!("{base}/api/v1/telemetry"))
                .bearer_auth(key)
                .query(&q)
                .send()
                .await?;
            let status = res.status();
            let body: serde_json::Value = res.json().await?;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(
                status.is_success() && body["points"].as_array().is_some_and(|p| !p.is_empty()),
                "{}: {status} {body}",
                shape.name
            );
        }
        ms.sort_by(f64::total_cmp);
        out.push((percentile(&ms, 50.0), percentile(&ms, 99.0)));
    }
    Ok(out)
}
