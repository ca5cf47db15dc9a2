//! Stocktakes: post counts, read them back.

use actix_web::{get, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::policy::{Staff, WarehouseStaff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, GetErrors, ListErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::{StocktakeId, WarehouseId};
use crate::inventory::stock::stocktake::{self, NewStocktake, Stocktake};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only stocktakes of this warehouse.
    pub warehouse_id: Option<WarehouseId>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List posted stocktakes with their lines, in posting order.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(ListQuery),
    responses((status = 200, description = "A page of stocktakes", body = Page<Stocktake>), ListErrors)
)]
#[get("/stock/stocktakes")]
pub async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<Stocktake>>> {
    let (limit, after) = paging::<StocktakeId>(q.limit, q.cursor.as_deref())?;
    let rows = state
        .db
        .run(move |conn| Ok(stocktake::list(conn, q.warehouse_id, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |s| s.id)))
}

/// Post a stocktake: for each counted part, the difference between the count and the
/// ledger as of `counted_at` becomes an adjustment dated at the count, all in one
/// transaction. Parts not listed are left alone.
#[guarded]
#[utoipa::path(
    tag = "stock",
    request_body = NewStocktake,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Posted", body = Stocktake), CreateErrors)
)]
#[post("/stock/stocktakes")]
pub async fn create(
    caller: Allowed<WarehouseStaff>,
    state: web::Data<AppState>,
    Json(body): Json<NewStocktake>,
) -> AppResult<HttpResponse> {
    let who = caller.name.clone();
    let s = state
        .db
        .transaction(move |conn| stocktake::post(conn, body, &who))
        .await?;
    Ok(HttpResponse::Created().json(s))
}

/// Read one stocktake with its lines.
#[guarded]
#[utoipa::path(
    tag = "stock",
    params(("id" = StocktakeId, Path, description = "Stocktake id")),
    responses((status = 200, description = "The stocktake", body = Stocktake), GetErrors)
)]
#[get("/stock/stocktakes/{id}")]
pub async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<StocktakeId>,
) -> AppResult<web::Json<Stocktake>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| stocktake::get(conn, id)).await?,
    ))
}
