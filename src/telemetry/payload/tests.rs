//! The payload rules of the MQTT contract, one behaviour a test.

use super::*;

fn window() -> Window {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 3, 0, 0).unwrap();
    Window::new(now, Duration::days(30), Duration::minutes(5))
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn one_message_gives_one_reading_per_value() {
    let p = parse(
        br#"{"ts": "2026-11-23T02:59:00Z", "seq": 1042, "values": {"temperature_c": 71.5, "runtime_h": 1234}}"#,
        &window(),
    );
    assert!(p.rejects.is_empty(), "{:?}", p.rejects);
    assert_eq!(p.seqs, vec![1042]);
    assert_eq!(p.readings.len(), 2);
    assert!(p.readings.contains(&Reading {
        metric: "temperature_c".into(),
        ts: at("2026-11-23T02:59:00Z"),
        value: 71.5
    }));
}

#[test]
fn an_array_carries_several_messages() {
    let p = parse(
        br#"[{"ts": 1795402740000, "values": {"a": 1}}, {"ts": "2026-11-23T02:58:00+01:00", "values": {"a": 2}}]"#,
        &window(),
    );
    assert!(p.rejects.is_empty(), "{:?}", p.rejects);
    assert_eq!(p.readings[0].ts.timestamp_millis(), 1795402740000);
    assert_eq!(p.readings[1].ts, at("2026-11-23T01:58:00Z"));
}

#[test]
fn a_missing_ts_means_the_receive_time() {
    let p = parse(br#"{"values": {"a": 1}}"#, &window());
    assert_eq!(p.readings[0].ts, window().received_at);
    assert!(p.seqs.is_empty());
}

#[test]
fn booleans_count_as_zero_and_one() {
    let p = parse(
        br#"{"values": {"door_open": true, "alarm": false}}"#,
        &window(),
    );
    let v: Vec<f64> = p.readings.iter().map(|r| r.value).collect();
    assert!(v.contains(&1.0) && v.contains(&0.0));
}

#[test]
fn a_bad_value_is_refused_alone_and_the_others_kept() {
    let p = parse(
        br#"{"ts": "2026-11-23T02:59:00Z", "seq": 7, "values": {"ok": 1.5, "text": "hot", "nothing": null, "bad name!": 3}}"#,
        &window(),
    );
    assert_eq!(p.readings.len(), 1);
    assert_eq!(p.readings[0].metric, "ok");
    assert_eq!(p.rejects.len(), 3);
    assert!(p.rejects.iter().all(|r| r.reason == Reason::BadValue));
    // each dead letter replays just its own value, at the message's time
    let text: Value = serde_json::from_slice(&p.rejects[0].payload).unwrap();
    assert_eq!(text["values"].as_object().unwrap().len(), 1);
    assert_eq!(text["ts"], "2026-11-23T02:59:00+00:00");
    assert_eq!(text["seq"], 7);
}

#[test]
fn malformed_json_and_non_utf8_are_refused_whole() {
    for bad in [&b"{\"values\": {"[..], b"not json", b"\xff\xfe{}", b""] {
        let p = parse(bad, &window());
        assert!(p.readings.is_empty());
        assert_eq!(p.rejects.len(), 1);
        assert_eq!(p.rejects[0].reason, Reason::MalformedJson);
        assert_eq!(p.rejects[0].payload, bad);
    }
}

#[test]
fn json_that_is_not_a_message_is_a_bad_message() {
    for bad in [
        r#"42"#,
        r#""text""#,
        r#"{"ts": "2026-11-23T02:59:00Z"}"#,
        r#"{"values": [1, 2]}"#,
        r#"{"ts": "yesterday", "values": {"a": 1}}"#,
        r#"{"ts": 1.5, "values": {"a": 1}}"#,
        r#"{"ts": true, "values": {"a": 1}}"#,
        r#"{"seq": -1, "values": {"a": 1}}"#,
        r#"{"seq": "7", "values": {"a": 1}}"#,
    ] {
        let p = parse(bad.as_bytes(), &window());
        assert!(p.readings.is_empty(), "{bad}");
        assert_eq!(p.rejects.len(), 1, "{bad}");
        assert_eq!(p.rejects[0].reason, Reason::BadMessage, "{bad}");
    }
}

#[test]
fn a_bad_element_of_an_array_is_refused_alone() {
    let p = parse(
        br#"[{"values": {"a": 1}}, 17, {"values": {"a": 2}, "ts": "2026-11-23T02:00:00Z"}]"#,
        &window(),
    );
    assert_eq!(p.readings.len(), 2);
    assert_eq!(p.rejects.len(), 1);
    assert_eq!(p.rejects[0].payload, b"17");
    assert!(p.rejects[0].detail.starts_with("[1]:"));
}

#[test]
fn timestamps_outside_the_window_are_refused() {
    let w = window();
    for ts in [
        "2026-10-24T02:59:59Z", // just before now - 30 days
        "2026-11-23T03:05:01Z", // just after now + 5 minutes
        "1970-01-01T00:00:00Z",
    ] {
        let body = format!(r#"{{"ts": "{ts}", "values": {{"a": 1}}}}"#);
        let p = parse(body.as_bytes(), &w);
        assert!(p.readings.is_empty(), "{ts}");
        assert_eq!(p.rejects[0].reason, Reason::TimestampOutOfWindow, "{ts}");
    }
    for ts in ["2026-10-24T03:00:00Z", "2026-11-23T03:05:00Z"] {
        let body = format!(r#"{{"ts": "{ts}", "values": {{"a": 1}}}}"#);
        assert_eq!(parse(body.as_bytes(), &w).readings.len(), 1, "{ts}");
    }
}

#[test]
fn payloads_above_256_kib_are_oversized() {
    let mut big = br#"{"values": {"a": 1}, "pad": ""#.to_vec();
    big.resize(MAX_PAYLOAD + 1, b' ');
    let p = parse(&big, &window());
    assert_eq!(p.rejects[0].reason, Reason::Oversized);
    assert!(p.readings.is_empty());
}

#[test]
fn unknown_fields_are_ignored_for_forward_compatibility() {
    let p = parse(br#"{"values": {"a": 1}, "firmware": "1.2"}"#, &window());
    assert_eq!(p.readings.len(), 1);
    assert!(p.rejects.is_empty());
}

#[test]
fn an_empty_array_or_empty_values_store_nothing_and_refuse_nothing() {
    assert_eq!(parse(b"[]", &window()), Parsed::default());
    assert!(parse(br#"{"values": {}}"#, &window()).readings.is_empty());
}
