//! Integration tests against a real PostgreSQL (see `support`). One test binary, so the
//! private cluster and template are made once per run.

mod support;

mod assets;
mod auth;
mod catalogue;
mod cli;
mod customers;
mod demo;
mod dispatch;
mod equipment_models;
mod errors;
mod forecast;
mod idempotency;
mod inventory_support;
mod maintenance_plans;
mod maintenance_support;
mod meter_readings;
mod openapi;
mod ops;
mod parts;
mod roles;
mod rules_api;
mod rules_concurrency;
mod rules_mqtt;
mod rules_nodata;
mod rules_support;
mod rules_tickets;
mod scenarios;
mod scenarios_support;
mod scheduler;
mod schema;
mod sites;
mod stock;
mod stock_concurrency;
mod technicians;
mod telemetry_bad_input;
mod telemetry_ingest;
mod telemetry_nothing_lost;
mod telemetry_scale;
mod telemetry_storage;
mod telemetry_support;
mod tickets;
mod tickets_scale;
mod tickets_work;
mod warehouses;
