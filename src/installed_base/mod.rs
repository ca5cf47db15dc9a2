//! The installed base: customers, their sites, equipment models, the assets installed
//! there, the devices reporting on them, and the technicians who service them.

pub mod assets;
pub mod customers;
pub mod devices;
pub mod equipment_models;
pub mod sites;
pub mod technicians;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    customers::routes::configure(cfg);
    sites::routes::configure(cfg);
    equipment_models::routes::configure(cfg);
    assets::routes::configure(cfg);
    devices::routes::configure(cfg);
    technicians::routes::configure(cfg);
}
