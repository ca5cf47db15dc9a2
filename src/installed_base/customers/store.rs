//! Customer queries. Deleting a customer that sites still reference is refused by the
//! foreign key (409).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::model::{Customer, CustomerPatch, CustomerRow};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::ids::CustomerId;
use crate::schema::customers;

#[derive(Debug, Default, Clone)]
pub struct CustomerFilter {
    /// Name or contact contains.
    pub q: Option<String>,
    pub name: Option<String>,
    pub contact: Option<String>,
    pub service_tier: Option<String>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
}

pub fn insert(conn: &mut PgConnection, id: CustomerId, row: &CustomerRow) -> AppResult<Customer> {
    Ok(diesel::insert_into(customers::table)
        .values((customers::id.eq(id), row))
        .returning(Customer::as_returning())
        .get_result(conn)?)
}

pub fn get(conn: &mut PgConnection, id: CustomerId) -> AppResult<Customer> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("customer", id))
}

pub fn find(conn: &mut PgConnection, id: CustomerId) -> QueryResult<Option<Customer>> {
    customers::table
        .find(id)
        .select(Customer::as_select())
        .first(conn)
        .optional()
}

pub fn exists(conn: &mut PgConnection, id: CustomerId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(customers::table.find(id))).get_result(conn)
}

/// Apply a patch under a row lock, refusing it when `version` is stale.
pub fn update(
    conn: &mut PgConnection,
    id: CustomerId,
    patch: &CustomerPatch,
) -> AppResult<Customer> {
    conn.transaction(|conn| {
        let current: Customer = customers::table
            .find(id)
            .select(Customer::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or_else(|| AppError::not_found("customer", id))?;
        crate::validate::check_version(patch.version, current.version)?;
        let row = CustomerRow::patched(&current, patch)?;
        write(conn, id, &row)
    })
}

/// Overwrite a customer with a validated row (bumping its version).
pub fn write(conn: &mut PgConnection, id: CustomerId, row: &CustomerRow) -> AppResult<Customer> {
    Ok(diesel::update(customers::table.find(id))
        .set((
            row,
            customers::version.eq(customers::version + 1),
            customers::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Customer::as_returning())
        .get_result(conn)?)
}

pub fn delete(conn: &mut PgConnection, id: CustomerId) -> AppResult<()> {
    let n = diesel::delete(customers::table.find(id)).execute(conn)?;
    if n == 0 {
        return Err(AppError::not_found("customer", id));
    }
    Ok(())
}

pub fn list(
    conn: &mut PgConnection,
    f: &CustomerFilter,
    after: Option<CustomerId>,
    limit: i64,
) -> QueryResult<Vec<Customer>> {
    let mut q = customers::table
        .select(Customer::as_select())
        .order(customers::id)
        .into_boxed();
    if let Some(text) = &f.q {
        let p = contains_pattern(text);
        q = q.filter(
            lower(customers::name)
                .like(p.clone())
                .or(customers::contact_search.like(p)),
        );
    }
    if let Some(name) = &f.name {
        q = q.filter(lower(customers::name).like(contains_pattern(name)));
    }
    if let Some(contact) = &f.contact {
        q = q.filter(customers::contact_search.like(contains_pattern(contact)));
    }
    if let Some(tier) = &f.service_tier {
        q = q.filter(customers::service_tier.eq(tier.to_ascii_lowercase()));
    }
    if let Some(from) = f.created_from {
        q = q.filter(customers::created_at.ge(from));
    }
    if let Some(to) = f.created_to {
        q = q.filter(customers::created_at.lt(to));
    }
    if let Some(after) = after {
        q = q.filter(customers::id.gt(after));
    }
    q.limit(limit).load(conn)
}
