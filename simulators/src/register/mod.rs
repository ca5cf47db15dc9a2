//! `--register`: creates what the fleet needs through the REST API before it publishes
//! (customer, sites, one equipment model per profile, an asset per device, the devices,
//! and the scenario's rules), idempotently: what exists is found by name, serial
//! number or device id and reused, so registering twice changes nothing.

pub mod api;
pub mod rules;

use std::collections::{BTreeMap, HashMap};

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::emit::DeviceSim;
use crate::profile::{self, Profile, CYCLES_METRIC, RUNTIME_METRIC};
use crate::scenario::Scenario;
use api::{text, Api};

/// Up to this many missing assets are created one by one (with their meters); more go
/// through the CSV import, which is all-or-nothing and much faster.
const ONE_BY_ONE_UP_TO: usize = 200;
const CSV_CHUNK: usize = 5000;

/// What registration found or created.
#[derive(Debug, Default)]
pub struct Registered {
    pub customer_id: String,
    /// Equipment model id per profile key.
    pub models: HashMap<String, String>,
    /// Site id per site name.
    pub sites: BTreeMap<String, String>,
    /// Asset id per device index.
    pub assets: Vec<String>,
    pub assets_created: usize,
    /// Devices created or re-bound to their asset.
    pub devices_written: usize,
    pub rules_created: usize,
    pub rules_skipped: Option<String>,
}

/// Quotes a CSV field when it needs it.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

async fn find_or_create(
    api: &Api,
    path: &str,
    query: &[(&str, String)],
    matches: impl Fn(&Value) -> bool,
    body: Value,
) -> Result<String> {
    if let Some(found) = api.list_all(path, query).await?.iter().find(|v| matches(v)) {
        return text(found, "id");
    }
    let created = api
        .post(path, &body)
        .await
        .with_context(|| format!("creating {path} {body}"))?;
    text(&created, "id")
}

pub async fn register(api: &Api, s: &Scenario, devices: &[DeviceSim]) -> Result<Registered> {
    let mut out = Registered::default();
    let customer = &s.register.customer;
    out.customer_id = find_or_create(
        api,
        "customers",
        &[("name", customer.clone())],
        |v| v["name"] == customer.as_str(),
        json!({"name": customer, "notes": "Created by mainspring-sim"}),
    )
    .await?;

    // Sites, by (name, zone), in group order.
    let mut sites: BTreeMap<String, String> = BTreeMap::new();
    let site_of = |i: usize| {
        let g = s.group_of(i).expect("device in the fleet");
        (
            g.site.clone().unwrap_or_else(|| s.register.site.clone()),
            g.time_zone
                .clone()
                .unwrap_or_else(|| s.register.time_zone.clone()),
        )
    };
    for i in 0..devices.len() {
        let (name, zone) = site_of(i);
        if sites.contains_key(&name) {
            continue;
        }
        let id = find_or_create(
            api,
            "sites",
            &[("customer_id", out.customer_id.clone()), ("q", name.clone())],
            |v| v["name"] == name.as_str(),
            json!({"name": name, "customer_id": out.customer_id, "kind": "site", "time_zone": zone}),
        )
        .await?;
        sites.insert(name, id);
    }

    for g in &s.groups {
        let p = profile::find(&g.profile).expect("validated profile");
        if out.models.contains_key(p.key) {
            continue;
        }
        let id = find_or_create(
            api,
            "equipment-models",
            &[
                ("manufacturer", p.manufacturer.into()),
                ("q", p.model_number.into()),
            ],
            |v| v["model_number"] == p.model_number && v["manufacturer"] == p.manufacturer,
            json!({"manufacturer": p.manufacturer, "model_number": p.model_number, "name": p.name}),
        )
        .await?;
        out.models.insert(p.key.to_owned(), id);
    }

    // Assets: serial number = device id, one per device, found per model.
    let mut by_serial: HashMap<(String, String), String> = HashMap::new();
    for (key, model_id) in &out.models {
        for a in api
            .list_all("assets", &[("model_id", model_id.clone())])
            .await?
        {
            by_serial.insert((key.clone(), text(&a, "serial_number")?), text(&a, "id")?);
        }
    }
    let missing: Vec<usize> = (0..devices.len())
        .filter(|i| {
            !by_serial.contains_key(&(
                devices[*i].device.profile.key.to_owned(),
                devices[*i].id().to_owned(),
            ))
        })
        .collect();
    out.assets_created = missing.len();
    if missing.len() <= ONE_BY_ONE_UP_TO {
        for &i in &missing {
            let d = &devices[i];
            let body = asset_body(d, &out.models[d.device.profile.key], &sites[&site_of(i).0]);
            let created = api
                .post("assets", &body)
                .await
                .with_context(|| format!("creating asset {body}"))?;
            by_serial.insert(
                (d.device.profile.key.to_owned(), d.id().to_owned()),
                text(&created, "id")?,
            );
        }
    } else {
        for chunk in missing.chunks(CSV_CHUNK) {
            let mut csv = String::from("model_id,serial_number,site_id,name\n");
            for &i in chunk {
                let d = &devices[i];
                csv.push_str(&format!(
                    "{},{},{},{}\n",
                    out.models[d.device.profile.key],
                    csv_field(d.id()),
                    sites[&site_of(i).0],
                    csv_field(&asset_name(d.device.profile, d.id()))
                ));
            }
            api.post_csv("assets/import", csv)
                .await
                .context("importing assets")?;
        }
        for (key, model_id) in &out.models {
            for a in api
                .list_all("assets", &[("model_id", model_id.clone())])
                .await?
            {
                by_serial.insert((key.clone(), text(&a, "serial_number")?), text(&a, "id")?);
            }
        }
    }
    out.assets = devices
        .iter()
        .map(|d| by_serial[&(d.device.profile.key.to_owned(), d.id().to_owned())].clone())
        .collect();

    // Devices: bound already (same device_id, same asset) are left alone; the others go
    // through the CSV import, which updates a row whose device_id exists.
    let prefix = common_prefix(devices.iter().map(|d| d.id()));
    let query: Vec<(&str, String)> = if prefix.is_empty() {
        vec![]
    } else {
        vec![("q", prefix)]
    };
    let bound: HashMap<String, String> = api
        .list_all("devices", &query)
        .await?
        .iter()
        .filter_map(|d| Some((text(d, "device_id").ok()?, text(d, "asset_id").ok()?)))
        .collect();
    let todo: Vec<usize> = (0..devices.len())
        .filter(|i| bound.get(devices[*i].id()) != Some(&out.assets[*i]))
        .collect();
    out.devices_written = todo.len();
    for chunk in todo.chunks(CSV_CHUNK) {
        let mut csv = String::from("device_id,asset_id,name,active\n");
        for &i in chunk {
            let d = &devices[i];
            csv.push_str(&format!(
                "{},{},{},true\n",
                csv_field(d.id()),
                out.assets[i],
                csv_field(&format!("Simulated {}", d.device.profile.key))
            ));
        }
        api.post_csv("devices/import", csv)
            .await
            .context("importing devices")?;
    }

    match rules::ensure(api, s, &out).await {
        Ok(n) => out.rules_created = n,
        Err(e) if rules::is_missing_endpoint(&e) => {
            out.rules_skipped = Some(format!("the server has no rules endpoint yet ({e})"))
        }
        Err(e) => return Err(e.context("creating rules")),
    }
    out.sites = sites;
    Ok(out)
}

/// The longest prefix all ids share (narrows the device lookup).
fn common_prefix<'a>(mut ids: impl Iterator<Item = &'a str>) -> String {
    let Some(first) = ids.next() else {
        return String::new();
    };
    let mut len = first.len();
    for id in ids {
        len = first
            .bytes()
            .zip(id.bytes())
            .take(len)
            .take_while(|(a, b)| a == b)
            .count();
    }
    first[..len].to_owned()
}

fn asset_name(p: &Profile, device_id: &str) -> String {
    format!("{} {}", p.name, device_id)
}

fn asset_body(d: &DeviceSim, model_id: &str, site_id: &str) -> Value {
    let (runtime_h, cycles) = d.device.initial_counters();
    json!({
        "model_id": model_id,
        "serial_number": d.id(),
        "site_id": site_id,
        "name": asset_name(d.device.profile, d.id()),
        "meters": [
            {"name": RUNTIME_METRIC, "unit": "h", "value": runtime_h},
            {"name": CYCLES_METRIC, "unit": "starts", "value": cycles},
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefix_of_fleet_ids() {
        assert_eq!(
            common_prefix(["demo-000", "demo-011", "demo-002"].into_iter()),
            "demo-0"
        );
        assert_eq!(common_prefix(["a", "b"].into_iter()), "");
        assert_eq!(common_prefix(["only"].into_iter()), "only");
        assert_eq!(common_prefix(std::iter::empty()), "");
    }

    #[test]
    fn csv_fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(csv_field("plain-id"), "plain-id");
        assert_eq!(
            csv_field("Rotary filler, 24 valves"),
            "\"Rotary filler, 24 valves\""
        );
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn asset_body_names_the_device_and_starts_its_meters_at_the_device_counters() {
        let p = profile::find("compressor").unwrap();
        let dev = crate::device::Device::new(0, "c-1".into(), p, 0.0, 3);
        let (rt, cy) = dev.initial_counters();
        let sim = DeviceSim::new(
            dev,
            vec![],
            crate::emit::Cadence {
                batch: 1,
                interval_s: 1.0,
                ts_format: Default::default(),
            },
        );
        let b = asset_body(&sim, "m", "s");
        assert_eq!(b["serial_number"], "c-1");
        assert_eq!(b["model_id"], "m");
        assert_eq!(b["meters"][0]["name"], "runtime_h");
        assert_eq!(b["meters"][0]["value"], rt);
        assert_eq!(b["meters"][1]["value"], cy);
    }
}
