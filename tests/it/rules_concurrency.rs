//! Rules under real concurrency: several "instances" (threads with their own
//! connections) evaluating the same (rule, asset) at once still open one ticket, the
//! partial unique index refuses a second open ticket per (rule, asset) by itself, and
//! batches covering the same pairs in any order do not deadlock.

use std::sync::{Arc, Barrier};

use diesel::{Connection, PgConnection};
use mainspring::ids::{AssetId, DeviceRecordId, RuleId};
use mainspring::tickets::model::{Source, TicketKind};
use mainspring::tickets::store::{self, Actor, Opening};
use mainspring::tickets::Priority;
use serde_json::json;

use crate::rules_support::*;
use crate::support::{Fleet, TestApp};

#[actix_web::test]
async fn instances_evaluating_the_same_rule_and_asset_at_once_open_one_ticket() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    hot_rule(&app, &f, json!({"duration_s": 0, "allowed_lateness_s": 5})).await;
    // eight devices on the one asset, all breaching at once, each through its own instance
    let mut devices: Vec<DeviceRecordId> = vec![f.device];
    for i in 2..=8 {
        let d = app
            .create(
                "/api/v1/devices",
                json!({"device_id": format!("probe-{i}"), "asset_id": f.asset}),
            )
            .await;
        devices.push(id(&d));
    }
    let barrier = Arc::new(Barrier::new(devices.len()));
    let handles: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, device)| {
            let (url, barrier, asset) = (app.database_url.clone(), barrier.clone(), f.asset);
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let points: Vec<(i64, f64)> = (0..20)
                    .map(|s| (s * 10 + i as i64, 90.0 + s as f64))
                    .collect();
                barrier.wait();
                for batch in temps(asset, device, &points).chunks(4) {
                    feed(&mut conn, batch);
                }
            })
        })
        .collect();
    joined(handles).await;
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert_eq!(tickets[0]["occurrences"], 1, "one breach, never cleared");
}

fn opening(rule: RuleId, asset: AssetId) -> Opening {
    Opening {
        rule_id: Some(rule),
        ..Opening::new(
            asset,
            TicketKind::Corrective,
            Source::Threshold,
            Priority::Urgent,
            "Hot".into(),
        )
    }
}

#[actix_web::test]
async fn the_database_alone_refuses_a_second_open_ticket_per_rule_and_asset() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    let rule: RuleId = id(&hot_rule(&app, &f, json!({})).await);
    // bypassing the rule state's lock: eight transactions open at the same instant and
    // hold their insert until all have tried
    let n = 8;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (url, barrier, asset) = (app.database_url.clone(), barrier.clone(), f.asset);
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                conn.transaction(|c| {
                    barrier.wait();
                    let r = store::open(c, opening(rule, asset), &Actor::system("rules"));
                    std::thread::sleep(std::time::Duration::from_millis(200));
                    r
                })
                .map(|t| t.id)
            })
        })
        .collect();
    let results: Vec<_> = joined(handles).await;
    let ok = results.iter().filter(|r| r.is_ok()).count();
    let conflicts = results
        .iter()
        .filter(|r| matches!(r, Err(mainspring::error::AppError::Conflict { .. })))
        .count();
    assert_eq!((ok, conflicts), (1, n - 1), "{results:?}");
    // once it is closed, a new one may open; a manual ticket without a rule never counts
    let mut conn = app.conn();
    store::open(
        &mut conn,
        Opening {
            rule_id: None,
            ..opening(rule, f.asset)
        },
        &Actor::system("t"),
    )
    .unwrap();
    assert!(store::open(&mut conn, opening(rule, f.asset), &Actor::system("t")).is_err());
    let first = results.into_iter().find_map(Result::ok).unwrap();
    go(
        &app,
        &json!({"id": first.to_string()}),
        json!({"to": "cancelled"}),
    )
    .await;
    store::open(&mut conn, opening(rule, f.asset), &Actor::system("t")).unwrap();
}

#[actix_web::test]
async fn batches_over_the_same_pairs_in_any_order_do_not_deadlock() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    for metric in ["temperature_c", "pressure_bar", "vibration_mm_s"] {
        app.create(
            "/api/v1/rules",
            json!({"name": metric, "model_id": f.model, "metric": metric, "condition": ">",
                   "threshold": 50, "allowed_lateness_s": 0, "asset_status": "degraded"}),
        )
        .await;
    }
    let mut assets = vec![(f.asset, f.device)];
    for i in 2..=5 {
        assets.push(asset_with_device(&app, &f.model, &f.hall, &format!("SN-{i}")).await);
    }
    let n = 6;
    let barrier = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|k| {
            let (url, barrier) = (app.database_url.clone(), barrier.clone());
            let mut order = assets.clone();
            order.rotate_left(k % assets.len());
            if k % 2 == 1 {
                order.reverse();
            }
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                barrier.wait();
                for step in 0..20i64 {
                    let mut batch = Vec::new();
                    for (asset, device) in &order {
                        for metric in ["vibration_mm_s", "temperature_c", "pressure_bar"] {
                            batch.push(mainspring::rules::Reading {
                                device: *device,
                                asset: *asset,
                                metric: metric.into(),
                                ts: t(step * 10 + k as i64),
                                value: if (step + k as i64) % 3 == 0 {
                                    99.0
                                } else {
                                    10.0
                                },
                            });
                        }
                    }
                    conn.transaction(|c| {
                        mainspring::rules::on_readings(c, &batch, chrono::Utc::now())
                    })
                    .expect("no deadlock, no conflict");
                }
            })
        })
        .collect();
    joined(handles).await;
    for (asset, _) in &assets {
        let tickets = tickets_of(&app, *asset).await;
        assert_eq!(tickets.len(), 3, "one ticket per rule on each asset");
    }
}

#[actix_web::test]
async fn every_instance_handling_the_same_last_will_opens_one_ticket() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    app.create(
        "/api/v1/rules",
        json!({"name": "Offline", "model_id": f.model, "kind": "no_data"}),
    )
    .await;
    // status messages are not shared: each instance receives the Last Will, at its own
    // moment, and handles it at once
    let n = 6;
    let barrier = Arc::new(Barrier::new(n));
    let start = chrono::Utc::now();
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (url, barrier, asset, device) =
                (app.database_url.clone(), barrier.clone(), f.asset, f.device);
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                let at = start + chrono::Duration::milliseconds(i as i64);
                barrier.wait();
                conn.transaction(|c| mainspring::rules::on_status(c, device, asset, false, at))
            })
        })
        .collect();
    for r in joined(handles).await {
        r.expect("no conflict, no deadlock");
    }
    let tickets = tickets_of(&app, f.asset).await;
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert_eq!(tickets[0]["occurrences"], 1);
}

#[actix_web::test]
async fn instances_checking_silence_at_once_open_one_ticket() {
    let app = TestApp::start().await;
    let f = Fleet::new(&app).await;
    app.create(
        "/api/v1/rules",
        json!({"name": "Silent", "asset_id": f.asset, "kind": "no_data", "silence_s": 10}),
    )
    .await;
    let n = 6;
    let barrier = Arc::new(Barrier::new(n));
    let later = chrono::Utc::now() + chrono::Duration::seconds(60);
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (url, barrier) = (app.database_url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                barrier.wait();
                mainspring::rules::check_silence(&mut conn, later).unwrap()
            })
        })
        .collect();
    let opened: usize = joined(handles).await.into_iter().sum();
    assert_eq!(opened, 1);
    assert_eq!(tickets_of(&app, f.asset).await.len(), 1);
}
