//! Scenario parsing and validation, and every file in `simulators/scenarios/`.

use super::*;
use crate::fault::SilenceHow;
use crate::payload::MalformedKind;

const MINIMAL: &str = r#"
name = "t"
run_s = 30
[[group]]
profile = "pump"
count = 3
"#;

fn with(extra: &str) -> Result<Scenario> {
    Scenario::parse(&format!("{MINIMAL}\n{extra}"))
}

fn problems_of(extra: &str) -> String {
    format!("{:#}", with(extra).expect_err("should be refused"))
}

fn scenario_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

#[test]
fn every_scenario_file_parses_validates_and_is_named_after_its_file() {
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(scenario_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("toml") {
            continue;
        }
        let s = Scenario::load(&path).unwrap_or_else(|e| panic!("{e:#}"));
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        assert_eq!(s.name, stem, "{}", path.display());
        assert!(
            !s.expect.is_empty(),
            "{} declares no expected outcome",
            path.display()
        );
        assert!(
            !s.description.is_empty(),
            "{} has no description",
            path.display()
        );
        crate::fleet::build(&s, 1).unwrap();
        seen.push(stem);
    }
    for required in [
        "overheating",
        "vibration-spike",
        "stuck-sensor",
        "silence",
        "counter-reset",
        "clock-skew",
        "duplicates-out-of-order",
        "malformed",
        "demo",
    ] {
        assert!(
            seen.iter().any(|s| s == required),
            "scenarios/{required}.toml is missing"
        );
    }
}

#[test]
fn demo_opens_its_failure_tickets_within_the_first_minute() {
    let s = Scenario::load(&scenario_dir().join("demo.toml")).unwrap();
    let tickets: Vec<f64> = s
        .expect
        .iter()
        .filter_map(|e| match e {
            Expectation::Ticket { within_s, .. } => Some(*within_s),
            _ => None,
        })
        .collect();
    assert!(tickets.len() >= 3);
    assert!(tickets.iter().all(|w| *w <= 60.0));
    let sites: std::collections::HashSet<_> =
        s.groups.iter().map(|g| g.time_zone.clone()).collect();
    assert_eq!(sites.len(), 2, "two time zones");
}

#[test]
fn minimal_scenario_takes_the_defaults() {
    let s = with("").unwrap();
    assert_eq!(
        (s.interval_ms, s.batch, s.id_pattern.as_str()),
        (1000, 1, "{scenario}-{n:03}")
    );
    assert_eq!(s.register, RegisterSpec::default());
    assert_eq!(
        crate::fleet::device_ids(&s, 1).unwrap(),
        vec!["t-000", "t-001", "t-002"]
    );
}

#[test]
fn fault_fields_and_device_selectors_parse() {
    let s = with(
        r#"
        [[fault]]
        kind = "silence"
        how = "drop"
        devices = "1..3"
        at_s = 5
        duration_s = 2.5
        [[fault]]
        kind = "malformed"
        payload = "oversize"
        devices = "all"
        at_s = 1
        [[fault]]
        kind = "duplicate"
        devices = [0, 2]
        at_s = 0
        "#,
    )
    .unwrap();
    assert_eq!(s.faults[0].devices.resolve(3).unwrap(), vec![1, 2]);
    assert_eq!(
        s.faults[0].fault.kind,
        FaultKind::Silence {
            how: SilenceHow::Drop
        }
    );
    assert_eq!(s.faults[0].fault.duration_s, Some(2.5));
    assert_eq!(
        s.faults[1].fault.kind,
        FaultKind::Malformed {
            payload: MalformedKind::Oversize,
            count: 1
        }
    );
    assert_eq!(s.faults[2].fault.kind, FaultKind::Duplicate { copies: 2 });
    assert_eq!(s.faults_for(0).len(), 2);
    assert_eq!(s.faults_for(1).len(), 2);
    assert_eq!(s.faults_for(2).len(), 3);
}

#[test]
fn unknown_fields_kinds_and_payloads_are_refused() {
    assert!(
        problems_of("[[fault]]\nkind = \"spike\"\ndevices = 0\nat_s = 1\nfactr = 2.0")
            .contains("factr")
    );
    assert!(
        problems_of("[[fault]]\nkind = \"meltdown\"\ndevices = 0\nat_s = 1").contains("meltdown")
    );
    assert!(problems_of(
        "[[fault]]\nkind = \"malformed\"\npayload = \"garbage\"\ndevices = 0\nat_s = 1"
    )
    .contains("garbage"));
    assert!(problems_of("colour = \"red\"").contains("colour"));
    assert!(problems_of("[[fault]]\nkind = \"duplicate\"\nat_s = 1").contains("devices"));
    assert!(
        problems_of("[[fault]]\nkind = \"duplicate\"\ndevices = 0\nat_s = \"soon\"")
            .contains("at_s")
    );
    assert!(
        problems_of("[[fault]]\nkind = \"duplicate\"\ndevices = \"some\"\nat_s = 1")
            .contains("some")
    );
}

#[test]
fn fault_windows_devices_and_metrics_are_checked() {
    let p = problems_of(
        r#"
        [[fault]]
        kind = "duplicate"
        devices = 7
        at_s = 1
        [[fault]]
        kind = "duplicate"
        devices = 0
        at_s = 30
        [[fault]]
        kind = "counter_reset"
        devices = 0
        at_s = 1
        duration_s = 5
        [[fault]]
        kind = "overheat"
        metric = "oil_c"
        devices = 0
        at_s = 1
        rise_per_min = 10
        [[fault]]
        kind = "counter_reset"
        metric = "temperature_c"
        devices = 0
        at_s = 1
        [[fault]]
        kind = "spike"
        devices = 0
        at_s = 1
        "#,
    );
    assert!(p.contains("device 7 is beyond the fleet of 3"), "{p}");
    assert!(p.contains("at_s 30 must be in [0, run_s)"), "{p}");
    assert!(p.contains("takes no duration_s"), "{p}");
    assert!(p.contains("has no metric `oil_c`"), "{p}");
    assert!(p.contains("is not a counter"), "{p}");
    assert!(p.contains("exactly one of factor or value"), "{p}");
}

#[test]
fn fleet_problems_are_all_reported() {
    let p = format!(
        "{:#}",
        Scenario::parse(
            r#"
            name = "bad name"
            run_s = 0
            interval_ms = 1
            id_pattern = "same"
            [[group]]
            profile = "toaster"
            count = 0
            [[group]]
            profile = "pump"
            count = 2
            "#
        )
        .unwrap_err()
    );
    for needle in [
        "name `bad name`",
        "run_s 0",
        "interval_ms 1",
        "unknown profile `toaster`",
        "count must be at least 1",
        "gives `same` twice",
    ] {
        assert!(p.contains(needle), "missing `{needle}` in:\n{p}");
    }
}

#[test]
fn rules_are_checked_for_scope_metric_condition_and_thresholds() {
    let p = problems_of(
        r#"
        [[rule]]
        name = "a"
        profile = "chiller"
        metric = "temperature_c"
        condition = ">"
        threshold = 1
        [[rule]]
        name = "b"
        profile = "pump"
        metric = "oil_c"
        condition = "~"
        [[rule]]
        name = "c"
        scope = "asset"
        device = 9
        metric = "temperature_c"
        condition = "outside"
        threshold = 5
        threshold_high = 4
        [[rule]]
        name = "c"
        kind = "no_data"
        profile = "pump"
        on_offline = false
        "#,
    );
    for needle in [
        "profile `chiller` is not in the fleet",
        "no metric `oil_c`",
        "condition one of",
        "needs a threshold",
        "device 9 is beyond the fleet",
        "needs threshold_high above threshold",
        "name used twice",
        "needs silent_s or on_offline",
    ] {
        assert!(p.contains(needle), "missing `{needle}` in:\n{p}");
    }
}

#[test]
fn expectations_must_match_a_rule_or_fault_in_the_file() {
    let p = problems_of(
        r#"
        [[rule]]
        name = "Hot"
        profile = "pump"
        metric = "temperature_c"
        condition = ">"
        threshold = 90
        [[expect]]
        kind = "ticket"
        device = 0
        source = "threshold"
        rule_metric = "vibration_mm_s"
        within_s = 10
        [[expect]]
        kind = "ticket"
        device = 0
        source = "offline"
        within_s = 10
        [[expect]]
        kind = "dead_letter"
        reason = "gremlins"
        count = 1
        [[expect]]
        kind = "device_status"
        device = 1
        status = "offline"
        [[expect]]
        kind = "meter_reset"
        device = 0
        meter = "runtime_h"
        [[expect]]
        kind = "ticket"
        device = 0
        source = "threshold"
        rule = "Hot"
        within_s = 99
        "#,
    );
    for needle in [
        "no Threshold rule in the file covers device 0 on `vibration_mm_s`",
        "no NoData rule in the file covers device 0",
        "reason one of",
        "device 1 never goes offline",
        "no counter_reset fault on `runtime_h`",
        "within_s must be in (0, run_s]",
    ] {
        assert!(p.contains(needle), "missing `{needle}` in:\n{p}");
    }
}

#[test]
fn a_matching_rule_satisfies_a_ticket_expectation() {
    with(
        r#"
        [[rule]]
        name = "Hot"
        scope = "asset"
        device = 2
        metric = "temperature_c"
        condition = ">="
        threshold = 90
        [[expect]]
        kind = "ticket"
        device = 2
        source = "threshold"
        rule = "Hot"
        within_s = 30
        "#,
    )
    .unwrap();
}

#[test]
fn selectors_resolve_against_the_fleet() {
    assert_eq!(DeviceSelector::All.resolve(2).unwrap(), vec![0, 1]);
    assert!(DeviceSelector::Range(3, 3).resolve(5).is_err());
    assert!(DeviceSelector::List(vec![]).resolve(5).is_err());
    assert!(DeviceSelector::List(vec![5]).resolve(5).is_err());
}

#[test]
fn plain_fleet_spreads_a_mix_over_every_profile() {
    let s = Scenario::plain("sim", 10, "mix", 1000, 1);
    assert_eq!(s.device_count(), 10);
    assert_eq!(
        s.groups.iter().map(|g| g.count).collect::<Vec<_>>(),
        vec![3, 3, 2, 2]
    );
    assert!(s.problems().is_empty(), "{:?}", s.problems());
    let one = Scenario::plain("sim", 2, "pump", 500, 4);
    assert_eq!(one.groups.len(), 1);
    assert_eq!(
        crate::fleet::device_ids(&one, 0).unwrap(),
        vec!["sim-00000", "sim-00001"]
    );
}
