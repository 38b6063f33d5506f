//! The group commit of messages sent: requests hand their checked, priced message to this
//! instance's writer, which stores every message waiting in one transaction (each partner's
//! spends decided in order under its locked row, the messages, their callbacks) and answers each
//! request with its own outcome. One commit (and one disk flush) for many messages: a partner's
//! sends are not held to one per commit. A batch the database refuses is written again message
//! by message, so one message's failure is its own.

use std::collections::BTreeMap;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::repo::{self, MessageRow};
use crate::http::error::{ApiError, ApiResult};
use crate::resources::callbacks::ops as callbacks;
use crate::resources::invoices::accrual::{self, Charge};
use crate::state::AppState;

/// A message to store: its row, what it costs its partner, whether it is called back.
struct Job {
    row: MessageRow,
    charges: Vec<Charge>,
    announce: bool,
    reply: oneshot::Sender<ApiResult<()>>,
}

/// This instance's queue to its writer.
struct Queue(mpsc::Sender<Job>);

/// The most messages one transaction stores.
const BATCH: usize = 256;

/// Stores a sent message (or refuses it: a 402 naming the limit its cost would pass); answers once
/// it is committed.
pub async fn submit(state: &AppState, row: MessageRow, charges: Vec<Charge>, announce: bool) -> ApiResult<()> {
    let queue = state.services.get_or_init(|| {
        let (tx, rx) = mpsc::channel(4 * BATCH);
        tokio::spawn(run(state.clone(), rx));
        Queue(tx)
    });
    let (reply, answer) = oneshot::channel();
    let stopped = || ApiError::internal("the message writer stopped");
    queue.0.send(Job { row, charges, announce, reply }).await.map_err(|_| stopped())?;
    answer.await.map_err(|_| stopped())?
}

async fn run(state: AppState, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut jobs, BATCH).await > 0 {
        let batch: Vec<Job> = std::mem::take(&mut jobs);
        let outcomes = match write(&state, &batch).await {
            Ok(outcomes) => outcomes,
            Err(e) if batch.len() == 1 => vec![Err(e)],
            Err(e) => {
                tracing::warn!(error = ?e, messages = batch.len(), "a batch of messages failed: writing them one by one");
                let mut each = Vec::with_capacity(batch.len());
                for job in &batch {
                    each.push(write(&state, std::slice::from_ref(job)).await.and_then(|mut o| o.remove(0)));
                }
                each
            }
        };
        for (job, outcome) in batch.into_iter().zip(outcomes) {
            let _ = job.reply.send(outcome);
        }
        if state.config.network_worker {
            state.callback_wake.notify_one();
        }
    }
}

/// One transaction for `batch`: each partner's spends in order (partners in a fixed order), then
/// the accepted messages and their callbacks.
async fn write(state: &AppState, batch: &[Job]) -> ApiResult<Vec<ApiResult<()>>> {
    let mut outcomes: Vec<ApiResult<()>> = batch.iter().map(|_| Ok(())).collect();
    let mut by_partner: BTreeMap<Uuid, Vec<usize>> = BTreeMap::new();
    for (i, job) in batch.iter().enumerate() {
        by_partner.entry(job.row.partner_sid).or_default().push(i);
    }
    let mut tx = state.pool.begin().await?;
    for (partner, idx) in &by_partner {
        let spends: Vec<&[Charge]> = idx.iter().map(|i| batch[*i].charges.as_slice()).collect();
        let decided = accrual::spend_each(&mut tx, *partner, &spends).await?;
        for (i, outcome) in idx.iter().zip(decided) {
            outcomes[*i] = outcome;
        }
    }
    let accepted: Vec<&Job> = batch.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()).map(|(j, _)| j).collect();
    let rows: Vec<MessageRow> = accepted.iter().map(|j| j.row.clone()).collect();
    repo::insert(&mut tx, &rows).await?;
    let reports = accepted.iter().filter(|j| j.announce).map(|j| super::ops::report(&j.row)).collect();
    let queued = callbacks::queue_sms(state, &mut tx, reports).await?;
    tx.commit().await?;
    queued.launch(state);
    let charged: std::collections::BTreeSet<Uuid> = batch
        .iter()
        .zip(&outcomes)
        .filter(|(j, o)| o.is_ok() && !j.charges.is_empty())
        .map(|(j, _)| j.row.partner_sid)
        .collect();
    for p in charged {
        crate::resources::partners::ops::money_changed(state, p);
    }
    let stored: Vec<&MessageRow> =
        batch.iter().zip(&outcomes).filter(|(_, o)| o.is_ok()).map(|(j, _)| &j.row).collect();
    super::ops::announce(state, &stored, true).await;
    Ok(outcomes)
}
