//! The OpenAPI 3.1 document, generated from the route table (every route the router serves, with
//! its method, path, path parameters, the scopes its authentication checks, the request body its
//! handler reads and the reply and tag the route declares) and the declared types' `utoipa`
//! schemas; served at `GET /core/v2/openapi.json`. Nothing in it is written by hand, and nothing
//! is guessed from a name: a route added to the table is in the document as it is declared.

pub mod introspect;

use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{
    ComponentsBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, SchemaType, Type,
};
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
    /// The type the body is parsed into: named by the extractor (`Body<T>`, `Update<T>`) or
    /// declared with the route (`.body::<T>()`, `.batch_of::<T>()`).
    pub body: Option<BodyType>,
    /// The body is one `body` or an array of them (the admin ingestion routes).
    pub batch: bool,
    /// A file upload: `multipart/form-data` (a `file_object` JSON part and a `data` part) or the
    /// bytes as `application/octet-stream` (the storage upload).
    pub upload: bool,
}

/// An input type, known from the handler's signature: its name and the fields a client sets.
#[derive(Clone, Copy, Debug)]
pub struct BodyType {
    pub name: fn() -> &'static str,
    pub fields: fn() -> Vec<&'static str>,
}

impl BodyType {
    pub fn of<T: serde::de::DeserializeOwned>() -> Self {
        BodyType {
            name: || std::any::type_name::<T>().rsplit("::").next().unwrap_or("Input"),
            fields: introspect::writable_fields::<T>,
        }
    }
}

/// A type of the contract, known from its `ToSchema`: its schema's name, and how it puts its
/// schema (with every schema it refers to) into the document's components.
#[derive(Clone, Copy)]
pub struct Wire {
    name: fn() -> String,
    register: fn(&mut utoipa::openapi::Components),
}

impl std::fmt::Debug for Wire {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&(self.name)())
    }
}

impl Wire {
    fn register_in(&self, components: &mut utoipa::openapi::Components) {
        (self.register)(components)
    }

    pub fn of<T: ToSchema>() -> Self {
        Wire {
            name: || T::name().into_owned(),
            register: |c| {
                let mut nested = Vec::new();
                T::schemas(&mut nested);
                c.schemas.insert(T::name().into_owned(), T::schema());
                c.schemas.extend(nested);
            },
        }
    }
}

/// What a route answers with (its success response), declared where it is registered:
/// `api.route(..).returns(Reply::object::<Did>())`.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    /// 200 with one object.
    Object(Wire),
    /// 200 with a page of objects in the list envelope.
    List(Wire),
    /// 200 with the object when one was sent, else the array of them (the ingestion routes).
    OneOrMany(Wire),
    /// 201 with the object made (an upload).
    Created(Wire),
    /// 204 without a body.
    NoContent,
    /// 200 with a document of this media type (CSV, HTML, PDF, ...).
    Document(&'static str),
}

impl Reply {
    pub fn object<T: ToSchema>() -> Self {
        Reply::Object(Wire::of::<T>())
    }

    pub fn list<T: ToSchema>() -> Self {
        Reply::List(Wire::of::<T>())
    }

    pub fn one_or_many<T: ToSchema>() -> Self {
        Reply::OneOrMany(Wire::of::<T>())
    }

    pub fn created<T: ToSchema>() -> Self {
        Reply::Created(Wire::of::<T>())
    }

    pub fn no_content() -> Self {
        Reply::NoContent
    }

    pub fn document(media_type: &'static str) -> Self {
        Reply::Document(media_type)
    }

    /// The wire type answered, if any.
    fn wire(&self) -> Option<Wire> {
        match self {
            Reply::Object(w) | Reply::List(w) | Reply::OneOrMany(w) | Reply::Created(w) => Some(*w),
            Reply::NoContent | Reply::Document(_) => None,
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
impl<T: serde::de::DeserializeOwned> Input for super::extract::Body<T> {
    fn describe(i: &mut Inputs) {
        i.json = true;
        i.body = Some(BodyType::of::<T>());
    }
}
impl Input for super::listing::ApiBase {}
impl Input for super::extract::FormBody {
    fn describe(i: &mut Inputs) {
        i.form = true;
    }
}

fn schema_ref(name: &str) -> RefOr<Schema> {
    RefOr::Ref(Ref::from_schema_name(name))
}

/// One `item`, or an array of them.
fn one_or_many(item: &str) -> RefOr<Schema> {
    OneOfBuilder::new()
        .item(schema_ref(item))
        .item(utoipa::openapi::schema::ArrayBuilder::new().items(schema_ref(item)))
        .into()
}

/// The schema of a document of `media_type`: JSON text is an object, any other a string.
fn document_schema(media_type: &str) -> RefOr<Schema> {
    let kind = if media_type == "application/json" { Type::Object } else { Type::String };
    ObjectBuilder::new().schema_type(kind).into()
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
/// itself), each described as the wire type `wire` (the route's reply) describes it.
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
    let mut components = ComponentsBuilder::new()
        .security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)))
        .security_scheme("basic", SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)))
        .build();
    // The schemas of the error bodies, and of every type a route declares it answers with.
    Wire::of::<crate::http::error::ErrorBody>().register_in(&mut components);
    Wire::of::<crate::http::error::MalformedJsonBody>().register_in(&mut components);
    for w in table.iter().filter_map(|r| r.reply.as_ref().and_then(Reply::wire)) {
        w.register_in(&mut components);
    }
    let mut paths = PathsBuilder::new();
    let mut by_path: std::collections::BTreeMap<&str, Vec<&RouteInfo>> = Default::default();
    for r in table {
        by_path.entry(r.path.as_str()).or_default().push(r);
    }
    for (path, routes) in by_path {
        for r in routes {
            let name = r
                .summary
                .map_or_else(|| r.handler.rsplit("::").next().unwrap_or(r.handler).replace('_', " "), str::to_owned);
            let mut op = OperationBuilder::new()
                .operation_id(Some(format!(
                    "{}{}",
                    r.method.as_str().to_ascii_lowercase(),
                    path.replace(['/', '{', '}', '.'], "_")
                )))
                .summary(Some(name))
                .tag(if path.starts_with("/admin") { format!("{} (admin)", r.tag) } else { r.tag.to_owned() });
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
            let declared = r.query.iter().map(|a| {
                let kind = match a.kind {
                    super::router::ArgKind::Text => Type::String,
                    super::router::ArgKind::Integer => Type::Integer,
                    super::router::ArgKind::Boolean => Type::Boolean,
                };
                (a.name, kind, a.description, a.required)
            });
            for (param, kind, description, required) in
                query_parameters(r).into_iter().map(|(n, t, d)| (n, t, d, false)).chain(declared)
            {
                op = op.parameter(
                    ParameterBuilder::new()
                        .name(param)
                        .parameter_in(ParameterIn::Query)
                        .required(if required { Required::True } else { Required::False })
                        .description(Some(description))
                        .schema(Some(ObjectBuilder::new().schema_type(kind))),
                );
            }
            let (status, ok) = match r.reply {
                Some(Reply::List(w)) => (
                    "200",
                    ResponseBuilder::new()
                        .description("a page of objects")
                        .content("application/json", Content::new(Some(envelope(&(w.name)())))),
                ),
                Some(Reply::Object(w)) => (
                    "200",
                    ResponseBuilder::new()
                        .description("the object")
                        .content("application/json", Content::new(Some(schema_ref(&(w.name)())))),
                ),
                Some(Reply::Created(w)) => (
                    "201",
                    ResponseBuilder::new()
                        .description("the object made")
                        .content("application/json", Content::new(Some(schema_ref(&(w.name)())))),
                ),
                Some(Reply::OneOrMany(w)) => (
                    "200",
                    ResponseBuilder::new()
                        .description("the object, or the array of them when an array was sent")
                        .content("application/json", Content::new(Some(one_or_many(&(w.name)())))),
                ),
                Some(Reply::NoContent) => ("204", ResponseBuilder::new().description("no content")),
                Some(Reply::Document(media_type)) => (
                    "200",
                    ResponseBuilder::new()
                        .description("the document")
                        .content(media_type, Content::new(Some(document_schema(media_type)))),
                ),
                None => ("200", ResponseBuilder::new().description("the document")),
            };
            op = op.response(status, ok.build());
            let wire = r.reply.as_ref().and_then(Reply::wire).map(|w| (w.name)());
            if r.inputs.json {
                let schema = match (r.inputs.body, &wire) {
                    (Some(input), wire) => {
                        let name = input_schema(&mut components, input, wire.as_deref().unwrap_or_default());
                        if r.inputs.batch {
                            one_or_many(&name)
                        } else {
                            schema_ref(&name)
                        }
                    }
                    (None, _) => ObjectBuilder::new().schema_type(Type::Object).into(),
                };
                op = op.request_body(Some(
                    RequestBodyBuilder::new().content("application/json", Content::new(Some(schema))).build(),
                ));
            } else if r.inputs.upload {
                let binary = || {
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                };
                let parts = ObjectBuilder::new()
                    .schema_type(Type::Object)
                    .property(
                        "file_object",
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .description(Some("the File's attributes as JSON (container_sid, name, ...)")),
                    )
                    .property("data", binary())
                    .required("data");
                op = op.request_body(Some(
                    RequestBodyBuilder::new()
                        .content("multipart/form-data", Content::new(Some(parts)))
                        .content("application/octet-stream", Content::new(Some(binary())))
                        .build(),
                ));
                op = op.response("413", error("the file is larger than the server takes"));
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
            if r.inputs.json || r.inputs.form || r.inputs.upload {
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
