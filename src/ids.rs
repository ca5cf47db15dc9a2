//! Newtype ids: a `CustomerId` cannot be passed where an `AssetId` is expected.
//!
//! Every id is a UUIDv7 made by the application (time-ordered, so keyset pagination by
//! id is pagination by creation), stored as PostgreSQL `uuid`, serialised as a plain UUID
//! string, and documented in OpenAPI as `string`/`uuid`.

use diesel::deserialize::{FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{Output, ToSql};
use diesel::sql_types;

macro_rules! id_type {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, AsExpression, FromSqlRow,
        )]
        #[diesel(sql_type = sql_types::Uuid)]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }

        impl ToSql<sql_types::Uuid, Pg> for $name {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> diesel::serialize::Result {
                <uuid::Uuid as ToSql<sql_types::Uuid, Pg>>::to_sql(&self.0, out)
            }
        }

        impl FromSql<sql_types::Uuid, Pg> for $name {
            fn from_sql(bytes: PgValue<'_>) -> diesel::deserialize::Result<Self> {
                <uuid::Uuid as FromSql<sql_types::Uuid, Pg>>::from_sql(bytes).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                        utoipa::openapi::KnownFormat::Uuid,
                    )))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    )*};
}

id_type! {
    /// A customer (owner of installed equipment).
    CustomerId,
    /// A site, area or line.
    SiteId,
    /// An equipment model.
    ModelId,
    /// An installed asset.
    AssetId,
    /// A registered telemetry device (the record, not its MQTT `device_id`).
    DeviceRecordId,
    /// A technician.
    TechnicianId,
    /// An API key.
    KeyId,
    /// A warehouse (central store, service van, customer cabinet).
    WarehouseId,
    /// A spare part in the catalog.
    PartId,
    /// A stock movement (one line of the ledger).
    MovementId,
    /// A reservation of stock for a ticket.
    ReservationId,
    /// A posted stocktake.
    StocktakeId,
    /// A ticket (work order).
    TicketId,
    /// A maintenance plan.
    PlanId,
    /// A subscribed calendar feed (its read-only token).
    FeedId,
    /// A threshold or "no data" rule.
    RuleId,
}
