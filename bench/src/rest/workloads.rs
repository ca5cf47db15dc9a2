//! What the load runs request, written to files oha picks from at random: ticket list
//! pages for many sites, the urgent queue, stock movement bodies (receipts at the
//! central stores and transfers to vans, each a valid movement of its own), and the
//! 90-day forecast.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Numeric, Text, Uuid as SqlUuid};
use diesel::PgConnection;
use mainspring::decimal::Money;
use mainspring::ids::{PartId, SiteId, WarehouseId};

use super::oha::Target;

/// One endpoint under load.
pub struct Workload {
    pub name: &'static str,
    pub endpoint: String,
    pub data: String,
    pub target: Target,
    pub rate: f64,
    pub connections: usize,
    pub notes: String,
}

/// The forecast's window, fixed for the whole run.
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn ninety_days() -> Self {
        let from = Utc::now();
        Window {
            from,
            to: from + Duration::days(90),
        }
    }

    pub fn url(&self, base: &str) -> String {
        format!(
            "{base}/api/v1/schedule?from={}&to={}&limit=50",
            self.from.format("%Y-%m-%dT%H:%M:%SZ"),
            self.to.format("%Y-%m-%dT%H:%M:%SZ")
        )
    }
}

#[derive(QueryableByName)]
struct Site {
    #[diesel(sql_type = SqlUuid)]
    id: SiteId,
}

#[derive(QueryableByName)]
struct Receipt {
    #[diesel(sql_type = SqlUuid)]
    part_id: PartId,
    #[diesel(sql_type = SqlUuid)]
    warehouse_id: WarehouseId,
    #[diesel(sql_type = Numeric)]
    unit_cost: Money,
    #[diesel(sql_type = Text)]
    supplier: String,
}

#[derive(QueryableByName)]
struct Transfer {
    #[diesel(sql_type = SqlUuid)]
    part_id: PartId,
    #[diesel(sql_type = SqlUuid)]
    from_id: WarehouseId,
    #[diesel(sql_type = SqlUuid)]
    to_id: WarehouseId,
}

/// Rates and duration chosen on the command line.
pub struct Rates {
    pub list: f64,
    pub movements: f64,
    pub forecast: f64,
}

pub fn prepare(
    conn: &mut PgConnection,
    dir: &Path,
    base: &str,
    window: &Window,
    rates: &Rates,
    tickets: i64,
    assets: i64,
) -> anyhow::Result<Vec<Workload>> {
    std::fs::create_dir_all(dir)?;
    let sites: Vec<Site> = diesel::sql_query(
        "SELECT id FROM sites WHERE parent_id IS NULL ORDER BY hashtext(id::text) LIMIT 200",
    )
    .load(conn)?;
    let open = "open,assigned,in_progress,on_hold";
    let site_urls: String = sites
        .iter()
        .map(|s| {
            format!(
                "{base}/api/v1/tickets?status={open}&site_id={}&limit=50\n",
                s.id
            )
        })
        .collect();
    let site_file = write(dir, "tickets-by-site.txt", &site_urls)?;
    let queue_file = write(
        dir,
        "tickets-urgent-queue.txt",
        &format!("{base}/api/v1/tickets?priority=urgent&status={open}&sort=due&limit=50\n"),
    )?;
    let forecast_file = write(dir, "forecast.txt", &format!("{}\n", window.url(base)))?;
    let bodies = write(dir, "movements.jsonl", &movement_bodies(conn)?)?;
    let stored = format!("{} tickets", thousands(tickets));
    Ok(vec![
        Workload {
            name: "tickets-site",
            endpoint: format!("GET /api/v1/tickets?status={open}&site_id=…&limit=50"),
            data: stored.clone(),
            target: Target::Get { urls: site_file },
            rate: rates.list,
            connections: 50,
            notes: format!(
                "a plant's open work (the plant and its areas), {} plants at random",
                sites.len()
            ),
        },
        Workload {
            name: "tickets-urgent",
            endpoint: format!(
                "GET /api/v1/tickets?priority=urgent&status={open}&sort=due&limit=50"
            ),
            data: stored,
            target: Target::Get { urls: queue_file },
            rate: rates.list,
            connections: 50,
            notes: "the urgent queue across all sites, soonest due first".into(),
        },
        Workload {
            name: "movements",
            endpoint: "POST /api/v1/stock/movements".into(),
            data: "the seeded ledger and balances".into(),
            target: Target::Post {
                url: format!("{base}/api/v1/stock/movements"),
                bodies,
            },
            rate: rates.movements,
            connections: 50,
            notes:
                "receipts at central stores (3 in 4) and transfers to vans, 2,000 distinct bodies"
                    .into(),
        },
        Workload {
            name: "forecast",
            endpoint: "GET /api/v1/schedule?from=…&to=… (90 days, limit 50)".into(),
            data: format!("{} assets", thousands(assets)),
            target: Target::Get {
                urls: forecast_file,
            },
            rate: rates.forecast,
            connections: 10,
            notes: "the whole forecast is computed for every request".into(),
        },
    ])
}

/// 1,500 receipts (random part and central store, 1–20 units at about the part's cost)
/// and 500 transfers of one unit from well-stocked central balances to a van.
fn movement_bodies(conn: &mut PgConnection) -> anyhow::Result<String> {
    let receipts: Vec<Receipt> = diesel::sql_query(
        "SELECT b.part_id, b.warehouse_id, p.unit_cost, s.supplier
         FROM stock_balances b JOIN warehouses w ON w.id = b.warehouse_id AND w.kind = 'central'
         JOIN parts p ON p.id = b.part_id JOIN part_suppliers s ON s.part_id = p.id AND s.position = 0
         ORDER BY hashtext(b.part_id::text || b.warehouse_id::text) LIMIT 1500",
    )
    .load(conn)?;
    let transfers: Vec<Transfer> = diesel::sql_query(
        "SELECT b.part_id, b.warehouse_id AS from_id,
                (SELECT id FROM warehouses v WHERE v.kind = 'van'
                 ORDER BY hashtext(v.id::text || b.part_id::text) LIMIT 1) AS to_id
         FROM stock_balances b JOIN warehouses w ON w.id = b.warehouse_id AND w.kind = 'central'
         WHERE b.on_hand - b.reserved >= 20
         ORDER BY hashtext(b.warehouse_id::text || b.part_id::text) LIMIT 500",
    )
    .load(conn)?;
    anyhow::ensure!(
        receipts.len() == 1500 && transfers.len() == 500,
        "not enough stock to build the movement bodies ({} receipts, {} transfers)",
        receipts.len(),
        transfers.len()
    );
    let mut out = String::new();
    for (i, r) in receipts.iter().enumerate() {
        let body = serde_json::json!({
            "kind": "receipt",
            "part_id": r.part_id,
            "warehouse_id": r.warehouse_id,
            "quantity": (1 + i % 20).to_string(),
            "unit_cost": r.unit_cost.to_string(),
            "supplier": r.supplier,
            "reference": format!("DN-BENCH-{:05}", i + 1),
        });
        let _ = writeln!(out, "{body}");
        if i % 3 == 2 {
            let t = &transfers[i / 3];
            let body = serde_json::json!({
                "kind": "transfer",
                "part_id": t.part_id,
                "from_warehouse_id": t.from_id,
                "to_warehouse_id": t.to_id,
                "quantity": "1",
                "reference": format!("TR-BENCH-{:05}", i / 3 + 1),
            });
            let _ = writeln!(out, "{body}");
        }
    }
    Ok(out)
}

fn write(dir: &Path, name: &str, text: &str) -> anyhow::Result<PathBuf> {
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    Ok(path)
}

/// 1000000 → "1,000,000".
pub fn thousands(n: i64) -> String {
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_are_separated_by_commas() {
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(-4_000), "-4,000");
    }
}
