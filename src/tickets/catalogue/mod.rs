//! The configurable reference data tickets are measured and recorded against: the
//! failure-code catalogue (problem, cause, remedy) and the SLA targets per customer tier
//! and priority. Each file holds its records, their checks and their queries; `routes`
//! is the HTTP side. Tickets read these tables themselves (`tickets::store`), so nothing
//! here touches a ticket.

pub mod failure_codes;
pub mod routes;
pub mod sla_targets;

pub use failure_codes::{FailureCodeEntry, FailureKind};
pub use sla_targets::SlaTarget;
