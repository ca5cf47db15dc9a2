//! A scenario turned into devices (ids, profiles, faults, cadence) and the devices
//! spread over MQTT connections: one per device for small fleets and for devices whose
//! Last Will must name them, gateways of many devices otherwise.

use anyhow::Result;

use crate::device::Device;
use crate::emit::{Cadence, DeviceSim};
use crate::ids::{self, IdParts};
use crate::profile;
use crate::scenario::Scenario;

/// Fleets up to this size get one connection per device when not told otherwise.
pub const AUTO_DEDICATED_UP_TO: usize = 100;
/// Devices per gateway connection for larger fleets when not told otherwise
/// (100,000 devices → 200 connections, far below one machine's ~28,000 local ports).
pub const AUTO_PER_GATEWAY: usize = 500;

/// The device ids of a scenario's fleet, in index order.
pub fn device_ids(s: &Scenario, seed: u64) -> Result<Vec<String>> {
    (0..s.device_count())
        .map(|n| {
            let profile = s.group_of(n).map(|g| g.profile.as_str()).unwrap_or("");
            ids::expand(
                &s.id_pattern,
                IdParts {
                    n,
                    scenario: &s.name,
                    profile,
                    seed,
                },
            )
        })
        .collect()
}

/// Every device of the scenario with its faults; the same seed gives the same fleet.
pub fn build(s: &Scenario, seed: u64) -> Result<Vec<DeviceSim>> {
    let cadence = Cadence {
        batch: s.batch,
        interval_s: s.interval_ms as f64 / 1000.0,
        ts_format: s.ts_format,
    };
    let ids = device_ids(s, seed)?;
    Ok(ids
        .into_iter()
        .enumerate()
        .map(|(n, id)| {
            let g = s.group_of(n).expect("index within the fleet");
            let p = profile::find(&g.profile).expect("validated profile");
            let device =
                Device::new(n, id, p, g.utc_offset_h, seed).with_extra_metrics(s.extra_metrics);
            DeviceSim::new(device, s.faults_for(n), cadence)
        })
        .collect())
}

/// One MQTT connection: its client id, the devices it carries, and the status topic
/// id its Last Will names (the device itself, or the gateway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnPlan {
    pub client_id: String,
    pub devices: Vec<usize>,
    /// `true` when the connection carries several devices as a gateway: its Last Will
    /// marks the gateway offline, and each device's own status is published by it.
    pub gateway: bool,
}

/// Devices per connection: `per_connection` when given, else by fleet size.
pub fn per_connection(requested: Option<usize>, total: usize) -> usize {
    match requested {
        Some(n) => n.max(1),
        None if total <= AUTO_DEDICATED_UP_TO => 1,
        None => AUTO_PER_GATEWAY,
    }
}

/// Spreads devices over connections. Devices flagged in `own` (a silence that drops
/// the connection, so the broker must fire *their* Last Will) always get their own.
/// Gateway ids come from `gateway_pattern` (`{n}` is the gateway number).
pub fn plan(
    ids: &[String],
    own: &[bool],
    per_connection: usize,
    gateway_pattern: &str,
    scenario: &str,
    seed: u64,
) -> Result<Vec<ConnPlan>> {
    let mut plans = Vec::new();
    let mut shared = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        if per_connection <= 1 || own.get(i).copied().unwrap_or(false) {
            plans.push(ConnPlan {
                client_id: id.clone(),
                devices: vec![i],
                gateway: false,
            });
        } else {
            shared.push(i);
        }
    }
    for (n, chunk) in shared.chunks(per_connection.max(1)).enumerate() {
        let client_id = ids::expand(
            gateway_pattern,
            IdParts {
                n,
                scenario,
                profile: "gateway",
                seed,
            },
        )?;
        plans.push(ConnPlan {
            client_id,
            devices: chunk.to_vec(),
            gateway: true,
        });
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("d{i}")).collect()
    }

    #[test]
    fn small_fleets_get_a_connection_per_device_and_large_ones_gateways() {
        assert_eq!(per_connection(None, 100), 1);
        assert_eq!(per_connection(None, 101), AUTO_PER_GATEWAY);
        assert_eq!(per_connection(Some(0), 5), 1);
        assert_eq!(per_connection(Some(50), 5), 50);
    }

    #[test]
    fn dedicated_connections_use_the_device_id_as_client_id() {
        let p = plan(&ids(3), &[false; 3], 1, "gw-{n}", "s", 0).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[2],
            ConnPlan {
                client_id: "d2".into(),
                devices: vec![2],
                gateway: false
            }
        );
    }

    #[test]
    fn gateways_share_connections_in_chunks() {
        let p = plan(&ids(10), &[false; 10], 4, "{scenario}-gw-{n:02}", "demo", 0).unwrap();
        assert_eq!(p.len(), 3);
        assert!(p.iter().all(|c| c.gateway));
        assert_eq!(p[0].client_id, "demo-gw-00");
        assert_eq!(p[2].devices, vec![8, 9]);
    }

    #[test]
    fn devices_whose_will_must_name_them_get_their_own_connection_in_gateway_mode() {
        let mut own = vec![false; 6];
        own[4] = true;
        let p = plan(&ids(6), &own, 10, "gw-{n}", "s", 0).unwrap();
        assert_eq!(
            p[0],
            ConnPlan {
                client_id: "d4".into(),
                devices: vec![4],
                gateway: false
            }
        );
        assert_eq!(p[1].devices, vec![0, 1, 2, 3, 5]);
    }

    #[test]
    fn a_hundred_thousand_devices_fit_in_two_hundred_connections() {
        let n = 100_000;
        let p = plan(
            &ids(n),
            &vec![false; n],
            per_connection(None, n),
            "gw-{n}",
            "s",
            0,
        )
        .unwrap();
        assert_eq!(p.len(), 200);
        assert_eq!(p.iter().map(|c| c.devices.len()).sum::<usize>(), n);
    }
}
