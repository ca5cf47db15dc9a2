//! The test harness and what tests build on: [`TestApp`] (a real server on a database of
//! its own), the database and broker it runs against, builders for the installed base and
//! tickets, paging and problem+json helpers. Tests import from here, never from each
//! other.

pub mod app;
pub mod base;
pub mod builders;
pub mod database;
pub mod paging;
pub mod problems;

pub use app::{TestApp, ADMIN_KEY};
pub use base::{Base, Fleet};
pub use builders::{create_id, AssetBuilder, TicketBuilder};
pub use database::{admin_url, with_user};
pub use paging::all_pages;
pub use problems::{assert_problem, problem_fields};
