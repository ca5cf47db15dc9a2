//! Every route and the OpenAPI document, wired in one place. Each feature exposes a
//! `configure` function registering its handlers; utoipa-actix-web collects their
//! `#[utoipa::path]` descriptions as they are registered, so the served document and
//! the served routes cannot drift apart.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::{scope, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use super::{extract, idempotency, metrics, ops, AppState};
use crate::error::AppError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Mainspring",
        description = "Spare-parts and asset-maintenance server for after-sales service teams.\n\n\
Authenticate with `Authorization: Bearer <api key>`. Each operation's security requirement \
lists the roles allowed to call it (`admin` may call everything). Errors are RFC 9457 \
`application/problem+json`. Lists are paginated by keyset: pass `next_cursor` back as `cursor`. \
Every POST honours `Idempotency-Key`: a retry with the same key and body returns the first \
response and changes nothing.",
        license(name = "Apache-2.0"),
    ),
    modifiers(&Security),
    components(schemas(crate::error::Problem, crate::error::FieldError)),
    tags(
        (name = "operations", description = "Liveness, readiness and metrics (no key needed)"),
        (name = "keys", description = "API keys (admin)"),
        (name = "customers", description = "Who owns installed equipment"),
        (name = "sites", description = "Where equipment is installed: sites, areas, lines"),
        (name = "equipment-models", description = "Manufacturer models and the skills their service needs"),
        (name = "assets", description = "Installed equipment"),
        (name = "devices", description = "Telemetry sources bound to assets"),
        (name = "technicians", description = "Field service technicians"),
        (name = "parts", description = "The spare-parts catalog"),
        (name = "warehouses", description = "Stock locations: central stores, service vans, customer cabinets"),
        (name = "stock", description = "Balances, the append-only stock ledger, reservations, stocktakes, reorder and valuation"),
        (name = "telemetry", description = "Readings devices publish over MQTT (devices never call the API): raw and bucketed series, latest values, dead letters"),
        (name = "tickets", description = "Maintenance tickets: lifecycle, SLA, dispatch, parts on the job, timeline"),
        (name = "maintenance", description = "Preventive maintenance plans, the forecast of what falls due, and its calendar feed"),
        (name = "rules", description = "Threshold and \"no data\" rules on telemetry: breaches open failure tickets"),
    )
)]
struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key created with `mainspring keys create` or `POST /api/v1/keys`. \
                         The scopes listed on each operation are the roles allowed.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "feed_token",
            SecurityScheme::ApiKey(ApiKey::Query(ApiKeyValue::with_description(
                "token",
                "A read-only calendar feed token from `POST /api/v1/schedule/feeds`; accepted \
                 only by `GET /api/v1/schedule.ics`.",
            ))),
        );
    }
}

fn api(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    crate::auth::routes::configure(cfg);
    crate::installed_base::configure(cfg);
    crate::inventory::configure(cfg);
    crate::tickets::routes::configure(cfg);
    crate::maintenance::configure(cfg);
    crate::rules::routes::configure(cfg);
    crate::telemetry::routes::configure(cfg);
}

/// The application and its OpenAPI document. `state` is `None` only when the document
/// alone is wanted (`mainspring openapi`).
pub fn build(
    state: Option<web::Data<AppState>>,
) -> (
    App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    >,
    utoipa::openapi::OpenApi,
) {
    let mut app = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(ops::health)
        .service(ops::ready)
        .service(ops::metrics)
        .service(
            scope::scope("/api/v1")
                .wrap(from_fn(idempotency::middleware))
                // outermost: the key is resolved before idempotency and every handler
                .wrap(from_fn(crate::auth::caller::middleware))
                .configure(api),
        );
    if let Some(state) = state {
        app = app.app_data(state);
    }
    let (app, doc) = app.split_for_parts();
    let app = app
        .app_data(extract::path_config())
        .app_data(
            web::QueryConfig::default()
                .error_handler(|e, _| AppError::invalid("query", e.to_string()).into()),
        )
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", doc.clone()))
        .route(
            "/docs",
            web::get().to(|| async {
                HttpResponse::PermanentRedirect()
                    .insert_header(("Location", "/docs/"))
                    .finish()
            }),
        )
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(AppError::NotFound("no such endpoint".into()))
        }))
        .wrap(from_fn(metrics::middleware));
    (app, doc)
}

/// The OpenAPI document as served at `/openapi.json`, pretty-printed with a final newline
/// (this is what `openapi/openapi.json` must equal).
pub fn openapi_json() -> String {
    let (_, doc) = build(None);
    let mut s = doc
        .to_pretty_json()
        .expect("the OpenAPI document serialises");
    s.push('\n');
    s
}
