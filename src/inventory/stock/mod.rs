//! Stock: balances per (part, warehouse), the append-only ledger of movements,
//! reservations for tickets, stocktakes, reorder suggestions and valuation.
//!
//! `rules` is the pure arithmetic; `balance`, `movement`, `reservation` and `stocktake`
//! hold the records and their queries; `ledger` posts movements under row locks;
//! `routes` is the HTTP surface and `csv` the balance import and export.

pub mod balance;
pub mod csv;
pub mod ledger;
pub mod movement;
pub mod reservation;
pub mod routes;
pub mod rules;
pub mod stocktake;

pub use balance::Balance;
pub use movement::{Movement, MovementKind};
pub use reservation::Reservation;
