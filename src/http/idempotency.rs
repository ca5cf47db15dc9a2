//! `Idempotency-Key` for every POST, in one place (a middleware around the API scope).
//!
//! Keys are scoped to the caller's API key and kept 24 hours. The first request with a
//! key records `running`; its response (any status below 500 other than 401/403) is
//! stored and replayed to every retry, which then changes nothing. The same key with a
//! different body (or path) is 422; a retry while the first is still running is 409.
//! A record left `running` by a crashed server is taken over after [`ABANDONED_AFTER`].

use actix_web::body::{to_bytes, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpResponse, ResponseError};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::extract::{read_body, CSV_LIMIT};
use super::AppState;
use crate::auth::caller::bearer_token;
use crate::auth::keys::hash_key;
use crate::auth::Caller;
use crate::error::AppError;
use crate::schema::idempotency_records as rec;

pub const HEADER: &str = "Idempotency-Key";
const ABANDONED_AFTER_SECS: i64 = 300;
/// How long a running record may wait before a retry takes it over.
pub const ABANDONED_AFTER: std::time::Duration =
    std::time::Duration::from_secs(ABANDONED_AFTER_SECS as u64);

enum Claim {
    /// We hold the key: run the handler and store its response.
    Fresh,
    Replay {
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
    },
}

pub async fn middleware(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = req
        .headers()
        .get(HEADER)
        .map(|v| v.to_str().map(str::to_owned));
    let (Method::POST, Some(key)) = (req.method().clone(), key) else {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    let Some(token) = bearer_token(req.request()).map(str::to_owned) else {
        // no caller to scope the key to: let authentication answer 401
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    };
    // the key was resolved by the authentication middleware before this one: a caller
    // without a valid key costs nothing here (the handler answers 401)
    if req.extensions().get::<Caller>().is_none() {
        return next.call(req).await.map(|r| r.map_into_boxed_body());
    }
    let key = match key {
        Ok(k) if !k.is_empty() && k.len() <= 255 => k,
        _ => {
            return Ok(error(
                req,
                AppError::invalid(HEADER, "must be 1 to 255 visible ASCII characters"),
            ))
        }
    };
    let principal = hex(&hash_key(&token));
    let (http_req, payload) = req.parts_mut();
    let body = match read_body(http_req, payload, CSV_LIMIT).await {
        Ok(b) => b,
        Err(e) => return Ok(error(req, e)),
    };
    let mut hasher = Sha256::new();
    hasher.update(req.path().as_bytes());
    hasher.update(b"?");
    hasher.update(req.query_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(&body);
    let request_hash = hasher.finalize().to_vec();
    req.set_payload(actix_web::dev::Payload::from(body));

    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .expect("state is registered");
    let claim = {
        let (principal, key, request_hash) = (principal.clone(), key.clone(), request_hash.clone());
        state
            .db
            .run(move |conn| claim(conn, &principal, &key, &request_hash))
            .await
    };
    match claim {
        Err(e) => Ok(error(req, e)),
        Ok(Claim::Replay {
            status,
            content_type,
            body,
        }) => {
            let mut resp =
                HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::OK));
            if let Some(ct) = content_type {
                resp.insert_header((header::CONTENT_TYPE, ct));
            }
            resp.insert_header(("Idempotent-Replayed", "true"));
            Ok(req.into_response(resp.body(body)))
        }
        Ok(Claim::Fresh) => {
            let res = next.call(req).await;
            let res = match res {
                Ok(r) => r,
                Err(e) => {
                    release(&state, principal, key).await;
                    return Err(e);
                }
            };
            let status = res.status();
            let content_type = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let (http_req, response) = res.into_parts();
            let (head, body) = response.into_parts();
            let bytes = to_bytes(body).await.unwrap_or_default();
            let keep = status.as_u16() < 500
                && status != StatusCode::UNAUTHORIZED
                && status != StatusCode::FORBIDDEN;
            if keep {
                let body = bytes.to_vec();
                let stored = state
                    .db
                    .run(move |conn| {
                        diesel::update(rec::table.find((&principal, &key)))
                            .set((
                                rec::state.eq("done"),
                                rec::response_status.eq(status.as_u16() as i16),
                                rec::response_type.eq(content_type),
                                rec::response_body.eq(body),
                            ))
                            .execute(conn)?;
                        Ok(())
                    })
                    .await;
                if let Err(e) = stored {
                    tracing::warn!(error = %e, "could not store an idempotent response");
                }
            } else {
                release(&state, principal, key).await;
            }
            let response = head.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(http_req, response))
        }
    }
}

fn error(req: ServiceRequest, err: AppError) -> ServiceResponse<BoxBody> {
    req.into_response(err.error_response())
}

async fn release(state: &AppState, principal: String, key: String) {
    let _ = state
        .db
        .run(move |conn| {
            diesel::delete(rec::table.find((&principal, &key))).execute(conn)?;
            Ok(())
        })
        .await;
}

fn claim(
    conn: &mut PgConnection,
    principal: &str,
    key: &str,
    request_hash: &[u8],
) -> Result<Claim, AppError> {
    conn.transaction(|conn| {
        let inserted = diesel::insert_into(rec::table)
            .values((
                rec::principal.eq(principal),
                rec::key.eq(key),
                rec::request_hash.eq(request_hash),
                rec::state.eq("running"),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 1 {
            return Ok(Claim::Fresh);
        }
        type Row = (
            Vec<u8>,
            String,
            Option<i16>,
            Option<String>,
            Option<Vec<u8>>,
            chrono::DateTime<chrono::Utc>,
        );
        let row: Option<Row> = rec::table
            .find((principal, key))
            .select((
                rec::request_hash,
                rec::state,
                rec::response_status,
                rec::response_type,
                rec::response_body,
                rec::created_at,
            ))
            .for_update()
            .first(conn)
            .optional()?;
        let Some((hash, state, status, content_type, body, created_at)) = row else {
            return Err(AppError::concurrent(
                "the idempotency key is being released; retry",
            ));
        };
        if hash != request_hash {
            return Err(AppError::invalid(
                HEADER,
                "this key was already used with a different request; use a new key",
            ));
        }
        let expired = chrono::Utc::now() - created_at > chrono::Duration::hours(24);
        let abandoned = state == "running"
            && chrono::Utc::now() - created_at > chrono::Duration::seconds(ABANDONED_AFTER_SECS);
        if expired || abandoned {
            diesel::update(rec::table.find((principal, key)))
                .set((
                    rec::state.eq("running"),
                    rec::created_at.eq(diesel::dsl::now),
                    rec::response_status.eq(None::<i16>),
                    rec::response_body.eq(None::<Vec<u8>>),
                ))
                .execute(conn)?;
            return Ok(Claim::Fresh);
        }
        match (state.as_str(), status) {
            ("done", Some(status)) => Ok(Claim::Replay {
                status: status as u16,
                content_type,
                body: body.unwrap_or_default(),
            }),
            _ => Err(AppError::concurrent(
                "a request with this Idempotency-Key is still being processed; retry later",
            )),
        }
    })
}

/// Remove records older than 24 hours (run periodically by the server).
pub fn purge_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(
        rec::table.filter(rec::created_at.lt(chrono::Utc::now() - chrono::Duration::hours(24))),
    )
    .execute(conn)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
