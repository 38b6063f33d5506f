//! The database: connection pool, migrations, the embedded default and change notifications.

pub mod copy;
pub mod counts;
pub mod embedded;
pub mod error;
pub mod keys;
pub mod listing;
pub mod reset;
pub mod tenancy;
pub mod types;

pub use error::{RepoError, RepoResult};
pub use tenancy::Tenancy;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgPool};

use crate::config::Config;
use embedded::{Durability, EmbeddedPg};

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub const DATABASE_NAME: &str = "carrierx";

/// The database the server uses and, when it is the embedded default, the running cluster.
pub struct Database {
    pub pool: PgPool,
    pub options: PgConnectOptions,
    pub embedded: Option<EmbeddedPg>,
}

#[derive(Debug)]
pub struct DbError(pub String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

/// Opens `DATABASE_URL`, or starts the embedded cluster when it is unset.
pub async fn open(config: &Config) -> Result<Database, DbError> {
    let (options, embedded) = match config.database_url() {
        Some(url) => (
            url.parse::<PgConnectOptions>()
                .map_err(|e| DbError(format!("DATABASE_URL is not a PostgreSQL URL: {e}")))?,
            None,
        ),
        None => {
            // A cluster found running may die under us (killed with its server a moment ago):
            // then the next start finds its files stale and starts it afresh.
            let mut attempt = 0;
            loop {
                attempt += 1;
                let dir = config.data_dir.clone();
                let pg = tokio::task::spawn_blocking(move || EmbeddedPg::start(&dir, Durability::Durable))
                    .await
                    .map_err(|e| DbError(e.to_string()))?
                    .map_err(|e| DbError(e.0))?;
                match ensure_database(&pg.connect_options("postgres"), DATABASE_NAME).await {
                    Ok(()) => break (pg.connect_options(DATABASE_NAME), Some(pg)),
                    Err(e) if attempt >= 3 => return Err(e),
                    Err(e) => tracing::warn!(error = %e, "the embedded PostgreSQL does not answer: starting it again"),
                }
            }
        }
    };
    let pool = pool(options.clone(), config.db_max_connections).await?;
    Ok(Database { pool, options, embedded })
}

/// How long a pooled connection may sit idle before it is checked again when it is taken.
const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

pub async fn pool(options: PgConnectOptions, max: u32) -> Result<PgPool, DbError> {
    let options = options.log_statements(tracing::log::LevelFilter::Trace);
    PgPoolOptions::new()
        .max_connections(max.max(2))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // A connection is pinged before it is handed out only when it sat idle long enough for the
        // server to have gone away meanwhile: the pool pings every connection it takes back
        // already, and a ping on every acquire was a round trip more on every short transaction
        // (3.4% of the server's CPU under the SMS bench).
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        // A batch, an upload or a big page grows a connection's buffers to its largest message,
        // and they stayed that size for the connection's life (6 MB each after ingesting call
        // records): given back as the connection returns (nothing to do for the usual sizes).
        .after_release(|conn, _| {
            Box::pin(async move {
                conn.shrink_buffers();
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|e| DbError(format!("cannot connect to PostgreSQL: {e}")))
}

/// Creates `name` on the server of `admin` if it does not exist.
pub async fn ensure_database(admin: &PgConnectOptions, name: &str) -> Result<(), DbError> {
    // A cluster just started or adopted may still be starting up (or recovering after a crash).
    let mut attempt = 0;
    let mut conn = loop {
        attempt += 1;
        match sqlx::PgConnection::connect_with(admin).await {
            Ok(c) => break c,
            Err(e) if attempt >= 50 => {
                return Err(DbError(format!("cannot connect to the embedded PostgreSQL: {e}")));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    };
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .map_err(|e| DbError(e.to_string()))?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        if let Err(e) = conn.execute(format!("CREATE DATABASE {quoted}").as_str()).await {
            // Another instance may have created it at the same moment.
            let again: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut conn)
                .await
                .unwrap_or(false);
            if !again {
                return Err(DbError(format!("cannot create database {name}: {e}")));
            }
        }
    }
    let _ = conn.close().await;
    Ok(())
}

pub async fn migrate(pool: &PgPool) -> Result<(), DbError> {
    MIGRATOR.run(pool).await.map_err(|e| DbError(format!("migrations failed: {e}")))
}

/// Whether the database answers.
pub async fn ping(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool).await.map(|_| ())
}

/// Sends each of `payloads` as a notification on `channel` (one statement for all).
pub async fn notify_all(pool: &PgPool, channel: &str, payloads: &[String]) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p")
        .bind(channel)
        .bind(payloads)
        .execute(pool)
        .await?;
    Ok(())
}
