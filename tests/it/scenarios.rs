//! Every scenario file in `simulators/scenarios/` runs briefly against a real server
//! and shows the outcome it declares (its `[[expect]]` entries: tickets opened or not,
//! dead letters, readings stored once, device status, meter resets). One test per file,
//! so a failure names the scenario; a file without a test fails the suite. And the
//! checks are no formality: expectations that cannot hold are each reported.

use mainspring_sim::scenario::Scenario;

use crate::scenarios_support::{run_scenario, scenario_files, verify};

/// The scenarios with a test below, sorted.
const TESTED: &[&str] = &[
    "clock-skew",
    "counter-reset",
    "demo",
    "duplicates-out-of-order",
    "malformed",
    "overheating",
    "silence",
    "stuck-sensor",
    "vibration-spike",
];

#[test]
fn every_scenario_file_has_a_test() {
    assert_eq!(
        scenario_files(),
        TESTED,
        "add a test below for each new file in simulators/scenarios/"
    );
}

#[test]
fn scenario_files_name_dead_letter_reasons_as_the_server_does() {
    use mainspring::telemetry::payload::Reason;
    for r in mainspring_sim::scenario::expect::DEAD_LETTER_REASONS {
        assert!(Reason::parse(r).is_some(), "the server has no reason `{r}`");
    }
}

#[actix_web::test]
async fn clock_skew() {
    run_scenario("clock-skew").await;
}

#[actix_web::test]
async fn counter_reset() {
    run_scenario("counter-reset").await;
}

#[actix_web::test]
async fn demo() {
    run_scenario("demo").await;
}

#[actix_web::test]
async fn duplicates_out_of_order() {
    run_scenario("duplicates-out-of-order").await;
}

#[actix_web::test]
async fn malformed() {
    run_scenario("malformed").await;
}

#[actix_web::test]
async fn overheating() {
    run_scenario("overheating").await;
}

#[actix_web::test]
async fn silence() {
    run_scenario("silence").await;
}

#[actix_web::test]
async fn stuck_sensor() {
    run_scenario("stuck-sensor").await;
}

#[actix_web::test]
async fn vibration_spike() {
    run_scenario("vibration-spike").await;
}

/// Two pumps: a rule that never breaches, one truncated message from pump 0, pump 1
/// saying `offline` at 2 s. Expectations 0 to 3 cannot hold; 4 and 5 do.
const WRONG: &str = r#"
name = "wrong-expectations"
run_s = 8

[[group]]
profile = "pump"
count = 2

[[rule]]
name = "Never"
profile = "pump"
metric = "temperature_c"
condition = ">"
threshold = 1000.0
allowed_lateness_s = 0

[[fault]]
kind = "malformed"
payload = "bad_json"
devices = 0
at_s = 1

[[fault]]
kind = "silence"
how = "offline"
devices = 1
at_s = 2

[[expect]]
kind = "ticket"
device = 0
source = "threshold"
within_s = 8

[[expect]]
kind = "dead_letter"
reason = "malformed_json"
count = 2
device = 0

[[expect]]
kind = "no_dead_letter"
device = 0

[[expect]]
kind = "device_status"
device = 1
status = "online"

[[expect]]
kind = "no_ticket"
device = 1

[[expect]]
kind = "stored_once"
device = 1
"#;

#[actix_web::test]
async fn expectations_that_do_not_hold_are_each_reported_with_what_the_server_showed() {
    let s = Scenario::parse(WRONG).unwrap();
    let report = verify(&s).await.report;
    eprintln!("{report}");
    assert!(!report.passed());
    let failed: Vec<usize> = report.failures().map(|c| c.index).collect();
    assert_eq!(failed, vec![0, 1, 2, 3], "{report}");
    let why = |i: usize| report.checks[i].result.clone().unwrap_err();
    assert!(why(0).contains("has 0 such ticket(s)"), "{}", why(0));
    assert!(why(1).contains("caused 1 `malformed_json`"), "{}", why(1));
    assert!(why(2).contains("malformed_json: 1"), "{}", why(2));
    assert!(why(3).contains("shows offline"), "{}", why(3));
}
