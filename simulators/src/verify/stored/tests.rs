//! What a device published, as the server's contract sorts it, and the comparison with
//! what the server stored.

use super::*;

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_800_000_000 + s, 0).unwrap()
}

fn rec(device: &str, payload: &str, sent: Option<i64>) -> Record {
    Record {
        device_id: device.into(),
        malformed: false,
        payload: payload.into(),
        sent_at: sent.map(at),
    }
}

fn msg(s: i64, values: &str) -> String {
    let seq = s.abs();
    format!(
        r#"{{"ts":"{}","seq":{seq},"values":{values}}}"#,
        at(s).to_rfc3339()
    )
}

fn keys(r: &Readings) -> Vec<(String, i64)> {
    r.keys()
        .map(|(m, t)| (m.clone(), t.timestamp() - 1_800_000_000))
        .collect()
}

#[test]
fn messages_and_batches_give_their_numeric_values_once_each() {
    let batch = format!(
        "[{},{}]",
        msg(1, r#"{"a":1.5}"#),
        msg(2, r#"{"a":2,"on":true}"#)
    );
    let records = [
        rec("d", &msg(0, r#"{"a":1,"b":"hot"}"#), Some(0)),
        rec("d", &batch, Some(2)),
        rec("d", &batch, Some(3)), // a duplicate
        rec("other", &msg(5, r#"{"a":9}"#), Some(5)),
    ];
    let p = published(&records, "d", &Acceptance::default());
    assert_eq!(
        keys(&p.accepted),
        vec![
            ("a".into(), 0),
            ("a".into(), 1),
            ("a".into(), 2),
            ("on".into(), 2)
        ]
    );
    assert_eq!(p.accepted[&("on".into(), at(2))], 1.0);
    assert!(p.refused.is_empty() && p.edge.is_empty());
}

#[test]
fn epoch_milliseconds_count_like_rfc3339() {
    let payload = format!(
        r#"{{"ts":{},"values":{{"a":3}}}}"#,
        at(7).timestamp_millis()
    );
    let p = published(&[rec("d", &payload, Some(7))], "d", &Acceptance::default());
    assert_eq!(keys(&p.accepted), vec![("a".into(), 7)]);
}

#[test]
fn bad_input_carries_no_reading() {
    let big = format!("[{}]", vec![msg(1, r#"{"a":1}"#); 5000].join(","));
    assert!(big.len() > MAX_PAYLOAD_BYTES);
    let records = [
        rec("d", r#"{"ts":"2026-"#, Some(0)),
        rec("d", "{\"ts\":\"\u{FFFD}\",\"values\":{}}", Some(0)),
        rec("d", &msg(1, "[1,2,3]"), Some(1)),
        rec("d", r#"{"values":{"a":1}}"#, Some(1)),
        rec(
            "d",
            &msg(1, r#"{"a":1}"#).replace(r#""seq":1"#, r#""seq":-1"#),
            Some(1),
        ),
        rec("d", &msg(1, r#"{"bad metric":1}"#), Some(1)),
        rec("d", &big, Some(1)),
    ];
    assert_eq!(
        published(&records, "d", &Acceptance::default()),
        Published::default()
    );
}

#[test]
fn the_window_refuses_far_timestamps_and_leaves_the_edges_out() {
    let acc = Acceptance::default();
    let records = [
        rec("d", &msg(3600, r#"{"a":1}"#), Some(0)), // an hour ahead
        rec("d", &msg(302, r#"{"a":1}"#), Some(0)),  // just past the skew
        rec("d", &msg(120, r#"{"a":1}"#), Some(0)),  // two minutes ahead
        rec("d", &msg(-600, r#"{"a":1}"#), Some(0)), // ten minutes behind
        rec("d", &msg(-2_600_000, r#"{"a":1}"#), Some(0)), // beyond retention
    ];
    let p = published(&records, "d", &acc);
    assert_eq!(
        keys(&p.accepted),
        vec![("a".into(), -600), ("a".into(), 120)]
    );
    assert_eq!(
        keys(&p.refused),
        vec![("a".into(), -2_600_000), ("a".into(), 3600)]
    );
    assert_eq!(keys(&p.edge), vec![("a".into(), 302)]);
}

#[test]
fn the_comparison_names_missing_doubled_changed_and_foreign_readings() {
    let mut p = Published::default();
    for s in 0..4 {
        p.accepted.insert(("a".into(), at(s)), s as f64);
    }
    p.refused.insert(("a".into(), at(10)), 1.0);
    let mut stored: BTreeMap<(String, DateTime<Utc>), Vec<f64>> = BTreeMap::new();
    stored.insert(("a".into(), at(0)), vec![0.0]);
    assert_eq!(compare(&p, &stored).missing.len(), 3);
    stored.insert(("a".into(), at(1)), vec![1.0, 1.0]);
    stored.insert(("a".into(), at(2)), vec![7.0]);
    stored.insert(("a".into(), at(3)), vec![3.0]);
    stored.insert(("a".into(), at(5)), vec![5.0]);
    stored.insert(("a".into(), at(10)), vec![1.0]);
    let d = compare(&p, &stored);
    assert!(d.missing.is_empty());
    assert_eq!(d.twice, vec![("a".into(), at(1))]);
    assert_eq!(d.differs, vec![("a".into(), at(2), 2.0, 7.0)]);
    assert_eq!(d.unpublished, vec![("a".into(), at(5))]);
    assert_eq!(d.refused_but_stored, vec![("a".into(), at(10))]);
    let why = d.problem(4).unwrap();
    assert!(why.contains("stored more than once 1"), "{why}");
    assert!(why.contains("published 2, stored 7"), "{why}");

    stored.remove(&("a".into(), at(5)));
    stored.remove(&("a".into(), at(10)));
    stored.insert(("a".into(), at(1)), vec![1.0]);
    stored.insert(("a".into(), at(2)), vec![2.0]);
    assert_eq!(compare(&p, &stored), Diff::default());
    assert_eq!(Diff::default().problem(4), None);
}
