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

pub async fn serve(config: Config) -> Result<(), BoxError> {
    let database = db::open(&config).await?;
    let result = run(&config, &database).await;
    database.pool.close().await;
    if let Some(pg) = &database.embedded {
        tracing::info!("stopping the embedded PostgreSQL");
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
    let jobs = crate::jobs::spawn_all(&state);
    let app = crate::build_router(state.clone());
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.bind))?;
    tracing::info!(address = %listener.local_addr()?, "carrierx-core listening; the API is under /core/v2");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
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
