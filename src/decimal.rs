//! Exact decimal amounts: [`Quantity`] (three places: litres, metres, kilograms) and
//! [`Money`] (four places). Never floating point.
//!
//! On the wire they are JSON strings (`"2.5"`), so no client's float parsing rounds
//! them; requests may also send plain JSON numbers, which are read from their shortest
//! decimal form (`0.1` is exactly 0.1). In PostgreSQL they are `numeric(16,3)` and
//! `numeric(18,4)`; a value with more places or digits than the column holds is refused
//! with a 422 before it reaches the database.

use std::fmt;
use std::str::FromStr;

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Numeric;
use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

macro_rules! decimal_type {
    ($(#[$doc:meta])* $name:ident, scale = $scale:expr, digits = $digits:expr, pattern = $pattern:expr, example = $example:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Numeric)]
        pub struct $name(pub Decimal);

        impl $name {
            /// Most decimal places.
            pub const SCALE: u32 = $scale;
            /// Most digits before the decimal point.
            pub const INTEGER_DIGITS: u32 = $digits;
            pub const ZERO: $name = $name(Decimal::ZERO);

            /// Checks places and magnitude; the error says what is wrong.
            pub fn new(value: Decimal) -> Result<Self, String> {
                let value = value.normalize();
                if value.scale() > Self::SCALE {
                    return Err(format!("at most {} decimal places", Self::SCALE));
                }
                if value.abs() >= Decimal::from(10i64.pow(Self::INTEGER_DIGITS)) {
                    return Err(format!("at most {} digits before the decimal point", Self::INTEGER_DIGITS));
                }
                Ok(Self(value))
            }

            pub fn is_zero(self) -> bool {
                self.0.is_zero()
            }

            pub fn is_positive(self) -> bool {
                self.0 > Decimal::ZERO
            }

            pub fn is_negative(self) -> bool {
                self.0 < Decimal::ZERO
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.normalize().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let d = Decimal::from_str_exact(s.trim())
                    .map_err(|_| format!("`{s}` is not a decimal number such as {}", $example))?;
                Self::new(d)
            }
        }

        impl From<i32> for $name {
            fn from(n: i32) -> Self {
                Self(Decimal::from(n))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = d.deserialize_any(DecimalVisitor)?;
                raw.and_then($name::new).map_err(de::Error::custom)
            }
        }

        impl ToSql<Numeric, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
                <Decimal as ToSql<Numeric, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<Numeric, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <Decimal as FromSql<Numeric, Pg>>::from_sql(bytes).map(|d| Self(d.normalize()))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some($pattern))
                    .description(Some(concat!(
                        "An exact decimal as a string (a JSON number is accepted too); at most ",
                        stringify!($scale), " decimal places."
                    )))
                    .examples([serde_json::json!($example)])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

decimal_type! {
    /// A quantity of a part, in the part's unit: up to 13 digits and 3 decimal places.
    Quantity, scale = 3, digits = 13, pattern = r"^-?[0-9]{1,13}(\.[0-9]{1,3})?$", example = "2.5"
}

decimal_type! {
    /// An amount of money (a unit cost, a price, a value): up to 14 digits and 4 places.
    Money, scale = 4, digits = 14, pattern = r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$", example = "12.75"
}

/// Reads a decimal from a JSON string or number, leaving range checks to the caller.
struct DecimalVisitor;

impl de::Visitor<'_> for DecimalVisitor {
    type Value = Result<Decimal, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number (as a string such as \"2.5\" or a JSON number)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Decimal::from_str_exact(v.trim())
            .map_err(|_| format!("`{v}` is not a decimal number such as \"2.5\"")))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Ok(Decimal::from(v)))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Ok(Decimal::from(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Rust prints the shortest decimal that reads back as the same float: 0.1 → "0.1"
        Ok(Decimal::from_str_exact(&v.to_string())
            .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
            .map_err(|_| format!("{v} is out of range")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(json: &str) -> Result<Quantity, String> {
        serde_json::from_str::<Quantity>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn strings_and_numbers_are_read_exactly() {
        assert_eq!(q("\"2.5\"").unwrap().to_string(), "2.5");
        assert_eq!(q("0.1").unwrap().to_string(), "0.1");
        assert_eq!(q("3").unwrap().to_string(), "3");
        assert_eq!(q("\"2.500\"").unwrap().to_string(), "2.5");
        assert_eq!(
            serde_json::to_string(&q("1.25").unwrap()).unwrap(),
            "\"1.25\""
        );
    }

    #[test]
    fn too_many_places_or_digits_are_refused() {
        assert!(q("\"0.0001\"").unwrap_err().contains("3 decimal places"));
        assert!(q("1e20").unwrap_err().contains("digits"));
        assert!(q("\"abc\"").unwrap_err().contains("not a decimal"));
        assert!(q("true").is_err());
        assert!("12.34567".parse::<Money>().is_err());
        assert_eq!("12.3456".parse::<Money>().unwrap().to_string(), "12.3456");
    }
}
