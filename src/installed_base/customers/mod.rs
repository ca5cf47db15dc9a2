//! Customers: who owns installed equipment, their contacts and service tier (the tier
//! selects SLA targets). Searchable by name, contact and creation date.

pub mod csv;
pub mod model;
pub mod routes;
pub mod store;

pub use model::Customer;
