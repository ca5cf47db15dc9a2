//! SLA targets (`sla_targets`): response and resolution hours per (customer service
//! tier, priority), tier `*` being the default for tiers without a row of their own.
//! A ticket's due times are computed from these when it is opened or reprioritised
//! (`tickets::store::targets`), so a change applies to those tickets from then on and
//! never moves the due times of tickets already open. The `*` rows must always exist.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::schema::sla_targets;
use crate::tickets::model::Priority;
use crate::validate::Errors;

/// The tier whose rows apply to every tier without its own.
pub const DEFAULT_TIER: &str = "*";
/// The longest target: one year, in hours.
pub const MAX_HOURS: i64 = 8760;

/// The targets for one (tier, priority), in calendar hours.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = sla_targets, check_for_backend(diesel::pg::Pg))]
pub struct SlaTarget {
    /// A customer service tier, or `*` for the default.
    #[schema(example = "gold", pattern = r"^(\*|[a-z0-9_-]{1,32})$")]
    pub tier: String,
    pub priority: Priority,
    /// Hours from opening to the first `in_progress`; `null` means no response target.
    #[schema(example = 2)]
    pub response_hours: Option<i32>,
    /// Hours from opening to `resolved`, not counting time on hold waiting for the
    /// customer.
    #[schema(example = 8)]
    pub resolution_hours: i32,
}

/// The targets of one (tier, priority): the whole of them, replaced by every PUT.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"response_hours": 2, "resolution_hours": 8}))]
pub struct SlaTargetBody {
    /// 1 to 8760 and at most `resolution_hours`; `null` or absent: no response target.
    #[schema(minimum = 1, maximum = 8760)]
    pub response_hours: Option<i64>,
    /// 1 to 8760.
    #[schema(minimum = 1, maximum = 8760)]
    pub resolution_hours: i64,
}

/// A tier as a path names it: `*` or a service tier code (lower-cased).
fn check_tier(e: &mut Errors, tier: &str) -> String {
    match tier.trim() {
        DEFAULT_TIER => DEFAULT_TIER.to_owned(),
        other => e.code("tier", other, 32),
    }
}

fn check_hours(e: &mut Errors, field: &str, hours: i64) -> i32 {
    if !(1..=MAX_HOURS).contains(&hours) {
        e.add(field, format!("must be 1 to {MAX_HOURS} hours"));
    }
    i32::try_from(hours.clamp(1, MAX_HOURS)).unwrap_or(1)
}

/// Check targets written through `PUT /sla-targets/{tier}/{priority}`: the path's tier
/// and priority are input like the body, so each bad one is named in the 422.
pub fn validate(tier: &str, priority: &str, body: &SlaTargetBody) -> AppResult<SlaTarget> {
    let mut e = Errors::new();
    let tier = check_tier(&mut e, tier);
    let priority = priority.parse::<Priority>();
    if let Err(why) = &priority {
        e.add("priority", why.clone());
    }
    let response_hours = body
        .response_hours
        .map(|h| check_hours(&mut e, "response_hours", h));
    let resolution_hours = check_hours(&mut e, "resolution_hours", body.resolution_hours);
    // compared only when both are in range, so each field is named once
    let in_range = |h: i64| (1..=MAX_HOURS).contains(&h);
    if let Some(r) = body.response_hours {
        if in_range(r) && in_range(body.resolution_hours) && r > body.resolution_hours {
            e.add(
                "response_hours",
                "must not be more than resolution_hours: a response comes before the resolution",
            );
        }
    }
    e.finish()?;
    Ok(SlaTarget {
        tier,
        priority: priority.map_err(|why| AppError::invalid("priority", why))?,
        response_hours,
        resolution_hours,
    })
}

/// The (tier, priority) a path names, or `None` when it cannot name a stored row.
pub fn key(tier: &str, priority: &str) -> Option<(String, Priority)> {
    let mut e = Errors::new();
    let tier = check_tier(&mut e, tier);
    let priority = Priority::parse(priority)?;
    e.0.is_empty().then_some((tier, priority))
}

/// Insert the targets, or replace the ones already there.
pub fn put(conn: &mut PgConnection, target: &SlaTarget) -> QueryResult<SlaTarget> {
    diesel::insert_into(sla_targets::table)
        .values(target)
        .on_conflict((sla_targets::tier, sla_targets::priority))
        .do_update()
        .set((
            sla_targets::response_hours.eq(target.response_hours),
            sla_targets::resolution_hours.eq(target.resolution_hours),
        ))
        .returning(SlaTarget::as_returning())
        .get_result(conn)
}

/// Remove a tier's own targets for a priority, so the default applies to it again. The
/// defaults themselves cannot be removed (409), only changed.
pub fn delete(conn: &mut PgConnection, tier: &str, priority: Priority) -> AppResult<()> {
    if tier == DEFAULT_TIER {
        return Err(AppError::conflict(format!(
            "the default targets (tier `*`) must exist for every priority; \
             change them with PUT /api/v1/sla-targets/*/{priority} instead"
        )));
    }
    let n = diesel::delete(sla_targets::table.find((tier, priority.as_str()))).execute(conn)?;
    if n == 0 {
        return Err(AppError::NotFound(format!(
            "no SLA target for tier `{tier}` and priority {priority}"
        )));
    }
    Ok(())
}

/// Every row in (tier, priority) order, after the keyset position `after`.
pub fn list(
    conn: &mut PgConnection,
    after: Option<(String, String)>,
    limit: i64,
) -> QueryResult<Vec<SlaTarget>> {
    let mut q = sla_targets::table
        .select(SlaTarget::as_select())
        .order((sla_targets::tier, sla_targets::priority))
        .into_boxed();
    if let Some((t, p)) = after {
        q = q.filter(
            sla_targets::tier
                .gt(t.clone())
                .or(sla_targets::tier.eq(t).and(sla_targets::priority.gt(p))),
        );
    }
    q.limit(limit).load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: AppResult<SlaTarget>) -> Vec<String> {
        match r {
            Err(AppError::Validation { errors, .. }) => {
                errors.into_iter().map(|f| f.field).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn body(response_hours: Option<i64>, resolution_hours: i64) -> SlaTargetBody {
        SlaTargetBody {
            response_hours,
            resolution_hours,
        }
    }

    #[test]
    fn the_default_tier_and_service_tiers_are_accepted() {
        let t = validate("*", "critical", &body(Some(2), 8)).unwrap();
        assert_eq!((t.tier.as_str(), t.priority), ("*", Priority::Critical));
        let t = validate("Gold", "normal", &body(None, 8760)).unwrap();
        assert_eq!(
            (t.tier.as_str(), t.response_hours, t.resolution_hours),
            ("gold", None, 8760)
        );
    }

    #[test]
    fn every_bad_part_is_named() {
        assert_eq!(
            fields(validate("gold plus", "asap", &body(Some(0), 8761))),
            ["tier", "priority", "response_hours", "resolution_hours"]
        );
        assert_eq!(
            fields(validate("**", "normal", &body(Some(-1), 0))),
            ["tier", "response_hours", "resolution_hours"]
        );
        assert_eq!(
            fields(validate("gold", "normal", &body(Some(i64::MAX), 5))),
            ["response_hours"]
        );
    }

    #[test]
    fn a_response_target_after_the_resolution_target_is_refused() {
        assert_eq!(
            fields(validate("gold", "urgent", &body(Some(9), 8))),
            ["response_hours"]
        );
        assert!(validate("gold", "urgent", &body(Some(8), 8)).is_ok());
    }

    #[test]
    fn a_path_that_cannot_name_a_row_has_no_key() {
        assert_eq!(key("*", "normal"), Some(("*".into(), Priority::Normal)));
        assert_eq!(
            key("GOLD", "urgent"),
            Some(("gold".into(), Priority::Urgent))
        );
        assert_eq!(key("gold", "asap"), None);
        assert_eq!(key("go/ld", "normal"), None);
    }
}
