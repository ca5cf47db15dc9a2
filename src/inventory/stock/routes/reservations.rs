//! Reservations of stock for tickets.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::policy::{PlannersOrWarehouse, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{CreateErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{PartId, ReservationId, TicketId, WarehouseId};
use crate::inventory::stock::reservation::{
    self, NewRelease, NewReservation, Reservation, ReservationFilter, ReservationStatus,
};
use crate::validate::Errors;

/// Filters of the reservation list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub ticket_id: Option<TicketId>,
    pub part_id: Option<PartId>,
    pub warehouse_id: Option<WarehouseId>,
    pub status: Option<ReservationStatus>,
    /// `true`: only reservations still waiting for stock (backorders).
    pub short: Option<bool>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List reservations in creation order.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(ListQuery),
    responses((status = 200, description = "A page of reservations", body = Page<Reservation>), ListErrors)
)]
#[get("/stock/reservations")]
pub async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Reservation>>> {
    let (limit, after) = paging::<ReservationId>(q.limit, q.cursor.as_deref())?;
    let filter = ReservationFilter {
        ticket_id: q.ticket_id,
        part_id: q.part_id,
        warehouse_id: q.warehouse_id,
        status: q.status,
        short: q.short,
    };
    let rows = state
        .db
        .run(move |conn| Ok(reservation::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |r| r.id)))
}

/// Reserve stock at a warehouse for a ticket. Reserving again for the same ticket, part
/// and warehouse adds to its open reservation. More than is available is 409 (with
/// `available`), unless `allow_shortage` records the rest as a shortage.
#[guarded]
#[utoipa::path(
    tag = "stock",
    request_body = NewReservation,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "The ticket's reservation", body = Reservation), CreateErrors)
)]
#[post("/stock/reservations")]
pub async fn create(
    caller: Allowed<PlannersOrWarehouse>,
    state: web::Data<AppState>,
    Json(body): Json<NewReservation>,
) -> AppResult<HttpResponse> {
    let who = caller.name.clone();
    let r = state
        .db
        .transaction(move |conn| reservation::reserve(conn, &body, &who))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

/// Read one reservation.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(("id" = ReservationId, Path, description = "Reservation id")),
    responses((status = 200, description = "The reservation", body = Reservation), GetErrors)
)]
#[get("/stock/reservations/{id}")]
pub async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<ReservationId>,
) -> AppResult<web::Json<Reservation>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| {
                reservation::find(conn, id)?.ok_or_else(|| AppError::not_found("reservation", id))
            })
            .await?,
    ))
}

/// Release an open reservation: what it held becomes available (and fills other
/// tickets' shortages first). 409 when it is not open.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(
        ("id" = ReservationId, Path, description = "Reservation id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewRelease,
    responses((status = 200, description = "The released reservation", body = Reservation), UpdateErrors)
)]
#[post("/stock/reservations/{id}/release")]
pub async fn release(
    _caller: Allowed<PlannersOrWarehouse>,
    state: web::Data<AppState>,
    id: web::Path<ReservationId>,
    Json(body): Json<NewRelease>,
) -> AppResult<web::Json<Reservation>> {
    let id = id.into_inner();
    let mut e = Errors::new();
    let reason = e.code("reason", body.reason.as_deref().unwrap_or("manual"), 32);
    e.finish()?;
    Ok(web::Json(
        state
            .db
            .transaction(move |conn| reservation::release(conn, id, &reason))
            .await?,
    ))
}
