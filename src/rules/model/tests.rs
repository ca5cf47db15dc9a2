//! Rule validation: defaults, every bad field named, what each kind may not use.

use super::*;

fn fields(r: AppResult<RuleRow>) -> Vec<String> {
    match r {
        Err(crate::error::AppError::Validation { errors, .. }) => {
            errors.into_iter().map(|e| e.field).collect()
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn threshold_rule() -> NewRule {
    NewRule {
        name: "Hot".into(),
        asset_id: Some(AssetId::new()),
        metric: Some("temperature_c".into()),
        condition: Some(Operator::Gt),
        threshold: Some(80.0),
        ..Default::default()
    }
}

#[test]
fn a_threshold_rule_gets_the_design_defaults() {
    let row = RuleRow::validate(&threshold_rule()).unwrap();
    assert_eq!(row.kind, RuleKind::Threshold);
    assert_eq!(row.allowed_lateness_s, 30);
    assert_eq!((row.duration_s, row.hysteresis), (0, 0.0));
    assert_eq!(row.severity, Priority::Normal);
    assert_eq!(row.title_template, "{asset}: {metric} {value} {condition}");
    assert!(row.active && !row.offline_status);
}

#[test]
fn each_bad_field_is_named() {
    let cases: Vec<(NewRule, &str)> = vec![
        (
            NewRule {
                asset_id: None,
                ..threshold_rule()
            },
            "asset_id",
        ),
        (
            NewRule {
                model_id: Some(ModelId::new()),
                ..threshold_rule()
            },
            "model_id",
        ),
        (
            NewRule {
                metric: None,
                ..threshold_rule()
            },
            "metric",
        ),
        (
            NewRule {
                metric: Some("has space".into()),
                ..threshold_rule()
            },
            "metric",
        ),
        (
            NewRule {
                condition: None,
                ..threshold_rule()
            },
            "condition",
        ),
        (
            NewRule {
                threshold: None,
                ..threshold_rule()
            },
            "threshold",
        ),
        (
            NewRule {
                low: Some(1.0),
                ..threshold_rule()
            },
            "low",
        ),
        (
            NewRule {
                hysteresis: Some(-1.0),
                ..threshold_rule()
            },
            "hysteresis",
        ),
        (
            NewRule {
                threshold: Some(f64::INFINITY),
                ..threshold_rule()
            },
            "threshold",
        ),
        (
            NewRule {
                duration_s: Some(-1),
                ..threshold_rule()
            },
            "duration_s",
        ),
        (
            NewRule {
                duration_s: Some(MAX_DURATION_S + 1),
                ..threshold_rule()
            },
            "duration_s",
        ),
        (
            NewRule {
                allowed_lateness_s: Some(3601),
                ..threshold_rule()
            },
            "allowed_lateness_s",
        ),
        (
            NewRule {
                silence_s: Some(60),
                ..threshold_rule()
            },
            "silence_s",
        ),
        (
            NewRule {
                offline_status: Some(true),
                ..threshold_rule()
            },
            "offline_status",
        ),
        (
            NewRule {
                title_template: Some("{asset} {nope}".into()),
                ..threshold_rule()
            },
            "title_template",
        ),
        (
            NewRule {
                title_template: Some("  ".into()),
                ..threshold_rule()
            },
            "title_template",
        ),
        (
            NewRule {
                name: "".into(),
                ..threshold_rule()
            },
            "name",
        ),
    ];
    for (rule, field) in cases {
        assert_eq!(fields(RuleRow::validate(&rule)), [field], "{rule:?}");
    }
}

#[test]
fn a_range_needs_both_bounds_in_order_and_room_to_clear() {
    let range = |op, low, high, h| NewRule {
        condition: Some(op),
        threshold: None,
        low,
        high,
        hysteresis: h,
        ..threshold_rule()
    };
    assert!(RuleRow::validate(&range(
        Operator::Outside,
        Some(10.0),
        Some(90.0),
        Some(40.0)
    ))
    .is_ok());
    assert_eq!(
        fields(RuleRow::validate(&range(
            Operator::Outside,
            Some(10.0),
            Some(90.0),
            Some(40.1)
        ))),
        ["hysteresis"]
    );
    // inside widens outward: any hysteresis can clear
    assert!(RuleRow::validate(&range(
        Operator::Inside,
        Some(10.0),
        Some(90.0),
        Some(500.0)
    ))
    .is_ok());
    assert_eq!(
        fields(RuleRow::validate(&range(
            Operator::Inside,
            Some(5.0),
            Some(5.0),
            None
        ))),
        ["high"]
    );
    assert_eq!(
        fields(RuleRow::validate(&range(
            Operator::Inside,
            None,
            None,
            None
        ))),
        ["low", "high"]
    );
    let with_threshold = NewRule {
        threshold: Some(3.0),
        ..range(Operator::Inside, Some(1.0), Some(2.0), None)
    };
    assert_eq!(fields(RuleRow::validate(&with_threshold)), ["threshold"]);
}

#[test]
fn a_no_data_rule_watches_silence_or_status_and_nothing_else() {
    let base = NewRule {
        name: "Silent".into(),
        kind: Some(RuleKind::NoData),
        model_id: Some(ModelId::new()),
        silence_s: Some(300),
        ..Default::default()
    };
    let row = RuleRow::validate(&base).unwrap();
    assert!(row.offline_status, "offline status counts by default");
    assert_eq!(row.title_template, "{asset}: device {device} {reason}");
    let cases: Vec<(NewRule, &str)> = vec![
        (
            NewRule {
                metric: Some("t".into()),
                ..base.clone()
            },
            "metric",
        ),
        (
            NewRule {
                condition: Some(Operator::Gt),
                ..base.clone()
            },
            "condition",
        ),
        (
            NewRule {
                duration_s: Some(5),
                ..base.clone()
            },
            "duration_s",
        ),
        (
            NewRule {
                allowed_lateness_s: Some(5),
                ..base.clone()
            },
            "allowed_lateness_s",
        ),
        (
            NewRule {
                silence_s: Some(5),
                ..base.clone()
            },
            "silence_s",
        ),
        (
            NewRule {
                silence_s: None,
                offline_status: Some(false),
                ..base.clone()
            },
            "silence_s",
        ),
        (
            NewRule {
                title_template: Some("{value}".into()),
                ..base.clone()
            },
            "title_template",
        ),
    ];
    for (rule, field) in cases {
        assert_eq!(fields(RuleRow::validate(&rule)), [field], "{rule:?}");
    }
}
