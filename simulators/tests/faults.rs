//! Scenario faults on the wire of a real (private) Mosquitto: malformed payloads,
//! the three kinds of silence, a dropped device coming back, and a lost broker retried
//! with backoff.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;
use support::{
    check_message, run_to_end, scenario, sim, statuses, telemetry, Broker, Msg, Subscriber,
};

#[tokio::test]
async fn malformed_scenario_puts_each_kind_of_bad_input_on_the_wire() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/telemetry").await;
    let summary = run_to_end(&[
        "run",
        &scenario("malformed"),
        "--duration",
        "8.5",
        "--quiet",
        "--mqtt-url",
        &broker.url(),
    ])
    .await;
    assert_eq!(summary["malformed"], 10);
    sub.wait_until(5, "every message", |m| {
        m.len() as u64 == summary["messages"].as_u64().unwrap()
    })
    .await;
    let msgs = sub.messages();
    let by = |n: usize| telemetry(&msgs, &format!("malformed-{n:03}"));

    let not_json = |ms: &[&Msg]| ms.iter().filter(|m| m.json().is_none()).count();
    assert_eq!(not_json(&by(0)), 3, "truncated JSON");

    let hot = by(1)
        .iter()
        .filter(|m| {
            m.json()
                .is_some_and(|v| v["values"]["temperature_c"] == "hot")
        })
        .count();
    assert_eq!(hot, 2, "a non-numeric value beside good ones");

    let old = by(2)
        .iter()
        .filter(|m| {
            m.json()
                .is_some_and(|v| v["ts"] == "1999-01-01T00:00:00.000Z")
        })
        .count();
    assert_eq!(old, 2, "absurd timestamps");

    let big: Vec<_> = by(3)
        .into_iter()
        .filter(|m| m.payload.len() > 256 * 1024)
        .collect();
    assert_eq!(big.len(), 1, "one oversize payload");
    assert!(
        big[0].json().is_some_and(|v| v.is_array()),
        "oversize but valid"
    );

    let four = by(4);
    assert_eq!(
        four.iter()
            .filter(|m| std::str::from_utf8(&m.payload).is_err())
            .count(),
        1
    );
    assert_eq!(
        four.iter()
            .filter(|m| m.json().is_some_and(|v| v["values"].is_array()))
            .count(),
        1
    );

    for m in by(5) {
        check_message(
            &m.json()
                .expect("the healthy device sends only good messages"),
        );
    }
}

#[tokio::test]
async fn silence_faults_drop_the_connection_stop_or_announce_offline() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/#").await;
    let mut child = sim()
        .args([
            "run",
            &scenario("silence"),
            "--quiet",
            "--mqtt-url",
            &broker.url(),
        ])
        .spawn()
        .unwrap();
    // Device 0 drops its connection at 5 s: the broker fires its Last Will while the
    // simulator still runs. Device 2 says offline itself at 5 s.
    sub.wait_until(12, "device 0's Last Will and device 2's offline", |m| {
        statuses(m, "silence-000") == ["online", "offline"]
            && statuses(m, "silence-002") == ["online", "offline"]
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let msgs = sub.messages();
    let counts: HashMap<&str, usize> = ["silence-000", "silence-001", "silence-002", "silence-003"]
        .into_iter()
        .map(|d| (d, telemetry(&msgs, d).len()))
        .collect();
    for quiet in ["silence-000", "silence-001", "silence-002"] {
        assert!(
            (4..=6).contains(&counts[quiet]),
            "{quiet} stopped at 5 s: {counts:?}"
        );
    }
    assert!(
        counts["silence-003"] >= 6,
        "the healthy pump went on: {counts:?}"
    );
    assert_eq!(
        statuses(&msgs, "silence-003").first().map(String::as_str),
        Some("online")
    );
}

#[tokio::test]
async fn a_lost_broker_is_retried_with_backoff_and_publishing_resumes() {
    let mut broker = Broker::start();
    let url = broker.url();
    let child = sim()
        .args([
            "run",
            "--devices",
            "2",
            "--profile",
            "pump",
            "--duration",
            "8",
            "--interval-ms",
            "200",
            "--quiet",
            "--mqtt-url",
            &url,
        ])
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    broker.kill();
    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.restart();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/#").await;
    sub.wait_until(5, "both devices back online and publishing", |m| {
        ["sim-00000", "sim-00001"].iter().all(|d| {
            statuses(m, d).first().map(String::as_str) == Some("online")
                && !telemetry(m, d).is_empty()
        })
    })
    .await;
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert!(out.status.success());
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors = summary["errors"].as_u64().unwrap();
    // 3 s down with delays of 0.25, 0.5, 1, 2 s (±25 %): a few failures per connection,
    // not a tight loop.
    assert!(
        (2..=12).contains(&errors),
        "{errors} connection failures: {summary}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("reconnecting in"), "{stderr}");
}

#[tokio::test]
async fn a_dropped_device_comes_back_online_when_its_silence_ends() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blip.toml");
    std::fs::write(
        &file,
        r#"
        name = "blip"
        description = "drops for 2 s"
        run_s = 5
        interval_ms = 250
        [[group]]
        profile = "pump"
        count = 2
        [[fault]]
        kind = "silence"
        how = "drop"
        devices = 0
        at_s = 1.5
        duration_s = 2
        [[expect]]
        kind = "device_status"
        device = 0
        status = "offline"
        "#,
    )
    .unwrap();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/#").await;
    let summary = run_to_end(&[
        "run",
        file.to_str().unwrap(),
        "--quiet",
        "--mqtt-url",
        &broker.url(),
    ])
    .await;
    sub.wait_until(5, "the final offline statuses", |m| {
        statuses(m, "blip-001").len() == 2
    })
    .await;
    let msgs = sub.messages();
    assert_eq!(
        statuses(&msgs, "blip-000"),
        ["online", "offline", "online", "offline"]
    );
    let will = msgs
        .iter()
        .position(|m| m.device() == Some(("blip-000", "status")) && m.text() == "offline")
        .unwrap();
    let back = msgs
        .iter()
        .rposition(|m| m.device() == Some(("blip-000", "status")) && m.text() == "online")
        .unwrap();
    let during = msgs[will..back]
        .iter()
        .filter(|m| m.device() == Some(("blip-000", "telemetry")))
        .count();
    let after = msgs[back..]
        .iter()
        .filter(|m| m.device() == Some(("blip-000", "telemetry")))
        .count();
    assert_eq!(during, 0, "silent while dropped");
    assert!(after >= 4, "publishing again after it reconnected: {after}");
    assert!(summary["lost_messages"].as_u64().unwrap() <= 1);
}

#[tokio::test]
async fn duplicates_and_reversed_bursts_reach_the_broker_as_recorded() {
    let broker = Broker::start();
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("record.jsonl");
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/telemetry").await;
    let summary = run_to_end(&[
        "run",
        &scenario("duplicates-out-of-order"),
        "--duration",
        "8",
        "--quiet",
        "--record",
        record.to_str().unwrap(),
        "--mqtt-url",
        &broker.url(),
    ])
    .await;
    let recorded = mainspring_sim::record::read(&record).unwrap();
    assert_eq!(recorded.len() as u64, summary["messages"].as_u64().unwrap());
    sub.wait_until(5, "every message", |m| m.len() == recorded.len())
        .await;

    // What the broker delivered is what the simulator recorded, in the same order per device.
    let wire = sub.messages();
    for device in ["duplicates-out-of-order-000", "duplicates-out-of-order-001"] {
        let sent: Vec<&str> = recorded
            .iter()
            .filter(|r| r.device_id == device)
            .map(|r| r.payload.as_str())
            .collect();
        let got: Vec<&str> = telemetry(&wire, device).iter().map(|m| m.text()).collect();
        assert_eq!(sent, got, "{device}");
    }

    let seqs = |device: &str| -> Vec<u64> {
        recorded
            .iter()
            .filter(|r| r.device_id == device)
            .map(|r| {
                serde_json::from_str::<Value>(&r.payload).unwrap()["seq"]
                    .as_u64()
                    .unwrap()
            })
            .collect()
    };
    let zero = seqs("duplicates-out-of-order-000");
    let mut counts: HashMap<u64, usize> = HashMap::new();
    for s in &zero {
        *counts.entry(*s).or_default() += 1;
    }
    assert!(
        counts[&1] == 1 && counts[&2] == 1,
        "before the faults: once each: {zero:?}"
    );
    assert!(
        counts.values().filter(|c| **c == 3).count() >= 4,
        "tripled from 3 s: {zero:?}"
    );
    assert!(
        zero.windows(2).any(|w| w[1] < w[0]),
        "reversed bursts: {zero:?}"
    );
    let one = seqs("duplicates-out-of-order-001");
    assert_eq!(&one[..4], &[4, 3, 2, 1], "bursts of four, newest first");
    let mut distinct = one.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), one.len(), "no duplicates from pump 1");
}
