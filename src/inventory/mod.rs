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

#[cfg(test)]
mod tests {
    use super::parts::Criticality;
    use super::stock::reservation::ReservationStatus;
    use super::stock::MovementKind;
    use super::warehouses::WarehouseKind;

    /// The stored names (`as_str`, held by CHECK constraints) are the JSON names.
    #[test]
    fn stored_and_serialised_names_agree() {
        fn check<T: serde::Serialize + Copy>(all: &[T], name: impl Fn(T) -> &'static str) {
            for v in all {
                assert_eq!(serde_json::to_value(v).unwrap(), name(*v));
            }
        }
        check(WarehouseKind::ALL, WarehouseKind::as_str);
        check(Criticality::ALL, Criticality::as_str);
        check(MovementKind::ALL, MovementKind::as_str);
        check(ReservationStatus::ALL, ReservationStatus::as_str);
    }
}
