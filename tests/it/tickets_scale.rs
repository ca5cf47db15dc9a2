//! The ticket list at scale: with a few hundred thousand tickets stored, the list's
//! typical queries are answered from indexes (checked with EXPLAIN), never by reading
//! the whole table. The latency itself is the benchmark's business, not a test's.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::support::Base;
use crate::support::TestApp;

#[derive(QueryableByName)]
struct Plan {
    #[diesel(sql_type = Text)]
    #[diesel(column_name = "QUERY PLAN")]
    line: String,
}

fn plan(conn: &mut PgConnection, sql: &str) -> String {
    let lines: Vec<Plan> = diesel::sql_query(format!("EXPLAIN {sql}"))
        .load(conn)
        .unwrap();
    lines
        .into_iter()
        .map(|p| p.line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn the_ticket_lists_typical_queries_use_indexes_at_scale() {
    let app = TestApp::start().await;
    let b = Base::new(&app).await;
    let asset = app
        .create(
            "/api/v1/assets",
            serde_json::json!({"model_id": b.model, "serial_number": "S", "site_id": b.hall}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let tech = app
        .create("/api/v1/technicians", serde_json::json!({"name": "Ana"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut conn = app.conn();
    diesel::sql_query(format!(
        "INSERT INTO tickets (id, kind, source, priority, status, hold_reason, asset_id, site_id, title,
                              assignee_id, resolution, resolution_due_at, created_by, created_at)
         SELECT gen_random_uuid(), 'corrective', 'manual',
                (ARRAY['normal', 'urgent', 'critical'])[1 + i % 3],
                (ARRAY['open', 'assigned', 'in_progress', 'on_hold', 'resolved', 'closed', 'closed', 'closed'])[1 + i % 8],
                CASE WHEN i % 8 = 3 THEN 'waiting_for_parts' END,
                '{asset}', '{site}', 'ticket ' || i,
                CASE WHEN i % 8 IN (1, 2) THEN '{tech}'::uuid END,
                CASE WHEN i % 8 >= 5 THEN 'done' END,
                now() + (i % 5000) * interval '1 minute', 'seed', now() - (i % 9000) * interval '1 minute'
         FROM generate_series(1, 200000) AS i",
        site = b.hall
    ))
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("ANALYZE tickets")
        .execute(&mut conn)
        .unwrap();

    // the shapes `tickets::store::list` builds, with a page of 51
    let queries = [
        (
            "newest page",
            "SELECT * FROM tickets ORDER BY id LIMIT 51".to_owned(),
        ),
        (
            "by status",
            "SELECT * FROM tickets WHERE status IN ('open', 'on_hold') ORDER BY id LIMIT 51"
                .to_owned(),
        ),
        (
            "by assignee",
            format!("SELECT * FROM tickets WHERE assignee_id = '{tech}' ORDER BY id LIMIT 51"),
        ),
        (
            "by due time",
            "SELECT * FROM tickets ORDER BY resolution_due_at, id LIMIT 51".to_owned(),
        ),
        (
            "by due time after a cursor",
            "SELECT * FROM tickets WHERE resolution_due_at > now() + interval '1 hour'
               OR (resolution_due_at = now() + interval '1 hour' AND id > gen_random_uuid())
             ORDER BY resolution_due_at, id LIMIT 51"
                .to_owned(),
        ),
        (
            "title text",
            "SELECT * FROM tickets WHERE lower(title) LIKE '%ticket 12345%' ORDER BY id LIMIT 51"
                .to_owned(),
        ),
    ];
    for (name, sql) in queries {
        let p = plan(&mut conn, &sql);
        assert!(
            !p.contains("Seq Scan on tickets"),
            "{name} reads the whole table:\n{p}"
        );
    }
}
