//! Assets: installed pieces of equipment (serial number unique per model) at a site,
//! optionally inside a parent asset, with status, warranty and meters (runtime hours,
//! cycles) whose latest values later feed meter-based maintenance plans.

pub mod csv;
pub mod model;
pub mod readings;
pub mod routes;
pub mod store;

pub use model::Asset;
