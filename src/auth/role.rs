//! The roles of DESIGN.md and what each may do is decided per endpoint with
//! [`Caller::require`](super::Caller::require); this file only names them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an API key may do. `admin` may do everything; `planner` manages the installed
/// base, plans, rules and tickets; `warehouse` manages parts and stock; `technician`
/// works on the tickets assigned to them; `viewer` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Planner,
    Warehouse,
    Technician,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Planner,
        Role::Warehouse,
        Role::Technician,
        Role::Viewer,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Warehouse => "warehouse",
            Role::Technician => "technician",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
