//! The simulated carrier network's clock: moves messages along their statuses when their next
//! change is due (`resources::sms::ops::step`), and forgets calls that have ended (they no longer
//! hold a trunk's capacity). Every instance may run it: each message and each ended call is
//! claimed by one (`FOR UPDATE SKIP LOCKED`).

use std::time::Duration;

use crate::state::AppState;

pub async fn run(state: AppState) {
    // Often enough that a step is never late by more than a fraction of its own length.
    let poll = Duration::from_millis((state.config.sms_step_ms / 4).clamp(10, 100));
    let mut pruned = tokio::time::Instant::now();
    loop {
        if pruned.elapsed() >= Duration::from_secs(1) {
            pruned = tokio::time::Instant::now();
            if let Err(e) = crate::resources::calls::repo::prune_ended(&state.pool).await {
                tracing::warn!(error = ?e, "forgetting ended calls failed");
            }
        }
        match crate::resources::sms::ops::step(&state).await {
            Ok(n) if n > 0 => continue,
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "a round of the simulated network failed"),
        }
        tokio::time::sleep(poll).await;
    }
}
