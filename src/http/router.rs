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
use super::openapi::{BodyType, HandlerInputs, Inputs, Reply};
use crate::domain::scopes::Scope;
use crate::resources;
use crate::state::AppState;

/// One entry of the route table (paths relative to `/core/v2`).
#[derive(Clone, Debug)]
pub struct RouteInfo {
    pub method: Method,
    pub path: String,
    pub auth: RouteAuth,
    /// The handler's path (`carrierx_core::resources::dids::handlers::rent_did`): the operation's
    /// summary (`rent did`) unless the route declares one.
    pub handler: &'static str,
    /// The operation's summary, when the route declares one.
    pub summary: Option<&'static str>,
    /// The section the route belongs to (the operation's tag), declared by its resource.
    pub tag: &'static str,
    /// What the handler reads (query parameters, body), from its extractors and the route's
    /// declaration.
    pub inputs: Inputs,
    /// What the route answers with, declared where it is registered.
    pub reply: Option<Reply>,
    /// The query arguments of its own the route declares (beyond the list engine's and field
    /// filtering, known from its extractors).
    pub query: Vec<QueryArg>,
}

/// A query argument a route declares: its name, type, whether it is required, and what it means.
#[derive(Clone, Copy, Debug)]
pub struct QueryArg {
    pub name: &'static str,
    pub kind: ArgKind,
    pub required: bool,
    pub description: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    Text,
    Integer,
    Boolean,
}

/// The routes just registered (one, or a route and its `/admin` variant): their contract is
/// declared on them, `api.route(..).returns(Reply::object::<Did>())`.
pub struct Declare<'a> {
    routes: &'a mut [RouteInfo],
}

impl Declare<'_> {
    /// What the routes answer with.
    pub fn returns(self, reply: Reply) -> Self {
        self.routes.iter_mut().for_each(|r| r.reply = Some(reply));
        self
    }

    /// The input type of a JSON body the handler reads untyped (`JsonBody`).
    pub fn body<T: serde::de::DeserializeOwned>(self) -> Self {
        self.routes.iter_mut().for_each(|r| r.inputs.body = Some(BodyType::of::<T>()));
        self
    }

    /// A bulk body: one `T` or an array of them (`Batch<T>`).
    pub fn batch_of<T: serde::de::DeserializeOwned>(self) -> Self {
        self.routes.iter_mut().for_each(|r| {
            r.inputs.body = Some(BodyType::of::<T>());
            r.inputs.batch = true;
        });
        self
    }

    /// A query argument of the routes' own (`required`: answered 400 without it).
    pub fn query(self, name: &'static str, kind: ArgKind, required: bool, description: &'static str) -> Self {
        let arg = QueryArg { name, kind, required, description };
        self.routes.iter_mut().for_each(|r| r.query.push(arg));
        self
    }

    /// `with_related=true`: the objects answer with their partner.
    pub fn with_related(self) -> Self {
        self.query("with_related", ArgKind::Boolean, false, "true: each object with its partner")
    }

    /// The tag of these routes when not their resource's (a route served under another section).
    pub fn tag(self, tag: &'static str) -> Self {
        self.routes.iter_mut().for_each(|r| r.tag = tag);
        self
    }

    /// The operation's summary, when the handler's name does not say it.
    pub fn summary(self, summary: &'static str) -> Self {
        self.routes.iter_mut().for_each(|r| r.summary = Some(summary));
        self
    }
}

/// Collects the routes of every resource with their declared authentication and contract.
pub struct Api {
    state: AppState,
    router: Router<AppState>,
    /// The tag of the routes added next: the resource adding them ([`Api::section`]).
    section: &'static str,
    pub table: Vec<RouteInfo>,
}

impl Api {
    fn new(state: AppState) -> Self {
        Api { state, router: Router::new(), section: "", table: Vec::new() }
    }

    /// The section (the OpenAPI tag) of the routes added next; each resource's `routes` names
    /// its own.
    pub fn section(&mut self, tag: &'static str) -> &mut Self {
        self.section = tag;
        self
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
            summary: None,
            tag: self.section,
            inputs: T::inputs(),
            reply: None,
            query: Vec::new(),
        });
    }

    fn declare(&mut self, from: usize) -> Declare<'_> {
        Declare { routes: &mut self.table[from..] }
    }

    /// A route that needs one of `scopes`.
    pub fn route<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], handler: H) -> Declare<'_>
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        let from = self.table.len();
        self.add(method, path, RouteAuth { scopes, admin: false, mode: AuthMode::Required }, handler);
        self.declare(from)
    }

    /// A route and its `/admin` variant (which also needs the admin scope of its verb and
    /// sees every partner's objects).
    pub fn with_admin<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], handler: H) -> Declare<'_>
    where
        H: Handler<T, AppState> + Clone,
        T: HandlerInputs + 'static,
    {
        let from = self.table.len();
        self.add(method.clone(), path, RouteAuth { scopes, admin: false, mode: AuthMode::Required }, handler.clone());
        self.add(
            method,
            &format!("/admin{path}"),
            RouteAuth { scopes, admin: true, mode: AuthMode::Required },
            handler,
        );
        self.declare(from)
    }

    /// An `/admin` route only.
    pub fn admin<H, T>(&mut self, method: Method, path: &str, scopes: &'static [Scope], handler: H) -> Declare<'_>
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        let from = self.table.len();
        self.add(method, path, RouteAuth { scopes, admin: true, mode: AuthMode::Required }, handler);
        self.declare(from)
    }

    /// A route that authenticates in its handler when no `Authorization` header is sent.
    pub fn optional<H, T>(
        &mut self,
        method: Method,
        path: &str,
        scopes: &'static [Scope],
        admin: bool,
        handler: H,
    ) -> Declare<'_>
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        let from = self.table.len();
        self.add(method, path, RouteAuth { scopes, admin, mode: AuthMode::Optional }, handler);
        self.declare(from)
    }

    /// A route without authentication.
    pub fn public<H, T>(&mut self, method: Method, path: &str, handler: H) -> Declare<'_>
    where
        H: Handler<T, AppState>,
        T: HandlerInputs + 'static,
    {
        let from = self.table.len();
        self.add(method, path, RouteAuth { scopes: &[], admin: false, mode: AuthMode::Public }, handler);
        self.declare(from)
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
    resources::short_codes::routes(&mut api);
    resources::classifications::routes(&mut api);
    resources::batch::routes(&mut api);
    resources::invoices::routes(&mut api);
    resources::calls::routes(&mut api);
    resources::conference::routes(&mut api);
    resources::rates::routes(&mut api);
    resources::rating::routes(&mut api);
    resources::sms::routes(&mut api);
    resources::shortener::routes(&mut api);
    resources::push::routes(&mut api);
    resources::storage::routes(&mut api);
    resources::callbacks::routes(&mut api);
    resources::verification::routes(&mut api);
    resources::oauth::routes(&mut api);
    resources::lookup::routes(&mut api);
    resources::mail::routes(&mut api);
    resources::admin::routes(&mut api);
    resources::docs::routes(&mut api);
    // The contract of everything above, and of itself.
    let openapi = std::sync::Arc::new(std::sync::OnceLock::<axum::body::Bytes>::new());
    let served = openapi.clone();
    api.section("docs");
    api.public(Method::GET, "/openapi.json", move || {
        let doc = served.get().cloned().unwrap_or_default();
        async move { ([(header::CONTENT_TYPE, "application/json")], doc) }
    })
    .summary("openapi")
    .returns(Reply::document("application/json"));
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
        .merge(resources::console::router())
        .merge(resources::shortener::router())
        .merge(resources::storage::router())
        .fallback(resources::shortener::redirect::by_host)
        .layer(middleware::from_fn_with_state(state.clone(), read_your_writes))
        .layer(middleware::from_fn(api_error_bodies))
        .layer(middleware::from_fn(super::metrics::record))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            // The fields are read only when the span is enabled (`RUST_LOG` at `info` or finer).
            tracing::info_span!(
                "request",
                method = %req.method(),
                route = %req.extensions().get::<MatchedPath>().map_or("", |m| m.as_str()),
                request_id = %req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("")
            )
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

/// A write answered with success leaves once this instance's caches have heard every change it
/// committed (`cache::barrier`): the client's next read here sees its write, even of rows the
/// handler did not name (a cascade, a batch, a trigger).
async fn read_your_writes(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // The list engine finds this instance's remembered totals through the request's task.
    let res = crate::db::counts::scope(state.objects.counts.clone(), next.run(req)).await;
    if write && res.status().is_success() {
        state.caches_caught_up().await;
    }
    res
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
