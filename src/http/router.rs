//! THE route table: each resource adds its routes here, each with the scopes it accepts;
//! the middleware every request passes; JSON 404/405.

use std::time::Duration;

use axum::extract::{MatchedPath, Request};
use axum::handler::Handler;
use axum::http::{header, HeaderName, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter};
use axum::Router;
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::auth::{self, AuthMode, RouteAuth};
use super::error::ApiError;
use super::openapi::HandlerInputs;
use crate::domain::scopes::Scope;
use crate::resources;
use crate::state::AppState;

/// One entry of the route table (paths relative to `/core/v2`).
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
    pub auth: RouteAuth,
    /// The handler's path (`carrierx_core::resources::dids::handlers::rent_did`): the OpenAPI
    /// document names and types the operation from it.
    pub handler: &'static str,
    /// What the handler reads (query parameters, body), from its extractors.
    pub inputs: super::openapi::Inputs,
}

/// Collects the routes of every resource with their declared authentication.
pub struct Api {
    state: AppState,
    router: Router<AppState>,
    pub table: Vec<RouteInfo>,
}

impl Api {
    fn new(state: AppState) -> Self {
        Api { state, router: Router::new(), table: Vec::new() }
    }

    fn add<H, T>(&mut self, method: Method, path: &str, auth: RouteAuth, handler: H)
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        let mr =
            on(filter, handler).route_layer(middleware::from_fn_with_state((self.state.clone(), auth), auth::require));
        self.router = std::mem::take(&mut self.router).route(path, mr);
        self.table.push(RouteInfo {
            method,
            path: path.to_owned(),
            auth,
            handler: std::any::type_name::<H>(),
            inputs: T::inputs(),
        });
    }

    /// A route that needs one of `scopes`.
    pub fn route<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], handler: H)
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        self.add(method, path, RouteAuth { scopes, admin: false, mode: AuthMode::Required }, handler);
    }

    /// A route and its `/admin` variant (which also needs the admin scope of its verb and
    /// sees every partner's objects).
    pub fn with_admin<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], handler: H)
    where
        H: Handler<T, AppState> + Clone,
        T: HandlerInputs + 'static,
    {
        self.route(method.clone(), path, scopes, handler.clone());
        self.admin(method, &format!("/admin{path}"), scopes, handler);
    }

    /// An `/admin` route only.
    pub fn admin<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], handler: H)
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        self.add(method, path, RouteAuth { scopes, admin: true, mode: AuthMode::Required }, handler);
    }

    /// A route that authenticates in its handler when no `Authorization` header is sent.
    pub fn optional<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], admin: bool, handler: H)
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        self.add(method, path, RouteAuth { scopes, admin, mode: AuthMode::Optional }, handler);
    }

    /// A route without authentication.
    pub fn public<H, T>(&mut self, method: Method, path: &str, handler: H)
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        self.add(method, path, RouteAuth { scopes: &[], admin: false, mode: AuthMode::Public }, handler);
    }
}

/// Every API route with its authentication, as the server serves them.
pub fn route_table(state: AppState) -> Vec<RouteInfo> {
    build(state).1
}

/// The application: what production serves is what tests drive.
pub fn build_router(state: AppState) -> Router {
    build(state).0
}

fn build(state: AppState) -> (Router, Vec<RouteInfo>) {
    super::metrics::handle();
    let mut api = Api::new(state.clone());
    resources::countries::routes(&mut api);
    resources::access_control::routes(&mut api);
    resources::partners::routes(&mut api);
    resources::billing_method::routes(&mut api);
    resources::endpoints::routes(&mut api);
    resources::trunk_groups::routes(&mut api);
    resources::dids::routes(&mut api);
    resources::did_groups::routes(&mut api);
    resources::prefixes::routes(&mut api);
    resources::batch::routes(&mut api);
    resources::invoices::routes(&mut api);
    resources::calls::routes(&mut api);
    resources::rates::routes(&mut api);
    resources::oauth::routes(&mut api);
    resources::lookup::routes(&mut api);
    resources::mail::routes(&mut api);
    resources::admin::routes(&mut api);
    resources::docs::routes(&mut api);
    // The contract of everything above, and of itself.
    let openapi = std::sync::Arc::new(std::sync::OnceLock::<axum::body::Bytes>::new());
    let served = openapi.clone();
    api.public(Method::GET, "/openapi.json", move || {
        let doc = served.get().cloned().unwrap_or_default();
        async move { ([(header::CONTENT_TYPE, "application/json")], doc) }
    });
    let _ = openapi.set(axum::body::Bytes::from(
        serde_json::to_vec(&super::openapi::document(&api.table)).expect("the OpenAPI document serializes"),
    ));

    let Api { router: core, table, .. } = api;
    let request_id = HeaderName::from_static("x-request-id");
    let app = Router::new()
        .route("/health", axum::routing::get(resources::health::health))
        .route("/health/live", axum::routing::get(resources::health::live))
        .route("/metrics", axum::routing::get(super::metrics::render))
        .nest("/core/v2", core)
        .fallback(not_found)
        .layer(middleware::from_fn(api_error_bodies))
        .layer(middleware::from_fn(super::metrics::record))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str().to_owned()).unwrap_or_default();
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
            tracing::info_span!("request", method = %req.method(), route = %route, request_id = %id)
        }))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(cors())
        .with_state(state);
    (app, table)
}

/// CORS as the reference's responses show it, preflight included.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            HeaderName::from_static("access-control-allow-origin"),
            HeaderName::from_static("access-control-allow-methods"),
            HeaderName::from_static("access-control-allow-credentials"),
            header::CONTENT_DISPOSITION,
            HeaderName::from_static("access-control-allow-headers"),
        ])
        .max_age(Duration::from_secs(86400))
}

async fn not_found() -> ApiError {
    ApiError::NotFound("not found".into())
}

/// Gives the router's own bodiless 405 and 413 answers the API's error format.
async fn api_error_bodies(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let empty = resp.headers().get(header::CONTENT_TYPE).is_none();
    match resp.status() {
        StatusCode::METHOD_NOT_ALLOWED if empty => {
            let allow = resp.headers().get(header::ALLOW).cloned();
            let mut r = ApiError::MethodNotAllowed.into_response();
            if let Some(a) = allow {
                r.headers_mut().insert(header::ALLOW, a);
            }
            r
        }
        StatusCode::PAYLOAD_TOO_LARGE if empty => ApiError::PayloadTooLarge.into_response(),
        _ => resp,
    }
}
