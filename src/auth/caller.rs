//! [`Caller`]: who is making a request, resolved from `Authorization: Bearer <key>` by
//! [`middleware`] before any handler runs and kept in the request's extensions. Handlers
//! receive it through [`Allowed<P>`](super::Allowed), which also checks its role.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{http::header, web, HttpMessage, HttpRequest};

use super::keys::{self, constant_time_eq};
use super::Role;
use crate::error::AppResult;
use crate::http::AppState;
use crate::ids::{KeyId, TechnicianId};

#[derive(Debug, Clone)]
pub struct Caller {
    pub role: Role,
    /// The key's name: recorded as "who" on ledger movements and ticket events.
    pub name: String,
    /// `None` for the bootstrap admin key from `MAINSPRING_ADMIN_KEY` and feed tokens.
    pub key_id: Option<KeyId>,
    pub technician_id: Option<TechnicianId>,
}

impl Caller {
    /// A calendar application reading the iCalendar feed with a feed token.
    pub fn feed() -> Self {
        Caller {
            role: Role::Viewer,
            name: "calendar feed".into(),
            key_id: None,
            technician_id: None,
        }
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

/// Resolves the request's API key, if any, into a [`Caller`] in its extensions. A
/// request without a valid key goes on without one: [`Allowed`](super::Allowed) answers
/// 401 (or takes a feed token where its policy allows), so this middleware decides
/// nothing itself but runs before every extractor of the handler.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if let Some(token) = bearer_token(req.request()).map(str::to_owned) {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        if let Some(state) = state {
            if let Some(caller) = resolve(&state, &token).await? {
                req.extensions_mut().insert(caller);
            }
        }
    }
    next.call(req).await
}

async fn resolve(state: &AppState, token: &str) -> AppResult<Option<Caller>> {
    let hash = keys::hash_key(token);
    if let Some(admin) = &state.admin_key_hash {
        if constant_time_eq(admin, &hash) {
            return Ok(Some(Caller {
                role: Role::Admin,
                name: "bootstrap admin".into(),
                key_id: None,
                technician_id: None,
            }));
        }
    }
    let key = state
        .db
        .run(move |conn| Ok(keys::authenticate(conn, &hash)?))
        .await?;
    Ok(key.map(|key| Caller {
        role: key.role.0,
        name: key.name,
        key_id: Some(key.id),
        technician_id: key.technician_id,
    }))
}
