//! `/api/v1/equipment-models`: create, read, update, list, delete.
//! Planners and admins write; every role reads.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::model::{EquipmentModel, EquipmentModelPatch, EquipmentModelRow, NewEquipmentModel};
use super::store::{self, ModelFilter};
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, DeleteErrors, GetErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, Page, PageParams};
use crate::http::AppState;
use crate::ids::ModelId;
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(create)
        .service(read)
        .service(update)
        .service(remove);
}

/// Filters of the equipment model list; all given filters must match.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Exactly this manufacturer (case-insensitive).
    pub manufacturer: Option<String>,
    /// Model number or name contains this (case-insensitive).
    pub q: Option<String>,
    /// Servicing the model needs this skill code.
    pub skill: Option<String>,
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// List equipment models, filtered, in creation order.
#[guarded]
#[utoipa::path(
    tag = "equipment-models",
    params(ListQuery),
    responses((status = 200, description = "A page of equipment models", body = Page<EquipmentModel>), ListErrors)
)]
#[get("/equipment-models")]
async fn list(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<web::Json<Page<EquipmentModel>>> {
    let paging = PageParams {
        limit: q.limit,
        cursor: q.cursor.clone(),
    };
    let (limit, after) = (paging.limit()?, paging.after::<ModelId>()?);
    let mut e = Errors::new();
    let skill = q.skill.as_deref().map(|s| e.code("skill", s, 32));
    e.finish()?;
    let filter = ModelFilter {
        manufacturer: q.manufacturer,
        q: q.q,
        skill,
    };
    let rows = state
        .db
        .run(move |conn| Ok(store::list(conn, &filter, after, limit + 1)?))
        .await?;
    Ok(web::Json(page(rows, limit, |m| m.id)))
}

/// Create an equipment model (409 when the manufacturer already has the model number).
#[guarded]
#[utoipa::path(
    tag = "equipment-models",
    request_body = NewEquipmentModel,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created", body = EquipmentModel), CreateErrors)
)]
#[post("/equipment-models")]
async fn create(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewEquipmentModel>,
) -> AppResult<HttpResponse> {
    let row = EquipmentModelRow::from_new(&body)?;
    let model = state
        .db
        .run(move |conn| store::insert(conn, ModelId::new(), &row))
        .await?;
    Ok(HttpResponse::Created().json(model))
}

/// Read one equipment model.
#[guarded]
#[utoipa::path(
    tag = "equipment-models",
    params(("id" = ModelId, Path, description = "Equipment model id")),
    responses((status = 200, description = "The equipment model", body = EquipmentModel), GetErrors)
)]
#[get("/equipment-models/{id}")]
async fn read(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<ModelId>,
) -> AppResult<web::Json<EquipmentModel>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| store::get(conn, id)).await?,
    ))
}

/// Change an equipment model. Absent fields stay; `version`, when given, must be current.
#[guarded]
#[utoipa::path(
    tag = "equipment-models",
    params(("id" = ModelId, Path, description = "Equipment model id")),
    request_body = EquipmentModelPatch,
    responses((status = 200, description = "The changed equipment model", body = EquipmentModel), UpdateErrors)
)]
#[patch("/equipment-models/{id}")]
async fn update(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<ModelId>,
    Json(body): Json<EquipmentModelPatch>,
) -> AppResult<web::Json<EquipmentModel>> {
    let id = id.into_inner();
    Ok(web::Json(
        state
            .db
            .run(move |conn| store::update(conn, id, &body))
            .await?,
    ))
}

/// Delete an equipment model that nothing references (409 while assets still do).
#[guarded]
#[utoipa::path(
    tag = "equipment-models",
    params(("id" = ModelId, Path, description = "Equipment model id")),
    responses((status = 204, description = "Deleted"), DeleteErrors)
)]
#[delete("/equipment-models/{id}")]
async fn remove(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<ModelId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    state.db.run(move |conn| store::delete(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
