//! Equipment model records and the request bodies that create and change them.
//! Validation lives here; queries live in `store`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::types::TextList;
use crate::ids::ModelId;
use crate::schema::equipment_models;
use crate::validate::{nullable, Errors};

/// The most skills one model may list.
pub const MAX_SKILLS: usize = 50;

#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = equipment_models, check_for_backend(diesel::pg::Pg))]
pub struct EquipmentModel {
    pub id: ModelId,
    #[schema(example = "Krones")]
    pub manufacturer: String,
    /// Unique per manufacturer.
    #[schema(example = "Contiform 3 Pro")]
    pub model_number: String,
    #[schema(example = "Stretch blow moulder")]
    pub name: Option<String>,
    pub description: Option<String>,
    /// The skill codes servicing this model needs.
    #[diesel(deserialize_as = Vec<Option<String>>)]
    #[schema(value_type = Vec<String>, example = json!(["hydraulics", "pneumatics"]))]
    pub skills: TextList,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A new equipment model.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"manufacturer": "Krones", "model_number": "Contiform 3 Pro",
    "name": "Stretch blow moulder", "skills": ["hydraulics", "pneumatics"]}))]
pub struct NewEquipmentModel {
    pub manufacturer: String,
    pub model_number: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Skill codes (`[a-z0-9_-]`, lower-cased, duplicates removed).
    #[serde(default)]
    pub skills: Vec<String>,
}

/// Changes to an equipment model: absent fields stay as they are; `null` clears a
/// nullable one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"skills": ["hydraulics", "electrical"], "version": 1}))]
pub struct EquipmentModelPatch {
    pub manufacturer: Option<String>,
    pub model_number: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    pub skills: Option<Vec<String>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated equipment model, ready to write.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = equipment_models)]
pub struct EquipmentModelRow {
    pub manufacturer: String,
    pub model_number: String,
    #[diesel(treat_none_as_null = true)]
    pub name: Option<String>,
    #[diesel(treat_none_as_null = true)]
    pub description: Option<String>,
    pub skills: Vec<String>,
}

impl EquipmentModelRow {
    /// Validate every field, reporting all problems at once.
    pub fn validate(
        manufacturer: &str,
        model_number: &str,
        name: Option<&str>,
        description: Option<&str>,
        skills: &[String],
    ) -> Result<Self, crate::error::AppError> {
        let mut e = Errors::new();
        let manufacturer = e.text("manufacturer", manufacturer, 200);
        let model_number = e.text("model_number", model_number, 200);
        let name = e.opt_text("name", name, 200);
        let description = e.opt_text("description", description, 10_000);
        let skills = e.codes("skills", skills, 32);
        if skills.len() > MAX_SKILLS {
            e.add("skills", format!("at most {MAX_SKILLS} skills"));
        }
        e.finish()?;
        Ok(Self {
            manufacturer,
            model_number,
            name,
            description,
            skills,
        })
    }

    pub fn from_new(new: &NewEquipmentModel) -> Result<Self, crate::error::AppError> {
        Self::validate(
            &new.manufacturer,
            &new.model_number,
            new.name.as_deref(),
            new.description.as_deref(),
            &new.skills,
        )
    }

    /// The current model with `patch` applied, validated.
    pub fn patched(
        current: &EquipmentModel,
        patch: &EquipmentModelPatch,
    ) -> Result<Self, crate::error::AppError> {
        Self::validate(
            patch
                .manufacturer
                .as_deref()
                .unwrap_or(&current.manufacturer),
            patch
                .model_number
                .as_deref()
                .unwrap_or(&current.model_number),
            match &patch.name {
                Some(n) => n.as_deref(),
                None => current.name.as_deref(),
            },
            match &patch.description {
                Some(d) => d.as_deref(),
                None => current.description.as_deref(),
            },
            patch.skills.as_deref().unwrap_or(&current.skills.0),
        )
    }
}
