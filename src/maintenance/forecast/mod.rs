//! The planner's forecast (`GET /schedule`) and its iCalendar feed (`GET /schedule.ics`):
//! every PM occurrence due in a window with its parts kit and whether the serving
//! warehouse covers it, cumulatively in due order.
//!
//! `project` holds the pure rules; `gather` reads what they need in a handful of set
//! queries (never one per asset); `ics` renders the feed; `feeds` manages the read-only
//! tokens calendar applications subscribe with.

pub mod feeds;
pub mod gather;
pub mod ics;
pub mod model;
pub mod project;
pub mod routes;
