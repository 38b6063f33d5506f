//! `serve` and `migrate`: open the database (the embedded one when `DATABASE_URL` is unset),
//! migrate, bootstrap, run until Ctrl-C or SIGTERM, and stop the embedded PostgreSQL.

use std::net::SocketAddr;

use crate::config::Config;
use crate::db;
use crate::state::AppState;

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub async fn migrate(config: Config) -> Result<(), BoxError> {
    let database = db::open(&config).await?;
    let result = db::migrate(&database.pool).await;
    database.pool.close().await;
    if let Some(pg) = &database.embedded {
        pg.stop();
    }
    result?;
    println!("carrierx-core: migrations applied");
    Ok(())
}

/// `carrierx-core openapi`: the OpenAPI document on standard output (no database needed).
pub async fn print_openapi(config: Config) -> Result<(), BoxError> {
    let options: sqlx::postgres::PgConnectOptions = "postgres://localhost/unused".parse()?;
    let pool = sqlx::postgres::PgPoolOptions::new().connect_lazy_with(options);
    let table = crate::route_table(AppState::new(pool, config));
    println!("{}", serde_json::to_string_pretty(&crate::http::openapi::document(&table))?);
    Ok(())
}

/// `carrierx-core reset`: the database back to its bootstrap state (it must be migrated and
/// bootstrapped: a server has run on it).
pub async fn reset(config: Config) -> Result<(), BoxError> {
    let database = db::open(&config).await?;
    let started = std::time::Instant::now();
    let state = AppState::new(database.pool.clone(), config);
    let result = crate::reset::reset(&state).await;
    database.pool.close().await;
    if let Some(pg) = &database.embedded {
        pg.stop();
    }
    result.map_err(|e| format!("reset failed: {e:?}"))?;
    println!("carrierx-core: reset to the bootstrap state in {} ms", started.elapsed().as_millis());
    Ok(())
}

pub async fn serve(config: Config) -> Result<(), BoxError> {
    let database = db::open(&config).await?;
    let result = run(&config, &database).await;
    database.pool.close().await;
    if let Some(pg) = &database.embedded {
        pg.stop();
    }
    result
}

async fn run(config: &Config, database: &db::Database) -> Result<(), BoxError> {
    db::migrate(&database.pool).await?;
    if let Some(b) = crate::bootstrap::run(&database.pool, config).await? {
        crate::bootstrap::print(&b);
    }
    let state = AppState::new(database.pool.clone(), config.clone());
    if config.demo_data {
        match crate::demo::load(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(numbers = n, "demo data loaded"),
            Err(e) => tracing::warn!(error = ?e, "cannot load the demo data"),
        }
    }
    let jobs = crate::jobs::spawn_all(&state);
    let app = crate::build_router(state.clone());
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    tracing::info!(address = %listener.local_addr()?, "carrierx-core listening; the API is under /core/v2");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown({
            let state = state.clone();
            async move {
                shutdown_signal().await;
                // Consoles' streams end, or they would hold the shutdown open.
                crate::traffic::feed(&state).close();
            }
        })
        .await?;
    for j in jobs {
        j.abort();
    }
    let _ = crate::http::auth::cache::flush_last_access(&state.auth, &state.pool).await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}

/// `GET /health` over plain HTTP/1.1; Ok when it answers 200.
pub async fn healthcheck(address: &str) -> Result<(), BoxError> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(address).await?;
        s.write_all(format!("GET /health HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        Ok::<_, std::io::Error>(buf)
    };
    let buf =
        tokio::time::timeout(std::time::Duration::from_secs(5), fut).await.map_err(|_| "health check timed out")??;
    let head = String::from_utf8_lossy(&buf[..buf.len().min(64)]).into_owned();
    if head.starts_with("HTTP/1.1 200") {
        Ok(())
    } else {
        Err(format!("unhealthy: {}", head.lines().next().unwrap_or("")).into())
    }
}
