//! The pure ranking of dispatch: how each factor scores a technician for a ticket and
//! the reason shown for it. No I/O; `super` gathers the inputs.

use std::cmp::Ordering;
use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::{Numeric, Text, Uuid as SqlUuid};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::decimal::Quantity;
use crate::ids::{PartId, SiteId, TechnicianId, TicketId};

/// The most points the share of needed skills brings.
pub const SKILL_POINTS: f64 = 40.0;
/// Points for a home site that is the ticket's site.
pub const SAME_SITE_POINTS: f64 = 30.0;
/// Points for a home site elsewhere in the ticket's site tree.
pub const SAME_TREE_POINTS: f64 = 15.0;
/// Points for no other open ticket; each one takes [`POINTS_PER_OPEN_TICKET`] away.
pub const WORKLOAD_POINTS: f64 = 20.0;
pub const POINTS_PER_OPEN_TICKET: f64 = 5.0;
/// The most points the share of needed parts in the van brings.
pub const VAN_POINTS: f64 = 10.0;

/// Where a technician is based, seen from the ticket's site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Location {
    /// The home site is the ticket's site.
    SameSite,
    /// The home site is another site, area or line under the same top-level site
    /// (a parent, child or sibling of the ticket's site, or further).
    SameSiteTree,
    /// The home site is under another top-level site.
    Elsewhere,
    /// The technician has no home site.
    Unknown,
}

/// A part the ticket needs: what its open reservations hold and still lack.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct Need {
    #[diesel(sql_type = SqlUuid)]
    pub part_id: PartId,
    #[diesel(sql_type = Text)]
    pub sku: String,
    #[diesel(sql_type = Numeric)]
    pub needed: Quantity,
}

/// A technician as the ranking sees them.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: TechnicianId,
    pub name: String,
    pub skills: Vec<String>,
    pub location: Location,
    /// Their other tickets that are assigned, in progress or on hold.
    pub open_tickets: i64,
    /// `None`: no van. Otherwise what the van could give this ticket, per part (absent
    /// parts: none).
    pub van: Option<HashMap<PartId, Quantity>>,
}

/// A part the technician's van cannot give in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MissingPart {
    pub part_id: PartId,
    #[schema(example = "BRG-6204-2RS")]
    pub sku: String,
    /// Reserved for the ticket (held plus shortage).
    #[schema(example = "2")]
    pub needed: Quantity,
    /// What the van could give the ticket: its available stock plus what it already
    /// holds for this ticket.
    #[schema(example = "1")]
    pub available: Quantity,
}

/// The points of each factor; they add up to `score`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"skills": 40.0, "location": 15.0, "workload": 15.0, "van": 10.0}))]
pub struct ScoreParts {
    /// Up to 40: 40 × the share of needed skills the technician has.
    pub skills: f64,
    /// 30 same site, 15 same site tree, 0 elsewhere or unknown.
    pub location: f64,
    /// 20 − 5 per other open ticket, at least 0.
    pub workload: f64,
    /// Up to 10: 10 × the share of needed parts the van holds; 10 when the ticket needs
    /// no parts; 0 without a van.
    pub van: f64,
}

/// One technician, scored for the ticket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"technician_id": "0193a4b2-7c1e-7d2a-9f00-4a2b3c4d5e6f", "name": "Ana Lima",
    "score": 80.0, "score_parts": {"skills": 40.0, "location": 15.0, "workload": 15.0, "van": 10.0},
    "skills_matched": ["hydraulics"], "missing_skills": [], "location": "same_site_tree", "open_tickets": 1,
    "van_covers_parts": true, "missing_parts": [],
    "reasons": ["skills 40/40: has every skill the model needs (hydraulics)",
                "location 15/30: based in the ticket's site tree, not at its site",
                "workload 15/20: 1 other open ticket",
                "van 10/10: the van holds every part reserved for the ticket"]}))]
pub struct Suggestion {
    pub technician_id: TechnicianId,
    pub name: String,
    /// 0 to 100, the sum of `score_parts`, rounded to two decimals.
    pub score: f64,
    pub score_parts: ScoreParts,
    /// The needed skills (those of the asset's equipment model) the technician has.
    pub skills_matched: Vec<String>,
    /// The needed skills the technician lacks.
    pub missing_skills: Vec<String>,
    pub location: Location,
    /// Their other tickets that are assigned, in progress or on hold.
    pub open_tickets: i64,
    /// Whether their van holds every part reserved for the ticket; `null` when the ticket
    /// needs no parts or the technician has no van.
    pub van_covers_parts: Option<bool>,
    /// The reserved parts the van cannot give in full.
    pub missing_parts: Vec<MissingPart>,
    /// One line per factor: its points and why.
    pub reasons: Vec<String>,
}

/// The available technicians for a ticket, best first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DispatchSuggestions {
    pub ticket_id: TicketId,
    /// Active, available technicians by score (highest first), then fewer open tickets,
    /// then name.
    pub suggestions: Vec<Suggestion>,
}

/// Where a technician's home site (with its top-level site) is, seen from the ticket's
/// site (with its top-level site).
pub fn locate(ticket: (SiteId, SiteId), home: Option<(SiteId, SiteId)>) -> Location {
    match home {
        None => Location::Unknown,
        Some((site, _)) if site == ticket.0 => Location::SameSite,
        Some((_, root)) if root == ticket.1 => Location::SameSiteTree,
        Some(_) => Location::Elsewhere,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `n` of `of` as points out of `max` (all of them when nothing is needed).
fn share(n: usize, of: usize, max: f64) -> f64 {
    if of == 0 {
        max
    } else {
        round2(max * n as f64 / of as f64)
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Score one technician for a job needing `skills` and `parts`.
pub fn score(skills: &[String], parts: &[Need], c: Candidate) -> Suggestion {
    let (skills_matched, missing_skills): (Vec<String>, Vec<String>) =
        skills.iter().cloned().partition(|s| c.skills.contains(s));
    let skill_points = share(skills_matched.len(), skills.len(), SKILL_POINTS);
    let skill_reason = if skills.is_empty() {
        "the model needs no particular skill".to_owned()
    } else if missing_skills.is_empty() {
        format!(
            "has every skill the model needs ({})",
            skills_matched.join(", ")
        )
    } else {
        format!(
            "has {} of the {} skills the model needs; lacks {}",
            skills_matched.len(),
            skills.len(),
            missing_skills.join(", ")
        )
    };

    let (location_points, location_reason) = match c.location {
        Location::SameSite => (SAME_SITE_POINTS, "based at the ticket's site"),
        Location::SameSiteTree => (
            SAME_TREE_POINTS,
            "based in the ticket's site tree, not at its site",
        ),
        Location::Elsewhere => (0.0, "based under another top-level site"),
        Location::Unknown => (0.0, "has no home site"),
    };

    let open = c.open_tickets.max(0);
    let workload_points = (WORKLOAD_POINTS - POINTS_PER_OPEN_TICKET * open as f64).max(0.0);
    let workload_reason = if open == 0 {
        "no other open ticket".to_owned()
    } else {
        plural(open, "other open ticket", "other open tickets")
    };

    let (van_covers_parts, missing_parts, van_points, van_reason) = match (&c.van, parts) {
        (_, []) => (
            None,
            vec![],
            VAN_POINTS,
            "the ticket needs no parts".to_owned(),
        ),
        (None, _) => (
            None,
            vec![],
            0.0,
            format!(
                "no van to bring the {} the ticket needs",
                plural(parts.len() as i64, "part", "parts")
            ),
        ),
        (Some(stock), _) => {
            let missing: Vec<MissingPart> = parts
                .iter()
                .filter_map(|n| {
                    let available = stock.get(&n.part_id).copied().unwrap_or_default();
                    (available < n.needed).then(|| MissingPart {
                        part_id: n.part_id,
                        sku: n.sku.clone(),
                        needed: n.needed,
                        available,
                    })
                })
                .collect();
            let points = share(parts.len() - missing.len(), parts.len(), VAN_POINTS);
            let reason = if missing.is_empty() {
                "the van holds every part reserved for the ticket".to_owned()
            } else {
                format!(
                    "the van lacks {}",
                    missing
                        .iter()
                        .map(|m| format!("{} (needs {}, has {})", m.sku, m.needed, m.available))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            (Some(missing.is_empty()), missing, points, reason)
        }
    };

    let score_parts = ScoreParts {
        skills: skill_points,
        location: location_points,
        workload: workload_points,
        van: van_points,
    };
    Suggestion {
        technician_id: c.id,
        name: c.name,
        score: round2(skill_points + location_points + workload_points + van_points),
        reasons: vec![
            format!("skills {skill_points}/{SKILL_POINTS}: {skill_reason}"),
            format!("location {location_points}/{SAME_SITE_POINTS}: {location_reason}"),
            format!("workload {workload_points}/{WORKLOAD_POINTS}: {workload_reason}"),
            format!("van {van_points}/{VAN_POINTS}: {van_reason}"),
        ],
        score_parts,
        skills_matched,
        missing_skills,
        location: c.location,
        open_tickets: open,
        van_covers_parts,
        missing_parts,
    }
}

/// Score every candidate and order them: highest score, then fewer open tickets, then
/// name (then id, so the order is always the same).
pub fn rank(skills: &[String], parts: &[Need], candidates: Vec<Candidate>) -> Vec<Suggestion> {
    let mut out: Vec<Suggestion> = candidates
        .into_iter()
        .map(|c| score(skills, parts, c))
        .collect();
    out.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(Ordering::Equal)
            .then(a.open_tickets.cmp(&b.open_tickets))
            .then_with(|| a.name.cmp(&b.name))
            .then(a.technician_id.cmp(&b.technician_id))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(n: u128) -> SiteId {
        SiteId(uuid::Uuid::from_u128(n))
    }

    fn part(n: u128) -> PartId {
        PartId(uuid::Uuid::from_u128(n))
    }

    fn q(s: &str) -> Quantity {
        s.parse().unwrap()
    }

    fn skills(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn tech(name: &str, has: &[&str]) -> Candidate {
        Candidate {
            id: TechnicianId::new(),
            name: name.into(),
            skills: skills(has),
            location: Location::Elsewhere,
            open_tickets: 0,
            van: None,
        }
    }

    fn need(n: u128, sku: &str, qty: &str) -> Need {
        Need {
            part_id: part(n),
            sku: sku.into(),
            needed: q(qty),
        }
    }

    #[test]
    fn locations_are_same_site_then_same_tree_then_elsewhere() {
        let ticket = (site(2), site(1));
        assert_eq!(locate(ticket, Some((site(2), site(1)))), Location::SameSite);
        assert_eq!(
            locate(ticket, Some((site(1), site(1)))),
            Location::SameSiteTree,
            "the parent"
        );
        assert_eq!(
            locate(ticket, Some((site(3), site(1)))),
            Location::SameSiteTree,
            "a sibling"
        );
        assert_eq!(
            locate(ticket, Some((site(9), site(9)))),
            Location::Elsewhere
        );
        assert_eq!(locate(ticket, None), Location::Unknown);
    }

    #[test]
    fn skills_score_by_the_share_covered_and_name_what_is_missing() {
        let need = skills(&["electrical", "hydraulics", "pneumatics"]);
        let s = score(&need, &[], tech("A", &["hydraulics", "welding"]));
        assert_eq!(s.skills_matched, ["hydraulics"]);
        assert_eq!(s.missing_skills, ["electrical", "pneumatics"]);
        assert_eq!(s.score_parts.skills, 13.33);
        assert!(s.reasons[0].starts_with("skills 13.33/40: has 1 of the 3"));
        assert!(s.reasons[0].ends_with("lacks electrical, pneumatics"));
        let all = score(
            &need,
            &[],
            tech("B", &["electrical", "hydraulics", "pneumatics"]),
        );
        assert_eq!(all.score_parts.skills, 40.0);
        assert!(all.missing_skills.is_empty());
        let none_needed = score(&[], &[], tech("C", &[]));
        assert_eq!(none_needed.score_parts.skills, 40.0);
    }

    #[test]
    fn workload_loses_five_points_per_open_ticket_down_to_zero() {
        for (open, points) in [(0, 20.0), (1, 15.0), (3, 5.0), (4, 0.0), (9, 0.0)] {
            let mut c = tech("A", &[]);
            c.open_tickets = open;
            let s = score(&[], &[], c);
            assert_eq!(s.score_parts.workload, points, "{open} open");
            assert_eq!(s.open_tickets, open);
        }
    }

    #[test]
    fn the_van_covers_the_parts_or_says_which_it_lacks() {
        let parts = [need(1, "BRG-1", "2"), need(2, "SEAL-1", "1")];
        let mut full = tech("A", &[]);
        full.van = Some(HashMap::from([(part(1), q("5")), (part(2), q("1"))]));
        let s = score(&[], &parts, full);
        assert_eq!(s.van_covers_parts, Some(true));
        assert!(s.missing_parts.is_empty());
        assert_eq!(s.score_parts.van, 10.0);

        let mut short = tech("B", &[]);
        short.van = Some(HashMap::from([(part(1), q("1.5"))]));
        let s = score(&[], &parts, short);
        assert_eq!(s.van_covers_parts, Some(false));
        assert_eq!(s.score_parts.van, 0.0);
        assert_eq!(
            s.missing_parts,
            [
                MissingPart {
                    part_id: part(1),
                    sku: "BRG-1".into(),
                    needed: q("2"),
                    available: q("1.5")
                },
                MissingPart {
                    part_id: part(2),
                    sku: "SEAL-1".into(),
                    needed: q("1"),
                    available: Quantity::ZERO
                },
            ]
        );
        assert_eq!(
            s.reasons[3],
            "van 0/10: the van lacks BRG-1 (needs 2, has 1.5), SEAL-1 (needs 1, has 0)"
        );

        let mut half = tech("C", &[]);
        half.van = Some(HashMap::from([(part(2), q("1"))]));
        assert_eq!(score(&[], &parts, half).score_parts.van, 5.0);
    }

    #[test]
    fn without_parts_or_without_a_van_coverage_is_null() {
        let mut with_van = tech("A", &[]);
        with_van.van = Some(HashMap::new());
        let s = score(&[], &[], with_van);
        assert_eq!((s.van_covers_parts, s.score_parts.van), (None, 10.0));
        let s = score(&[], &[need(1, "BRG-1", "1")], tech("B", &[]));
        assert_eq!((s.van_covers_parts, s.score_parts.van), (None, 0.0));
        assert!(s.missing_parts.is_empty());
        assert_eq!(
            s.reasons[3],
            "van 0/10: no van to bring the 1 part the ticket needs"
        );
    }

    #[test]
    fn the_score_is_the_sum_of_its_parts_with_a_reason_for_each() {
        let mut c = tech("A", &["hydraulics"]);
        c.location = Location::SameSiteTree;
        c.open_tickets = 1;
        let s = score(&skills(&["hydraulics"]), &[], c);
        assert_eq!(s.score, 40.0 + 15.0 + 15.0 + 10.0);
        assert_eq!(
            s.reasons,
            [
                "skills 40/40: has every skill the model needs (hydraulics)",
                "location 15/30: based in the ticket's site tree, not at its site",
                "workload 15/20: 1 other open ticket",
                "van 10/10: the ticket needs no parts",
            ]
        );
    }

    #[test]
    fn ranking_is_by_score_then_fewer_open_tickets_then_name() {
        let need = skills(&["hydraulics"]);
        let mut best = tech("Zoe", &["hydraulics"]);
        best.location = Location::SameSite;
        let bea = tech("Bea", &["hydraulics"]); // 40 + 0 + 20 + 10
        let mut dan = tech("Dan", &["hydraulics"]); // 40 + 15 + 5 + 10: Bea's score, busier
        dan.location = Location::SameSiteTree;
        dan.open_tickets = 3;
        let mut ana = tech("Ana", &["hydraulics"]); // 40 + 0 + 10 + 10
        ana.open_tickets = 2;
        let mut cem = tech("Cem", &["hydraulics"]); // as Ana: by name
        cem.open_tickets = 2;
        let unskilled = tech("Al", &[]); // 0 + 0 + 20 + 10
        let order: Vec<String> = rank(&need, &[], vec![unskilled, cem, dan, ana, bea, best])
            .into_iter()
            .map(|s| format!("{} {}", s.name, s.score))
            .collect();
        assert_eq!(
            order,
            ["Zoe 100", "Bea 70", "Dan 70", "Ana 60", "Cem 60", "Al 30"]
        );
    }
}
