//! A threshold rule's condition: the operator and its bounds, when a value breaches it,
//! and when a breached value clears it again (the hysteresis band). Pure; the engine and
//! the API's validation use it, nothing here touches the database.
//!
//! Clearing is defined once for every operator: a value clears when it no longer
//! breaches the condition *widened by the hysteresis* (the bound moved against the
//! value): `> 80` with hysteresis 5 breaches above 80 and clears at 75 or below;
//! `outside [10, 90]` with hysteresis 2 clears only inside `[12, 88]`. Hysteresis 0
//! clears as soon as the condition stops holding.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How a value is compared with the rule's bounds.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    ToSchema,
    diesel::expression::AsExpression,
    diesel::deserialize::FromSqlRow,
)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Operator {
    /// Above `threshold`.
    #[serde(rename = ">")]
    Gt,
    /// At or above `threshold`.
    #[serde(rename = ">=")]
    Ge,
    /// Below `threshold`.
    #[serde(rename = "<")]
    Lt,
    /// At or below `threshold`.
    #[serde(rename = "<=")]
    Le,
    /// Below `low` or above `high`.
    #[serde(rename = "outside")]
    Outside,
    /// From `low` to `high`, both included.
    #[serde(rename = "inside")]
    Inside,
}

impl Operator {
    pub const ALL: &'static [Operator] = &[
        Operator::Gt,
        Operator::Ge,
        Operator::Lt,
        Operator::Le,
        Operator::Outside,
        Operator::Inside,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Gt => ">",
            Operator::Ge => ">=",
            Operator::Lt => "<",
            Operator::Le => "<=",
            Operator::Outside => "outside",
            Operator::Inside => "inside",
        }
    }

    pub fn parse(s: &str) -> Option<Operator> {
        Operator::ALL.iter().copied().find(|o| o.as_str() == s)
    }

    /// Whether the operator compares with a range (`low`, `high`) rather than one
    /// `threshold`.
    pub fn is_range(self) -> bool {
        matches!(self, Operator::Outside | Operator::Inside)
    }
}

impl std::fmt::Display for Operator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

// stored as its text, like the other enums (the column's CHECK lists the same names)
impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for Operator {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
            self.as_str(),
            out,
        )
    }
}

impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for Operator {
    fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let s = <String as diesel::deserialize::FromSql<
            diesel::sql_types::Text,
            diesel::pg::Pg,
        >>::from_sql(bytes)?;
        Operator::parse(&s).ok_or_else(|| format!("unknown operator `{s}`").into())
    }
}

/// A condition with its bounds, checked to be complete and finite by the API.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Condition {
    /// `>`, `>=`, `<`, `<=` against one threshold.
    Compare { op: Operator, threshold: f64 },
    /// `outside` or `inside` the range `[low, high]`.
    Range { op: Operator, low: f64, high: f64 },
}

impl Condition {
    /// The condition of `op` with its bounds, when they fit the operator.
    pub fn new(
        op: Operator,
        threshold: Option<f64>,
        low: Option<f64>,
        high: Option<f64>,
    ) -> Option<Self> {
        if op.is_range() {
            Some(Condition::Range {
                op,
                low: low?,
                high: high?,
            })
        } else {
            Some(Condition::Compare {
                op,
                threshold: threshold?,
            })
        }
    }

    /// Whether `v` breaches the condition.
    pub fn breached(&self, v: f64) -> bool {
        self.widened(v, 0.0)
    }

    /// Whether `v`, during a breach, clears it: it no longer breaches the condition
    /// widened by `hysteresis`.
    pub fn cleared(&self, v: f64, hysteresis: f64) -> bool {
        !self.widened(v, hysteresis)
    }

    /// The condition with its bounds moved by `h` so that more values breach it.
    fn widened(&self, v: f64, h: f64) -> bool {
        match *self {
            Condition::Compare { op, threshold: t } => match op {
                Operator::Gt => v > t - h,
                Operator::Ge => v >= t - h,
                Operator::Lt => v < t + h,
                Operator::Le => v <= t + h,
                Operator::Outside | Operator::Inside => unreachable!("range operators"),
            },
            Condition::Range { op, low, high } => match op {
                Operator::Outside => v < low + h || v > high - h,
                Operator::Inside => v >= low - h && v <= high + h,
                _ => unreachable!("comparison operators"),
            },
        }
    }
}

impl std::fmt::Display for Condition {
    /// As people read it: `> 80`, `outside [10, 90]`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Condition::Compare { op, threshold } => write!(f, "{op} {}", number(threshold)),
            Condition::Range { op, low, high } => {
                write!(f, "{op} [{}, {}]", number(low), number(high))
            }
        }
    }
}

/// A value as people read it: integers without a fraction, others with at most four
/// decimals (`85.5`, `0.0001`, `80`).
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{}", v as i64);
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_owned()
    } else {
        s.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(op: Operator, t: f64) -> Condition {
        Condition::new(op, Some(t), None, None).unwrap()
    }
    fn range(op: Operator, low: f64, high: f64) -> Condition {
        Condition::new(op, None, Some(low), Some(high)).unwrap()
    }

    /// For each operator: values that breach, values inside the hysteresis band (neither
    /// breach nor clear), and values that clear — at and around each boundary.
    #[test]
    fn every_operator_breaches_and_clears_at_its_boundaries() {
        // (condition, hysteresis, breaching, in the band, clearing)
        type Case = (
            Condition,
            f64,
            &'static [f64],
            &'static [f64],
            &'static [f64],
        );
        let cases: &[Case] = &[
            (
                cmp(Operator::Gt, 80.0),
                5.0,
                &[80.1, 1e9],
                &[80.0, 75.1],
                &[75.0, -3.0],
            ),
            (
                cmp(Operator::Ge, 80.0),
                5.0,
                &[80.0, 81.0],
                &[79.9, 75.0],
                &[74.9, 0.0],
            ),
            (
                cmp(Operator::Lt, 10.0),
                2.0,
                &[9.9, -5.0],
                &[10.0, 11.9],
                &[12.0, 50.0],
            ),
            (
                cmp(Operator::Le, 10.0),
                2.0,
                &[10.0, 3.0],
                &[10.1, 12.0],
                &[12.1, 99.0],
            ),
            (
                range(Operator::Outside, 10.0, 90.0),
                2.0,
                &[9.9, 90.1, -1e6],
                &[10.0, 11.9, 90.0, 88.1],
                &[12.0, 50.0, 88.0],
            ),
            (
                range(Operator::Inside, 10.0, 90.0),
                2.0,
                &[10.0, 50.0, 90.0],
                &[9.9, 8.0, 90.1, 92.0],
                &[7.9, 92.1, -40.0],
            ),
        ];
        for (c, h, breach, band, clear) in cases {
            for v in *breach {
                assert!(c.breached(*v), "{c}: {v} breaches");
                assert!(!c.cleared(*v, *h), "{c}: {v} does not clear");
            }
            for v in *band {
                assert!(!c.breached(*v), "{c}: {v} does not breach");
                assert!(!c.cleared(*v, *h), "{c}: {v} is in the hysteresis band");
            }
            for v in *clear {
                assert!(!c.breached(*v), "{c}: {v} does not breach");
                assert!(c.cleared(*v, *h), "{c}: {v} clears");
            }
        }
    }

    #[test]
    fn without_hysteresis_clearing_is_the_end_of_the_breach() {
        let conds = [
            cmp(Operator::Gt, 1.0),
            cmp(Operator::Ge, 1.0),
            cmp(Operator::Lt, 1.0),
            cmp(Operator::Le, 1.0),
            range(Operator::Outside, -1.0, 1.0),
            range(Operator::Inside, -1.0, 1.0),
        ];
        for c in conds {
            for v in [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0] {
                assert_eq!(c.cleared(v, 0.0), !c.breached(v), "{c} at {v}");
            }
        }
    }

    #[test]
    fn a_condition_needs_the_bounds_of_its_operator() {
        assert!(Condition::new(Operator::Gt, None, Some(1.0), Some(2.0)).is_none());
        assert!(Condition::new(Operator::Inside, Some(1.0), Some(1.0), None).is_none());
        assert_eq!(cmp(Operator::Ge, 80.0).to_string(), ">= 80");
        assert_eq!(
            range(Operator::Outside, 10.0, 90.5).to_string(),
            "outside [10, 90.5]"
        );
    }

    #[test]
    fn operators_round_trip_through_their_names() {
        for op in Operator::ALL {
            assert_eq!(Operator::parse(op.as_str()), Some(*op));
            let json = serde_json::to_value(op).unwrap();
            assert_eq!(json, op.as_str());
        }
        assert_eq!(Operator::parse("=="), None);
    }

    #[test]
    fn numbers_read_naturally() {
        assert_eq!(number(80.0), "80");
        assert_eq!(number(85.5), "85.5");
        assert_eq!(number(-0.25), "-0.25");
        assert_eq!(number(1.0 / 3.0), "0.3333");
        assert_eq!(number(-0.00001), "0");
        assert_eq!(number(1e20), "100000000000000000000");
    }
}
