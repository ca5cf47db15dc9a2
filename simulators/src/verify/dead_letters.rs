//! `dead_letter` and `no_dead_letter`: what `GET /api/v1/dead-letters` holds from the
//! fleet's devices since registration (other devices' dead letters on a shared server
//! are not the scenario's).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Fleet, Outcome};

/// Dead letters since registration from `device`, or from any device of the fleet.
async fn from_fleet(fleet: &Fleet<'_>, device: Option<usize>) -> anyhow::Result<Vec<Value>> {
    let mut q = vec![("from", fleet.since.to_rfc3339())];
    if let Some(d) = device {
        q.push(("device_id", fleet.device_ids[d].clone()));
    }
    let all = fleet.api.list_all("dead-letters", &q).await?;
    Ok(all
        .into_iter()
        .filter(|l| {
            l["device_id"]
                .as_str()
                .is_some_and(|id| fleet.device_ids.iter().any(|d| d == id))
        })
        .collect())
}

/// `reason: n` per reason, with one detail each, for failure messages.
fn by_reason(letters: &[Value]) -> String {
    let mut counts: BTreeMap<&str, (usize, String)> = BTreeMap::new();
    for l in letters {
        let e = counts
            .entry(l["reason"].as_str().unwrap_or("?"))
            .or_insert((0, format!("{} {}", l["device_id"], l["detail"])));
        e.0 += 1;
    }
    if counts.is_empty() {
        return "none".into();
    }
    counts
        .iter()
        .map(|(r, (n, example))| format!("{r}: {n} (e.g. {example})"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Exactly `count` dead letters of `reason` (no dead letter at all when both are
/// `None`) from `device`, or from the whole fleet.
pub async fn count(
    fleet: &Fleet<'_>,
    reason: Option<&str>,
    count: Option<u32>,
    device: Option<usize>,
) -> Outcome {
    let letters = from_fleet(fleet, device).await?;
    let matching = letters
        .iter()
        .filter(|l| reason.is_none_or(|r| l["reason"] == r))
        .count();
    let wanted = count.unwrap_or(0) as usize;
    let whose = match device {
        Some(d) => fleet.device(d),
        None => "the fleet".into(),
    };
    let seen = format!(
        "{whose} caused {matching}{}; its dead letters by reason: {}",
        reason.map(|r| format!(" `{r}`")).unwrap_or_default(),
        by_reason(&letters)
    );
    Ok(if matching == wanted {
        Ok(seen)
    } else {
        Err(seen)
    })
}
