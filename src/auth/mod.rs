//! Authentication and authorisation: API keys, roles, the [`Caller`] resolved for every
//! request, and the [`policy`] types a handler's [`Allowed`] argument names. Keys are
//! random 256-bit tokens stored only as SHA-256 hashes.

pub mod caller;
pub mod keys;
pub mod policy;
pub mod role;
pub mod routes;

pub use caller::Caller;
pub use mainspring_macros::guarded;
pub use policy::Allowed;
pub use role::Role;
