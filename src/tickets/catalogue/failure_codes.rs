//! The failure-code catalogue (`failure_codes`): the problems, causes and remedies a
//! ticket's work record may name. Tickets keep their codes as text, not as references,
//! so removing a code leaves the tickets that used it as they are; only new work records
//! are checked against the catalogue (`tickets::store`).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};
use crate::schema::failure_codes;
use crate::validate::Errors;

crate::text_enum! {
    /// Which part of a failure code: what was wrong, why, and what fixed it.
    pub enum FailureKind {
        /// What was observed (`leak`).
        Problem = "problem",
        /// Why it happened (`worn_seal`).
        Cause = "cause",
        /// What fixed it (`replace_seal`).
        Remedy = "remedy",
    }
}

/// The longest code, as the tickets' CHECK constraints allow.
pub const CODE_MAX: usize = 32;
/// The longest description.
pub const DESCRIPTION_MAX: usize = 200;

/// One code of the catalogue.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = failure_codes, check_for_backend(diesel::pg::Pg))]
pub struct FailureCodeEntry {
    pub kind: FailureKind,
    /// `[a-z0-9_-]`, 1 to 32 characters (lower-cased when written).
    #[schema(example = "leak", pattern = r"^[a-z0-9_-]{1,32}$")]
    pub code: String,
    #[schema(example = "Fluid escapes from a seal, joint or line")]
    pub description: String,
}

/// What a code means: the whole of it, replaced by every PUT.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"description": "Fluid escapes from a seal, joint or line"}))]
pub struct FailureCodeBody {
    /// 1 to 200 characters (trimmed).
    pub description: String,
}

/// Check a code written through `PUT /failure-codes/{kind}/{code}`: the path's kind and
/// code are input like the body, so each bad one is named in the 422.
pub fn validate(kind: &str, code: &str, body: &FailureCodeBody) -> AppResult<FailureCodeEntry> {
    let mut e = Errors::new();
    let kind = kind.parse::<FailureKind>();
    if let Err(why) = &kind {
        e.add("kind", why.clone());
    }
    let code = e.code("code", code, CODE_MAX);
    let description = e.text("description", &body.description, DESCRIPTION_MAX);
    e.finish()?;
    Ok(FailureCodeEntry {
        kind: kind.map_err(|why| AppError::invalid("kind", why))?,
        code,
        description,
    })
}

/// The (kind, code) a path names, or `None` when it cannot name a stored code.
pub fn key(kind: &str, code: &str) -> Option<(FailureKind, String)> {
    let kind = FailureKind::parse(kind)?;
    let mut e = Errors::new();
    let code = e.code("code", code, CODE_MAX);
    e.0.is_empty().then_some((kind, code))
}

/// Insert the code, or replace the description of the one already there.
pub fn put(conn: &mut PgConnection, entry: &FailureCodeEntry) -> QueryResult<FailureCodeEntry> {
    diesel::insert_into(failure_codes::table)
        .values(entry)
        .on_conflict((failure_codes::kind, failure_codes::code))
        .do_update()
        .set(failure_codes::description.eq(&entry.description))
        .returning(FailureCodeEntry::as_returning())
        .get_result(conn)
}

/// Remove a code (404 when absent). Tickets that name it keep it.
pub fn delete(conn: &mut PgConnection, kind: FailureKind, code: &str) -> AppResult<()> {
    let n = diesel::delete(failure_codes::table.find((kind, code))).execute(conn)?;
    if n == 0 {
        return Err(AppError::NotFound(format!("no {kind} code `{code}`")));
    }
    Ok(())
}

/// Codes in (kind, code) order, after the keyset position `after`.
pub fn list(
    conn: &mut PgConnection,
    kind: Option<FailureKind>,
    after: Option<(FailureKind, String)>,
    limit: i64,
) -> QueryResult<Vec<FailureCodeEntry>> {
    let mut q = failure_codes::table
        .select(FailureCodeEntry::as_select())
        .order((failure_codes::kind, failure_codes::code))
        .into_boxed();
    if let Some(kind) = kind {
        q = q.filter(failure_codes::kind.eq(kind));
    }
    if let Some((k, c)) = after {
        q = q.filter(
            failure_codes::kind
                .gt(k)
                .or(failure_codes::kind.eq(k).and(failure_codes::code.gt(c))),
        );
    }
    q.limit(limit).load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(r: AppResult<FailureCodeEntry>) -> Vec<String> {
        match r {
            Err(AppError::Validation { errors, .. }) => {
                errors.into_iter().map(|f| f.field).collect()
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    fn body(description: &str) -> FailureCodeBody {
        FailureCodeBody {
            description: description.into(),
        }
    }

    #[test]
    fn a_code_is_trimmed_and_lower_cased() {
        let e = validate("cause", " Worn_Seal ", &body(" Seal worn out ")).unwrap();
        assert_eq!(
            e,
            FailureCodeEntry {
                kind: FailureKind::Cause,
                code: "worn_seal".into(),
                description: "Seal worn out".into(),
            }
        );
    }

    #[test]
    fn every_bad_part_is_named() {
        assert_eq!(
            fields(validate("symptom", "has space", &body("  "))),
            ["kind", "code", "description"]
        );
        assert_eq!(
            fields(validate(
                "problem",
                &"a".repeat(33),
                &body(&"d".repeat(201))
            )),
            ["code", "description"]
        );
        assert!(validate("remedy", &"a".repeat(32), &body(&"d".repeat(200))).is_ok());
    }

    #[test]
    fn a_path_that_cannot_name_a_code_has_no_key() {
        assert_eq!(
            key("problem", "LEAK"),
            Some((FailureKind::Problem, "leak".into()))
        );
        assert_eq!(key("symptom", "leak"), None);
        assert_eq!(key("problem", "le ak"), None);
    }

    #[test]
    fn stored_and_serialised_kind_names_agree() {
        for k in FailureKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }
}
