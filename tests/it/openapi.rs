//! The committed OpenAPI document is what the server serves; every operation under
//! `/api/v1` declares its roles and its error responses.

use crate::support::TestApp;

#[actix_web::test]
async fn the_committed_document_matches_the_served_one() {
    let app = TestApp::start().await;
    let served: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed_text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json is committed");
    let committed: serde_json::Value = serde_json::from_str(&committed_text).unwrap();
    assert!(
        served == committed && committed_text == mainspring::http::router::openapi_json(),
        "openapi/openapi.json is stale: regenerate it with `cargo run -q -- openapi > openapi/openapi.json`"
    );
}

#[test]
fn every_api_operation_declares_roles_and_errors() {
    let doc: serde_json::Value =
        serde_json::from_str(&mainspring::http::router::openapi_json()).unwrap();
    let roles = ["admin", "planner", "warehouse", "technician", "viewer"];
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path} has no security"));
            let declared = security[0]["bearer"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {path}: no roles"));
            assert!(!declared.is_empty(), "{method} {path}: no roles");
            assert!(
                declared
                    .iter()
                    .all(|r| roles.contains(&r.as_str().unwrap())),
                "{method} {path}"
            );
            assert!(
                declared.iter().any(|r| r == "admin"),
                "{method} {path}: admin may do everything"
            );
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {path}: 401 undocumented"
            );
            if method == "post" {
                let params = op["parameters"].as_array().expect("POST parameters");
                assert!(
                    params.iter().any(|p| p["name"] == "Idempotency-Key"),
                    "{method} {path}: Idempotency-Key undocumented"
                );
            }
            if declared.len() < roles.len() {
                assert!(
                    op["responses"]["403"].is_object(),
                    "{method} {path}: 403 undocumented"
                );
            }
        }
    }
}

/// Every `$ref` in the document names a schema the document defines (a dangling one
/// makes clients and schemathesis skip that part).
#[test]
fn every_reference_resolves() {
    let doc: serde_json::Value =
        serde_json::from_str(&mainspring::http::router::openapi_json()).unwrap();
    fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(map) => {
                if let Some(serde_json::Value::String(r)) = map.get("$ref") {
                    out.push(r.clone());
                }
                map.values().for_each(|v| refs(v, out));
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc, &mut all);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let dangling: Vec<&String> = all
        .iter()
        .filter(|r| {
            r.strip_prefix("#/components/schemas/")
                .is_none_or(|name| !schemas.contains_key(name))
        })
        .collect();
    assert!(dangling.is_empty(), "unresolvable references: {dangling:?}");
    assert!(!all.is_empty());
}
