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
