//! `/api/v1/customers`: create, read, update, list, delete, CSV import and export.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{Customer, CustomerPatch, CustomerRow, NewCustomer};
use super::store::{self, CustomerFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::CustomerId;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(super::csv::export)
        .service(super::csv::import)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the customer list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name or any contact's name, email or phone contains this (case-insensitive).
    pub q: Option<String>,
    /// Name contains this (case-insensitive).
    pub name: Option<String>,
    /// A contact's name, email or phone contains this (case-insensitive).
    pub contact: Option<String>,
    /// Exactly this service tier.
    pub service_tier: Option<String>,
    /// Created at or after this time (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Created before this time (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List customers, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "customers",
    params(ListQuery),
    responses((status = 200, description = "A page of customers", body = Page<Customer>), ListErrors)
)]
#[get("/customers")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Customer>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<CustomerId>()?);
    let mut e = crate::validate::Errors::new();
    e.time("created_from", q.created_from);
    e.time("created_to", q.created_to);
    e.finish()?;
    let filter = CustomerFilter {
        q: q.q,
        name: q.name,
        contact: q.contact,
        service_tier: q.service_tier,
        created_from: q.created_from,
        created_to: q.created_to,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |c| c.id)))
}

/// Create a customer.
#[guarded]
#[utoipa::path(
    tag = "customers",
    request_body = NewCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = Customer), CreateErrors)
)]
#[post("/customers")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewCustomer>,
) -> AppResult<HttpResponse> {
    let row = CustomerRow::from_new(&body)?;
    let customer = state
        .db
        .run(move |conn| store::insert(conn, CustomerId::new(), &row))
        .await?;
    Ok(HttpResponse::Created().json(customer))
}

/// Read one customer.
#[guarded]
#[utoipa::path(
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses((status = 200, description = "The customer", body = Customer), GetErrors)
)]
#[get("/customers/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<CustomerId>,
) -> AppResult<web::Json<Customer>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change a customer. Absent fields stay; `version`, when given, must be current.
#[guarded]
#[utoipa::path(
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id")),
    request_body = CustomerPatch,
    responses((status = 200, description = "The changed customer", body = Customer), UpdateErrors)
)]
#[patch("/customers/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<CustomerId>,
    Json(body): Json<CustomerPatch>,
) -> AppResult<web::Json<Customer>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, &body))
            .await?,
    ))
}

/// Delete a customer that nothing references (409 while sites still do).
#[guarded]
#[utoipa::path(
    tag = "customers",
    params(("id" = CustomerId, Path, description = "Customer id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/customers/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<CustomerId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
