//! The batch worker: runs in every server instance and takes tasks through their life,
//! `created` → `pending_review` (review items computed) or `queued`, `approved` → `queued` →
//! `running` → `completed`.
//!
//! Safe with several instances and across crashes:
//! - a task is claimed with `FOR UPDATE SKIP LOCKED` and held by a lease that each chunk renews;
//!   a lease that lapses (the worker was killed) lets another worker take the task over;
//! - entries are applied in chunks; each chunk, the marks of its entries as done or failed and the
//!   task's counters commit in one transaction that first re-checks the lease (holding the task
//!   row), so an entry is applied exactly once and a worker that lost its lease stops;
//! - a chunk is short (`batch_chunk_size` entries): no long transaction, the API is not blocked.

use std::time::Duration;

use sqlx::Connection;
use uuid::Uuid;

use crate::http::error::{ApiError, ApiResult};
use crate::resources::batch::entries::Work;
use crate::resources::batch::repo::{self, TaskRow};
use crate::state::AppState;

/// Runs the worker of this instance forever.
pub async fn run(state: AppState) {
    let me = Uuid::new_v4();
    let poll = Duration::from_millis(state.config.batch_poll_ms.max(10));
    loop {
        match step(&state, me).await {
            Ok(true) => continue,
            Ok(false) => {
                tokio::select! {
                    _ = state.batch_wake.notified() => {}
                    _ = tokio::time::sleep(poll) => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = ?e, "batch worker round failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

/// Claims one task and takes it as far as it can go; `false` when there was nothing to do.
pub async fn step(state: &AppState, me: Uuid) -> ApiResult<bool> {
    let lease = state.config.batch_claim_timeout_seconds;
    let Some(task) = repo::claim(&state.pool, me, lease).await? else { return Ok(false) };
    tracing::debug!(task_sid = %task.task_sid, status = %task.status, "batch task claimed");
    if let Err(e) = drive(state, me, &task).await {
        tracing::warn!(task_sid = %task.task_sid, error = ?e, "a batch task round failed; it will be tried again");
        repo::round_failed(&state.pool, task.id, me, &format!("{e:?}")).await?;
    }
    Ok(true)
}

/// Takes a claimed task as far as it can go.
async fn drive(state: &AppState, me: Uuid, task: &TaskRow) -> ApiResult<()> {
    let mut status = task.status.clone();
    loop {
        let mut conn = state.pool.acquire().await?;
        let moved = match status.as_str() {
            "created" if task.review => {
                drop(conn);
                if !prepare_review(state, me, task).await? {
                    return Ok(());
                }
                let mut conn = state.pool.acquire().await?;
                let total = repo::count_items(&mut *conn, task.id).await? as i32;
                repo::advance(&mut conn, task.id, me, "created", "pending_review", Some(total), true).await?;
                return Ok(());
            }
            "created" => {
                let total = repo::count_items(&mut *conn, task.id).await? as i32;
                repo::advance(&mut conn, task.id, me, "created", "queued", Some(total), false).await?
            }
            "approved" => repo::advance(&mut conn, task.id, me, "approved", "queued", None, false).await?,
            "queued" => repo::advance(&mut conn, task.id, me, "queued", "running", None, false).await?,
            "running" => {
                drop(conn);
                run_entries(state, me, task).await?;
                return Ok(());
            }
            _ => return Ok(()),
        };
        if !moved {
            // Deleted, or taken over: nothing more for this worker.
            return Ok(());
        }
        status = match status.as_str() {
            "created" | "approved" => "queued".into(),
            _ => "running".into(),
        };
    }
}

/// Computes the review of every item, chunk by chunk; `false` when the claim was lost.
async fn prepare_review(state: &AppState, me: Uuid, task: &TaskRow) -> ApiResult<bool> {
    let work = Work::new(state, task)?;
    let chunk = state.config.batch_chunk_size as i64;
    let mut after = -1;
    loop {
        let mut tx = state.pool.begin().await?;
        if !repo::renew(&mut tx, task.id, me, "created", state.config.batch_claim_timeout_seconds).await? {
            return Ok(false);
        }
        let items = repo::items_after(&mut tx, task.id, after, chunk).await?;
        let Some(last) = items.last() else { return Ok(true) };
        after = last.idx;
        let loaded = work.load(&mut tx, &items).await?;
        let mut reviews = Vec::with_capacity(items.len());
        for item in &items {
            reviews.push(work.review(&mut tx, item, &loaded).await?);
        }
        repo::save_review(&mut tx, task.id, &reviews).await?;
        tx.commit().await?;
    }
}

/// Applies the entries not done yet, chunk by chunk, then completes the task.
async fn run_entries(state: &AppState, me: Uuid, task: &TaskRow) -> ApiResult<()> {
    let work = Work::new(state, task)?;
    let chunk = state.config.batch_chunk_size as i64;
    let pause = Duration::from_millis(state.config.batch_chunk_pause_ms);
    loop {
        // The chunks written so far are heard by this instance's caches before the task says so
        // (a client reading the task `completed` here then reads the objects it changed).
        state.caches_caught_up().await;
        let mut tx = state.pool.begin().await?;
        if !repo::renew(&mut tx, task.id, me, "running", state.config.batch_claim_timeout_seconds).await? {
            return Ok(());
        }
        let items = repo::pending(&mut tx, task.id, chunk).await?;
        if items.is_empty() {
            repo::advance(&mut tx, task.id, me, "running", "completed", None, true).await?;
            tx.commit().await?;
            tracing::info!(task_sid = %task.task_sid, "batch task completed");
            return Ok(());
        }
        let loaded = work.load(&mut tx, &items).await?;
        let mut outcomes = Vec::with_capacity(items.len());
        for item in &items {
            // Each entry in a savepoint: a failed one leaves no trace but its error.
            let mut sp = tx.begin().await?;
            match work.apply(&mut sp, item, &loaded).await {
                Ok(_) => {
                    sp.commit().await?;
                    outcomes.push((item.idx, None));
                }
                // The database is gone, or gave up on the transaction (a deadlock): the chunk is
                // rolled back and tried again.
                Err(e @ (ApiError::Unavailable | ApiError::Concurrent)) => {
                    sp.rollback().await?;
                    tx.rollback().await?;
                    return Err(e);
                }
                Err(e) => {
                    sp.rollback().await?;
                    if let ApiError::Internal(detail) = &e {
                        tracing::error!(task_sid = %task.task_sid, error = %detail, "a batch entry failed");
                    }
                    outcomes.push((item.idx, Some(e.body())));
                }
            }
        }
        repo::finish_chunk(&mut tx, task.id, &outcomes).await?;
        tx.commit().await?;
        let failed = outcomes.iter().filter(|o| o.1.is_some()).count() as u64;
        metrics::counter!("batch_entries_total", "outcome" => "success").increment(outcomes.len() as u64 - failed);
        metrics::counter!("batch_entries_total", "outcome" => "failure").increment(failed);
        if task.method == "POST" && task.kind == "phonenumber" {
            // Rentals were charged: the partner's balance changed.
            crate::resources::partners::ops::money_changed(state, task.partner_sid);
        }
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }
}
