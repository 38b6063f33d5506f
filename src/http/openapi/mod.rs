//! The OpenAPI 3.1 document, generated from the route table (every route the router serves, with
//! its method, path, path parameters and the scopes its authentication checks) and the wire
//! types' `utoipa` schemas; served at `GET /core/v2/openapi.json`. Nothing in it is written by
//! hand: a route added to the table is in the document.

pub mod introspect;

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ComponentsBuilder, ObjectBuilder, OneOfBuilder, SchemaType, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Content, InfoBuilder, OpenApi, OpenApiBuilder, PathsBuilder, Ref, RefOr, Required, ResponseBuilder, Schema,
    ServerBuilder,
};
use utoipa::ToSchema;

use super::auth::{admin_scope_for, AuthMode};
use super::router::RouteInfo;

/// What a handler reads from the request, known from its extractors' types: the operation's
/// query parameters and request body come from the handler's signature, not from a list.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inputs {
    /// The list engine's parameters (`RequestUrl`).
    pub list: bool,
    /// Field filtering and the other query flags of one object (`QueryParams`).
    pub query: bool,
    /// A JSON body (`JsonBody`).
    pub json: bool,
    /// A form body (`FormBody`).
    pub form: bool,
    /// A PATCH/PUT body merged into the object (`Update<T>`; PATCH reads `nested_objects`).
    pub update: bool,
    /// The type the body is parsed into, when the extractor names it (`Update<T>`).
    pub body: Option<BodyType>,
}

/// An input type, known from the handler's signature: its name and the fields a client sets.
#[derive(Clone, Copy, Debug)]
pub struct BodyType {
    pub name: fn() -> &'static str,
    pub fields: fn() -> Vec<&'static str>,
}

impl BodyType {
    fn of<T: serde::de::DeserializeOwned>() -> Self {
        BodyType {
            name: || std::any::type_name::<T>().rsplit("::").next().unwrap_or("Input"),
            fields: introspect::writable_fields::<T>,
        }
    }
}

/// An extractor's part of a handler's [`Inputs`] (nothing, for most).
pub trait Input {
    fn describe(_inputs: &mut Inputs) {}
}

/// A handler's argument tuple (axum's `Handler<T, S>` `T`): the union of its extractors' inputs.
pub trait HandlerInputs {
    fn inputs() -> Inputs;
}

macro_rules! handler_inputs {
    ($($t:ident),*) => {
        impl<M, $($t: Input),*> HandlerInputs for (M, $($t,)*) {
            fn inputs() -> Inputs {
                #[allow(unused_mut)]
                let mut i = Inputs::default();
                $($t::describe(&mut i);)*
                i
            }
        }
    };
}
handler_inputs!();
handler_inputs!(T1);
handler_inputs!(T1, T2);
handler_inputs!(T1, T2, T3);
handler_inputs!(T1, T2, T3, T4);
handler_inputs!(T1, T2, T3, T4, T5);
handler_inputs!(T1, T2, T3, T4, T5, T6);

impl<S> Input for axum::extract::State<S> {}
impl Input for axum::extract::OriginalUri {}
impl<T> Input for super::extract::PathParams<T> {}
impl Input for super::auth::Caller {}
impl Input for super::auth::MaybeCaller {}
impl Input for super::listing::RequestUrl {
    fn describe(i: &mut Inputs) {
        i.list = true;
    }
}
impl Input for super::extract::QueryParams {
    fn describe(i: &mut Inputs) {
        i.query = true;
    }
}
impl Input for super::extract::JsonBody {
    fn describe(i: &mut Inputs) {
        i.json = true;
    }
}
impl<T: serde::de::DeserializeOwned> Input for super::patch::Update<T> {
    fn describe(i: &mut Inputs) {
        i.json = true;
        i.update = true;
        i.body = Some(BodyType::of::<T>());
    }
}
impl Input for super::listing::ApiBase {}
impl Input for super::extract::FormBody {
    fn describe(i: &mut Inputs) {
        i.form = true;
    }
}

fn add<T: ToSchema>(c: ComponentsBuilder) -> ComponentsBuilder {
    let mut nested = Vec::new();
    T::schemas(&mut nested);
    c.schema_from::<T>().schemas_from_iter(nested)
}

fn components() -> ComponentsBuilder {
    use crate::resources::*;
    let mut c = ComponentsBuilder::new();
    c = add::<crate::http::error::ErrorBody>(c);
    c = add::<crate::http::error::MalformedJsonBody>(c);
    c = add::<partners::types::Partner>(c);
    c = add::<billing_method::types::BillingMethod>(c);
    c = add::<oauth::types::OAuthToken>(c);
    c = add::<oauth::types::PartnerLogin>(c);
    c = add::<countries::types::Country>(c);
    c = add::<access_control::types::AccessControlRule>(c);
    c = add::<access_control::types::EffectiveLayer>(c);
    c = add::<endpoints::types::Endpoint>(c);
    c = add::<trunk_groups::types::TrunkGroup>(c);
    c = add::<trunk_groups::types::Trunk>(c);
    c = add::<dids::types::Did>(c);
    c = add::<dids::repo::CoverageItem>(c);
    c = add::<did_groups::types::DidGroup>(c);
    c = add::<prefixes::types::Prefix>(c);
    c = add::<calls::types::CallDr>(c);
    c = add::<rates::types::RateCall>(c);
    c = add::<rates::types::DidRate>(c);
    c = add::<rates::types::RatePlan>(c);
    c = add::<lookup::types::PhonenumberLookup>(c);
    c = add::<lookup::types::IpLocation>(c);
    c = add::<lookup::types::IpCountry>(c);
    c = add::<lookup::types::LrnRecord>(c);
    c = add::<lookup::types::CnamRecord>(c);
    c = add::<batch::types::Task>(c);
    c = add::<batch::types::ReviewResponse>(c);
    c = add::<batch::types::ErrorDetail>(c);
    c = add::<invoices::types::Invoice>(c);
    c = add::<mail::types::MailItem>(c);
    c
}

/// The schema a handler answers with, from its module and name (`dids::handlers::rent_did` →
/// `Did`); `None`: no body (204) or a document of another type.
fn schema_of(handler: &str) -> Option<&'static str> {
    let parts: Vec<&str> = handler.split("::").collect();
    let module = parts.iter().position(|p| *p == "resources").and_then(|i| parts.get(i + 1)).copied()?;
    let name = *parts.last()?;
    Some(match (module, name) {
        (_, n) if n.starts_with("delete_") || n.starts_with("release_") || n == "revoke" => return None,
        ("partners", _) => "Partner",
        ("billing_method", _) => "BillingMethod",
        ("oauth", "whoami") => "Partner",
        ("oauth", n) if n.contains("login") => "PartnerLogin",
        ("oauth", _) => "OAuthToken",
        ("countries", _) => "Country",
        ("access_control", n) if n.contains("effective") => "EffectiveLayer",
        ("access_control", _) => "AccessControlRule",
        ("endpoints", _) => "Endpoint",
        ("trunk_groups", n) if n.contains("trunk_group") => "TrunkGroup",
        ("trunk_groups", _) => "Trunk",
        ("dids", "coverage") => "CoverageItem",
        ("dids", _) => "Did",
        ("did_groups", _) => "DidGroup",
        ("prefixes", _) => "Prefix",
        ("rates", "did_rates") => "DidRate",
        ("rates", n) if n.contains("plan") => "RatePlan",
        ("rates", _) => "RateCall",
        ("calls", _) => "CallDr",
        ("lookup", "country_by_ip") => "IpCountry",
        ("lookup", "lookup_ip") => "IpLocation",
        ("lookup", n) if n.contains("lrn") => "LrnRecord",
        ("lookup", n) if n.contains("cnam") => "CnamRecord",
        ("lookup", _) => "PhonenumberLookup",
        ("batch", n) if n.contains("review") => "ReviewResponse",
        ("batch", "list_errors") => "ErrorDetail",
        ("batch", _) => "Task",
        ("invoices", _) => "Invoice",
        ("mail", _) => "MailItem",
        _ => return None,
    })
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// The list envelope around `item`.
fn envelope(item: &str) -> RefOr<Schema> {
    let int = || ObjectBuilder::new().schema_type(Type::Integer);
    ObjectBuilder::new()
        .property("count", int())
        .property("has_more", ObjectBuilder::new().schema_type(Type::Boolean))
        .property("items", utoipa::openapi::schema::ArrayBuilder::new().items(schema_ref(item)))
        .property("limit", int())
        .property("offset", int())
        .property("pagination", ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Object, Type::Null])))
        // `null` on the lists whose samples show it (keyset record lists, tokens, the inventory).
        .property("total", ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::Integer, Type::Null])))
        .required("count")
        .required("has_more")
        .required("items")
        .required("limit")
        .required("offset")
        .required("pagination")
        .into()
}

/// The schema of an input type, once per document: the fields a client sets (read from the type
/// itself), each described as the wire type `wire` describes it.
fn input_schema(components: &mut utoipa::openapi::Components, input: BodyType, wire: &str) -> String {
    let name = (input.name)().to_owned();
    if components.schemas.contains_key(&name) {
        return name;
    }
    let described = match components.schemas.get(wire) {
        Some(RefOr::T(Schema::Object(o))) => o.properties.clone(),
        _ => Default::default(),
    };
    let mut object = ObjectBuilder::new().schema_type(Type::Object).description(Some(format!(
        "What a client sets on the {wire} object; its read-only fields are accepted and ignored."
    )));
    for field in (input.fields)() {
        let schema = described.get(field).cloned().unwrap_or_else(|| RefOr::T(Schema::Object(Default::default())));
        object = object.property(field, schema);
    }
    components.schemas.insert(name.clone(), object.into());
    name
}

/// The query parameters of a route, from what its handler reads.
fn query_parameters(r: &RouteInfo) -> Vec<(&'static str, Type, &'static str)> {
    let mut out = Vec::new();
    let get = r.method == axum::http::Method::GET;
    if r.inputs.list && !get {
        // A write that picks its object with the filter language (renting the first match).
        out.push(("filter", Type::String, "conditions joined by and that the object chosen must meet"));
    }
    if r.inputs.list && get {
        out.extend([
            (
                "limit",
                Type::Integer,
                "items on a page, at most 1000 (default 10; 1000 on the call and message record lists)",
            ),
            ("offset", Type::Integer, "items to skip (default 0); not with after/before"),
            ("after", Type::String, "the page after the item with this secure ID (keyset paging)"),
            ("before", Type::String, "the page before the item with this secure ID (keyset paging)"),
            ("order", Type::String, "field, field asc, field desc, or shuffle"),
            ("filter", Type::String, "conditions joined by and, e.g. name eq 'x' and date_created ge 2024-10-31"),
        ]);
    }
    if r.inputs.list || r.inputs.query {
        out.extend([
            ("include_fields", Type::String, "comma-separated fields to answer with"),
            ("exclude_fields", Type::String, "comma-separated fields to leave out"),
        ]);
    }
    if r.inputs.update && r.method == axum::http::Method::PATCH {
        out.push(("nested_objects", Type::String, "replace: nested objects and arrays replace the current ones"));
    }
    out
}

fn method_of(m: &axum::http::Method) -> HttpMethod {
    match m.as_str() {
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "HEAD" => HttpMethod::Head,
        "OPTIONS" => HttpMethod::Options,
        _ => HttpMethod::Get,
    }
}

/// The document of `table` (paths relative to `/core/v2`).
pub fn document(table: &[RouteInfo]) -> OpenApi {
    let error = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", Content::new(Some(schema_ref("ErrorBody"))))
            .build()
    };
    let mut components = components()
        .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
        .security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)))
        .build();
    let mut paths = PathsBuilder::new();
    let mut by_path: std::collections::BTreeMap<&str, Vec<&RouteInfo>> = Default::default();
    for r in table {
        by_path.entry(r.path.as_str()).or_default().push(r);
    }
    // A collection's POST takes the input type its objects' PATCH/PUT declare.
    let mut inputs_of_collection: std::collections::HashMap<&str, BodyType> = Default::default();
    for r in table {
        if let (Some(b), Some((collection, last))) = (r.inputs.body, r.path.rsplit_once('/')) {
            if last.starts_with('{') {
                inputs_of_collection.insert(collection, b);
            }
        }
    }
    for (path, routes) in by_path {
        for r in routes {
            let name = r.handler.rsplit("::").next().unwrap_or(r.handler);
            let module = r.handler.split("::resources::").nth(1).and_then(|m| m.split("::").next()).unwrap_or("local");
            let mut op = OperationBuilder::new()
                .operation_id(Some(format!(
                    "{}{}",
                    r.method.as_str().to_ascii_lowercase(),
                    path.replace(['/', '{', '}', '.'], "_")
                )))
                .summary(Some(name.replace('_', " ")))
                .tag(if path.starts_with("/admin") { format!("{module} (admin)") } else { module.to_owned() });
            for seg in path.split('/').filter(|s| s.starts_with('{') && s.ends_with('}')) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(&seg[1..seg.len() - 1])
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
                );
            }
            // Scopes: any one of the route's, and on /admin routes the admin scope of the verb.
            let mut scopes: Vec<String> = r.auth.scopes.iter().map(|s| s.as_str().to_owned()).collect();
            if r.auth.admin {
                scopes.push(admin_scope_for(&r.method).as_str().to_owned());
            }
            if r.auth.mode != AuthMode::Public {
                op = op
                    .security(SecurityRequirement::new("bearer", scopes.clone()))
                    .security(SecurityRequirement::new("basic", scopes.clone()));
                let mut d = String::new();
                if !r.auth.scopes.is_empty() {
                    d.push_str(&format!(
                        "Scopes (any of): {}.",
                        r.auth.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ));
                }
                if r.auth.admin {
                    d.push_str(&format!(" Admin route: also {}.", admin_scope_for(&r.method).as_str()));
                }
                op = op.description(Some(d.trim().to_owned()));
                op = op.response("401", error("authentication required")).response("403", error("permission denied"));
            }
            for (param, kind, description) in query_parameters(r) {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(param)
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .description(Some(description))
                        .schema(Some(ObjectBuilder::new().schema_type(kind))),
                );
            }
            let body = schema_of(r.handler);
            let list = r.inputs.list && r.method == axum::http::Method::GET;
            let ok = match (&body, list) {
                (Some(s), true) => ResponseBuilder::new()
                    .description("a page of objects")
                    .content("application/json", Content::new(Some(envelope(s)))),
                (Some(s), false) => ResponseBuilder::new()
                    .description("the object")
                    .content("application/json", Content::new(Some(schema_ref(s)))),
                (None, _) if r.method == axum::http::Method::DELETE || name == "revoke" => {
                    ResponseBuilder::new().description("no content")
                }
                (None, _) => ResponseBuilder::new().description("the document"),
            };
            let status = if body.is_none() && (r.method == axum::http::Method::DELETE) { "204" } else { "200" };
            op = op.response(status, ok.build());
            if r.inputs.json {
                let input = r.inputs.body.or_else(|| {
                    (r.method == axum::http::Method::POST).then(|| inputs_of_collection.get(path).copied()).flatten()
                });
                let schema = match (input, body) {
                    (Some(input), Some(wire)) => schema_ref(&input_schema(&mut components, input, wire)),
                    (None, Some(wire)) => schema_ref(wire),
                    _ => ObjectBuilder::new().schema_type(Type::Object).into(),
                };
                op = op.request_body(Some(
                    RequestBodyBuilder::new().content("application/json", Content::new(Some(schema))).build(),
                ));
            } else if r.inputs.form {
                let fields = ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .additional_properties(Some(ObjectBuilder::new().schema_type(Type::String)));
                op = op.request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/x-www-form-urlencoded", Content::new(Some(fields)))
                        .build(),
                ));
            }
            if r.inputs.json || r.inputs.form {
                op = op.response("415", error("unsupported media type"));
            }
            if matches!(r.method.as_str(), "POST" | "PUT" | "PATCH") {
                op = op.response("422", error("object validation error"));
            }
            // A bad parameter or field; a body that is not JSON has the reference's other shape.
            let bad_request = ResponseBuilder::new()
                .description("invalid request parameter, or a body that is not JSON")
                .content(
                    "application/json",
                    Content::new(Some(
                        OneOfBuilder::new().item(schema_ref("ErrorBody")).item(schema_ref("MalformedJsonBody")),
                    )),
                )
                .build();
            op = op.response("400", bad_request);
            if path.contains('{') {
                op = op.response("404", error("no item error"));
            }
            // Operations of one path merge into its item.
            paths = paths.path(path, PathItem::new(method_of(&r.method), op.build()));
        }
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("carrierx-core: CarrierX Core API v2")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "A self-hostable clone of the CarrierX Core API v2. Generated from the server's route table.",
                )),
        )
        .servers(Some(vec![ServerBuilder::new().url("/core/v2").build()]))
        .paths(paths.build())
        .components(Some(components))
        .build()
}
