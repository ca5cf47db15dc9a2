//! The simulator against a real (private) Mosquitto, seen by a subscriber: contract
//! topics and payloads, batches, retained status, Last Will on SIGKILL, gateway mode,
//! the seed, and the load generator's rate and acknowledgement count.

mod support;

use std::collections::BTreeMap;

use chrono::Utc;
use serde_json::Value;
use support::{check_message, run_to_end, sim, statuses, telemetry, Broker, Subscriber};

#[tokio::test]
async fn fleet_publishes_contract_telemetry_and_leaves_retained_offline_status() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/#").await;
    let summary = run_to_end(&[
        "run",
        "--devices",
        "3",
        "--profile",
        "pump",
        "--duration",
        "3",
        "--interval-ms",
        "500",
        "--quiet",
        "--mqtt-url",
        &broker.url(),
    ])
    .await;
    sub.wait_until(5, "three offline statuses", |m| {
        m.iter().filter(|x| x.text() == "offline").count() == 3
    })
    .await;
    let msgs = sub.messages();
    let before = Utc::now();
    for d in ["sim-00000", "sim-00001", "sim-00002"] {
        assert_eq!(statuses(&msgs, d), vec!["online", "offline"], "{d}");
        let first = |leaf: &str| {
            msgs.iter()
                .position(|m| m.device() == Some((d, leaf)))
                .unwrap()
        };
        assert!(
            first("status") < first("telemetry"),
            "{d} says online before it publishes"
        );
        let t = telemetry(&msgs, d);
        assert!(
            (5..=8).contains(&t.len()),
            "{d}: {} messages in 3 s at 2/s",
            t.len()
        );
        let mut last_seq = 0;
        for m in t {
            assert!(!m.retain, "telemetry is not retained");
            let (ts, seq) = check_message(&m.json().expect("valid JSON"));
            assert!(seq > last_seq, "seq increases");
            last_seq = seq;
            assert!(
                (before - ts).num_seconds().abs() < 10,
                "ts is the device's now"
            );
        }
    }
    let telemetry_count = msgs
        .iter()
        .filter(|m| m.topic.ends_with("/telemetry"))
        .count() as u64;
    assert_eq!(summary["messages"].as_u64(), Some(telemetry_count));
    assert_eq!(summary["readings"].as_u64(), Some(telemetry_count * 5));
    assert_eq!(
        summary["acked_readings"], summary["readings"],
        "the broker acknowledged every reading"
    );
    assert_eq!(
        summary["acked_messages"].as_u64(),
        Some(telemetry_count + 6)
    );
    assert_eq!(summary["errors"], 0);

    // A newcomer sees the retained statuses.
    let late = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/status").await;
    late.wait_until(5, "retained statuses", |m| m.len() == 3)
        .await;
    assert!(late
        .messages()
        .iter()
        .all(|m| m.retain && m.text() == "offline"));
}

#[tokio::test]
async fn batches_are_arrays_of_messages_spaced_by_the_interval() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/telemetry").await;
    let summary = run_to_end(&[
        "run",
        "--devices",
        "1",
        "--profile",
        "pump",
        "--duration",
        "2.5",
        "--interval-ms",
        "250",
        "--batch",
        "4",
        "--quiet",
        "--mqtt-url",
        &broker.url(),
    ])
    .await;
    sub.wait_until(3, "batches", |m| {
        m.len() as u64 == summary["messages"].as_u64().unwrap()
    })
    .await;
    let msgs = sub.messages();
    assert!(
        (2..=4).contains(&msgs.len()),
        "one batch a second: {}",
        msgs.len()
    );
    let mut seqs = vec![];
    for m in &msgs {
        let batch = m.json().unwrap();
        let items = batch.as_array().expect("a batch is an array");
        assert_eq!(items.len(), 4);
        let parsed: Vec<_> = items.iter().map(check_message).collect();
        for w in parsed.windows(2) {
            assert_eq!((w[1].0 - w[0].0).num_milliseconds(), 250);
        }
        seqs.extend(parsed.iter().map(|p| p.1));
    }
    assert_eq!(seqs, (1..=seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(summary["readings"].as_u64(), Some(msgs.len() as u64 * 20));
}

#[tokio::test]
async fn killing_the_simulator_fires_each_devices_last_will() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/status").await;
    let mut child = sim()
        .args([
            "run",
            "--devices",
            "3",
            "--profile",
            "compressor",
            "--quiet",
            "--mqtt-url",
            &broker.url(),
        ])
        .spawn()
        .unwrap();
    sub.wait_until(10, "three devices online", |m| {
        m.iter().filter(|x| x.text() == "online").count() == 3
    })
    .await;
    child.kill().unwrap(); // SIGKILL: no chance to say goodbye
    child.wait().unwrap();
    sub.wait_until(10, "three Last Wills", |m| {
        m.iter().filter(|x| x.text() == "offline").count() == 3
    })
    .await;
    let late = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/status").await;
    late.wait_until(5, "retained Last Wills", |m| m.len() == 3)
        .await;
    assert!(late
        .messages()
        .iter()
        .all(|m| m.retain && m.text() == "offline"));
}

#[tokio::test]
async fn gateway_connections_carry_many_devices_and_their_will_names_the_gateway() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/#").await;
    let mut child = sim()
        .args([
            "run",
            "--devices",
            "6",
            "--per-connection",
            "3",
            "--profile",
            "pump",
            "--quiet",
            "--mqtt-url",
            &broker.url(),
        ])
        .spawn()
        .unwrap();
    sub.wait_until(10, "six devices online and telemetry from each", |m| {
        (0..6).all(|i| {
            let id = format!("sim-{i:05}");
            statuses(m, &id) == ["online"] && !telemetry(m, &id).is_empty()
        })
    })
    .await;
    child.kill().unwrap();
    child.wait().unwrap();
    sub.wait_until(10, "both gateways' Last Wills", |m| {
        m.iter()
            .filter(|x| x.topic.starts_with("mainspring/v1/gateways/") && x.text() == "offline")
            .count()
            == 2
    })
    .await;
    let msgs = sub.messages();
    let mut wills: Vec<&str> = msgs
        .iter()
        .filter(|x| x.text() == "offline")
        .map(|x| x.topic.as_str())
        .collect();
    wills.sort();
    assert_eq!(
        wills,
        [
            "mainspring/v1/gateways/sim-gw-0000/status",
            "mainspring/v1/gateways/sim-gw-0001/status"
        ]
    );
    assert!(
        msgs.iter()
            .all(|x| !(x.topic.starts_with("mainspring/v1/devices/") && x.text() == "offline")),
        "a gateway crash leaves its devices' statuses alone (a no-data rule notices their silence)"
    );
}

#[tokio::test]
async fn load_mode_holds_its_target_rate_and_counts_the_broker_acks() {
    let broker = Broker::start();
    let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/telemetry").await;
    let summary = run_to_end(&[
        "load",
        "--rate",
        "400",
        "--devices",
        "40",
        "--duration",
        "3",
        "--batch",
        "2",
        "--per-connection",
        "10",
        "--quiet",
        "--mqtt-url",
        &broker.url(),
    ])
    .await;
    let messages = summary["messages"].as_u64().unwrap();
    assert!(
        (1100..=1300).contains(&messages),
        "about 400 msg/s for 3 s: {summary}"
    );
    assert_eq!(summary["connections"], 4);
    assert_eq!(summary["target_messages_per_s"], 400.0);
    assert_eq!(
        summary["readings"].as_u64(),
        Some(messages * 10),
        "2 samples of 5 metrics each"
    );
    assert_eq!(summary["acked_readings"], summary["readings"]);
    assert_eq!(summary["skipped_turns"], 0);
    sub.wait_until(5, "every message", |m| m.len() as u64 == messages)
        .await;
    let per_device: BTreeMap<String, usize> =
        sub.messages().iter().fold(BTreeMap::new(), |mut acc, m| {
            *acc.entry(m.device().unwrap().0.to_owned()).or_default() += 1;
            acc
        });
    assert_eq!(per_device.len(), 40, "every device published");
    assert!(
        per_device.values().all(|n| (27..=33).contains(n)),
        "evenly: {per_device:?}"
    );
}

#[tokio::test]
async fn the_same_seed_gives_the_same_signals() {
    let broker = Broker::start();
    let mut runs = vec![];
    for _ in 0..2 {
        let sub = Subscriber::subscribe(broker.port, "mainspring/v1/devices/+/telemetry").await;
        let s = run_to_end(&[
            "run",
            "--devices",
            "2",
            "--profile",
            "pump",
            "--duration",
            "1.2",
            "--interval-ms",
            "200",
            "--seed",
            "77",
            "--quiet",
            "--mqtt-url",
            &broker.url(),
        ])
        .await;
        sub.wait_until(5, "every message", |m| {
            m.len() as u64 == s["messages"].as_u64().unwrap()
        })
        .await;
        // vibration and pressure have no daily swing, so they depend on the seed alone
        let signals: BTreeMap<(String, u64), (Value, Value)> = sub
            .messages()
            .iter()
            .map(|m| {
                let v = m.json().unwrap();
                (
                    (m.device().unwrap().0.to_owned(), v["seq"].as_u64().unwrap()),
                    (
                        v["values"]["vibration_mm_s"].clone(),
                        v["values"]["pressure_bar"].clone(),
                    ),
                )
            })
            .collect();
        runs.push(signals);
    }
    let common: Vec<_> = runs[0]
        .keys()
        .filter(|k| runs[1].contains_key(*k))
        .collect();
    assert!(common.len() >= 8);
    for k in common {
        assert_eq!(runs[0][k], runs[1][k], "{k:?}");
    }
}
