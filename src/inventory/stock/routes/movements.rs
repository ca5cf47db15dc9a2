//! The ledger: post movements, reverse them, and read them back.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{CreateErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{MovementId, PartId, StocktakeId, TicketId, WarehouseId};
use crate::inventory::stock::ledger;
use crate::inventory::stock::movement::{
    self, Movement, MovementFilter, MovementKind, NewMovement, NewReversal, Posted,
};
use crate::validate::Errors;

/// Filters of the ledger; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    pub part_id: Option<PartId>,
    pub warehouse_id: Option<WarehouseId>,
    pub ticket_id: Option<TicketId>,
    pub kind: Option<MovementKind>,
    pub stocktake_id: Option<StocktakeId>,
    /// Moved at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Moved before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List stock movements in the order they were recorded.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(ListQuery),
    responses((status = 200, description = "A page of movements", body = Page<Movement>), ListErrors)
)]
#[get("/stock/movements")]
pub async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Movement>>> {
    let (limit, after) = paging::<MovementId>(q.limit, q.cursor.as_deref())?;
    let mut e = Errors::new();
    e.time("from", q.from);
    e.time("to", q.to);
    e.finish()?;
    let filter = MovementFilter {
        part_id: q.part_id,
        warehouse_id: q.warehouse_id,
        ticket_id: q.ticket_id,
        kind: q.kind,
        stocktake_id: q.stocktake_id,
        from: q.from,
        to: q.to,
    };
    let rows = state
        .db
        .run(move |conn| Ok(movement::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |m| m.id)))
}

/// Post a movement: `receipt`, `issue`, `return`, `transfer` (both legs at once) or
/// `adjustment`. 409 with `available` when the stock is not there; nothing reserved for
/// one ticket goes to another.
#[guarded]
#[utoipa::path(
    tag = "stock",
    request_body = NewMovement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Posted", body = Posted), CreateErrors)
)]
#[post("/stock/movements")]
pub async fn create(
    caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    Json(body): Json<NewMovement>,
) -> AppResult<HttpResponse> {
    let who = caller.name.clone();
    let movements = state
        .db
        .transaction(move |conn| ledger::post(conn, body, &who))
        .await?;
    Ok(HttpResponse::Created().json(Posted { movements }))
}

/// Read one movement.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(("id" = MovementId, Path, description = "Movement id")),
    responses((status = 200, description = "The movement", body = Movement), GetErrors)
)]
#[get("/stock/movements/{id}")]
pub async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<MovementId>,
) -> AppResult<web::Json<Movement>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| {
                movement::find(conn, id)?.ok_or_else(|| AppError::not_found("stock movement", id))
            })
            .await?,
    ))
}

/// Reverse a movement: post the opposite movement referencing it (both legs of a
/// transfer). 409 when it was reversed already, is itself a reversal, or the stock it
/// would take back is no longer available.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(
        ("id" = MovementId, Path, description = "The movement to reverse"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    request_body = NewReversal,
    responses((status = 201, description = "The reversing movements", body = Posted), UpdateErrors)
)]
#[post("/stock/movements/{id}/reversal")]
pub async fn reverse(
    caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    id: web::Path<MovementId>,
    Json(body): Json<NewReversal>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let who = caller.name.clone();
    let movements = state
        .db
        .transaction(move |conn| ledger::reverse(conn, id, body.note, &who))
        .await?;
    Ok(HttpResponse::Created().json(Posted { movements }))
}
