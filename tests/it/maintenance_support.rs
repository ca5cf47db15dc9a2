//! Fixtures for the maintenance tests: an installed base in Berlin with a serving
//! warehouse, plans through the API, and scheduler runs at chosen instants.

use chrono::{DateTime, TimeZone, Utc};
use mainspring::maintenance::scheduler::{self, Options, Report};
use serde_json::Value;

use crate::inventory_support::{part, receive};
use crate::support::TestApp;

/// A part with `qty` received into `store`.
pub async fn stocked_part(app: &TestApp, sku: &str, store: &str, qty: &str) -> String {
    let p = part(app, sku).await;
    if qty != "0" {
        receive(app, &p, store, qty, "3").await;
    }
    p
}

pub async fn plan(app: &TestApp, body: Value) -> Value {
    app.create("/api/v1/maintenance-plans", body).await
}

pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

/// One scheduler run at `now` on its own connection (as an instance would).
pub async fn run_at(app: &TestApp, now: DateTime<Utc>) -> Report {
    let mut conn = app.conn();
    tokio::task::spawn_blocking(move || scheduler::run_once(&mut conn, now, Options::default()))
        .await
        .unwrap()
        .expect("scheduler run")
}

/// The PM tickets of a plan, oldest first.
pub async fn pm_tickets(app: &TestApp, plan: &str) -> Vec<Value> {
    let (status, body) = app.get("/api/v1/tickets?kind=preventive&limit=500").await;
    assert_eq!(status, 200, "{body}");
    let mut out = Vec::new();
    for t in body["items"].as_array().unwrap() {
        let (status, full) = app
            .get(&format!("/api/v1/tickets/{}", t["id"].as_str().unwrap()))
            .await;
        assert_eq!(status, 200, "{full}");
        if full["maintenance"]["plan_id"] == plan {
            out.push(full);
        }
    }
    out.sort_by_key(|t| t["number"].as_str().unwrap().to_owned());
    out
}

/// The calendar due times of tickets, as RFC 3339 strings.
pub fn dues(tickets: &[Value]) -> Vec<String> {
    tickets
        .iter()
        .map(|t| {
            let due: DateTime<Utc> = t["maintenance"]["due_at"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            due.to_rfc3339()
        })
        .collect()
}
