//! Customers as CSV: one line per customer with its first contact.
//! Columns: `id,name,service_tier,contact_name,contact_email,contact_phone,contact_role,notes`.

use actix_web::{get, post, web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::model::{Contact, Customer, CustomerRow};
use super::store;
use crate::auth::policy::{Planners, Staff};
use crate::auth::{guarded, Allowed};
use crate::csvio::{self, empty_as_none, CsvBody, ImportReport, Written};
use crate::error::AppResult;
use crate::http::docs::{CreateErrors, ListErrors};
use crate::http::AppState;
use crate::ids::CustomerId;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerCsv {
    #[serde(default, deserialize_with = "empty_as_none")]
    pub id: Option<CustomerId>,
    pub name: String,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub service_tier: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub contact_name: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub contact_email: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub contact_phone: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub contact_role: Option<String>,
    #[serde(default, deserialize_with = "empty_as_none")]
    pub notes: Option<String>,
}

impl From<&Customer> for CustomerCsv {
    fn from(c: &Customer) -> Self {
        let first = c.contacts.0.first();
        Self {
            id: Some(c.id),
            name: c.name.clone(),
            service_tier: Some(c.service_tier.clone()),
            contact_name: first.map(|k| k.name.clone()),
            contact_email: first.and_then(|k| k.email.clone()),
            contact_phone: first.and_then(|k| k.phone.clone()),
            contact_role: first.and_then(|k| k.role.clone()),
            notes: c.notes.clone(),
        }
    }
}

/// Export every customer as CSV (first contact only).
#[guarded]
#[utoipa::path(
    tag = "customers",
    responses(
        (status = 200, description = "All customers as CSV", content_type = "text/csv", body = String,
         example = "id,name,service_tier,contact_name,contact_email,contact_phone,contact_role,notes\n0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f,Brauerei Nord GmbH,premium,Maria Keller,maria.keller@example.com,,,\n"),
        ListErrors
    )
)]
#[get("/customers/export")]
pub async fn export(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let body = state
        .db
        .run(|conn| {
            let mut rows = Vec::new();
            let mut after = None;
            loop {
                let chunk = store::list(conn, &Default::default(), after, 5000)?;
                let Some(last) = chunk.last() else { break };
                after = Some(last.id);
                rows.extend(chunk.iter().map(CustomerCsv::from));
            }
            csvio::write(rows)
        })
        .await?;
    Ok(csvio::download("customers.csv", body))
}

/// Import customers from CSV, all or nothing. A row whose `id` exists updates that
/// customer (replacing its first contact); other rows create customers.
#[guarded]
#[utoipa::path(
    tag = "customers",
    request_body(content = String, content_type = "text/csv", description = "Columns: id (optional), name, service_tier, contact_name, contact_email, contact_phone, contact_role, notes",
        example = "name,service_tier,contact_name,contact_email\nBrauerei Nord GmbH,premium,Maria Keller,maria.keller@example.com\n"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first response instead of acting twice")),
    responses((status = 200, description = "Imported", body = ImportReport), CreateErrors)
)]
#[post("/customers/import")]
pub async fn import(
    _caller: Allowed<Planners>,
    state: web::Data<AppState>,
    body: CsvBody,
) -> AppResult<web::Json<ImportReport>> {
    let report = state
        .db
        .transaction(move |conn| {
            csvio::import(conn, &body.0, |conn, r: CustomerCsv| {
                let existing = match r.id {
                    Some(id) => store::find(conn, id)?,
                    None => None,
                };
                let mut contacts = existing
                    .as_ref()
                    .map(|c| c.contacts.0.clone())
                    .unwrap_or_default();
                if let Some(name) = r.contact_name {
                    let first = Contact {
                        name,
                        email: r.contact_email,
                        phone: r.contact_phone,
                        role: r.contact_role,
                    };
                    match contacts.first_mut() {
                        Some(c) => *c = first,
                        None => contacts.push(first),
                    }
                }
                let row = CustomerRow::validate(
                    &r.name,
                    r.service_tier.as_deref(),
                    &contacts,
                    r.notes.as_deref(),
                )?;
                match existing {
                    Some(c) => store::write(conn, c.id, &row).map(|_| Written::Updated),
                    None => store::insert(conn, r.id.unwrap_or_default(), &row)
                        .map(|_| Written::Created),
                }
            })
        })
        .await?;
    Ok(web::Json(report))
}
