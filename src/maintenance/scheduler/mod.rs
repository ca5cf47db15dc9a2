//! The scheduler: opens PM tickets when plans fall due, exactly once per (plan, asset,
//! occurrence) however many instances run and however often they restart.
//!
//! Once a minute (tokio-cron-scheduler is only the tick; occurrences are computed by
//! `occurrence` in each site's time zone) one instance takes a PostgreSQL advisory lock
//! and runs [`run_once`]; the others skip that tick. Each (plan, asset) is handled in
//! its own transaction under a row lock on its progress row, so a failing one is logged
//! and the rest go on, and the unique indexes on tickets are the final guarantee. Time
//! comes in as an argument, so tests drive the clock instead of sleeping.

pub mod due;
mod pair;
mod survey;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use crate::db::Db;
use crate::error::AppResult;

/// The advisory lock key held by the instance generating tickets ("mainspring PM").
const LOCK_KEY: i64 = 0x6d61_696e_7370_6d31;

/// How the scheduler opens tickets.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Apply the dispatch policy (`MAINSPRING_AUTO_ASSIGN`) to PM tickets.
    pub auto_assign: bool,
}

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Report {
    /// Another instance held the lock: this run did nothing.
    pub skipped: bool,
    /// (plan, asset) pairs surveyed.
    pub pairs: usize,
    /// Pairs where something could be due, handled under a lock.
    pub handled: usize,
    /// Tickets opened.
    pub opened: usize,
    /// Pairs whose handling failed (logged; retried next run).
    pub failed: usize,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// One scheduler run at `now`, unless another instance is running one.
pub fn run_once(conn: &mut PgConnection, now: DateTime<Utc>, opts: Options) -> AppResult<Report> {
    let got: Locked = diesel::sql_query("SELECT pg_try_advisory_lock($1) AS locked")
        .bind::<BigInt, _>(LOCK_KEY)
        .get_result(conn)?;
    if !got.locked {
        return Ok(Report {
            skipped: true,
            ..Report::default()
        });
    }
    let result = run_locked(conn, now, opts);
    // a dropped connection releases the lock too, so an error here loses nothing
    let _ = diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(conn);
    result
}

fn run_locked(conn: &mut PgConnection, now: DateTime<Utc>, opts: Options) -> AppResult<Report> {
    let mut report = Report::default();
    for plan in pair::active_plans(conn)? {
        let mut kit = None;
        for asset in survey::covered(conn, &plan)? {
            report.pairs += 1;
            if !survey::needs_attention(&plan, &asset, now) {
                continue;
            }
            report.handled += 1;
            if kit.is_none() {
                kit = Some(pair::kit(conn, &plan)?);
            }
            let kit = kit.as_deref().unwrap_or_default();
            match conn.transaction(|conn| pair::handle(conn, &plan, kit, &asset, now, opts)) {
                Ok(opened) => report.opened += opened,
                Err(e) => {
                    report.failed += 1;
                    tracing::warn!(plan = %plan.id, asset = %asset.id, error = %e,
                        "scheduling failed for this plan and asset; will retry next run");
                }
            }
        }
    }
    if report.opened > 0 || report.failed > 0 {
        tracing::info!(
            pairs = report.pairs,
            opened = report.opened,
            failed = report.failed,
            "scheduler run"
        );
    } else {
        tracing::debug!(pairs = report.pairs, "scheduler run: nothing due");
    }
    Ok(report)
}

/// The running tick; dropping it stops the tick.
pub struct Ticker {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for Ticker {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The tick `mainspring serve` uses: every minute at second 0 (tokio-cron-scheduler's
/// 6-field syntax, with seconds).
pub const EVERY_MINUTE: &str = "0 * * * * *";

/// Start the periodic tick (`tick`, e.g. [`EVERY_MINUTE`]): each one runs the scheduler
/// on a blocking thread. A
/// failing run is logged and the next tick tries again. tokio-cron-scheduler needs a
/// multi-threaded runtime (it stalls on actix's single-threaded ones), so the tick gets
/// a small runtime of its own on its own thread.
pub fn spawn(db: Db, opts: Options, tick: &str) -> anyhow::Result<Ticker> {
    use tokio_cron_scheduler::{Job, JobScheduler};
    let (started_tx, started_rx) = std::sync::mpsc::channel::<anyhow::Result<()>>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let tick = tick.to_owned();
    std::thread::Builder::new()
        .name("pm-scheduler".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => {
                    let _ = started_tx.send(Err(e.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                let start = async {
                    let sched = JobScheduler::new().await?;
                    let job = Job::new_async(tick.as_str(), move |_id, _lock| {
                        let db = db.clone();
                        Box::pin(async move {
                            match db.run(move |conn| run_once(conn, Utc::now(), opts)).await {
                                Ok(r) if r.skipped => {
                                    tracing::debug!("another instance is scheduling")
                                }
                                Ok(_) => {}
                                Err(e) => {
                                    tracing::warn!(error = %e, "scheduler run failed; will retry")
                                }
                            }
                        })
                    })?;
                    sched.add(job).await?;
                    sched.start().await?;
                    anyhow::Ok(sched)
                };
                match start.await {
                    Ok(mut sched) => {
                        let _ = started_tx.send(Ok(()));
                        let _ = stop_rx.await;
                        let _ = sched.shutdown().await;
                    }
                    Err(e) => {
                        let _ = started_tx.send(Err(e));
                    }
                }
            });
        })?;
    started_rx
        .recv()
        .map_err(|_| anyhow::anyhow!("the scheduler thread ended before starting"))??;
    Ok(Ticker {
        stop: Some(stop_tx),
    })
}
