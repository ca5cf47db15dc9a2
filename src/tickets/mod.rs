//! Maintenance tickets (work orders): opened by people, the scheduler or the rules
//! engine through one code path; moved through the lifecycle of DESIGN.md; measured
//! against SLA targets; dispatched to technicians; with the parts used on the job, the
//! work record, the customer's follow-up, and a timeline of every change.
//!
//! `lifecycle` and `sla` are pure rules; `store` applies them under row locks;
//! `events` is the timeline; `parts` joins tickets to the stock reservations and ledger;
//! `dispatch` ranks the technicians who could take a ticket; `catalogue` keeps the
//! failure codes and SLA targets tickets are recorded and measured against.

pub mod catalogue;
pub mod dispatch;
pub mod events;
pub mod feedback;
pub mod lifecycle;
pub mod model;
pub mod parts;
pub mod routes;
pub mod sla;
pub mod store;
pub mod work;

pub use model::{Priority, Status, Ticket, TicketKind};
