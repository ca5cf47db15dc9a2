//! Sites: where equipment is installed (a customer's plant, a depot), each with an IANA
//! time zone, forming a hierarchy site → area → line. `store::subtree` answers
//! "this site and everything under it", which asset and ticket filters use.

pub mod csv;
pub mod model;
pub mod routes;
pub mod store;

pub use model::Site;
