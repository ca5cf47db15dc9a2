//! Database access: the connection pool, migrations, and the way handlers run queries.
//!
//! Why sync diesel on a blocking pool rather than diesel-async: telemetry ingest needs a
//! sync `PgConnection` anyway (diesel-async cannot run COPY), migrations are sync, and
//! transactions with row locks read plainly as one closure. Handlers call [`Db::run`],
//! which takes a pooled connection and runs the closure on actix's blocking thread pool,
//! so no query ever blocks an async worker. The pool is sized for the blocking pool,
//! and a request that cannot get a connection in time gets a 503, not a hang.

pub mod embedded;
pub mod sql;
pub mod types;

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type PgConn = PooledConnection<ConnectionManager<PgConnection>>;

/// The shared handle to the database that handlers receive.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Self> {
        let manager = ConnectionManager::<PgConnection>::new(url);
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .test_on_check_out(false)
            .build(manager)?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Run `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .await?
    }

    /// Run `f` inside one transaction (rolled back when it returns an error).
    pub async fn transaction<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        use diesel::Connection;
        self.run(move |conn| conn.transaction(f)).await
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> AppResult<()> {
        use diesel::RunQueryDsl;
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await
    }
}

/// Apply every pending migration; returns the versions applied.
pub fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    use diesel::Connection;
    let mut conn = PgConnection::establish(url)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

impl From<diesel::result::ConnectionError> for AppError {
    fn from(err: diesel::result::ConnectionError) -> Self {
        AppError::Unavailable(format!("cannot connect to the database: {err}"))
    }
}
