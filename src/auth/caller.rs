//! [`Caller`]: who is making a request, resolved from `Authorization: Bearer <key>`.
//! Handlers take a `Caller` argument and call [`Caller::require`] with the roles
//! DESIGN.md allows; the same roles are declared in each endpoint's OpenAPI security.

use std::future::Future;
use std::pin::Pin;

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};

use super::keys::{self, constant_time_eq};
use super::Role;
use crate::error::{AppError, AppResult};
use crate::http::AppState;
use crate::ids::{KeyId, TechnicianId};

#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    /// The key's name: recorded as "who" on ledger movements and ticket events.
    pub name: String,
    /// `None` for the bootstrap admin key from `MAINSPRING_ADMIN_KEY`.
    pub key_id: Option<KeyId>,
    pub technician_id: Option<TechnicianId>,
}

impl Caller {
    /// Succeeds when the caller has one of `roles`; `admin` always does.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if self.role == Role::Admin || roles.contains(&self.role) {
            return Ok(());
        }
        let allowed: Vec<&str> = std::iter::once("admin")
            .chain(roles.iter().map(|r| r.as_str()).filter(|r| *r != "admin"))
            .collect();
        Err(AppError::Forbidden(format!(
            "this needs the role {}; the key's role is {}",
            allowed.join(" or "),
            self.role
        )))
    }

    /// Any valid key may read.
    pub fn require_read(&self) -> AppResult<()> {
        Ok(())
    }
}

/// The bearer token of a request, if it carries one.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl FromRequest for Caller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = bearer_token(req).map(str::to_owned);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::Unauthorized);
            };
            let hash = keys::hash_key(&token);
            if let Some(admin) = &state.admin_key_hash {
                if constant_time_eq(admin, &hash) {
                    return Ok(Caller {
                        role: Role::Admin,
                        name: "bootstrap admin".into(),
                        key_id: None,
                        technician_id: None,
                    });
                }
            }
            let key = state
                .db
                .run(move |conn| Ok(keys::authenticate(conn, &hash)?))
                .await?
                .ok_or(AppError::Unauthorized)?;
            Ok(Caller {
                role: key.role.0,
                name: key.name,
                key_id: Some(key.id),
                technician_id: key.technician_id,
            })
        })
    }
}
