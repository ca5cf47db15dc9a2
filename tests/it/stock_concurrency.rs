//! The stock invariants under real concurrency and under long random sequences:
//! nothing goes negative, no update is lost, `on_hand` is the sum of the ledger and
//! `reserved` the sum of the open reservations, after every step.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use futures_util::future::join_all;
use mainspring::decimal::Quantity;
use mainspring::ids::{PartId, TicketId, WarehouseId};
use mainspring::inventory::stock::{ledger, movement::NewMovement, reservation};
use serde_json::json;

use crate::inventory_support::{level, part, receive, ticket, warehouse};
use crate::support::TestApp;

#[actix_web::test]
async fn concurrent_issues_of_the_last_units_succeed_exactly_as_often_as_there_are_units() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "5", "1").await;
    let mut tickets = Vec::new();
    for _ in 0..16 {
        tickets.push(ticket(&app).await);
    }
    let requests = tickets.iter().map(|t| {
        app.post(
            "/api/v1/stock/movements",
            json!({"kind": "issue", "part_id": p, "warehouse_id": w, "quantity": "1", "ticket_id": t}),
        )
    });
    let results = join_all(requests).await;
    let ok = results.iter().filter(|(s, _)| s.as_u16() == 201).count();
    let refused = results.iter().filter(|(s, _)| s.as_u16() == 409).count();
    assert_eq!((ok, refused), (5, 11), "{results:?}");
    assert_eq!(
        level(&app, &p, &w).await,
        ("0".into(), "0".into(), "0".into())
    );
    assert_invariants(&mut app.conn());
}

#[actix_web::test]
async fn concurrent_reservations_never_promise_more_than_is_there() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "4", "1").await;
    let mut tickets = Vec::new();
    for _ in 0..10 {
        tickets.push(ticket(&app).await);
    }
    let requests = tickets.iter().map(|t| {
        app.post(
            "/api/v1/stock/reservations",
            json!({"ticket_id": t, "part_id": p, "warehouse_id": w, "quantity": "1"}),
        )
    });
    let results = join_all(requests).await;
    let ok = results.iter().filter(|(s, _)| s.as_u16() == 201).count();
    assert_eq!(ok, 4, "{results:?}");
    assert!(results.iter().all(|(s, _)| matches!(s.as_u16(), 201 | 409)));
    assert_eq!(level(&app, &p, &w).await.1, "4");
    assert_invariants(&mut app.conn());
}

#[actix_web::test]
async fn opposite_transfers_at_once_neither_deadlock_nor_lose_stock() {
    let app = TestApp::start().await;
    let (a, b, p) = (
        warehouse(&app, "A").await,
        warehouse(&app, "B").await,
        part(&app, "P-1").await,
    );
    receive(&app, &p, &a, "10", "1").await;
    receive(&app, &p, &b, "10", "1").await;
    let requests = (0..20).map(|i| {
        let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        app.post(
            "/api/v1/stock/movements",
            json!({"kind": "transfer", "part_id": p, "from_warehouse_id": from, "to_warehouse_id": to, "quantity": "1"}),
        )
    });
    let results = join_all(requests).await;
    assert!(
        results.iter().all(|(s, _)| s.as_u16() == 201),
        "{results:?}"
    );
    assert_eq!(level(&app, &p, &a).await.0, "10");
    assert_eq!(level(&app, &p, &b).await.0, "10");
    assert_invariants(&mut app.conn());
}

/// Every balance agrees with its ledger and reservations, and nothing is negative.
fn assert_invariants(conn: &mut PgConnection) {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let broken: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM stock_balances b
         WHERE b.on_hand <> COALESCE((SELECT sum(m.quantity) FROM stock_movements m
                                      WHERE m.part_id = b.part_id AND m.warehouse_id = b.warehouse_id), 0)
            OR b.reserved <> COALESCE((SELECT sum(r.quantity) FROM stock_reservations r
                                       WHERE r.part_id = b.part_id AND r.warehouse_id = b.warehouse_id
                                         AND r.status = 'open'), 0)
            OR b.on_hand < 0 OR b.reserved < 0 OR b.reserved > b.on_hand",
    )
    .get_result(conn)
    .unwrap();
    assert_eq!(
        broken.n, 0,
        "balances disagree with the ledger or reservations"
    );
}

/// A small deterministic generator (xorshift), so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn quantity(&mut self) -> Quantity {
        // 0.5 to 6 in steps of 0.5, sometimes with a third decimal
        let halves = self.below(12) + 1;
        let extra = if self.below(5) == 0 { "0.125" } else { "0" };
        let q: rust_decimal::Decimal = rust_decimal::Decimal::from(halves)
            / rust_decimal::Decimal::from(2)
            + extra.parse::<rust_decimal::Decimal>().unwrap();
        Quantity::new(q).unwrap()
    }
}

#[actix_web::test]
async fn long_random_sequences_keep_every_balance_equal_to_its_ledger() {
    let app = TestApp::start().await;
    let whs: Vec<WarehouseId> = vec![
        warehouse(&app, "A").await.parse().unwrap(),
        warehouse(&app, "B").await.parse().unwrap(),
    ];
    let parts: Vec<PartId> = vec![
        part(&app, "P-1").await.parse().unwrap(),
        part(&app, "P-2").await.parse().unwrap(),
    ];
    let mut tickets: Vec<TicketId> = Vec::new();
    for _ in 0..4 {
        tickets.push(ticket(&app).await.parse().unwrap());
    }
    let mut conn = app.conn();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // the expected on_hand per balance, following only what succeeded
    let mut model: HashMap<(PartId, WarehouseId), rust_decimal::Decimal> = HashMap::new();
    let (mut ok, mut refused) = (0, 0);
    for step in 0..600 {
        let p = parts[rng.below(2) as usize];
        let w = whs[rng.below(2) as usize];
        let other = whs.iter().copied().find(|x| *x != w).unwrap();
        let t = tickets[rng.below(4) as usize];
        let q = rng.quantity();
        let op = rng.below(9);
        let result = conn.transaction(
            |conn| -> Result<
                Vec<(PartId, WarehouseId, rust_decimal::Decimal)>,
                mainspring::error::AppError,
            > {
                let moved = |ms: Vec<mainspring::inventory::stock::Movement>| {
                    ms.into_iter()
                        .map(|m| (m.part_id, m.warehouse_id, m.quantity.0))
                        .collect()
                };
                Ok(match op {
                    0 | 1 => moved(ledger::post(
                        conn,
                        NewMovement::Receipt {
                            part_id: p,
                            warehouse_id: w,
                            quantity: q,
                            unit_cost: "1.5".parse().unwrap(),
                            supplier: None,
                            reference: None,
                            note: None,
                        },
                        "prop",
                    )?),
                    2 | 3 => moved(ledger::post(
                        conn,
                        NewMovement::Issue {
                            part_id: p,
                            warehouse_id: w,
                            quantity: q,
                            ticket_id: t,
                            note: None,
                        },
                        "prop",
                    )?),
                    4 => moved(ledger::post(
                        conn,
                        NewMovement::Return {
                            part_id: p,
                            warehouse_id: w,
                            quantity: q,
                            ticket_id: t,
                            note: None,
                        },
                        "prop",
                    )?),
                    5 => moved(ledger::post(
                        conn,
                        NewMovement::Transfer {
                            part_id: p,
                            from_warehouse_id: w,
                            to_warehouse_id: other,
                            quantity: q,
                            reference: None,
                            note: None,
                        },
                        "prop",
                    )?),
                    6 => {
                        let delta = if rng.below(2) == 0 { q } else { Quantity(-q.0) };
                        moved(ledger::post(
                            conn,
                            NewMovement::Adjustment {
                                part_id: p,
                                warehouse_id: w,
                                quantity: delta,
                                reason: "found".into(),
                                note: None,
                            },
                            "prop",
                        )?)
                    }
                    7 => {
                        let new = reservation::NewReservation {
                            ticket_id: t,
                            part_id: p,
                            warehouse_id: w,
                            quantity: q,
                            allow_shortage: rng.below(2) == 0,
                            note: None,
                        };
                        reservation::reserve(conn, &new, "prop")?;
                        Vec::new()
                    }
                    _ => {
                        reservation::release_for_ticket(conn, t, "ticket_cancelled")?;
                        Vec::new()
                    }
                })
            },
        );
        match result {
            Ok(moves) => {
                ok += 1;
                for (p, w, qty) in moves {
                    *model.entry((p, w)).or_default() += qty;
                }
            }
            Err(
                mainspring::error::AppError::InsufficientStock { .. }
                | mainspring::error::AppError::Conflict { .. },
            ) => refused += 1,
            Err(other) => panic!("step {step}: op {op} failed unexpectedly: {other:?}"),
        }
        assert_invariants(&mut conn);
        for ((p, w), expected) in &model {
            let on_hand: Quantity = mainspring::schema::stock_balances::table
                .find((*p, *w))
                .select(mainspring::schema::stock_balances::on_hand)
                .first(&mut conn)
                .unwrap();
            assert_eq!(on_hand.0, *expected, "step {step}: on_hand of {p}/{w}");
        }
    }
    assert!(
        ok > 200 && refused > 20,
        "the sequence exercised both paths: {ok} ok, {refused} refused"
    );
}
