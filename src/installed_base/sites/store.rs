//! Site queries and the rules that need the database: the parent, customer and serving
//! warehouse must exist, a sub-site shares its parent's customer, and no site moves
//! under itself.

use diesel::prelude::*;
use diesel::sql_types::Uuid as SqlUuid;

use super::model::{Site, SiteKind, SiteRow};
use crate::db::sql::{contains_pattern, lower};
use crate::error::{AppError, AppResult};
use crate::ids::{CustomerId, SiteId, WarehouseId};
use crate::installed_base::customers;
use crate::inventory::warehouses;
use crate::schema::sites;
use crate::validate::Errors;

/// A site as it should become, before its references are checked.
#[derive(Debug, Clone)]
pub struct Draft {
    pub name: String,
    pub customer_id: Option<CustomerId>,
    pub parent_id: Option<SiteId>,
    pub kind: Option<SiteKind>,
    pub time_zone: Option<String>,
    pub address: Option<String>,
    /// `None`: not given, so a sub-site takes its parent's (a new site); `Some(w)`:
    /// exactly `w` (a change, or a new site that names one).
    pub serving_warehouse_id: Option<Option<WarehouseId>>,
}

/// Check a draft against the database. `this` is the site being changed, if any.
pub fn resolve(conn: &mut PgConnection, d: Draft, this: Option<SiteId>) -> AppResult<SiteRow> {
    let mut e = Errors::new();
    let name = e.text("name", &d.name, 200);
    let address = e.opt_text("address", d.address.as_deref(), 500);
    let parent = match d.parent_id {
        Some(p) => {
            let found = find(conn, p)?;
            if found.is_none() {
                e.add("parent_id", format!("no site {p}"));
            }
            found
        }
        None => None,
    };
    if let (Some(this), Some(p)) = (this, d.parent_id) {
        if subtree(conn, this)?.contains(&p) {
            e.add(
                "parent_id",
                "a site cannot move under itself or one of its own sub-sites",
            );
        }
    }
    if let Some(c) = d.customer_id {
        if !customers::store::exists(conn, c)? {
            e.add("customer_id", format!("no customer {c}"));
        }
    }
    let customer_id = match (&parent, d.customer_id) {
        (Some(p), Some(c)) if p.customer_id != Some(c) => {
            e.add("customer_id", "a sub-site belongs to its parent's customer");
            Some(c)
        }
        (Some(p), _) => p.customer_id,
        (None, c) => c,
    };
    let time_zone = match (&d.time_zone, &parent) {
        (Some(tz), _) => e.time_zone("time_zone", tz),
        (None, Some(p)) => p.time_zone.clone(),
        (None, None) if d.parent_id.is_some() => String::new(), // the parent error says it
        (None, None) => {
            e.add(
                "time_zone",
                "required for a top-level site (an IANA name such as Europe/Berlin)",
            );
            String::new()
        }
    };
    if let Some(Some(w)) = d.serving_warehouse_id {
        if !warehouses::store::exists(conn, w)? {
            e.add("serving_warehouse_id", format!("no warehouse {w}"));
        }
    }
    let serving_warehouse_id = match (d.serving_warehouse_id, &parent) {
        (Some(w), _) => w,
        (None, Some(p)) => p.serving_warehouse_id,
        (None, None) => None,
    };
    let kind = d.kind.unwrap_or(if parent.is_some() {
        SiteKind::Area
    } else {
        SiteKind::Site
    });
    e.finish()?;
    Ok(SiteRow {
        customer_id,
        parent_id: d.parent_id,
        name,
        kind: kind.as_str().to_owned(),
        time_zone,
        address,
        serving_warehouse_id,
    })
}

pub fn insert(conn: &mut PgConnection, id: SiteId, row: &SiteRow) -> AppResult<Site> {
    Ok(diesel::insert_into(sites::table)
        .values((sites::id.eq(id), row))
        .returning(Site::as_returning())
        .get_result(conn)?)
}

pub fn find(conn: &mut PgConnection, id: SiteId) -> QueryResult<Option<Site>> {
    sites::table
        .find(id)
        .select(Site::as_select())
        .first(conn)
        .optional()
}

pub fn get(conn: &mut PgConnection, id: SiteId) -> AppResult<Site> {
    find(conn, id)?.ok_or_else(|| AppError::not_found("site", id))
}

pub fn lock(conn: &mut PgConnection, id: SiteId) -> AppResult<Site> {
    sites::table
        .find(id)
        .select(Site::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("site", id))
}

/// Overwrite a site (bumping its version). A new customer is carried down to every
/// sub-site, so the whole subtree always belongs to one customer.
pub fn write(conn: &mut PgConnection, id: SiteId, row: &SiteRow) -> AppResult<Site> {
    let site: Site = diesel::update(sites::table.find(id))
        .set((
            row,
            sites::version.eq(sites::version + 1),
            sites::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Site::as_returning())
        .get_result(conn)?;
    let below: Vec<SiteId> = subtree(conn, id)?
        .into_iter()
        .filter(|s| *s != id)
        .collect();
    diesel::update(
        sites::table
            .filter(sites::id.eq_any(&below))
            .filter(sites::customer_id.is_distinct_from(row.customer_id)),
    )
    .set((
        sites::customer_id.eq(row.customer_id),
        sites::version.eq(sites::version + 1),
        sites::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)?;
    Ok(site)
}

pub fn delete(conn: &mut PgConnection, id: SiteId) -> AppResult<()> {
    if diesel::delete(sites::table.find(id)).execute(conn)? == 0 {
        return Err(AppError::not_found("site", id));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    id: SiteId,
}

/// `root` and every site below it (empty when `root` does not exist).
pub fn subtree(conn: &mut PgConnection, root: SiteId) -> QueryResult<Vec<SiteId>> {
    let rows: Vec<IdRow> = diesel::sql_query(
        "WITH RECURSIVE t(id) AS (
             SELECT id FROM sites WHERE id = $1
             UNION
             SELECT s.id FROM sites s JOIN t ON s.parent_id = t.id
         ) SELECT id FROM t",
    )
    .bind::<SqlUuid, _>(root)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

#[derive(Debug, Default, Clone)]
pub struct SiteFilter {
    pub q: Option<String>,
    pub customer_id: Option<CustomerId>,
    pub parent_id: Option<SiteId>,
    pub top_level: Option<bool>,
    /// This site and everything below it.
    pub under: Option<SiteId>,
    pub kind: Option<SiteKind>,
    pub serving_warehouse_id: Option<WarehouseId>,
}

pub fn list(
    conn: &mut PgConnection,
    f: &SiteFilter,
    after: Option<SiteId>,
    limit: i64,
) -> QueryResult<Vec<Site>> {
    let mut q = sites::table
        .select(Site::as_select())
        .order(sites::id)
        .into_boxed();
    if let Some(text) = &f.q {
        q = q.filter(lower(sites::name).like(contains_pattern(text)));
    }
    if let Some(c) = f.customer_id {
        q = q.filter(sites::customer_id.eq(c));
    }
    if let Some(p) = f.parent_id {
        q = q.filter(sites::parent_id.eq(p));
    }
    match f.top_level {
        Some(true) => q = q.filter(sites::parent_id.is_null()),
        Some(false) => q = q.filter(sites::parent_id.is_not_null()),
        None => {}
    }
    if let Some(root) = f.under {
        q = q.filter(sites::id.eq_any(subtree(conn, root)?));
    }
    if let Some(kind) = f.kind {
        q = q.filter(sites::kind.eq(kind.as_str()));
    }
    if let Some(w) = f.serving_warehouse_id {
        q = q.filter(sites::serving_warehouse_id.eq(w));
    }
    if let Some(after) = after {
        q = q.filter(sites::id.gt(after));
    }
    q.limit(limit).load(conn)
}
