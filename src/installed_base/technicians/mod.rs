//! Technicians: who services the installed base — their skills, home site, van, active
//! flag and availability. A technician's API key is bound to them, so a technician who has
//! keys is retired by clearing `active`, not deleted.

pub mod model;
pub mod routes;
pub mod store;

pub use model::{Availability, Technician};
