//! The parts catalog: SKU, name, unit, category, criticality, moving-average unit cost,
//! the equipment models a part fits (where-used both ways: `GET /parts?model_id=` lists
//! a model's parts) and its suppliers in order of preference.

pub mod csv;
pub mod model;
pub mod routes;
pub mod store;

pub use model::{Criticality, Part};
