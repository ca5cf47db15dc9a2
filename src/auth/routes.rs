//! `/api/v1/keys`: admins create, list, read and revoke API keys.

use actix_web::{delete, get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::keys::{self, ApiKey};
use super::policy::Admins;
use super::{guarded, Allowed, Role};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::{KeyId, TechnicianId};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(revoke);
}

/// A new API key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "tablet of Ana Lima", "role": "technician", "technician_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}))]
pub struct NewKey {
    pub name: String,
    pub role: Role,
    /// Required for (and only for) the `technician` role: the technician the key acts as.
    pub technician_id: Option<TechnicianId>,
}

/// A created key. `key` is shown only in this response; store it now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreatedKey {
    #[schema(example = "msk_3q2-7wEa9JYdTPhQ0yQk1m7xv4zq0b8Yw0gk8wR3c1E")]
    pub key: String,
    #[schema(inline)]
    pub record: ApiKeyView,
}

/// An API key as listed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyView {
    pub id: KeyId,
    pub name: String,
    pub role: Role,
    pub technician_id: Option<TechnicianId>,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "msk_3q2-7w")]
    pub key_prefix: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub revoked_at: Option<chrono::DateTime<chrono::Utc>>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            role: k.role.0,
            technician_id: k.technician_id,
            key_prefix: k.key_prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
            last_used_at: k.last_used_at,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include revoked keys (default false).
    pub include_revoked: Option<bool>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List API keys (never the keys themselves).
#[guarded]
#[utoipa::path(
    tag = "keys",
    params(ListQuery),
    responses((status = 200, description = "A page of keys", body = Page<ApiKeyView>), ListErrors)
)]
#[get("/keys")]
async fn list(
    _caller: Allowed<Admins>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<ApiKeyView>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let (limit, after) = (paging.limit()?, paging.after::<KeyId>()?);
    let include_revoked = q.include_revoked.unwrap_or(false);
    let rows = state
        .db
        .run(move |conn| Ok(keys::list(conn, include_revoked, after, limit + 1)?))
        .await?;
    let p = page(rows, limit, |k| k.id);
    Ok(web::Json(Page {
        items: p.items.into_iter().map(Into::into).collect(),
        next_cursor: p.next_cursor,
    }))
}

/// Create an API key; the response holds the key, shown this once.
#[guarded]
#[utoipa::path(
    tag = "keys",
    request_body = NewKey,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = CreatedKey), CreateErrors)
)]
#[post("/keys")]
async fn create(
    caller: Allowed<Admins>,
    state: web::Data<AppState>,
    Json(body): Json<NewKey>,
) -> AppResult<HttpResponse> {
    let (record, key) = state
        .db
        .run(move |conn| keys::create(conn, &body.name, body.role, body.technician_id))
        .await?;
    tracing::info!(key_id = %record.id, role = %record.role.0, by = %caller.name, "API key created");
    Ok(HttpResponse::Created().json(CreatedKey {
        key,
        record: record.into(),
    }))
}

/// Read one API key's record.
#[guarded]
#[utoipa::path(
    tag = "keys",
    params(("id" = KeyId, Path, description = "Key id")),
    responses((status = 200, description = "The key's record", body = ApiKeyView), GetErrors)
)]
#[get("/keys/{id}")]
async fn read(
    _caller: Allowed<Admins>,
    state: web::Data<AppState>,
    id: web::Path<KeyId>,
) -> AppResult<web::Json<ApiKeyView>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| keys::get(conn, id)).await?.into(),
    ))
}

/// Revoke an API key: it stops working at once. Revoking twice is harmless.
#[guarded]
#[utoipa::path(
    tag = "keys",
    params(("id" = KeyId, Path, description = "Key id")),
    responses((status = 200, description = "The revoked key's record", body = ApiKeyView), UpdateErrors)
)]
#[delete("/keys/{id}")]
async fn revoke(
    caller: Allowed<Admins>,
    state: web::Data<AppState>,
    id: web::Path<KeyId>,
) -> AppResult<web::Json<ApiKeyView>> {
    let id = id.into_inner();
    let key = state.db.run(move |conn| keys::revoke(conn, id)).await?;
    tracing::info!(key_id = %key.id, by = %caller.name, "API key revoked");
    Ok(web::Json(key.into()))
}
