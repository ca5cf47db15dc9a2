//! Maintenance plans: what preventive work is due on which assets, when (calendar and
//! meter triggers), and what it needs (checklist, parts kit, skills, duration).

pub mod model;
pub mod routes;
pub mod store;
pub mod triggers;
