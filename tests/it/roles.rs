//! The role table: every operation of the served OpenAPI document, called with every
//! role's key. A role the operation's security does not name gets 403 whatever the body
//! and query (authorisation runs before parsing); a role it names gets anything but
//! 401/403 (and never a 5xx), on fixtures it may act on — the technician's key works on
//! a ticket assigned to its technician. No key, or a revoked one, is 401 everywhere. An
//! operation this file has no fixture for fails the test, so a new endpoint cannot skip
//! it. One test on one app: the fixtures are made once.

use std::collections::HashMap;

use reqwest::Method;
use serde_json::{json, Value};

use crate::inventory_support::{part, receive};
use crate::support::{create_id, Fleet, TestApp, TicketBuilder};

const ROLES: [&str; 5] = ["admin", "planner", "warehouse", "technician", "viewer"];

/// Ids of one resource of each kind, by the path segment naming the resource.
struct Fixtures {
    by_resource: HashMap<&'static str, String>,
    part: String,
    store: String,
    ticket: String,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let f = Fleet::new(app).await;
    let (_, hall) = app.get(&format!("/api/v1/sites/{}", f.hall)).await;
    let (_, plant) = app
        .get(&format!(
            "/api/v1/sites/{}",
            hall["parent_id"].as_str().unwrap()
        ))
        .await;
    let customer = plant["customer_id"].as_str().unwrap().to_owned();
    let technician = create_id(
        app,
        "/api/v1/technicians",
        json!({"name": "Ana", "skills": ["hydraulics"], "home_site_id": f.hall}),
    )
    .await;
    let part = part(app, "FLT-1").await;
    let movement = receive(app, &part, &f.store, "10", "3").await["movements"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ticket = TicketBuilder::on(&f.assets[0])
        .assignee(&technician)
        .create(app)
        .await;
    let reservation = create_id(
        app,
        "/api/v1/stock/reservations",
        json!({"ticket_id": ticket, "part_id": part, "warehouse_id": f.store, "quantity": "1"}),
    )
    .await;
    let (status, list) = app
        .post(
            &format!("/api/v1/tickets/{ticket}/checklist"),
            json!({"items": ["Check pressure", "Replace filter"]}),
        )
        .await;
    assert_eq!(status, 201, "{list}");
    let stocktake = create_id(
        app,
        "/api/v1/stock/stocktakes",
        json!({"warehouse_id": f.store, "counted_at": chrono::Utc::now(),
               "lines": [{"part_id": part, "counted": "10"}]}),
    )
    .await;
    let plan = create_id(
        app,
        "/api/v1/maintenance-plans",
        json!({"title": "Weekly check", "asset_id": f.assets[0], "calendar": {"cron": "0 9 * * 1"}}),
    )
    .await;
    let rule = create_id(
        app,
        "/api/v1/rules",
        json!({"name": "Hot", "asset_id": f.asset, "metric": "temperature_c", "condition": ">",
               "threshold": 80}),
    )
    .await;
    let feed = create_id(app, "/api/v1/schedule/feeds", json!({"name": "Office"})).await;
    // a key of its own for DELETE /keys/{id}, so revoking it costs the test no key
    let spare_key = app
        .create("/api/v1/keys", json!({"name": "spare", "role": "viewer"}))
        .await["record"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, code) = app
        .call(
            Method::PUT,
            "/api/v1/failure-codes/problem/leak",
            Some(json!({"description": "Fluid escapes"})),
        )
        .await;
    assert_eq!(status, 200, "{code}");

    let by_resource = HashMap::from([
        ("assets", f.assets[0].clone()),
        ("customers", customer),
        ("devices", f.device.to_string()),
        ("equipment-models", f.model.clone()),
        ("keys", spare_key),
        ("maintenance-plans", plan),
        ("parts", part.clone()),
        ("rules", rule),
        ("feeds", feed),
        ("sites", f.hall.clone()),
        ("movements", movement),
        ("reservations", reservation),
        ("stocktakes", stocktake),
        ("technicians", technician.clone()),
        ("tickets", ticket.clone()),
        ("warehouses", f.store.clone()),
    ]);
    Fixtures {
        by_resource,
        part,
        store: f.store,
        ticket,
    }
}

/// The concrete path of an operation's path template, or a failure naming the
/// template: a new endpoint needs a fixture here.
fn concrete(template: &str, fx: &Fixtures) -> String {
    let special = match template {
        "/api/v1/failure-codes/{kind}/{code}" => Some("/api/v1/failure-codes/problem/leak".into()),
        "/api/v1/sla-targets/{tier}/{priority}" => {
            Some("/api/v1/sla-targets/premium/urgent".into())
        }
        "/api/v1/stock/balances/{part_id}/{warehouse_id}" => {
            Some(format!("/api/v1/stock/balances/{}/{}", fx.part, fx.store))
        }
        "/api/v1/tickets/{id}/checklist/{position}" => {
            Some(format!("/api/v1/tickets/{}/checklist/1", fx.ticket))
        }
        _ => None,
    };
    if let Some(path) = special {
        return path;
    }
    let segments: Vec<&str> = template.split('/').collect();
    let filled: Vec<String> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if *s != "{id}" {
                return (*s).to_owned();
            }
            let resource = segments[i - 1];
            fx.by_resource
                .get(resource)
                .unwrap_or_else(|| {
                    panic!(
                        "no fixture for `{resource}` in {template}: add one to tests/it/roles.rs"
                    )
                })
                .clone()
        })
        .collect();
    let path = filled.join("/");
    assert!(
        !path.contains('{'),
        "no fixture for the parameters of {template}: add one to tests/it/roles.rs"
    );
    path
}

struct Operation {
    method: Method,
    template: String,
    roles: Vec<String>,
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut ops = Vec::new();
    for (template, item) in doc["paths"].as_object().unwrap() {
        if !template.starts_with("/api/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let security = op["security"]
                .as_array()
                .unwrap_or_else(|| panic!("{method} {template} declares no security"));
            let roles: Vec<String> = security
                .iter()
                .find_map(|s| s["bearer"].as_array())
                .unwrap_or_else(|| panic!("{method} {template} takes no bearer key"))
                .iter()
                .map(|r| r.as_str().unwrap().to_owned())
                .collect();
            for role in &roles {
                assert!(
                    ROLES.contains(&role.as_str()),
                    "{method} {template} names the unknown role {role}"
                );
            }
            ops.push(Operation {
                method: method.to_uppercase().parse().unwrap(),
                template: template.clone(),
                roles,
            });
        }
    }
    // deletes last, so every other operation meets live fixtures
    ops.sort_by_key(|o| o.method == Method::DELETE);
    ops
}

async fn send(
    app: &TestApp,
    key: Option<&str>,
    method: &Method,
    path: &str,
    body: &str,
) -> (u16, String) {
    let mut req = app.request(method.clone(), path, key);
    if *method != Method::GET && *method != Method::DELETE {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let res = req.send().await.expect("request sent");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

#[actix_web::test]
async fn every_operation_admits_exactly_the_roles_its_document_names() {
    let app = TestApp::start().await;
    let fx = fixtures(&app).await;
    let mut keys = HashMap::new();
    for role in ROLES {
        let technician = (role == "technician").then(|| fx.by_resource["technicians"].as_str());
        keys.insert(role, app.key(role, technician).await);
    }
    let revoked = app
        .create("/api/v1/keys", json!({"name": "revoked", "role": "admin"}))
        .await;
    let (status, body) = app
        .delete(&format!(
            "/api/v1/keys/{}",
            revoked["record"]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let revoked = revoked["key"].as_str().unwrap().to_owned();

    let doc: Value = reqwest::get(app.url("/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ops = operations(&doc);
    assert!(
        ops.len() > 100,
        "the document lists {} operations",
        ops.len()
    );

    let mut failures = Vec::new();
    for op in &ops {
        let path = concrete(&op.template, &fx);
        let what = format!("{} {}", op.method, op.template);
        for (key, label) in [(None, "no key"), (Some(revoked.as_str()), "a revoked key")] {
            let (status, body) = send(&app, key, &op.method, &path, "{").await;
            if status != 401 {
                failures.push(format!("{what} with {label}: {status} (want 401) {body}"));
            }
        }
        for role in ROLES {
            let key = keys[role].as_str();
            if op.roles.iter().any(|r| r == role) {
                let (status, body) = send(&app, Some(key), &op.method, &path, "{}").await;
                if status == 401 || status == 403 || status >= 500 {
                    failures.push(format!("{what} as {role} (named): {status} {body}"));
                }
            } else {
                // malformed body and an unknown query parameter: 403 all the same
                let sep = if path.contains('?') { '&' } else { '?' };
                let bad = format!("{path}{sep}no_such_parameter=1");
                let (status, body) = send(&app, Some(key), &op.method, &bad, "{\"oops\": ").await;
                if status != 403 {
                    failures.push(format!(
                        "{what} as {role} (not named): {status} (want 403) {body}"
                    ));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} operations disagree with the document:\n{}",
        failures.len(),
        ops.len(),
        failures.join("\n")
    );
}
