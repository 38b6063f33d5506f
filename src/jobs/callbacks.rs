//! The callback sender: delivers the callback outbox (`resources::callbacks`) like a real
//! webhook sender.
//!
//! - Every instance may run it: a callback is claimed by one (`FOR UPDATE SKIP LOCKED`) and leased
//!   while in flight; a lease that runs out (an instance killed mid-attempt) lets another take it.
//! - A POST of the callback's JSON body (`Content-Type: application/json`), `callback_timeout_ms`
//!   for the whole attempt; a 2xx answer delivers it; anything else (another status, no
//!   connection, a timeout) is retried after `callback_retry_base_ms` doubling up to
//!   `callback_retry_max_ms`, until `callback_max_attempts` attempts: then it is `failed`.
//! - Every attempt is recorded (`attempt_log`).
//! - A slow or dead receiver holds back only its own callbacks: at most `callback_per_receiver`
//!   are in flight to one `host:port`, `callback_concurrency` in all; sending messages never waits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::mpsc;

use crate::config::Config;
use crate::resources::callbacks::repo::{self, AttemptResult, Claimed};
use crate::state::AppState;
use crate::sync::lock;

pub type HttpClient = Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// The HTTP(S) client callbacks go out with: TLS with the system's root certificates (none found:
/// https receivers fail their attempts with a TLS error, which is recorded).
pub fn client() -> Result<HttpClient, rustls::Error> {
    // ring (no C toolchain beyond cc, no cmake); its provider lacks post-quantum key exchange.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new().with_provider_and_native_roots(provider.clone()) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "no root certificates found: https callbacks will fail");
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()?
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    let connector = builder.https_or_http().enable_http1().build();
    Ok(Client::builder(TokioExecutor::new()).pool_idle_timeout(Duration::from_secs(30)).build(connector))
}

/// The pause before attempt `attempt + 1`, or `None` when `attempt` was the last.
pub fn retry_delay(config: &Config, attempt: i32) -> Option<i64> {
    if attempt as u32 >= config.callback_max_attempts {
        return None;
    }
    let base = config.callback_retry_base_ms as i64;
    let factor = 1i64.checked_shl((attempt.max(1) - 1) as u32).unwrap_or(i64::MAX);
    Some(base.saturating_mul(factor).min(config.callback_retry_max_ms as i64))
}

/// One attempt: the answer's status, or why there was none.
async fn attempt(client: &HttpClient, c: &Claimed, timeout: Duration) -> (Option<i32>, Option<String>) {
    let body = Bytes::from(c.body.clone());
    let request = match hyper::Request::post(c.url.as_str())
        .header(hyper::header::CONTENT_TYPE, "application/json")
        .header(hyper::header::USER_AGENT, concat!("carrierx-core/", env!("CARGO_PKG_VERSION")))
        .body(Full::new(body))
    {
        Ok(r) => r,
        Err(e) => return (None, Some(format!("cannot build the request: {e}"))),
    };
    let exchange = async {
        let response = client.request(request).await?;
        let status = response.status().as_u16() as i32;
        // The answer's body is read (and dropped) so that the connection can be used again.
        let _ = response.into_body().collect().await;
        Ok::<_, hyper_util::client::legacy::Error>(status)
    };
    match tokio::time::timeout(timeout, exchange).await {
        Ok(Ok(status)) if (200..300).contains(&status) => (Some(status), None),
        Ok(Ok(status)) => (Some(status), Some(format!("the receiver answered {status}"))),
        Ok(Err(e)) => {
            let mut why = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                why = format!("{why}: {s}");
                source = s.source();
            }
            (None, Some(why))
        }
        Err(_) => (None, Some(format!("no answer within {} ms", timeout.as_millis()))),
    }
}

/// What is in flight on this instance: in all and per receiver.
#[derive(Default)]
struct InFlight {
    total: usize,
    by_receiver: HashMap<String, usize>,
}

/// Runs the sender until the process ends.
pub async fn run(state: AppState) {
    let client = match client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot set up TLS: this instance sends no callbacks (others still may)");
            return;
        }
    };
    let config = state.config.clone();
    let timeout = Duration::from_millis(config.callback_timeout_ms.max(1));
    let lease_ms = (config.callback_timeout_ms as i64).saturating_mul(2).saturating_add(5_000);
    let per_receiver = config.callback_per_receiver as usize;
    let concurrency = config.callback_concurrency as usize;
    let in_flight = Arc::new(Mutex::new(InFlight::default()));
    let finished = Arc::new(tokio::sync::Notify::new());
    let (results_tx, results_rx) = mpsc::unbounded_channel::<AttemptResult>();
    tokio::spawn(record_results(state.clone(), results_rx));
    loop {
        let (busy, free) = {
            let f = lock(&in_flight);
            let busy: Vec<String> =
                f.by_receiver.iter().filter(|(_, n)| **n >= per_receiver).map(|(k, _)| k.clone()).collect();
            (busy, concurrency.saturating_sub(f.total))
        };
        let claimed = if free > 0 {
            let head = (4 * concurrency).max(1000) as i64;
            match repo::claim(&state.pool, &busy, per_receiver as i64, free as i64, head, lease_ms).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = ?e, "cannot claim callbacks");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let got = claimed.len();
        if got > 0 {
            // A receiver that reads the object back here sees what its callback says.
            state.caches_caught_up().await;
        }
        for c in claimed {
            {
                let mut f = lock(&in_flight);
                f.total += 1;
                *f.by_receiver.entry(c.authority.clone()).or_default() += 1;
            }
            let (client, config, in_flight, finished, results) =
                (client.clone(), config.clone(), in_flight.clone(), finished.clone(), results_tx.clone());
            tokio::spawn(async move {
                let started = Instant::now();
                let (status, error) = attempt(&client, &c, timeout).await;
                let delivered = error.is_none();
                let _ = results.send(AttemptResult {
                    id: c.id,
                    attempt: c.attempts,
                    response_status: status,
                    error,
                    duration_ms: started.elapsed().as_millis() as i64,
                    delivered,
                    retry_in_ms: if delivered { None } else { retry_delay(&config, c.attempts) },
                });
                let mut f = lock(&in_flight);
                f.total -= 1;
                if let Some(n) = f.by_receiver.get_mut(&c.authority) {
                    *n -= 1;
                    if *n == 0 {
                        f.by_receiver.remove(&c.authority);
                    }
                }
                drop(f);
                finished.notify_one();
            });
        }
        if got > 0 && got == free {
            continue;
        }
        // Attempts in flight, and the last claim found work: claim again in a moment.
        let busy = got > 0 && lock(&in_flight).total > 0;
        if busy {
            // Attempts are finishing: claim again in a moment, for all that finished meanwhile
            // (one claim a few milliseconds, not one per answer).
            tokio::select! {
                _ = state.callback_wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
            }
        } else {
            tokio::select! {
                _ = state.callback_wake.notified() => {}
                _ = finished.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(100)) => {}
            }
        }
    }
}

/// Writes attempts' outcomes in batches (one statement for all that finished meanwhile).
async fn record_results(state: AppState, mut rx: mpsc::UnboundedReceiver<AttemptResult>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 1000).await > 0 {
        // The attempts finishing together are written together.
        tokio::time::sleep(Duration::from_millis(5)).await;
        while batch.len() < 1000 {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        let mut tries = 0;
        loop {
            match repo::record(&state.pool, &batch).await {
                Ok(recorded) => {
                    crate::traffic::publish(&state, recorded.iter().map(console_event));
                    break;
                }
                Err(e) => {
                    tries += 1;
                    tracing::warn!(error = ?e, "cannot record callback attempts");
                    if tries >= 5 {
                        // The leases run out: the attempts are made again.
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200 * tries)).await;
                }
            }
        }
        batch.clear();
        // Attempts recorded: a callback due again may be claimed at once.
        state.callback_wake.notify_one();
    }
}

/// The console's view of an attempt: where it went (the URL without its query, which may carry a
/// receiver's secret), what the receiver answered, what happens next.
fn console_event(r: &repo::Recorded) -> crate::traffic::Event {
    let shown = r.url.split(['?', '#']).next().unwrap_or_default();
    let answer = match (r.response_status, &r.error) {
        (Some(s), _) => format!("answered {s}"),
        (None, Some(e)) => e.clone(),
        (None, None) => "no answer".into(),
    };
    let next = match r.status.as_str() {
        "delivered" => "delivered".to_owned(),
        "failed" => "given up".to_owned(),
        _ => "will retry".to_owned(),
    };
    crate::traffic::Event::new(
        "callback",
        r.partner_sid,
        &r.tree_path,
        format!("Callback {} to {shown}: attempt {} {answer}, {next}", r.event, r.attempts),
    )
    .object(r.callback_sid, format!("/core/v2/admin/simulator/callbacks/{}", r.callback_sid))
    .status(&r.status)
    .detail(serde_json::json!({
        "event": r.event, "url": shown, "attempts": r.attempts, "response_status": r.response_status, "error": r.error,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_base_up_to_the_cap_and_stop_at_the_limit() {
        let mut c = Config::defaults();
        c.callback_retry_base_ms = 1000;
        c.callback_retry_max_ms = 5000;
        c.callback_max_attempts = 5;
        let delays: Vec<Option<i64>> = (1..=5).map(|a| retry_delay(&c, a)).collect();
        assert_eq!(delays, vec![Some(1000), Some(2000), Some(4000), Some(5000), None]);
    }
}
