//! Integration tests against a real PostgreSQL (see `support`). One test binary, so the
//! private cluster and template are made once per run.

mod support;

mod assets;
mod auth;
mod cli;
mod customers;
mod equipment_models;
mod errors;
mod idempotency;
mod openapi;
mod ops;
mod schema;
mod sites;
mod technicians;
