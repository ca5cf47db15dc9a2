//! Stock: the ledger, reservations, stocktakes, reorder and valuation, through the API;
//! the database guards against direct writes.

use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

use crate::inventory_support::{level, part, receive, ticket, warehouse};
use crate::support::{assert_problem, problem_fields, TestApp, ADMIN_KEY};

fn owned(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.to_owned(), b.to_owned(), c.to_owned())
}

#[actix_web::test]
async fn receipts_issues_returns_and_adjustments_move_on_hand() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    let posted = receive(&app, &p, &w, "10.5", "3").await;
    let m = &posted["movements"][0];
    assert_eq!(
        (m["kind"].as_str(), m["quantity"].as_str()),
        (Some("receipt"), Some("10.5"))
    );
    assert_eq!(m["recorded_by"], "bootstrap admin");
    let t = ticket(&app).await;
    app.create(
        "/api/v1/stock/movements",
        json!({"kind": "issue", "part_id": p, "warehouse_id": w, "quantity": "4", "ticket_id": t}),
    )
    .await;
    app.create(
        "/api/v1/stock/movements",
        json!({"kind": "return", "part_id": p, "warehouse_id": w, "quantity": 1.5, "ticket_id": t}),
    )
    .await;
    app.create(
        "/api/v1/stock/movements",
        json!({"kind": "adjustment", "part_id": p, "warehouse_id": w, "quantity": "-0.25", "reason": "damaged"}),
    )
    .await;
    assert_eq!(level(&app, &p, &w).await, owned("7.75", "0", "7.75"));

    // a ticket cannot return more than it got
    let (status, body) = app
        .post(
            "/api/v1/stock/movements",
            json!({"kind": "return", "part_id": p, "warehouse_id": w, "quantity": "3", "ticket_id": t}),
        )
        .await;
    assert_problem(status, &body, 409);

    let (_, ledger) = app
        .get(&format!("/api/v1/stock/movements?ticket_id={t}"))
        .await;
    let kinds: Vec<_> = ledger["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("issue"), json!("return")]);
    let (_, receipts) = app
        .get(&format!("/api/v1/stock/movements?part_id={p}&kind=receipt"))
        .await;
    assert_eq!(receipts["items"].as_array().unwrap().len(), 1);
    let (_, none) = app
        .get("/api/v1/stock/movements?from=2100-01-01T00:00:00Z")
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);
}

#[actix_web::test]
async fn stock_never_goes_negative_and_the_409_says_what_is_available() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "2", "1").await;
    let (status, body) = app
        .post(
            "/api/v1/stock/movements",
            json!({"kind": "issue", "part_id": p, "warehouse_id": w, "quantity": "3", "ticket_id": ticket(&app).await}),
        )
        .await;
    assert_problem(status, &body, 409);
    assert_eq!(body["available"], "2");
    assert_eq!(
        body["type"],
        "https://mainspring.dev/problems/insufficient-stock"
    );
    let (status, body) = app
        .post(
            "/api/v1/stock/movements",
            json!({"kind": "adjustment", "part_id": p, "warehouse_id": w, "quantity": "-5", "reason": "lost"}),
        )
        .await;
    assert_problem(status, &body, 409);
    assert_eq!(level(&app, &p, &w).await, owned("2", "0", "2"));
}

#[actix_web::test]
async fn a_transfer_moves_both_legs_and_a_reversal_moves_them_back() {
    let app = TestApp::start().await;
    let (a, b, p) = (
        warehouse(&app, "A").await,
        warehouse(&app, "B").await,
        part(&app, "P-1").await,
    );
    receive(&app, &p, &a, "5", "1").await;
    let posted = app
        .create(
            "/api/v1/stock/movements",
            json!({"kind": "transfer", "part_id": p, "from_warehouse_id": a, "to_warehouse_id": b, "quantity": "3"}),
        )
        .await;
    let legs = posted["movements"].as_array().unwrap();
    assert_eq!(legs.len(), 2);
    assert_eq!(legs[0]["transfer_id"], legs[1]["transfer_id"]);
    assert_eq!(level(&app, &p, &a).await.0, "2");
    assert_eq!(level(&app, &p, &b).await.0, "3");

    let id = legs[1]["id"].as_str().unwrap();
    let back = app
        .create(
            &format!("/api/v1/stock/movements/{id}/reversal"),
            json!({"note": "wrong van"}),
        )
        .await;
    assert_eq!(back["movements"].as_array().unwrap().len(), 2);
    assert_eq!(level(&app, &p, &a).await.0, "5");
    assert_eq!(level(&app, &p, &b).await.0, "0");
    // not twice, and a reversal is not reversed
    let (status, body) = app
        .post(&format!("/api/v1/stock/movements/{id}/reversal"), json!({}))
        .await;
    assert_problem(status, &body, 409);
    let rev = back["movements"][0]["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("/api/v1/stock/movements/{rev}/reversal"),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 409);

    let (status, body) = app
        .post(
            "/api/v1/stock/movements",
            json!({"kind": "transfer", "part_id": p, "from_warehouse_id": a, "to_warehouse_id": a, "quantity": "1"}),
        )
        .await;
    assert_problem(status, &body, 422);
    assert_eq!(problem_fields(&body), ["to_warehouse_id"]);
}

#[actix_web::test]
async fn receipts_move_the_moving_average_cost_and_the_valuation() {
    let app = TestApp::start().await;
    let (a, b, p) = (
        warehouse(&app, "A").await,
        warehouse(&app, "B").await,
        part(&app, "P-1").await,
    );
    receive(&app, &p, &a, "10", "2").await;
    let second = receive(&app, &p, &b, "10", "3").await;
    let (_, part) = app.get(&format!("/api/v1/parts/{p}")).await;
    assert_eq!(part["unit_cost"], "2.5");
    let (_, value) = app.get("/api/v1/stock/valuation").await;
    assert_eq!(value["total"], "50");
    assert_eq!(value["warehouses"][0]["value"], "25");
    assert_eq!(value["warehouses"][0]["parts_in_stock"], 1);
    // reversing the second receipt restores the first cost
    let id = second["movements"][0]["id"].as_str().unwrap();
    app.create(&format!("/api/v1/stock/movements/{id}/reversal"), json!({}))
        .await;
    let (_, part) = app.get(&format!("/api/v1/parts/{p}")).await;
    assert_eq!(part["unit_cost"], "2");
}

#[actix_web::test]
async fn reserved_stock_cannot_be_issued_to_another_ticket() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "3", "1").await;
    let (mine, other) = (ticket(&app).await, ticket(&app).await);
    let r = app
        .create(
            "/api/v1/stock/reservations",
            json!({"ticket_id": mine, "part_id": p, "warehouse_id": w, "quantity": "2"}),
        )
        .await;
    assert_eq!(
        (r["quantity"].as_str(), r["status"].as_str()),
        (Some("2"), Some("open"))
    );
    assert_eq!(level(&app, &p, &w).await, owned("3", "2", "1"));

    let issue = |t: &str, q: &str| json!({"kind": "issue", "part_id": p, "warehouse_id": w, "quantity": q, "ticket_id": t});
    let (status, body) = app
        .post("/api/v1/stock/movements", issue(&other, "2"))
        .await;
    assert_problem(status, &body, 409);
    assert_eq!(body["available"], "1");
    // the ticket's own reservation is used first
    app.create("/api/v1/stock/movements", issue(&mine, "2"))
        .await;
    let (_, r) = app
        .get(&format!(
            "/api/v1/stock/reservations/{}",
            r["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (r["status"].as_str(), r["issued"].as_str()),
        (Some("fulfilled"), Some("2"))
    );
    assert_eq!(level(&app, &p, &w).await, owned("1", "0", "1"));
}

#[actix_web::test]
async fn a_reservation_beyond_stock_is_refused_or_recorded_as_a_shortage_filled_by_receipts() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "1", "1").await;
    let body = |t: &str, allow: bool| json!({"ticket_id": t, "part_id": p, "warehouse_id": w, "quantity": "3", "allow_shortage": allow});
    let (status, refused) = app
        .post(
            "/api/v1/stock/reservations",
            body(&ticket(&app).await, false),
        )
        .await;
    assert_problem(status, &refused, 409);
    assert_eq!(refused["available"], "1");

    let (first, second) = (ticket(&app).await, ticket(&app).await);
    let r1 = app
        .create("/api/v1/stock/reservations", body(&first, true))
        .await;
    assert_eq!(
        (r1["quantity"].as_str(), r1["shortage"].as_str()),
        (Some("1"), Some("2"))
    );
    let r2 = app
        .create("/api/v1/stock/reservations", body(&second, true))
        .await;
    assert_eq!(
        (r2["quantity"].as_str(), r2["shortage"].as_str()),
        (Some("0"), Some("3"))
    );
    let (_, short) = app.get("/api/v1/stock/reservations?short=true").await;
    assert_eq!(short["items"].as_array().unwrap().len(), 2);

    // 4 arrive: the older shortage is filled first
    receive(&app, &p, &w, "4", "1").await;
    let get =
        |id: &serde_json::Value| format!("/api/v1/stock/reservations/{}", id.as_str().unwrap());
    let (_, r1) = app.get(&get(&r1["id"])).await;
    let (_, r2) = app.get(&get(&r2["id"])).await;
    assert_eq!(
        (r1["quantity"].as_str(), r1["shortage"].as_str()),
        (Some("3"), Some("0"))
    );
    assert_eq!(
        (r2["quantity"].as_str(), r2["shortage"].as_str()),
        (Some("2"), Some("1"))
    );
    assert_eq!(level(&app, &p, &w).await, owned("5", "5", "0"));

    // releasing the first hands its stock to the second's shortage
    let (status, released) = app
        .post(
            &format!("{}/release", get(&r1["id"])),
            json!({"reason": "ticket_cancelled"}),
        )
        .await;
    assert_eq!(status, 200, "{released}");
    assert_eq!(released["status"], "released");
    let (_, r2) = app.get(&get(&r2["id"])).await;
    assert_eq!(
        (r2["quantity"].as_str(), r2["shortage"].as_str()),
        (Some("3"), Some("0"))
    );
    assert_eq!(level(&app, &p, &w).await, owned("5", "3", "2"));
    let (status, again) = app
        .post(&format!("{}/release", get(&r1["id"])), json!({}))
        .await;
    assert_problem(status, &again, 409);
}

#[actix_web::test]
async fn closing_or_cancelling_a_ticket_releases_its_reservations() {
    let app = TestApp::start().await;
    let (a, b, p) = (
        warehouse(&app, "A").await,
        warehouse(&app, "B").await,
        part(&app, "P-1").await,
    );
    receive(&app, &p, &a, "2", "1").await;
    receive(&app, &p, &b, "2", "1").await;
    let t = ticket(&app).await;
    for w in [&a, &b] {
        app.create(
            "/api/v1/stock/reservations",
            json!({"ticket_id": t, "part_id": p, "warehouse_id": w, "quantity": "1"}),
        )
        .await;
    }
    let ticket_id: mainspring::ids::TicketId = t.parse().unwrap();
    let released = app
        .conn()
        .transaction(|conn| {
            mainspring::inventory::stock::reservation::release_for_ticket(
                conn,
                ticket_id,
                "ticket_closed",
            )
        })
        .unwrap();
    assert_eq!(released, 2);
    assert_eq!(level(&app, &p, &a).await.1, "0");
    assert_eq!(level(&app, &p, &b).await.1, "0");
    let (_, rs) = app
        .get(&format!(
            "/api/v1/stock/reservations?ticket_id={t}&status=released"
        ))
        .await;
    assert_eq!(rs["items"].as_array().unwrap().len(), 2);
}

#[actix_web::test]
async fn an_adjustment_below_what_is_reserved_turns_the_newest_reservation_short() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "4", "1").await;
    let (old, new) = (ticket(&app).await, ticket(&app).await);
    for t in [&old, &new] {
        app.create(
            "/api/v1/stock/reservations",
            json!({"ticket_id": t, "part_id": p, "warehouse_id": w, "quantity": "2"}),
        )
        .await;
    }
    app.create(
        "/api/v1/stock/movements",
        json!({"kind": "adjustment", "part_id": p, "warehouse_id": w, "quantity": "-1", "reason": "damaged"}),
    )
    .await;
    let (_, newer) = app
        .get(&format!("/api/v1/stock/reservations?ticket_id={new}"))
        .await;
    assert_eq!(
        (
            newer["items"][0]["quantity"].as_str(),
            newer["items"][0]["shortage"].as_str()
        ),
        (Some("1"), Some("1"))
    );
    assert_eq!(level(&app, &p, &w).await, owned("3", "3", "0"));
}

#[actix_web::test]
async fn a_stocktake_adjusts_against_the_ledger_as_of_the_count() {
    let app = TestApp::start().await;
    let (w, p, q) = (
        warehouse(&app, "HH").await,
        part(&app, "P-1").await,
        part(&app, "P-2").await,
    );
    receive(&app, &p, &w, "10", "1").await;
    receive(&app, &q, &w, "5", "1").await;
    let counted_at = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    // issued after the count, before posting: must not be undone
    app.create(
        "/api/v1/stock/movements",
        json!({"kind": "issue", "part_id": p, "warehouse_id": w, "quantity": "2", "ticket_id": ticket(&app).await}),
    )
    .await;
    let take = app
        .create(
            "/api/v1/stock/stocktakes",
            json!({"warehouse_id": w, "counted_at": counted_at, "lines": [
                {"part_id": p, "counted": "9"}, {"part_id": q, "counted": "5"}]}),
        )
        .await;
    let lines = take["lines"].as_array().unwrap();
    let line_p = lines.iter().find(|l| l["part_id"] == p.as_str()).unwrap();
    assert_eq!(
        (line_p["expected"].as_str(), line_p["counted"].as_str()),
        (Some("10"), Some("9"))
    );
    assert!(line_p["movement_id"].is_string());
    let line_q = lines.iter().find(|l| l["part_id"] == q.as_str()).unwrap();
    assert!(line_q["movement_id"].is_null());
    // 10 received − 1 counted missing − 2 issued since the count
    assert_eq!(level(&app, &p, &w).await.0, "7");
    let (_, adj) = app
        .get(&format!(
            "/api/v1/stock/movements?stocktake_id={}",
            take["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(adj["items"][0]["reason"], "stocktake");
    assert_eq!(adj["items"][0]["quantity"], "-1");

    let (status, bad) = app
        .post(
            "/api/v1/stock/stocktakes",
            json!({"warehouse_id": w, "counted_at": "2100-01-01T00:00:00Z", "lines": [
                {"part_id": p, "counted": "-1"}, {"part_id": p, "counted": "1"}]}),
        )
        .await;
    assert_problem(status, &bad, 422);
    assert_eq!(
        problem_fields(&bad),
        ["counted_at", "lines[0].counted", "lines[1].part_id"]
    );
}

#[actix_web::test]
async fn the_reorder_list_says_what_to_order_from_whom() {
    let app = TestApp::start().await;
    let w = warehouse(&app, "HH").await;
    let p = app
        .create(
            "/api/v1/parts",
            json!({"sku": "F-1", "name": "Filter", "suppliers": [{"supplier": "Mann", "lead_time_days": 4, "min_order_qty": "12"}]}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let plenty = part(&app, "P-2").await;
    receive(&app, &p, &w, "3", "1").await;
    receive(&app, &plenty, &w, "50", "1").await;
    for (part, point) in [(&p, "5"), (&plenty, "5")] {
        let (status, b) = app
            .patch(
                &format!("/api/v1/stock/balances/{part}/{w}"),
                json!({"bin": "A-1", "reorder_point": point, "reorder_quantity": "10"}),
            )
            .await;
        assert_eq!(status, 200, "{b}");
    }
    let (_, list) = app.get("/api/v1/stock?below_reorder=true").await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let r = &items[0]["reorder"];
    assert_eq!(
        (
            r["quantity"].as_str(),
            r["supplier"].as_str(),
            r["lead_time_days"].as_i64()
        ),
        (Some("12"), Some("Mann"), Some(4))
    );
    assert_eq!(items[0]["bin"], "A-1");

    let (status, body) = app
        .patch(
            &format!("/api/v1/stock/balances/{p}/{w}"),
            json!({"on_hand": "100"}),
        )
        .await;
    assert_problem(status, &body, 422);
    let (status, body) = app
        .patch(
            &format!("/api/v1/stock/balances/{p}/{w}"),
            json!({"reorder_quantity": "0"}),
        )
        .await;
    assert_problem(status, &body, 422);
}

#[actix_web::test]
async fn balances_round_trip_through_csv_with_opening_quantities_as_adjustments() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    let csv = "sku,warehouse_code,bin,on_hand,reorder_point,reorder_quantity\nP-1,hh,B-2,12,3,6\n";
    let (status, _) = app.post_csv("/api/v1/stock/import", csv).await;
    assert_eq!(status, 200);
    assert_eq!(level(&app, &p, &w).await.0, "12");
    let (_, m) = app
        .get(&format!("/api/v1/stock/movements?part_id={p}"))
        .await;
    assert_eq!(
        (
            m["items"][0]["kind"].as_str(),
            m["items"][0]["reason"].as_str()
        ),
        (Some("adjustment"), Some("import"))
    );

    let export = app.get_text("/api/v1/stock/export").await;
    assert_eq!(
        export,
        "sku,warehouse_code,bin,on_hand,reserved,available,reorder_point,reorder_quantity\nP-1,HH,B-2,12,0,12,3,6\n"
    );
    let (_, report) = app.post_csv("/api/v1/stock/import", export).await;
    assert_eq!(report, json!({"created": 0, "updated": 1}));
    let (_, m) = app
        .get(&format!("/api/v1/stock/movements?part_id={p}"))
        .await;
    assert_eq!(
        m["items"].as_array().unwrap().len(),
        1,
        "an unchanged quantity posts nothing"
    );

    let bad = "sku,warehouse_code,on_hand\nP-1,HH,5\nNOPE,HH,1\nP-1,NOWHERE,x\n";
    let (status, problem) = app.post_csv("/api/v1/stock/import", bad).await;
    assert_eq!(status, 422);
    let lines: Vec<_> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(
        level(&app, &p, &w).await.0,
        "12",
        "nothing of a bad file is kept"
    );
}

#[actix_web::test]
async fn the_ledger_is_append_only_and_balances_follow_it_alone() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    receive(&app, &p, &w, "2", "1").await;
    let mut conn = app.conn();
    for sql in [
        "UPDATE stock_movements SET quantity = 5".to_owned(),
        "DELETE FROM stock_movements".to_owned(),
        "TRUNCATE stock_movements CASCADE".to_owned(),
        "UPDATE stock_balances SET on_hand = 100".to_owned(),
        "UPDATE stock_balances SET reserved = 1".to_owned(),
        format!("INSERT INTO stock_movements (id, kind, part_id, warehouse_id, quantity, reason, recorded_by) \
                 VALUES ('{}', 'adjustment', '{p}', '{w}', -3, 'sneaky', 'x')", uuid::Uuid::now_v7()),
    ] {
        let err = diesel::sql_query(&sql).execute(&mut conn);
        assert!(err.is_err(), "`{sql}` must be refused");
    }
    assert_eq!(level(&app, &p, &w).await.0, "2");
}

#[actix_web::test]
async fn bad_movements_are_refused_precisely() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    let cases = [
        (json!({"kind": "teleport", "part_id": p}), 422),
        (
            json!({"kind": "receipt", "part_id": p, "warehouse_id": w, "quantity": "1"}),
            422,
        ),
        (
            json!({"kind": "receipt", "part_id": p, "warehouse_id": w, "quantity": "0", "unit_cost": "1"}),
            422,
        ),
        (
            json!({"kind": "receipt", "part_id": p, "warehouse_id": w, "quantity": "1.0001", "unit_cost": "1"}),
            422,
        ),
        (
            json!({"kind": "receipt", "part_id": p, "warehouse_id": w, "quantity": "1", "unit_cost": "1", "extra": 1}),
            422,
        ),
        (
            json!({"kind": "issue", "part_id": uuid::Uuid::now_v7(), "warehouse_id": w, "quantity": "1", "ticket_id": ticket(&app).await}),
            422,
        ),
        (
            json!({"kind": "adjustment", "part_id": p, "warehouse_id": w, "quantity": "1", "reason": "Bad Reason"}),
            422,
        ),
        (
            json!({"kind": "adjustment", "part_id": p, "warehouse_id": w, "quantity": "0", "reason": "found"}),
            422,
        ),
    ];
    for (body, expected) in cases {
        let (status, problem) = app.post("/api/v1/stock/movements", body.clone()).await;
        assert_problem(status, &problem, expected);
        assert!(!problem["detail"].as_str().unwrap().is_empty(), "{body}");
    }
    let (status, body) = app.get(&format!("/api/v1/stock/balances/{p}/{w}")).await;
    assert_problem(status, &body, 404);
    let (status, body) = app
        .post(
            &format!("/api/v1/stock/movements/{}/reversal", uuid::Uuid::now_v7()),
            json!({}),
        )
        .await;
    assert_problem(status, &body, 404);
}

#[actix_web::test]
async fn a_retried_movement_moves_stock_once() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    let body = json!({"kind": "receipt", "part_id": p, "warehouse_id": w, "quantity": "3", "unit_cost": "1"});
    let mut ids = Vec::new();
    for _ in 0..3 {
        let res = app
            .request(Method::POST, "/api/v1/stock/movements", Some(ADMIN_KEY))
            .header("Idempotency-Key", "delivery-42")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let v: serde_json::Value = res.json().await.unwrap();
        ids.push(v["movements"][0]["id"].clone());
    }
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
    assert_eq!(level(&app, &p, &w).await.0, "3");
}

#[actix_web::test]
async fn warehouse_staff_post_movements_and_viewers_only_read() {
    let app = TestApp::start().await;
    let (w, p) = (warehouse(&app, "HH").await, part(&app, "P-1").await);
    let staff = app.key("warehouse", None).await;
    let viewer = app.key("viewer", None).await;
    let planner = app.key("planner", None).await;
    let receipt = json!({"kind": "receipt", "part_id": p, "warehouse_id": w, "quantity": "3", "unit_cost": "1"});
    let (status, body) = app
        .call_as(
            &viewer,
            Method::POST,
            "/api/v1/stock/movements",
            Some(receipt.clone()),
        )
        .await;
    assert_problem(status, &body, 403);
    let (status, body) = app
        .call_as(
            &planner,
            Method::POST,
            "/api/v1/stock/movements",
            Some(receipt.clone()),
        )
        .await;
    assert_problem(status, &body, 403);
    let (status, body) = app
        .call_as(
            &staff,
            Method::POST,
            "/api/v1/stock/movements",
            Some(receipt),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["movements"][0]["recorded_by"], "warehouse key");
    let reserve =
        json!({"ticket_id": ticket(&app).await, "part_id": p, "warehouse_id": w, "quantity": "1"});
    let (status, _) = app
        .call_as(
            &planner,
            Method::POST,
            "/api/v1/stock/reservations",
            Some(reserve),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = app
        .call_as(&viewer, Method::GET, "/api/v1/stock", None)
        .await;
    assert_eq!(status, 200);
}
