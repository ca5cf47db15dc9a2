//! API keys: generation, hashing and storage. A key is shown once, when it is created;
//! only its SHA-256 hash and a short prefix (to tell keys apart in lists) are stored.

use base64::Engine;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::Role;
use crate::error::{AppError, AppResult};
use crate::ids::{KeyId, TechnicianId};
use crate::schema::api_keys;

/// The visible start of every key, so a leaked key is recognisable by secret scanners.
pub const KEY_PREFIX: &str = "msk_";

/// `bytes` random bytes from the operating system, base64url without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the operating system has no random source");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

/// A new API key: the prefix and 256 random bits.
pub fn generate_key() -> String {
    format!("{KEY_PREFIX}{}", random_token(32))
}

pub fn hash_key(key: &str) -> Vec<u8> {
    Sha256::digest(key.as_bytes()).to_vec()
}

/// Compare two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: KeyId,
    #[schema(example = "tablet of Ana Lima")]
    pub name: String,
    #[diesel(deserialize_as = String)]
    #[serde(serialize_with = "serialize_role")]
    #[schema(value_type = Role)]
    pub role: RoleColumn,
    pub technician_id: Option<TechnicianId>,
    #[serde(skip)]
    #[allow(dead_code)]
    key_hash: Vec<u8>,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "msk_Qm9vb2")]
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// A role as read from the database (checked there by a CHECK constraint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleColumn(pub Role);

impl TryFrom<String> for RoleColumn {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Role::parse(&s)
            .map(RoleColumn)
            .ok_or_else(|| format!("unknown role {s}"))
    }
}

fn serialize_role<S: serde::Serializer>(r: &RoleColumn, s: S) -> Result<S::Ok, S::Error> {
    r.0.serialize(s)
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
struct NewKey<'a> {
    id: KeyId,
    name: &'a str,
    role: &'a str,
    technician_id: Option<TechnicianId>,
    key_hash: Vec<u8>,
    key_prefix: String,
}

/// Create a key; returns its record and the key itself (shown once).
pub fn create(
    conn: &mut PgConnection,
    name: &str,
    role: Role,
    technician: Option<TechnicianId>,
) -> AppResult<(ApiKey, String)> {
    let name = name.trim();
    if name.is_empty() || name.len() > 200 {
        return Err(AppError::invalid("name", "must be 1 to 200 characters"));
    }
    match (role, technician) {
        (Role::Technician, None) => {
            return Err(AppError::invalid(
                "technician_id",
                "a technician key must be bound to a technician",
            ))
        }
        (Role::Technician, Some(t)) => {
            use crate::schema::technicians::dsl as t_dsl;
            let exists: bool = diesel::select(diesel::dsl::exists(
                t_dsl::technicians.filter(t_dsl::id.eq(t)),
            ))
            .get_result(conn)?;
            if !exists {
                return Err(AppError::invalid(
                    "technician_id",
                    format!("no technician {t}"),
                ));
            }
        }
        (_, Some(_)) => {
            return Err(AppError::invalid(
                "technician_id",
                "only technician keys are bound to a technician",
            ))
        }
        (_, None) => {}
    }
    let key = generate_key();
    let record = diesel::insert_into(api_keys::table)
        .values(NewKey {
            id: KeyId::new(),
            name,
            role: role.as_str(),
            technician_id: technician,
            key_hash: hash_key(&key),
            key_prefix: key[..KEY_PREFIX.len() + 6].to_owned(),
        })
        .returning(ApiKey::as_returning())
        .get_result(conn)?;
    Ok((record, key))
}

/// Every key, newest last, optionally after `after` (keyset pagination).
pub fn list(
    conn: &mut PgConnection,
    include_revoked: bool,
    after: Option<KeyId>,
    limit: i64,
) -> QueryResult<Vec<ApiKey>> {
    let mut q = api_keys::table
        .select(ApiKey::as_select())
        .order(api_keys::id)
        .into_boxed();
    if !include_revoked {
        q = q.filter(api_keys::revoked_at.is_null());
    }
    if let Some(after) = after {
        q = q.filter(api_keys::id.gt(after));
    }
    q.limit(limit).load(conn)
}

pub fn get(conn: &mut PgConnection, id: KeyId) -> AppResult<ApiKey> {
    api_keys::table
        .find(id)
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("API key", id))
}

/// Revoke a key (idempotent: revoking a revoked key keeps its first revocation time).
pub fn revoke(conn: &mut PgConnection, id: KeyId) -> AppResult<ApiKey> {
    let updated = diesel::update(
        api_keys::table
            .find(id)
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(diesel::dsl::now))
    .execute(conn)?;
    let key = get(conn, id)?;
    if updated == 0 && key.revoked_at.is_none() {
        return Err(AppError::concurrent("the key changed concurrently; retry"));
    }
    Ok(key)
}

/// The live (not revoked) key with this hash, touching its last-used time at most once
/// a minute so authentication stays a read on the hot path.
pub fn authenticate(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<ApiKey>> {
    let key = api_keys::table
        .filter(api_keys::key_hash.eq(hash))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()?;
    if let Some(k) = &key {
        let stale = k
            .last_used_at
            .is_none_or(|t| Utc::now() - t > chrono::Duration::minutes(1));
        if stale {
            diesel::update(api_keys::table.find(k.id))
                .set(api_keys::last_used_at.eq(diesel::dsl::now))
                .execute(conn)?;
        }
    }
    Ok(key)
}
