//! Column types shared by features: JSON documents in `jsonb` and text arrays.

use std::fmt::Debug;
use std::io::Write;

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types::Jsonb;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A value stored as `jsonb`, typed on the Rust side.
#[derive(Debug, Clone, PartialEq, Default, FromSqlRow, AsExpression, Serialize, Deserialize)]
#[diesel(sql_type = Jsonb)]
#[serde(transparent)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + Debug> FromSql<Jsonb, Pg> for Json<T> {
    fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let value = <serde_json::Value as FromSql<Jsonb, Pg>>::from_sql(bytes)?;
        Ok(Json(serde_json::from_value(value)?))
    }
}

impl<T: Serialize + Debug> ToSql<Jsonb, Pg> for Json<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
        out.write_all(&[1])?; // jsonb binary format version
        serde_json::to_writer(out, &self.0)?;
        Ok(diesel::serialize::IsNull::No)
    }
}

/// A `text[]` column read as strings (PostgreSQL array elements are nullable; the
/// application never writes NULL elements, and any found are skipped).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TextList(pub Vec<String>);

impl From<Vec<Option<String>>> for TextList {
    fn from(v: Vec<Option<String>>) -> Self {
        TextList(v.into_iter().flatten().collect())
    }
}

impl utoipa::PartialSchema for TextList {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        <Vec<String> as utoipa::PartialSchema>::schema()
    }
}

impl utoipa::ToSchema for TextList {}

/// A Rust enum stored as `text` (the table's CHECK constraint lists the same names) and
/// serialised as the same names, which must be the snake_case of the variants (serde's
/// `rename_all` gives the JSON and OpenAPI names; a unit test checks they agree):
/// `text_enum! { /// doc \n pub enum Kind { Central = "central", Van = "van" } }`.
#[macro_export]
macro_rules! text_enum {
    ($(#[$doc:meta])* pub enum $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash,
            serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            diesel::expression::AsExpression, diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<$name> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                $name::parse(s).ok_or_else(|| {
                    let names: Vec<&str> = $name::ALL.iter().map(|v| v.as_str()).collect();
                    format!("`{s}` is not one of {}", names.join(", "))
                })
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
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

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $name {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(bytes)?;
                $name::parse(&s).ok_or_else(|| format!("unknown {} `{s}`", stringify!($name)).into())
            }
        }
    };
}
