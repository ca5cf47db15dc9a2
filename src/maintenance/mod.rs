//! Preventive maintenance: plans (`plans`), the scheduler that opens PM tickets exactly
//! once per occurrence (`scheduler`), and the planner's forecast and calendar feed
//! (`forecast`). The pure parts have no I/O: when a calendar trigger is due
//! (`occurrence`), how site wall-clock time maps to instants (`wall_clock`), and meter
//! usage across resets (`meter`).

pub mod forecast;
pub mod meter;
pub mod occurrence;
pub mod plans;
pub mod scheduler;
pub mod wall_clock;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    plans::routes::configure(cfg);
    forecast::routes::configure(cfg);
}
