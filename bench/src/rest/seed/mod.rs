//! Seeding the REST benchmark's database quickly and believably: set-based SQL straight
//! into the tables (every row satisfies the schema's constraints and triggers; stock
//! moves only through the ledger), then one real scheduler run opens the PM tickets the
//! lead times ask for now, with their kit reservations, through the application's own
//! code. Finally VACUUM ANALYZE, as autovacuum would have done on a live system.

mod base;
mod plans;
mod tickets;

use std::time::Instant;

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::PgConnection;

/// How much to seed.
#[derive(Debug, Clone, Copy)]
pub struct Sizes {
    pub tickets: usize,
    pub assets: usize,
    pub customers: usize,
    pub parts: usize,
}

/// What was seeded, counted afterwards.
#[derive(Debug, Clone, Default)]
pub struct Seeded {
    pub tickets: i64,
    pub pm_tickets: i64,
    pub open_tickets: i64,
    pub assets: i64,
    pub sites: i64,
    pub plans: i64,
    pub model_plans: i64,
    pub pairs: i64,
    pub parts: i64,
    pub balances: i64,
    pub readings: i64,
    pub reservations: i64,
    /// Tickets the scheduler run opened.
    pub scheduled: usize,
    pub seconds: f64,
}

pub fn seed(conn: &mut PgConnection, sizes: &Sizes) -> anyhow::Result<Seeded> {
    let start = Instant::now();
    conn.batch_execute("SET maintenance_work_mem = '512MB'; SET work_mem = '256MB';")?;
    step("installed base and inventory", || base::seed(conn, sizes))?;
    step("plans, kits and meter readings", || plans::seed(conn))?;
    step("opening stock", || base::stock(conn))?;
    step("ticket history", || tickets::seed(conn, sizes))?;
    step("scheduler progress", || plans::progress(conn))?;
    let report = step(
        "a scheduler run (lead-time tickets and reservations)",
        || {
            mainspring::maintenance::scheduler::run_once(
                conn,
                chrono::Utc::now(),
                mainspring::maintenance::scheduler::Options::default(),
            )
            .map_err(|e| anyhow::anyhow!("the scheduler run failed: {e}"))
        },
    )?;
    anyhow::ensure!(
        report.failed == 0,
        "the scheduler run failed for {} (plan, asset) pairs",
        report.failed
    );
    step("VACUUM ANALYZE", || {
        // one statement: several in one batch would run as a transaction block
        conn.batch_execute("RESET work_mem")?;
        conn.batch_execute("VACUUM ANALYZE")?;
        Ok(())
    })?;
    let mut seeded = count(conn)?;
    seeded.scheduled = report.opened;
    seeded.seconds = start.elapsed().as_secs_f64();
    Ok(seeded)
}

fn step<T>(what: &str, f: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    eprintln!("bench: seeding {what} …");
    let start = Instant::now();
    let out = f().with_context(|| format!("seeding {what}"))?;
    eprintln!("bench:   {what}: {:.1} s", start.elapsed().as_secs_f64());
    Ok(out)
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn n(conn: &mut PgConnection, sql: &str) -> anyhow::Result<i64> {
    Ok(diesel::sql_query(sql).get_result::<N>(conn)?.n)
}

fn count(conn: &mut PgConnection) -> anyhow::Result<Seeded> {
    Ok(Seeded {
        tickets: n(conn, "SELECT count(*) AS n FROM tickets")?,
        pm_tickets: n(conn, "SELECT count(*) AS n FROM tickets WHERE plan_id IS NOT NULL")?,
        open_tickets: n(
            conn,
            "SELECT count(*) AS n FROM tickets WHERE status NOT IN ('resolved', 'closed', 'cancelled')",
        )?,
        assets: n(conn, "SELECT count(*) AS n FROM assets")?,
        sites: n(conn, "SELECT count(*) AS n FROM sites")?,
        plans: n(conn, "SELECT count(*) AS n FROM maintenance_plans")?,
        model_plans: n(
            conn,
            "SELECT count(*) AS n FROM maintenance_plans WHERE model_id IS NOT NULL",
        )?,
        pairs: n(conn, "SELECT count(*) AS n FROM maintenance_schedule")?,
        parts: n(conn, "SELECT count(*) AS n FROM parts")?,
        balances: n(conn, "SELECT count(*) AS n FROM stock_balances")?,
        readings: n(conn, "SELECT count(*) AS n FROM meter_readings")?,
        reservations: n(
            conn,
            "SELECT count(*) AS n FROM stock_reservations WHERE status = 'open'",
        )?,
        ..Seeded::default()
    })
}
