//! Warehouses: where stock is kept. A central store, a technician's service van, or a
//! cabinet at a customer's site. Sites name the warehouse that serves them and
//! technicians their van; balances and movements are per (part, warehouse).

pub mod model;
pub mod routes;
pub mod store;

pub use model::{Warehouse, WarehouseKind};
