//! Maintenance plan records and the request bodies that create and change them.
//! Validation that needs no database lives here (the triggers in `triggers`); checks
//! against other records (asset, model, parts, meters) live in `store`.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::types::TextList;
use crate::decimal::Quantity;
use crate::ids::{AssetId, ModelId, PartId, PlanId};
use crate::maintenance::occurrence::{CalendarTrigger, IntervalMode, IntervalUnit};
use crate::schema::maintenance_plans;
use crate::tickets::Priority;
use crate::validate::{nullable, Errors};

pub use super::triggers::{Calendar, MeterTrigger};

/// The most checklist items, skills and kit lines one plan may have.
pub const MAX_CHECKLIST: usize = 200;
pub const MAX_SKILLS: usize = 50;
pub const MAX_KIT: usize = 100;

/// One line of a plan's parts kit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KitLine {
    pub part_id: PartId,
    /// More than 0.
    #[schema(value_type = String, example = "2")]
    pub quantity: Quantity,
}

/// A kit line as shown, with the part's SKU and name.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct KitPart {
    pub part_id: PartId,
    #[schema(example = "FLT-0042")]
    pub sku: String,
    #[schema(example = "Oil filter")]
    pub name: String,
    #[schema(value_type = String, example = "2")]
    pub quantity: Quantity,
}

/// A maintenance plan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Plan {
    pub id: PlanId,
    #[schema(example = "Quarterly service")]
    pub title: String,
    pub description: Option<String>,
    /// The one asset the plan is for (or `model_id`).
    pub asset_id: Option<AssetId>,
    /// Every asset of this equipment model, including assets added later (or `asset_id`).
    pub model_id: Option<ModelId>,
    pub calendar: Option<Calendar>,
    pub meter: Option<MeterTrigger>,
    /// Open the ticket this many days before the occurrence is due.
    pub lead_days: i32,
    /// Copied onto each ticket.
    #[schema(value_type = Vec<String>, example = json!(["Replace oil filter", "Check belt tension"]))]
    pub checklist: TextList,
    /// Reserved at the site's serving warehouse when a ticket opens.
    pub parts: Vec<KitPart>,
    pub estimated_minutes: Option<i32>,
    /// Skill codes the work needs (besides the model's).
    #[schema(value_type = Vec<String>, example = json!(["hydraulics"]))]
    pub skills: TextList,
    pub priority: Priority,
    /// Inactive plans open no tickets and are left out of the forecast.
    pub active: bool,
    /// Occurrences before this are never scheduled.
    pub starts_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Incremented by every change; send it back in a PATCH to refuse lost updates.
    pub version: i32,
}

/// A plan as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = maintenance_plans, check_for_backend(diesel::pg::Pg))]
pub struct PlanRecord {
    pub id: PlanId,
    pub title: String,
    pub description: Option<String>,
    pub asset_id: Option<AssetId>,
    pub model_id: Option<ModelId>,
    pub cron: Option<String>,
    pub interval_every: Option<i32>,
    pub interval_unit: Option<IntervalUnit>,
    pub interval_anchor: Option<NaiveDate>,
    pub interval_at: Option<NaiveTime>,
    pub interval_mode: Option<IntervalMode>,
    pub meter: Option<String>,
    pub meter_every: Option<f64>,
    pub meter_start: Option<f64>,
    pub lead_days: i32,
    #[diesel(deserialize_as = Vec<Option<String>>)]
    pub checklist: TextList,
    pub estimated_minutes: Option<i32>,
    #[diesel(deserialize_as = Vec<Option<String>>)]
    pub skills: TextList,
    pub priority: Priority,
    pub active: bool,
    pub starts_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl PlanRecord {
    /// The calendar trigger (`None` without one; a stored trigger is valid by
    /// construction, and an invalid one would have no occurrences).
    pub fn calendar(&self) -> Option<CalendarTrigger> {
        if let Some(expr) = &self.cron {
            return Some(CalendarTrigger::Cron { expr: expr.clone() });
        }
        Some(CalendarTrigger::Interval {
            every: u32::try_from(self.interval_every?).ok()?,
            unit: self.interval_unit?,
            anchor: self.interval_anchor?,
            at: self.interval_at?,
            mode: self.interval_mode?,
        })
    }

    pub fn meter_trigger(&self) -> Option<MeterTrigger> {
        Some(MeterTrigger {
            name: self.meter.clone()?,
            every: self.meter_every?,
            start: self.meter_start,
        })
    }

    pub fn into_plan(self, parts: Vec<KitPart>) -> Plan {
        Plan {
            calendar: self.calendar().as_ref().map(Calendar::of),
            meter: self.meter_trigger(),
            id: self.id,
            title: self.title,
            description: self.description,
            asset_id: self.asset_id,
            model_id: self.model_id,
            lead_days: self.lead_days,
            checklist: self.checklist,
            parts,
            estimated_minutes: self.estimated_minutes,
            skills: self.skills,
            priority: self.priority,
            active: self.active,
            starts_at: self.starts_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        }
    }
}

/// A new plan.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Quarterly service", "model_id": "0193a4b2-7c1e-7d2a-9f00-1a2b3c4d5e6f",
    "calendar": {"every": 3, "unit": "months", "anchor": "2026-01-15", "at": "09:00"},
    "meter": {"name": "runtime_h", "every": 500}, "lead_days": 7,
    "checklist": ["Replace oil filter", "Check belt tension"],
    "parts": [{"part_id": "0193a4b2-7c1e-7d2a-9f00-2a2b3c4d5e6f", "quantity": "1"}],
    "estimated_minutes": 90, "skills": ["hydraulics"], "priority": "normal"}))]
pub struct NewPlan {
    pub title: String,
    #[serde(default)]
    pub description: Option<String>,
    /// One asset (give this or `model_id`).
    #[serde(default)]
    pub asset_id: Option<AssetId>,
    /// Every asset of an equipment model (give this or `asset_id`).
    #[serde(default)]
    pub model_id: Option<ModelId>,
    /// A calendar trigger, a meter trigger, or both (whichever comes first).
    #[serde(default)]
    pub calendar: Option<Calendar>,
    #[serde(default)]
    pub meter: Option<MeterTrigger>,
    /// 0 to 365 (default 0).
    #[serde(default)]
    pub lead_days: Option<i32>,
    #[serde(default)]
    pub checklist: Vec<String>,
    #[serde(default)]
    pub parts: Vec<KitLine>,
    #[serde(default)]
    pub estimated_minutes: Option<i32>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Default `normal`.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Default `true`.
    #[serde(default)]
    pub active: Option<bool>,
    /// Default: now.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
}

/// Changes to a plan: absent fields stay; `null` clears a nullable one; `parts`, when
/// given, replaces the kit. The scope (`asset_id`/`model_id`) cannot change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"lead_days": 14, "active": false, "version": 1}))]
pub struct PlanPatch {
    pub title: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<Calendar>)]
    pub calendar: Option<Option<Calendar>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<MeterTrigger>)]
    pub meter: Option<Option<MeterTrigger>>,
    pub lead_days: Option<i32>,
    pub checklist: Option<Vec<String>>,
    pub parts: Option<Vec<KitLine>>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub estimated_minutes: Option<Option<i32>>,
    pub skills: Option<Vec<String>>,
    pub priority: Option<Priority>,
    pub active: Option<bool>,
    pub starts_at: Option<DateTime<Utc>>,
    /// The version the change is based on; a different current version is 409.
    pub version: Option<i32>,
}

/// A validated plan, ready to write (the kit is written apart).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = maintenance_plans, treat_none_as_null = true)]
pub struct PlanRow {
    pub title: String,
    pub description: Option<String>,
    pub cron: Option<String>,
    pub interval_every: Option<i32>,
    pub interval_unit: Option<IntervalUnit>,
    pub interval_anchor: Option<NaiveDate>,
    pub interval_at: Option<NaiveTime>,
    pub interval_mode: Option<IntervalMode>,
    pub meter: Option<String>,
    pub meter_every: Option<f64>,
    pub meter_start: Option<f64>,
    pub lead_days: i32,
    pub checklist: Vec<String>,
    pub estimated_minutes: Option<i32>,
    pub skills: Vec<String>,
    pub priority: Priority,
    pub active: bool,
    pub starts_at: DateTime<Utc>,
}

/// Everything a plan row is made from, whether new or patched.
pub struct PlanInput<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    pub calendar: Option<&'a Calendar>,
    pub meter: Option<&'a MeterTrigger>,
    pub lead_days: i32,
    pub checklist: &'a [String],
    pub parts: &'a [KitLine],
    pub estimated_minutes: Option<i32>,
    pub skills: &'a [String],
    pub priority: Priority,
    pub active: bool,
    pub starts_at: DateTime<Utc>,
}

impl PlanRow {
    /// Validate every field, adding problems to `e` (the caller adds database checks
    /// and finishes).
    pub fn validate(i: PlanInput<'_>, e: &mut Errors) -> PlanRow {
        let title = e.text("title", i.title, 300);
        let description = e.opt_text("description", i.description, 20_000);
        if i.calendar.is_none() && i.meter.is_none() {
            e.add(
                "calendar",
                "a plan needs a calendar trigger, a meter trigger, or both",
            );
        }
        let calendar = i.calendar.and_then(|c| c.trigger(e, "calendar"));
        let meter = i.meter.map(|m| m.check(e, "meter"));
        if !(0..=365).contains(&i.lead_days) {
            e.add("lead_days", "must be between 0 and 365");
        }
        let checklist: Vec<String> = i
            .checklist
            .iter()
            .enumerate()
            .map(|(n, t)| e.text(&format!("checklist[{n}]"), t, 500))
            .collect();
        if checklist.len() > MAX_CHECKLIST {
            e.add("checklist", format!("at most {MAX_CHECKLIST} items"));
        }
        if i.estimated_minutes
            .is_some_and(|m| !(1..=100_000).contains(&m))
        {
            e.add("estimated_minutes", "must be between 1 and 100000");
        }
        let skills = e.codes("skills", i.skills, 32);
        if skills.len() > MAX_SKILLS {
            e.add("skills", format!("at most {MAX_SKILLS} skills"));
        }
        if i.parts.len() > MAX_KIT {
            e.add("parts", format!("at most {MAX_KIT} kit lines"));
        }
        for (n, line) in i.parts.iter().enumerate() {
            if !line.quantity.is_positive() {
                e.add(format!("parts[{n}].quantity"), "must be more than 0");
            }
            if i.parts[..n].iter().any(|l| l.part_id == line.part_id) {
                e.add(format!("parts[{n}].part_id"), "listed twice");
            }
        }
        e.time("starts_at", Some(i.starts_at));
        let (mut cron, mut every, mut unit, mut anchor, mut at, mut mode) =
            (None, None, None, None, None, None);
        match calendar {
            Some(CalendarTrigger::Cron { expr }) => cron = Some(expr),
            Some(CalendarTrigger::Interval {
                every: n,
                unit: u,
                anchor: a,
                at: t,
                mode: m,
            }) => {
                every = i32::try_from(n).ok();
                unit = Some(u);
                anchor = Some(a);
                at = Some(t);
                mode = Some(m);
            }
            None => {}
        }
        PlanRow {
            title,
            description,
            cron,
            interval_every: every,
            interval_unit: unit,
            interval_anchor: anchor,
            interval_at: at,
            interval_mode: mode,
            meter: meter.as_ref().map(|m| m.name.clone()),
            meter_every: meter.as_ref().map(|m| m.every),
            meter_start: meter.as_ref().and_then(|m| m.start),
            lead_days: i.lead_days,
            checklist,
            estimated_minutes: i.estimated_minutes,
            skills,
            priority: i.priority,
            active: i.active,
            starts_at: i.starts_at,
        }
    }
}
