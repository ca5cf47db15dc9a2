//! The demo's believable installed base beyond what the simulated fleet registers
//! itself: stores and service vans, two technicians, spare parts with suppliers, stock
//! (some of it below its reorder point) and preventive-maintenance plans, some due
//! soon. Everything goes through the REST API, as a customer's own integration would.

use anyhow::{Context, Result};
use chrono::{Duration, Utc};
use mainspring_sim::register::api::Api;
use mainspring_sim::register::Registered;
use serde_json::{json, Value};

fn id(v: &Value) -> Result<String> {
    v["id"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no id in {v}"))
}

/// A part in the catalog: SKU, name, unit cost, criticality, the profiles it fits.
struct PartSpec {
    sku: &'static str,
    name: &'static str,
    cost: &'static str,
    criticality: &'static str,
    fits: &'static [&'static str],
    /// On hand at each central store, and the reorder point there.
    stock: u32,
    reorder_point: u32,
}

const PARTS: &[PartSpec] = &[
    PartSpec {
        sku: "FLT-OIL-10",
        name: "Oil filter 10 µm",
        cost: "18.50",
        criticality: "essential",
        fits: &["compressor", "pump"],
        stock: 12,
        reorder_point: 6,
    },
    PartSpec {
        sku: "BRG-6205",
        name: "Deep groove ball bearing 6205-2RS",
        cost: "9.80",
        criticality: "vital",
        fits: &["pump", "compressor", "chiller"],
        stock: 3,
        reorder_point: 8,
    },
    PartSpec {
        sku: "SEAL-MECH-35",
        name: "Mechanical seal 35 mm",
        cost: "142.00",
        criticality: "vital",
        fits: &["pump"],
        stock: 2,
        reorder_point: 2,
    },
    PartSpec {
        sku: "BELT-SPA-1250",
        name: "V-belt SPA 1250",
        cost: "14.20",
        criticality: "essential",
        fits: &["compressor"],
        stock: 20,
        reorder_point: 5,
    },
    PartSpec {
        sku: "REF-R134A-12",
        name: "Refrigerant R134a, 12 kg",
        cost: "210.00",
        criticality: "essential",
        fits: &["chiller"],
        stock: 4,
        reorder_point: 2,
    },
    PartSpec {
        sku: "NOZ-FILL-08",
        name: "Filling nozzle 8 mm",
        cost: "36.90",
        criticality: "desirable",
        fits: &["filler"],
        stock: 30,
        reorder_point: 10,
    },
];

/// What the seed made, for the banner and for the plans.
pub struct Seeded {
    pub stores: Vec<String>,
    pub plans: usize,
}

/// Seed what the fleet did not register. Idempotence is not needed: a demo starts on
/// a fresh database every time.
pub async fn seed(api: &Api, reg: &Registered) -> Result<Seeded> {
    // a central store per site, serving it
    let mut stores = Vec::new();
    for (n, (site_name, site_id)) in reg.sites.iter().enumerate() {
        let code = format!("STORE-{}", n + 1);
        let store = api
            .post(
                "warehouses",
                &json!({"code": code, "name": format!("{site_name} store"), "kind": "central", "site_id": site_id}),
            )
            .await?;
        let store = id(&store)?;
        api.patch(
            &format!("sites/{site_id}"),
            &json!({"serving_warehouse_id": store}),
        )
        .await?;
        stores.push(store);
    }
    // two technicians with vans, one per site
    let people = [
        ("Ana Keller", ["mechanical", "refrigeration"]),
        ("Ben Ortiz", ["mechanical", "electrical"]),
    ];
    for (n, (name, skills)) in people.iter().enumerate() {
        let van = api
            .post(
                "warehouses",
                &json!({"code": format!("VAN-{}", n + 1), "name": format!("{name}'s van"), "kind": "van"}),
            )
            .await?;
        let home = reg.sites.values().nth(n % reg.sites.len().max(1)).cloned();
        api.post(
            "technicians",
            &json!({"name": name, "skills": skills, "home_site_id": home, "van_warehouse_id": id(&van)?}),
        )
        .await?;
    }
    // parts, their suppliers, stock and reorder points
    let mut part_ids = std::collections::HashMap::new();
    for p in PARTS {
        let fits: Vec<&String> = p.fits.iter().filter_map(|f| reg.models.get(*f)).collect();
        let part = api
            .post(
                "parts",
                &json!({"sku": p.sku, "name": p.name, "unit_cost": p.cost, "criticality": p.criticality,
                        "category": "spares", "compatible_model_ids": fits,
                        "suppliers": [{"supplier": "Nordic Industrial Supply", "supplier_sku": format!("NIS-{}", p.sku),
                                       "lead_time_days": 5, "price": p.cost, "min_order_qty": "1"}]}),
            )
            .await?;
        let part_id = id(&part)?;
        for store in &stores {
            api.post(
                "stock/movements",
                &json!({"kind": "receipt", "part_id": part_id, "warehouse_id": store,
                        "quantity": p.stock.to_string(), "unit_cost": p.cost}),
            )
            .await?;
            api.patch(
                &format!("stock/balances/{part_id}/{store}"),
                &json!({"reorder_point": p.reorder_point.to_string(),
                        "reorder_quantity": (2 * p.reorder_point).to_string()}),
            )
            .await?;
        }
        part_ids.insert(p.sku, part_id);
    }
    let kit = |items: &[(&str, u32)]| -> Vec<Value> {
        items
            .iter()
            .filter_map(|(sku, q)| {
                part_ids
                    .get(sku)
                    .map(|p| json!({"part_id": p, "quantity": q.to_string()}))
            })
            .collect()
    };
    // plans: quarterly services falling due this week (their tickets open on the first
    // scheduler tick, within a minute), a weekly inspection, and meter-based services
    let soon = (Utc::now() + Duration::days(2)).date_naive();
    let mut plans = Vec::new();
    if let Some(m) = reg.models.get("compressor") {
        plans.push(json!({"title": "Quarterly compressor service", "model_id": m,
            "calendar": {"every": 3, "unit": "months", "anchor": soon, "at": "08:00"}, "lead_days": 7,
            "checklist": ["Replace oil filter", "Check belt tension", "Drain condensate"],
            "parts": kit(&[("FLT-OIL-10", 1), ("BELT-SPA-1250", 1)]), "estimated_minutes": 90,
            "skills": ["mechanical"], "priority": "normal"}));
        plans.push(
            json!({"title": "Compressor service every 2,000 h", "model_id": m,
            "meter": {"name": "runtime_h", "every": 2000}, "parts": kit(&[("BRG-6205", 2)]),
            "estimated_minutes": 180, "skills": ["mechanical"]}),
        );
    }
    if let Some(m) = reg.models.get("pump") {
        plans.push(json!({"title": "Pump inspection", "model_id": m,
            "calendar": {"cron": "0 7 * * 1"}, "lead_days": 7,
            "checklist": ["Listen for bearing noise", "Check seal for leaks"], "estimated_minutes": 30}));
        plans.push(json!({"title": "Pump seal and bearings every 4,000 h", "model_id": m,
            "meter": {"name": "runtime_h", "every": 4000},
            "parts": kit(&[("SEAL-MECH-35", 1), ("BRG-6205", 2)]), "estimated_minutes": 240, "priority": "urgent"}));
    }
    if let Some(m) = reg.models.get("chiller") {
        plans.push(json!({"title": "Chiller refrigerant check", "model_id": m,
            "calendar": {"every": 1, "unit": "months", "anchor": soon, "at": "10:00", "mode": "floating"},
            "lead_days": 5, "parts": kit(&[("REF-R134A-12", 1)]), "skills": ["refrigeration"]}));
    }
    if let Some(m) = reg.models.get("filler") {
        plans.push(json!({"title": "Filler nozzle change", "model_id": m,
            "calendar": {"every": 6, "unit": "weeks", "anchor": soon, "at": "06:00"}, "lead_days": 3,
            "parts": kit(&[("NOZ-FILL-08", 4)])}));
    }
    for p in &plans {
        api.post("maintenance-plans", p).await?;
    }
    Ok(Seeded {
        stores,
        plans: plans.len(),
    })
}
