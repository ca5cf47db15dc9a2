//! `mainspring-sim`: a fleet of simulated devices speaking Mainspring's MQTT contract,
//! with scenario files that inject faults and declare the outcome a server must show,
//! REST registration of the fleet, checks of a scenario's expected outcome against a
//! server (`verify`), and a steady-rate load generator for benchmarks.
//! Pure parts (signals, faults, payloads, scenarios, plans) are apart from I/O (`mqtt`,
//! `register`, `run`).

pub mod device;
pub mod emit;
pub mod fault;
pub mod fleet;
pub mod ids;
pub mod mqtt;
pub mod payload;
pub mod profile;
pub mod record;
pub mod register;
pub mod run;
pub mod scenario;
pub mod signal;
pub mod stats;
pub mod verify;
