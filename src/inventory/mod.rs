//! The spare-parts inventory: warehouses, the parts catalog, and stock (balances, the
//! append-only ledger, reservations for tickets, stocktakes, reorder and valuation).

pub mod warehouses;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    warehouses::routes::configure(cfg);
}
