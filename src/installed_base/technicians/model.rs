//! Technician records, their availability, and the request bodies that create and
//! change them. Validation lives here; queries (and the lookups of the home site and
//! the van) in `store`.

use std::io::Write;

use chrono::{DateTime, Utc};
use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::prelude::*;
use diesel::serialize::{IsNull, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::types::TextList;
use crate::ids::{SiteId, TechnicianId, WarehouseId};
use crate::inventory::warehouses::WarehouseKind;
use crate::schema::technicians;
use crate::validate::{nullable, Errors};

/// The most skills one technician may list.
pub const MAX_SKILLS: usize = 50;

/// Whether a technician can take work now (stored as text, checked by the database).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    Serialize,
    Deserialize,
    ToSchema,
    AsExpression,
    FromSqlRow,
)]
#[diesel(sql_type = Text)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Available,
    Busy,
    OffDuty,
    OnLeave,
}

impl Availability {
    pub const ALL: [Availability; 4] = [
        Availability::Available,
        Availability::Busy,
        Availability::OffDuty,
        Availability::OnLeave,
    ];

    /// The stored (and serialised) name, as the `technicians.availability` CHECK lists it.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::Busy => "busy",
            Availability::OffDuty => "off_duty",
            Availability::OnLeave => "on_leave",
        }
    }

    pub fn parse(s: &str) -> Option<Availability> {
        Availability::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl ToSql<Text, Pg> for Availability {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        out.write_all(self.as_str().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Pg> for Availability {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let s = <String as FromSql<Text, Pg>>::from_sql(bytes)?;
        Availability::parse(&s).ok_or_else(|| format!("unknown availability `{s}`").into())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = technicians, check_for_backend(diesel::pg::Pg))]
pub struct Technician {
    pub id: TechnicianId,
    #[schema(example = "Ana Lima")]
    pub name: String,
    #[schema(example = "ana.lima@example.com")]
    pub email: Option<String>,
    #[schema(example = "+49 170 1234567")]
    pub phone: Option<String>,
    /// The skill codes the technician has.
    #[diesel(deserialize_as = Vec<Option<String>>)]
    #[schema(value_type = Vec<String>, example = json!(["electrical", "hydraulics"]))]
    pub skills: TextList,
    /// The site the technician starts from.
    pub home_site_id: Option<SiteId>,
    /// The technician's service van: a warehouse of kind `van`, no other technician's.
    pub van_warehouse_id: Option<WarehouseId>,
    /// An inactive technician is kept for history but gets no new work.
    pub active: bool,
    pub availability: Availability,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A new technician.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Ana Lima", "email": "ana.lima@example.com",
    "skills": ["electrical", "hydraulics"], "home_site_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f"}))]
pub struct NewTechnician {
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    /// Skill codes (`[a-z0-9_-]`, lower-cased, duplicates removed).
    #[serde(default)]
    pub skills: Vec<String>,
    /// Must name an existing site.
    #[serde(default)]
    pub home_site_id: Option<SiteId>,
    /// Must name a warehouse of kind `van` that is no other technician's van.
    #[serde(default)]
    pub van_warehouse_id: Option<WarehouseId>,
    /// Defaults to `true`.
    #[serde(default)]
    pub active: Option<bool>,
    /// Defaults to `available`.
    #[serde(default)]
    pub availability: Option<Availability>,
}

/// Changes to a technician: absent fields stay as they are; `null` clears a nullable one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"availability": "on_leave", "version": 1}))]
pub struct TechnicianPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<SiteId>)]
    pub home_site_id: Option<Option<SiteId>>,
    /// A warehouse of kind `van` that is no other technician's van; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<WarehouseId>)]
    pub van_warehouse_id: Option<Option<WarehouseId>>,
    pub active: Option<bool>,
    pub availability: Option<Availability>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A technician's fields before validation: a new one, or a current one with a patch
/// applied.
#[derive(Debug)]
pub struct Draft<'a> {
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub skills: &'a [String],
    pub home_site_id: Option<SiteId>,
    pub van_warehouse_id: Option<WarehouseId>,
    pub active: bool,
    pub availability: Availability,
}

impl<'a> Draft<'a> {
    pub fn from_new(new: &'a NewTechnician) -> Self {
        Self {
            name: &new.name,
            email: new.email.as_deref(),
            phone: new.phone.as_deref(),
            skills: &new.skills,
            home_site_id: new.home_site_id,
            van_warehouse_id: new.van_warehouse_id,
            active: new.active.unwrap_or(true),
            availability: new.availability.unwrap_or_default(),
        }
    }

    pub fn patched(current: &'a Technician, patch: &'a TechnicianPatch) -> Self {
        Self {
            name: patch.name.as_deref().unwrap_or(&current.name),
            email: match &patch.email {
                Some(e) => e.as_deref(),
                None => current.email.as_deref(),
            },
            phone: match &patch.phone {
                Some(p) => p.as_deref(),
                None => current.phone.as_deref(),
            },
            skills: patch.skills.as_deref().unwrap_or(&current.skills.0),
            home_site_id: patch.home_site_id.unwrap_or(current.home_site_id),
            van_warehouse_id: patch.van_warehouse_id.unwrap_or(current.van_warehouse_id),
            active: patch.active.unwrap_or(current.active),
            availability: patch.availability.unwrap_or(current.availability),
        }
    }
}

/// A validated technician, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = technicians)]
pub struct TechnicianRow {
    pub name: String,
    #[diesel(treat_none_as_null = true)]
    pub email: Option<String>,
    #[diesel(treat_none_as_null = true)]
    pub phone: Option<String>,
    pub skills: Vec<String>,
    #[diesel(treat_none_as_null = true)]
    pub home_site_id: Option<SiteId>,
    #[diesel(treat_none_as_null = true)]
    pub van_warehouse_id: Option<WarehouseId>,
    pub active: bool,
    pub availability: Availability,
}

/// What the store found for a draft's references.
#[derive(Debug, Clone, Copy)]
pub struct Lookups {
    /// Whether `home_site_id` (when given) names an existing site.
    pub home_site_known: bool,
    /// The kind of the warehouse `van_warehouse_id` names; `None` when there is none.
    pub van_kind: Option<WarehouseKind>,
}

impl TechnicianRow {
    /// Validate every field, reporting all problems at once, given what the store found
    /// for the references.
    pub fn validate(d: &Draft<'_>, found: Lookups) -> Result<Self, crate::error::AppError> {
        let mut e = Errors::new();
        let name = e.text("name", d.name, 200);
        let email = e.opt_text("email", d.email, 200);
        if email.as_deref().is_some_and(|m| !looks_like_email(m)) {
            e.add(
                "email",
                "must be an email address such as ana.lima@example.com",
            );
        }
        let phone = e.opt_text("phone", d.phone, 50);
        let skills = e.codes("skills", d.skills, 32);
        if skills.len() > MAX_SKILLS {
            e.add("skills", format!("at most {MAX_SKILLS} skills"));
        }
        if let (Some(site), false) = (d.home_site_id, found.home_site_known) {
            e.add("home_site_id", format!("no site with id {site}"));
        }
        match (d.van_warehouse_id, found.van_kind) {
            (Some(w), None) => e.add("van_warehouse_id", format!("no warehouse {w}")),
            (Some(w), Some(kind)) if kind != WarehouseKind::Van => e.add(
                "van_warehouse_id",
                format!("warehouse {w} is a {kind} warehouse, not a van"),
            ),
            _ => {}
        }
        e.finish()?;
        Ok(Self {
            name,
            email,
            phone,
            skills,
            home_site_id: d.home_site_id,
            van_warehouse_id: d.van_warehouse_id,
            active: d.active,
            availability: d.availability,
        })
    }
}

/// A plausibility check, not RFC 5322: one `@` with text on both sides, no spaces.
fn looks_like_email(s: &str) -> bool {
    match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !domain.contains('@')
                && !s.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn availability_names_match_serde_and_the_database_check() {
        for a in Availability::ALL {
            assert_eq!(
                serde_json::to_value(a).unwrap(),
                serde_json::Value::String(a.as_str().into())
            );
            assert_eq!(Availability::parse(a.as_str()), Some(a));
        }
        assert_eq!(Availability::parse("asleep"), None);
    }

    fn failing_fields(d: &Draft<'_>, found: Lookups) -> Vec<String> {
        match TechnicianRow::validate(d, found) {
            Err(crate::error::AppError::Validation { errors, .. }) => {
                errors.into_iter().map(|f| f.field).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn every_bad_technician_field_is_reported_including_an_unknown_site_and_van() {
        let skills = vec!["Hydraulics".to_owned(), "no spaces".to_owned()];
        let d = Draft {
            name: " ",
            email: Some("not-an-email"),
            phone: None,
            skills: &skills,
            home_site_id: Some(SiteId::new()),
            van_warehouse_id: Some(WarehouseId::new()),
            active: true,
            availability: Availability::Available,
        };
        let found = Lookups {
            home_site_known: false,
            van_kind: None,
        };
        assert_eq!(
            failing_fields(&d, found),
            [
                "name",
                "email",
                "skills[1]",
                "home_site_id",
                "van_warehouse_id"
            ]
        );
    }

    #[test]
    fn a_van_must_be_a_warehouse_of_kind_van() {
        let d = Draft {
            name: "Ana",
            email: None,
            phone: None,
            skills: &[],
            home_site_id: None,
            van_warehouse_id: Some(WarehouseId::new()),
            active: true,
            availability: Availability::Available,
        };
        for kind in [WarehouseKind::Central, WarehouseKind::Cabinet] {
            let found = Lookups {
                home_site_known: true,
                van_kind: Some(kind),
            };
            assert_eq!(failing_fields(&d, found), ["van_warehouse_id"]);
        }
        let found = Lookups {
            home_site_known: true,
            van_kind: Some(WarehouseKind::Van),
        };
        let row = TechnicianRow::validate(&d, found).unwrap();
        assert_eq!(row.van_warehouse_id, d.van_warehouse_id);
    }

    #[test]
    fn emails_are_checked_for_plausibility_only() {
        assert!(looks_like_email("ana.lima@example.com"));
        assert!(looks_like_email("a@b"));
        assert!(!looks_like_email("ana.lima"));
        assert!(!looks_like_email("@example.com"));
        assert!(!looks_like_email("ana@"));
        assert!(!looks_like_email("a@b@c"));
        assert!(!looks_like_email("ana lima@example.com"));
    }
}
