//! The ticket lifecycle of DESIGN.md as pure rules: which states may follow which, and
//! what a transition needs. The store applies them under a row lock.

use super::model::{HoldReason, Status};

/// The states that may follow `from`.
pub fn allowed(from: Status) -> &'static [Status] {
    use Status::*;
    match from {
        Open => &[Assigned, OnHold, Cancelled],
        Assigned => &[InProgress, Open, OnHold, Cancelled],
        InProgress => &[OnHold, Resolved, Cancelled],
        OnHold => &[Assigned, InProgress, Cancelled],
        Resolved => &[Closed, InProgress],
        Closed | Cancelled => &[],
    }
}

/// What the ticket will look like, as far as a transition's preconditions go.
#[derive(Debug, Clone, Copy)]
pub struct Facts {
    pub category_is_complaint: bool,
    /// An assignee after the transition (the ticket's, or the one the request names).
    pub has_assignee: bool,
    pub hold_reason: Option<HoldReason>,
    pub has_resolution: bool,
    pub has_feedback: bool,
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not in the table: 409 naming the allowed targets.
    NotAllowed { allowed: Vec<Status> },
    /// The body lacks a field the target needs: 422 on that field.
    Missing {
        field: &'static str,
        reason: &'static str,
    },
    /// The ticket lacks something the target needs: 409.
    Unmet(&'static str),
}

/// Check a transition from `from` to `to`.
pub fn check(from: Status, to: Status, f: &Facts) -> Result<(), Refusal> {
    if !allowed(from).contains(&to) {
        return Err(Refusal::NotAllowed {
            allowed: allowed(from).to_vec(),
        });
    }
    match to {
        Status::Assigned | Status::InProgress if !f.has_assignee => Err(Refusal::Missing {
            field: "assignee_id",
            reason: "the ticket has no assignee: name one",
        }),
        Status::OnHold if f.hold_reason.is_none() => Err(Refusal::Missing {
            field: "hold_reason",
            reason: "say why the ticket waits: waiting_for_parts or waiting_for_customer",
        }),
        Status::Closed if !f.has_resolution => Err(Refusal::Unmet(
            "a ticket closes with a resolution: record it first (PATCH resolution, or give it here)",
        )),
        Status::Closed if f.category_is_complaint && !f.has_feedback => Err(Refusal::Unmet(
            "a complaint closes only after the customer's follow-up: POST /tickets/{id}/feedback first",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        Facts {
            category_is_complaint: false,
            has_assignee: true,
            hold_reason: Some(HoldReason::WaitingForParts),
            has_resolution: true,
            has_feedback: false,
        }
    }

    /// Every (state, target) pair: allowed exactly when DESIGN.md's table says so.
    #[test]
    fn the_table_is_total() {
        let table: &[(Status, &[Status])] = &[
            (
                Status::Open,
                &[Status::Assigned, Status::OnHold, Status::Cancelled],
            ),
            (
                Status::Assigned,
                &[
                    Status::InProgress,
                    Status::Open,
                    Status::OnHold,
                    Status::Cancelled,
                ],
            ),
            (
                Status::InProgress,
                &[Status::OnHold, Status::Resolved, Status::Cancelled],
            ),
            (
                Status::OnHold,
                &[Status::Assigned, Status::InProgress, Status::Cancelled],
            ),
            (Status::Resolved, &[Status::Closed, Status::InProgress]),
            (Status::Closed, &[]),
            (Status::Cancelled, &[]),
        ];
        for from in Status::ALL {
            let expected = table.iter().find(|(f, _)| f == from).unwrap().1;
            for to in Status::ALL {
                let result = check(*from, *to, &facts());
                if expected.contains(to) {
                    assert_eq!(result, Ok(()), "{from} → {to}");
                } else {
                    assert_eq!(
                        result,
                        Err(Refusal::NotAllowed {
                            allowed: expected.to_vec()
                        }),
                        "{from} → {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn preconditions_are_named() {
        let f = Facts {
            has_assignee: false,
            ..facts()
        };
        assert!(matches!(
            check(Status::Open, Status::Assigned, &f),
            Err(Refusal::Missing {
                field: "assignee_id",
                ..
            })
        ));
        let f = Facts {
            hold_reason: None,
            ..facts()
        };
        assert!(matches!(
            check(Status::Open, Status::OnHold, &f),
            Err(Refusal::Missing {
                field: "hold_reason",
                ..
            })
        ));
        let f = Facts {
            has_resolution: false,
            ..facts()
        };
        assert!(matches!(
            check(Status::Resolved, Status::Closed, &f),
            Err(Refusal::Unmet(_))
        ));
        let f = Facts {
            category_is_complaint: true,
            ..facts()
        };
        assert!(matches!(
            check(Status::Resolved, Status::Closed, &f),
            Err(Refusal::Unmet(_))
        ));
        let f = Facts {
            category_is_complaint: true,
            has_feedback: true,
            ..facts()
        };
        assert_eq!(check(Status::Resolved, Status::Closed, &f), Ok(()));
    }
}
