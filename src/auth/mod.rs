//! Authentication and authorisation: API keys, roles, and the [`Caller`] every handler
//! receives. Keys are random 256-bit tokens stored only as SHA-256 hashes.

pub mod caller;
pub mod keys;
pub mod role;
pub mod routes;

pub use caller::Caller;
pub use role::Role;
