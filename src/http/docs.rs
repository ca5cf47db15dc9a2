//! Reusable OpenAPI pieces: the error responses each kind of endpoint can give, so every
//! operation documents its 4xx answers the same way (schemathesis checks them). 401 and
//! 403 are added to each operation by its role policy (`auth::policy::document`).

use std::collections::BTreeMap;

use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::IntoResponses;

use crate::error::ConflictKind;

fn problem(description: &str, status: u16, slug: &str, detail: &str) -> RefOr<Response> {
    let example = serde_json::json!({
        "type": format!("https://mainspring.dev/problems/{slug}"),
        "title": description,
        "status": status,
        "detail": detail,
    });
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(Some(example))
                .build(),
        )
        .build()
        .into()
}

fn bad_request() -> (String, RefOr<Response>) {
    (
        "400".into(),
        problem(
            "Malformed request",
            400,
            "bad-request",
            "the body is not valid JSON: EOF while parsing an object",
        ),
    )
}
/// The 401 answer every operation that needs a key documents.
pub fn unauthorized_response() -> RefOr<Response> {
    problem(
        "Unauthorized",
        401,
        "unauthorized",
        "missing or invalid API key",
    )
}

/// The 403 answer of an operation whose policy does not name the key's role.
pub fn forbidden_response(example: &str) -> RefOr<Response> {
    problem("Forbidden", 403, "forbidden", example)
}

fn not_found() -> (String, RefOr<Response>) {
    (
        "404".into(),
        problem(
            "Not found",
            404,
            "not-found",
            "no asset with id 0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
        ),
    )
}
/// A 409: one problem `type` per kind of conflict (`ConflictKind`, and insufficient
/// stock), each with an example, so a client knows what it can branch on.
fn conflict() -> (String, RefOr<Response>) {
    let examples = ConflictKind::ALL
        .into_iter()
        .map(|kind| {
            let (detail, allowed) = conflict_example(kind);
            (kind.slug(), kind.title(), detail, allowed)
        })
        .chain([(
            "insufficient-stock",
            "Insufficient stock",
            "only 2.5 of FLT-100 are available in CENTRAL",
            None,
        )])
        .map(|(slug, title, detail, allowed)| {
            let mut value = serde_json::json!({
                "type": format!("https://mainspring.dev/problems/{slug}"),
                "title": title,
                "status": 409,
                "detail": detail,
            });
            if let Some(allowed) = allowed {
                value["allowed"] = serde_json::json!(allowed);
            }
            if slug == "insufficient-stock" {
                value["available"] = serde_json::json!("2.5");
            }
            (
                slug.to_owned(),
                ExampleBuilder::new()
                    .summary(title)
                    .value(Some(value))
                    .build(),
            )
        });
    let response = ResponseBuilder::new()
        .description(
            "Conflict. The problem `type` names the kind: `stale-version` (the `version` sent \
             is not the current one), `invalid-transition` (the lifecycle does not allow it; \
             `allowed` lists what may follow), `duplicate` (a unique value is taken), \
             `referenced` (other records still reference it), `concurrent-update` (a \
             concurrent request won, or the same idempotent request is still running: \
             retry), `insufficient-stock` (`available` says how much there is) and \
             `conflict` (the resource's current state refuses the change).",
        )
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .examples_from_iter(examples)
                .build(),
        )
        .build();
    ("409".into(), response.into())
}

fn conflict_example(kind: ConflictKind) -> (&'static str, Option<Vec<&'static str>>) {
    match kind {
        ConflictKind::StaleVersion => (
            "the record changed since version 3; it is now at version 4",
            None,
        ),
        ConflictKind::InvalidTransition => (
            "ticket T-000123 is open; it can go to assigned, on_hold, cancelled",
            Some(vec!["assigned", "on_hold", "cancelled"]),
        ),
        ConflictKind::Duplicate => (
            "already exists (assets_serial_per_model): Key (model_id, serial_number)=(…, SN-1) already exists.",
            None,
        ),
        ConflictKind::Referenced => (
            "the change would break a reference: Key (id)=(…) is still referenced from table \"assets\".",
            None,
        ),
        ConflictKind::Concurrent => ("a concurrent update won; retry the request", None),
        ConflictKind::State => ("ticket T-000123 is closed and takes no more changes", None),
    }
}

fn too_large() -> (String, RefOr<Response>) {
    (
        "413".into(),
        problem(
            "Payload too large",
            413,
            "payload-too-large",
            "the body is larger than 1048576 bytes",
        ),
    )
}
fn invalid() -> (String, RefOr<Response>) {
    (
        "422".into(),
        problem(
            "Invalid input",
            422,
            "validation",
            "time_zone: `Mars/Olympus` is not an IANA time zone such as Europe/Berlin",
        ),
    )
}

macro_rules! error_set {
    ($(#[$doc:meta])* $name:ident: $($part:ident),*) => {
        $(#[$doc])*
        pub struct $name;
        impl IntoResponses for $name {
            fn responses() -> BTreeMap<String, RefOr<Response>> {
                [$($part()),*].into_iter().collect()
            }
        }
    };
}

error_set!(
    /// A list: a bad query parameter or cursor is 422.
    ListErrors: invalid
);
error_set!(
    /// A list under one resource: an unknown resource is 404, a bad query parameter 422.
    SubListErrors: not_found, invalid
);
error_set!(
    /// A read of one resource.
    GetErrors: not_found
);
error_set!(
    /// A POST creating something.
    CreateErrors: bad_request, conflict, too_large, invalid
);
error_set!(
    /// A POST or PATCH acting on an existing resource.
    UpdateErrors: bad_request, not_found, conflict, too_large, invalid
);
error_set!(
    /// A PUT creating or replacing a resource named by its path (bad path values are 422).
    ReplaceErrors: bad_request, too_large, invalid
);
error_set!(
    /// A DELETE: 409 while something still references the resource.
    DeleteErrors: not_found, conflict
);
