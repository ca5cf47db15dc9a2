//! Dispatch (`/tickets/{id}/dispatch-suggestions`): which available technician should
//! take a ticket, ranked by a score whose every part is shown with the reason for it.
//!
//! `rank` holds the pure rules (`rank::rank`, `rank::locate`, unit-tested there);
//! [`candidates`] only gathers their inputs: the skills of the asset's model and the
//! ticket's own, the parts reserved for the ticket (or a plan's kit, for a ticket about
//! to open), and per technician the home site's site tree, open workload and van stock.
//! Nothing here writes.

use std::collections::HashMap;

use actix_web::{get, web};
use diesel::prelude::*;
use diesel::sql_types::{Array, Numeric, Uuid as SqlUuid};

use super::model::Status;
use super::store;
use crate::auth::policy::Staff;
use crate::auth::{guarded, Allowed};
use crate::db::types::TextList;
use crate::decimal::Quantity;
use crate::error::{AppError, AppResult};
use crate::http::docs::GetErrors;
use crate::http::AppState;
use crate::ids::{AssetId, PartId, SiteId, TechnicianId, TicketId, WarehouseId};
use crate::installed_base::technicians::{Availability, Technician};
use crate::schema::{assets, equipment_models, technicians, tickets};

pub mod rank;

pub use rank::*;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(dispatch_suggestions);
}

#[derive(QueryableByName)]
struct Root {
    #[diesel(sql_type = SqlUuid)]
    site_id: SiteId,
    #[diesel(sql_type = SqlUuid)]
    root_id: SiteId,
}

/// The top-level site above each of `sites` (itself when it has no parent).
fn roots(conn: &mut PgConnection, sites: Vec<SiteId>) -> QueryResult<HashMap<SiteId, SiteId>> {
    let rows: Vec<Root> = diesel::sql_query(
        "WITH RECURSIVE up(site_id, id, parent_id) AS (
             SELECT id, id, parent_id FROM sites WHERE id = ANY($1)
             UNION
             SELECT up.site_id, s.id, s.parent_id FROM sites s JOIN up ON s.id = up.parent_id
         ) SELECT site_id, id AS root_id FROM up WHERE parent_id IS NULL",
    )
    .bind::<Array<SqlUuid>, _>(sites)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.site_id, r.root_id)).collect())
}

#[derive(QueryableByName)]
struct VanStock {
    #[diesel(sql_type = SqlUuid)]
    warehouse_id: WarehouseId,
    #[diesel(sql_type = SqlUuid)]
    part_id: PartId,
    #[diesel(sql_type = Numeric)]
    available: Quantity,
}

/// What each of `vans` could give `ticket` of `parts`: its available stock plus what
/// it already holds for this ticket (that is reserved, but for this very job).
fn van_stock(
    conn: &mut PgConnection,
    ticket: TicketId,
    vans: Vec<WarehouseId>,
    parts: Vec<PartId>,
) -> QueryResult<HashMap<WarehouseId, HashMap<PartId, Quantity>>> {
    let rows: Vec<VanStock> = diesel::sql_query(
        "SELECT b.warehouse_id, b.part_id,
                b.on_hand - b.reserved + COALESCE((
                    SELECT sum(r.quantity) FROM stock_reservations r
                    WHERE r.ticket_id = $3 AND r.status = 'open'
                      AND r.part_id = b.part_id AND r.warehouse_id = b.warehouse_id), 0) AS available
         FROM stock_balances b
         WHERE b.warehouse_id = ANY($1) AND b.part_id = ANY($2)",
    )
    .bind::<Array<SqlUuid>, _>(vans)
    .bind::<Array<SqlUuid>, _>(parts)
    .bind::<SqlUuid, _>(ticket)
    .load(conn)?;
    let mut out: HashMap<WarehouseId, HashMap<PartId, Quantity>> = HashMap::new();
    for r in rows {
        out.entry(r.warehouse_id)
            .or_default()
            .insert(r.part_id, r.available);
    }
    Ok(out)
}

/// The parts reserved for `ticket` (held plus shortage of its open reservations, over
/// all warehouses), by SKU.
fn needs(conn: &mut PgConnection, ticket: TicketId) -> QueryResult<Vec<Need>> {
    diesel::sql_query(
        "SELECT r.part_id, p.sku, sum(r.quantity + r.shortage) AS needed
         FROM stock_reservations r JOIN parts p ON p.id = r.part_id
         WHERE r.ticket_id = $1 AND r.status = 'open'
         GROUP BY r.part_id, p.sku
         HAVING sum(r.quantity + r.shortage) > 0
         ORDER BY p.sku",
    )
    .bind::<SqlUuid, _>(ticket)
    .load(conn)
}

/// What a piece of work needs: skills besides those of the asset's model (a plan's),
/// and parts by SKU.
#[derive(Debug, Clone, Default)]
pub struct Needs {
    pub skills: Vec<String>,
    pub parts: Vec<Need>,
}

/// What an existing ticket needs: its own skills and its open reservations.
pub fn ticket_needs(conn: &mut PgConnection, ticket: TicketId) -> QueryResult<Needs> {
    let skills: TextList = tickets::table
        .find(ticket)
        .select(tickets::skills)
        .first::<Vec<Option<String>>>(conn)
        .optional()?
        .map(TextList::from)
        .unwrap_or_default();
    Ok(Needs {
        skills: skills.0,
        parts: needs(conn, ticket)?,
    })
}

/// The kit lines as needs, by SKU (for work not yet written, such as a PM ticket
/// about to open with its plan's kit).
pub fn kit_needs(conn: &mut PgConnection, kit: &[(PartId, Quantity)]) -> QueryResult<Vec<Need>> {
    let ids: Vec<PartId> = kit.iter().map(|k| k.0).collect();
    let skus: HashMap<PartId, String> = crate::schema::parts::table
        .filter(crate::schema::parts::id.eq_any(&ids))
        .select((crate::schema::parts::id, crate::schema::parts::sku))
        .load::<(PartId, String)>(conn)?
        .into_iter()
        .collect();
    let mut out: Vec<Need> = kit
        .iter()
        .filter_map(|(part_id, needed)| {
            Some(Need {
                part_id: *part_id,
                sku: skus.get(part_id)?.clone(),
                needed: *needed,
            })
        })
        .collect();
    out.sort_by(|a, b| a.sku.cmp(&b.sku));
    Ok(out)
}

/// The ranked suggestions for `ticket` on `asset` at `site` needing `work` (the ticket
/// need not be written yet: opening a ticket dispatches it before inserting it).
pub fn candidates(
    conn: &mut PgConnection,
    ticket: TicketId,
    asset: AssetId,
    site: SiteId,
    work: Needs,
) -> QueryResult<Vec<Suggestion>> {
    let model_skills: TextList = assets::table
        .inner_join(equipment_models::table)
        .filter(assets::id.eq(asset))
        .select(equipment_models::skills)
        .first::<Vec<Option<String>>>(conn)
        .optional()?
        .map(TextList::from)
        .unwrap_or_default();
    let mut skills = model_skills.0;
    skills.extend(work.skills);
    skills.sort();
    skills.dedup();
    let parts = work.parts;
    let techs: Vec<Technician> = technicians::table
        .filter(technicians::active.eq(true))
        .filter(technicians::availability.eq(Availability::Available))
        .select(Technician::as_select())
        .load(conn)?;
    let ids: Vec<TechnicianId> = techs.iter().map(|t| t.id).collect();
    let open: HashMap<TechnicianId, i64> = tickets::table
        .filter(tickets::assignee_id.eq_any(&ids))
        .filter(tickets::status.eq_any([Status::Assigned, Status::InProgress, Status::OnHold]))
        .filter(tickets::id.ne(ticket))
        .group_by(tickets::assignee_id)
        .select((tickets::assignee_id, diesel::dsl::count_star()))
        .load::<(Option<TechnicianId>, i64)>(conn)?
        .into_iter()
        .filter_map(|(t, n)| t.map(|t| (t, n)))
        .collect();
    let mut sites: Vec<SiteId> = techs.iter().filter_map(|t| t.home_site_id).collect();
    sites.push(site);
    let roots = roots(conn, sites)?;
    let root = |s: SiteId| roots.get(&s).copied().unwrap_or(s);
    let vans: Vec<WarehouseId> = techs.iter().filter_map(|t| t.van_warehouse_id).collect();
    let mut stock = if parts.is_empty() || vans.is_empty() {
        HashMap::new()
    } else {
        van_stock(
            conn,
            ticket,
            vans,
            parts.iter().map(|n| n.part_id).collect(),
        )?
    };
    let candidates = techs
        .into_iter()
        .map(|t| Candidate {
            location: locate((site, root(site)), t.home_site_id.map(|h| (h, root(h)))),
            open_tickets: open.get(&t.id).copied().unwrap_or(0),
            van: t
                .van_warehouse_id
                .map(|w| stock.remove(&w).unwrap_or_default()),
            id: t.id,
            name: t.name,
            skills: t.skills.0,
        })
        .collect();
    Ok(rank(&skills, &parts, candidates))
}

/// The suggestions for an existing ticket (404 when there is none).
pub fn suggest(conn: &mut PgConnection, id: TicketId) -> AppResult<DispatchSuggestions> {
    let t = store::find(conn, id)?.ok_or_else(|| AppError::not_found("ticket", id))?;
    let work = ticket_needs(conn, id)?;
    Ok(DispatchSuggestions {
        ticket_id: id,
        suggestions: candidates(conn, id, t.asset_id, t.site_id, work)?,
    })
}

/// Who should take a ticket: the active, available technicians, best first.
///
/// Each is scored out of 100 on the skills of the asset's equipment model (40 × the
/// share they have), where they are based (30 at the ticket's site, 15 elsewhere under
/// the same top-level site), their other open tickets (20 − 5 each) and whether their
/// van holds the parts reserved for the ticket (10 × the share it holds; 10 when none
/// are needed), with each part's points and reason. Closed and cancelled tickets are
/// answered too.
#[guarded]
#[utoipa::path(
    tag = "tickets",
    params(("id" = TicketId, Path, description = "Ticket id")),
    responses((status = 200, description = "The technicians, best first", body = DispatchSuggestions), GetErrors)
)]
#[get("/tickets/{id}/dispatch-suggestions")]
async fn dispatch_suggestions(
    _caller: Allowed<Staff>,
    state: web::Data<AppState>,
    id: web::Path<TicketId>,
) -> AppResult<web::Json<DispatchSuggestions>> {
    let id = id.into_inner();
    Ok(web::Json(
        state.db.run(move |conn| suggest(conn, id)).await?,
    ))
}
