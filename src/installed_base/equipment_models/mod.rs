//! Equipment models: a manufacturer's model number (unique per manufacturer) and the
//! skills its service needs. Assets are instances of a model; compatible parts and PM
//! templates point at it.

pub mod model;
pub mod routes;
pub mod store;

pub use model::EquipmentModel;
