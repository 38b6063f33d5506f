//! Prometheus metrics at `GET /metrics` (text format, rendered by `metrics-exporter-prometheus`):
//! requests and their latency per route pattern, method and status; the database pool; the batch
//! worker's progress. No label comes from user input but the route pattern (unknown methods and
//! paths are `OTHER` and `unmatched`).

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::state::AppState;

/// The process's recorder, installed once (every router of the process shares it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        PrometheusBuilder::new()
            .set_buckets(&[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0])
            .expect("bucket bounds are valid")
            .install_recorder()
            .expect("the metrics recorder is installed once")
    })
}

/// Folds the recorded latencies into the histograms' buckets every few seconds: until then each
/// sample is kept, one per request, whether or not anyone scrapes `/metrics` (the server grew by
/// about 3 MB every 170,000 requests before).
pub async fn upkeep() {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
        // Off the request threads: folding ~100,000 samples would hold one of them up.
        let _ = tokio::task::spawn_blocking(|| handle().run_upkeep()).await;
    }
}

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Middleware: counts each request and records its duration.
pub async fn record(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = METHODS.iter().position(|m| *m == req.method().as_str()).unwrap_or(METHODS.len());
    let start = Instant::now();
    let resp = next.run(req).await;
    let route = route.as_ref().map_or("unmatched", |m| m.as_str());
    count(route, method, resp.status().as_u16(), start.elapsed().as_secs_f64());
    resp
}

type Handles = (metrics::Counter, metrics::Histogram);
/// Route → (method, status) → handles.
type ByRoute = HashMap<Box<str>, HashMap<(usize, u16), Handles>>;

thread_local! {
    /// Each thread's handles by route, method and status: the recorder is asked for a series
    /// (its labels built, hashed and looked up) once per thread, not once per request.
    static HANDLES: std::cell::RefCell<ByRoute> =
        std::cell::RefCell::new(HashMap::new());
}

/// Counts one request of a route, method (index in `METHODS`; past it, `OTHER`) and status.
fn count(route: &str, method: usize, status: u16, seconds: f64) {
    HANDLES.with_borrow_mut(|by_route| {
        let (requests, latency) = match by_route.get_mut(route) {
            Some(m) => m.entry((method, status)).or_insert_with(|| register(route, method, status)),
            None => by_route
                .entry(route.into())
                .or_default()
                .entry((method, status))
                .or_insert_with(|| register(route, method, status)),
        };
        requests.increment(1);
        latency.record(seconds);
    })
}

fn register(route: &str, method: usize, status: u16) -> Handles {
    let labels = [
        ("method", METHODS.get(method).copied().unwrap_or("OTHER").to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    (metrics::counter!("http_requests_total", &labels), metrics::histogram!("http_request_duration_seconds", &labels))
}

/// `GET /metrics`.
pub async fn render(State(state): State<AppState>) -> Response {
    let pool = &state.pool;
    let idle = pool.num_idle() as f64;
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(pool.size() as f64 - idle);
    metrics::gauge!("db_pool_max_connections").set(state.config.db_max_connections as f64);
    // Tasks by status (a small table; counted at scrape).
    if let Ok(rows) = crate::resources::batch::repo::count_by_status(pool).await {
        for status in ["created", "pending_review", "approved", "cancelled", "queued", "running", "completed"] {
            let n = rows.iter().find(|r| r.0 == status).map_or(0, |r| r.1);
            metrics::gauge!("batch_tasks", "status" => status).set(n as f64);
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle().render()).into_response()
}
