//! The forecast as an RFC 5545 calendar (written by the `icalendar` crate): one event
//! per occurrence, in UTC, with a UID stable across refreshes (plan, asset and due time)
//! so calendar applications update events instead of duplicating them.

use chrono::{DateTime, Duration, Utc};
use icalendar::{Calendar, Component, Event, EventLike};

use super::gather::{Forecast, Item};
use crate::tickets::model::{format_number, PmTrigger};

/// Events without an estimated duration last this long.
const DEFAULT_MINUTES: i64 = 60;

/// The stable UID of an occurrence.
pub fn uid(f: &Forecast, i: &Item) -> String {
    format!(
        "{}-{}-{}@mainspring",
        f.plans[i.plan].id,
        f.assets[i.asset].id,
        i.due.at.timestamp()
    )
}

/// Render `items` (already filtered, in due order).
pub fn render(f: &Forecast, items: &[&Item], now: DateTime<Utc>) -> String {
    let mut cal = Calendar::new();
    cal.name("Mainspring preventive maintenance");
    for i in items {
        let plan = &f.plans[i.plan];
        let asset = &f.assets[i.asset];
        let minutes = plan.estimated_minutes.map_or(DEFAULT_MINUTES, i64::from);
        let mut text = Vec::new();
        if i.due.trigger == PmTrigger::Meter {
            text.push("Projected from the meter's average usage over the last 30 days.".to_owned());
        }
        if let Some((_, n)) = i.ticket {
            text.push(format!("Ticket {}", format_number(n)));
        }
        if let Some(kit) = f.kits.get(&plan.id) {
            for (k, short) in kit.iter().zip(&i.shortfall) {
                let status = if short.is_zero() {
                    "covered".to_owned()
                } else {
                    format!("short {}", short.normalize())
                };
                text.push(format!("{} × {} ({status})", k.quantity.normalize(), k.sku));
            }
        }
        let event = Event::new()
            .uid(&uid(f, i))
            .timestamp(now)
            .starts(i.due.at)
            .ends(i.due.at + Duration::minutes(minutes))
            .summary(&format!("{} — {}", plan.title, asset.label))
            .description(&text.join("\n"))
            .done();
        cal.push(event);
    }
    cal.done().to_string()
}
