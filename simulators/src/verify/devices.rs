//! `device_status` (`GET /api/v1/assets/{id}/telemetry/latest`: the status the server
//! last recorded from the device's status topic) and `meter_reset` (the asset's meter
//! and the readings telemetry recorded for it, `GET /api/v1/assets/{id}` and
//! `…/meter-readings`).

use anyhow::{anyhow, Result};
use serde_json::Value;

use super::{Fleet, Outcome};

/// `device_status`: the server last recorded `status` (`online`/`offline`).
pub async fn status(fleet: &Fleet<'_>, device: usize, status: &str) -> Outcome {
    let latest = fleet
        .api
        .get(&format!("assets/{}/telemetry/latest", fleet.assets[device]))
        .await?;
    let id = &fleet.device_ids[device];
    let entry = latest["devices"]
        .as_array()
        .and_then(|ds| ds.iter().find(|d| d["device_id"] == id.as_str()))
        .ok_or_else(|| anyhow!("the asset's latest telemetry lists no device {id}: {latest}"))?;
    let recorded = match entry["online"].as_bool() {
        Some(true) => "online",
        Some(false) => "offline",
        None => "no status",
    };
    let seen = format!("{} shows {recorded}: {entry}", fleet.device(device));
    Ok(if recorded == status {
        Ok(seen)
    } else {
        Err(seen)
    })
}

/// (time, value) of the meter readings telemetry recorded since registration, in time
/// order.
async fn telemetry_readings(
    fleet: &Fleet<'_>,
    asset: &str,
    meter: &str,
) -> Result<Vec<(String, f64)>> {
    let rows = fleet
        .api
        .list_all(
            &format!("assets/{asset}/meter-readings"),
            &[
                ("meter", meter.to_owned()),
                ("from", fleet.since.to_rfc3339()),
            ],
        )
        .await?;
    Ok(rows
        .iter()
        .filter(|r| r["source"] == "telemetry")
        .filter_map(|r| Some((r["read_at"].as_str()?.to_owned(), r["value"].as_f64()?)))
        .collect())
}

/// What is wrong with a meter's telemetry readings (in time order) and its value (read
/// just before them), if a counter reset among them is not shown as one. Pure.
pub fn reset_problem(readings: &[(String, f64)], current: Option<f64>) -> Option<String> {
    if let Some((at, v)) = readings.iter().find(|(_, v)| *v < 0.0) {
        return Some(format!("a negative reading {v} at {at}"));
    }
    let Some(drop) = readings.windows(2).position(|w| w[1].1 < w[0].1) else {
        return Some(format!(
            "no reading below the one before it among the {} recorded from telemetry \
             (the server records at most one per MAINSPRING_METER_SAMPLE_SECONDS)",
            readings.len()
        ));
    };
    let after = &readings[drop + 1..];
    if let Some(w) = after.windows(2).find(|w| w[1].1 < w[0].1) {
        return Some(format!(
            "the counter went down again after the reset: {} at {} then {} at {}",
            w[0].1, w[0].0, w[1].1, w[1].0
        ));
    }
    // read before the readings, so the fleet may have added newer ones since
    if !current.is_some_and(|c| after.iter().any(|r| r.1 == c)) {
        return Some(format!(
            "the meter shows {current:?}, not a reading since the reset ({} at {})",
            after[0].1, after[0].0
        ));
    }
    None
}

/// `meter_reset`: the meter's telemetry readings drop once (the reset) and count up
/// again from there, the meter shows a post-reset value, and the device
/// caused no dead letter: a reset, not bad input.
pub async fn meter_reset(fleet: &Fleet<'_>, device: usize, meter: &str) -> Outcome {
    let asset_id = &fleet.assets[device];
    let asset = fleet.api.get(&format!("assets/{asset_id}")).await?;
    let readings = telemetry_readings(fleet, asset_id, meter).await?;
    let current = asset["meters"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["name"] == meter))
        .map(|m: &Value| m["value"].as_f64())
        .ok_or_else(|| anyhow!("asset {asset_id} has no meter `{meter}`"))?;
    if let Some(p) = reset_problem(&readings, current) {
        return Ok(Err(format!("{}: {p}", fleet.device(device))));
    }
    let seen = format!(
        "{}: {} readings from telemetry, the meter at {current:?}",
        fleet.device(device),
        readings.len()
    );
    Ok(
        match super::dead_letters::count(fleet, None, None, Some(device)).await? {
            Ok(_) => Ok(seen),
            Err(why) => Err(format!("{seen}, but {why}")),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rs(values: &[f64]) -> Vec<(String, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("t{i}"), *v))
            .collect()
    }

    #[test]
    fn a_drop_then_counting_on_is_a_reset() {
        let r = rs(&[100.0, 100.5, 0.0, 0.5, 1.0]);
        assert_eq!(reset_problem(&r, Some(1.0)), None);
        assert_eq!(reset_problem(&r, Some(0.5)), None, "read a moment before");
    }

    #[test]
    fn no_drop_a_second_drop_a_stale_meter_or_a_negative_value_are_not() {
        let never = reset_problem(&rs(&[1.0, 2.0]), Some(2.0)).unwrap();
        assert!(never.contains("no reading below"), "{never}");
        let twice = reset_problem(&rs(&[5.0, 0.0, 1.0, 0.5]), Some(0.5)).unwrap();
        assert!(twice.contains("went down again"), "{twice}");
        let stale = reset_problem(&rs(&[5.0, 0.0, 1.0]), Some(5.0)).unwrap();
        assert!(stale.contains("meter shows Some(5.0)"), "{stale}");
        assert!(reset_problem(&rs(&[5.0, 0.0, 1.0]), None).is_some());
        let negative = reset_problem(&rs(&[5.0, -1.0]), Some(-1.0)).unwrap();
        assert!(negative.contains("negative"), "{negative}");
    }
}
