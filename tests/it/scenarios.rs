//! Every scenario file in `simulators/scenarios/` runs briefly against a real server
//! and shows the outcome it declares (its `[[expect]]` entries: tickets opened or not,
//! dead letters, readings stored once, device status, meter resets). One test per file,
//! so a failure names the scenario; a file without a test fails the suite.

use crate::scenarios_support::{run_scenario, scenario_files};

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
