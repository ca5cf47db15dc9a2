//! Customer records and the request bodies that create and change them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::types::Json;
use crate::ids::CustomerId;
use crate::schema::customers;
use crate::validate::{nullable, Errors};

/// A person to call at the customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    #[schema(example = "Maria Keller")]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "maria.keller@example.com")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "+49 30 1234567")]
    pub phone: Option<String>,
    /// What the contact is for (e.g. `maintenance`, `purchasing`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "maintenance manager")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
pub struct Customer {
    pub id: CustomerId,
    #[schema(example = "Brauerei Nord GmbH")]
    pub name: String,
    /// Selects the SLA targets (e.g. `standard`, `premium`).
    #[schema(example = "premium")]
    pub service_tier: String,
    #[schema(value_type = Vec<Contact>)]
    pub contacts: Json<Vec<Contact>>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A new customer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Brauerei Nord GmbH", "service_tier": "premium",
    "contacts": [{"name": "Maria Keller", "email": "maria.keller@example.com", "role": "maintenance manager"}]}))]
pub struct NewCustomer {
    pub name: String,
    /// Defaults to `standard`.
    #[serde(default)]
    pub service_tier: Option<String>,
    #[serde(default)]
    pub contacts: Vec<Contact>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to a customer: absent fields stay as they are; `null` clears a nullable one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"service_tier": "standard", "version": 1}))]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub service_tier: Option<String>,
    pub contacts: Option<Vec<Contact>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub notes: Option<Option<String>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated customer, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = customers)]
pub struct CustomerRow {
    pub name: String,
    pub service_tier: String,
    pub contacts: Json<Vec<Contact>>,
    pub contact_search: String,
    #[diesel(treat_none_as_null = true)]
    pub notes: Option<String>,
}

impl CustomerRow {
    /// Validate every field, reporting all problems at once.
    pub fn validate(
        name: &str,
        tier: Option<&str>,
        contacts: &[Contact],
        notes: Option<&str>,
    ) -> Result<Self, crate::error::AppError> {
        let mut e = Errors::new();
        let name = e.text("name", name, 200);
        let service_tier = e.code("service_tier", tier.unwrap_or("standard"), 32);
        let contacts: Vec<Contact> = contacts
            .iter()
            .enumerate()
            .map(|(i, c)| Contact {
                name: e.text(&format!("contacts[{i}].name"), &c.name, 200),
                email: e.opt_text(&format!("contacts[{i}].email"), c.email.as_deref(), 200),
                phone: e.opt_text(&format!("contacts[{i}].phone"), c.phone.as_deref(), 50),
                role: e.opt_text(&format!("contacts[{i}].role"), c.role.as_deref(), 100),
            })
            .collect();
        if contacts.len() > 50 {
            e.add("contacts", "at most 50 contacts");
        }
        let notes = e.opt_text("notes", notes, 10_000);
        e.finish()?;
        let contact_search = contacts
            .iter()
            .flat_map(|c| [Some(&c.name), c.email.as_ref(), c.phone.as_ref()])
            .flatten()
            .map(|s| s.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        Ok(Self {
            name,
            service_tier,
            contacts: Json(contacts),
            contact_search,
            notes,
        })
    }

    pub fn from_new(new: &NewCustomer) -> Result<Self, crate::error::AppError> {
        Self::validate(
            &new.name,
            new.service_tier.as_deref(),
            &new.contacts,
            new.notes.as_deref(),
        )
    }

    /// The current customer with `patch` applied, validated.
    pub fn patched(
        current: &Customer,
        patch: &CustomerPatch,
    ) -> Result<Self, crate::error::AppError> {
        Self::validate(
            patch.name.as_deref().unwrap_or(&current.name),
            Some(
                patch
                    .service_tier
                    .as_deref()
                    .unwrap_or(&current.service_tier),
            ),
            patch.contacts.as_deref().unwrap_or(&current.contacts.0),
            match &patch.notes {
                Some(n) => n.as_deref(),
                None => current.notes.as_deref(),
            },
        )
    }
}
