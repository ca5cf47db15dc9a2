//! Read-only tokens for the iCalendar feed: calendar applications cannot send an
//! `Authorization` header, so a planner creates a feed and subscribes to its URL with
//! the token in it. A token reads the schedule feed and nothing else; revoking it stops
//! it at once. Tokens are random (256 bits) and stored as SHA-256 hashes, like API keys.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::keys::{hash_key, random_token};
use crate::auth::policy::Planners;
use crate::auth::{guarded, Allowed};
use crate::error::{AppError, AppResult};
use crate::http::docs::{CreateErrors, ListErrors, UpdateErrors};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{page, paging, Page};
use crate::http::AppState;
use crate::ids::FeedId;
use crate::schema::calendar_feeds;
use crate::validate::Errors;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list).service(create).service(revoke);
}

/// A calendar feed (its token is shown only when it is created).
#[derive(Debug, Clone, Queryable, Selectable, Serialize, Deserialize, ToSchema)]
#[diesel(table_name = calendar_feeds, check_for_backend(diesel::pg::Pg))]
pub struct Feed {
    pub id: FeedId,
    #[schema(example = "Planning office calendar")]
    pub name: String,
    /// The name of the key that created it.
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new feed and its token, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewFeedToken {
    #[serde(flatten)]
    pub feed: Feed,
    /// The read-only token; store it, it is not shown again.
    pub token: String,
    /// The feed's path with the token (add the schedule's filters as you like).
    #[schema(example = "/api/v1/schedule.ics?token=3q2-7w…")]
    pub path: String,
}

/// A feed to create.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Planning office calendar"}))]
pub struct NewFeed {
    pub name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// How many items to return (1 to 500, default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Whether `token` is a feed token that has not been revoked.
pub fn valid(conn: &mut PgConnection, token: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        calendar_feeds::table
            .filter(calendar_feeds::token_hash.eq(hash_key(token)))
            .filter(calendar_feeds::revoked_at.is_null()),
    ))
    .get_result(conn)
}

/// Create a feed token for subscribing to the schedule from a calendar application.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    request_body = NewFeed,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 201, description = "Created; the token is shown this once", body = NewFeedToken), CreateErrors)
)]
#[post("/schedule/feeds")]
async fn create(
    caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Json(body): Json<NewFeed>,
) -> AppResult<HttpResponse> {
    let mut e = Errors::new();
    let name = e.text("name", &body.name, 200);
    e.finish()?;
    let token = format!("feed_{}", random_token(32));
    let hash = hash_key(&token);
    let who = caller.name.clone();
    let feed: Feed = state
        .db
        .run(move |conn| {
            Ok(diesel::insert_into(calendar_feeds::table)
                .values((
                    calendar_feeds::id.eq(FeedId::new()),
                    calendar_feeds::name.eq(&name),
                    calendar_feeds::token_hash.eq(&hash),
                    calendar_feeds::created_by.eq(&who),
                ))
                .returning(Feed::as_returning())
                .get_result(conn)?)
        })
        .await?;
    let path = format!("/api/v1/schedule.ics?token={token}");
    Ok(HttpResponse::Created().json(NewFeedToken { feed, token, path }))
}

/// List calendar feeds (without their tokens), oldest first.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(FeedQuery),
    responses((status = 200, description = "A page of feeds", body = Page<Feed>), ListErrors)
)]
#[get("/schedule/feeds")]
async fn list(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    Query(q): Query<FeedQuery>,
) -> AppResult<web::Json<Page<Feed>>> {
    let (limit, after) = paging::<FeedId>(q.limit, q.cursor.as_deref())?;
    let rows = state
        .db
        .run(move |conn| {
            let mut query = calendar_feeds::table
                .select(Feed::as_select())
                .order(calendar_feeds::id)
                .into_boxed();
            if let Some(after) = after {
                query = query.filter(calendar_feeds::id.gt(after));
            }
            Ok(query.limit(limit + 1).load(conn)?)
        })
        .await?;
    Ok(web::Json(page(rows, limit, |f| f.id)))
}

/// Revoke a feed token: calendars subscribed with it get 401 from then on.
#[guarded]
#[utoipa::path(
    tag = "maintenance",
    params(
        ("id" = FeedId, Path, description = "Feed id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice"),
    ),
    responses((status = 200, description = "The revoked feed", body = Feed), UpdateErrors)
)]
#[post("/schedule/feeds/{id}/revoke")]
async fn revoke(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    id: web::Path<FeedId>,
) -> AppResult<web::Json<Feed>> {
    let id = id.into_inner();
    let feed = state
        .db
        .run(move |conn| {
            diesel::update(calendar_feeds::table.find(id))
                .filter(calendar_feeds::revoked_at.is_null())
                .set(calendar_feeds::revoked_at.eq(diesel::dsl::now))
                .execute(conn)?;
            calendar_feeds::table
                .find(id)
                .select(Feed::as_select())
                .first(conn)
                .optional()?
                .ok_or_else(|| AppError::not_found("calendar feed", id))
        })
        .await?;
    Ok(web::Json(feed))
}
