//! The spare-parts inventory: warehouses, the parts catalog, and stock (balances, the
//! append-only ledger, reservations for tickets, stocktakes, reorder and valuation).

pub mod parts;
pub mod stock;
pub mod warehouses;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    warehouses::routes::configure(cfg);
    parts::routes::configure(cfg);
    stock::routes::configure(cfg);
}
