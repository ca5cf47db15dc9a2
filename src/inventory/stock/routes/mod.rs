//! `/api/v1/stock…`: balances, movements, reservations, stocktakes and valuation.
//! Every role reads; warehouse staff post movements and stocktakes; planners and
//! warehouse staff reserve.

mod balances;
mod movements;
mod reservations;
mod stocktakes;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(super::csv::export)
        .service(super::csv::import)
        .service(balances::valuation)
        .service(balances::list)
        .service(balances::read)
        .service(balances::update)
        .service(movements::list)
        .service(movements::create)
        .service(movements::read)
        .service(movements::reverse)
        .service(reservations::list)
        .service(reservations::create)
        .service(reservations::read)
        .service(reservations::release)
        .service(stocktakes::list)
        .service(stocktakes::create)
        .service(stocktakes::read);
}
