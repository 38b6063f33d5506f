//! The list engine every collection uses: `limit`, `offset`, `order`, `filter`, `after`/`before`
//! keyset pages, `total`, `pagination` links and field filtering. A resource supplies only its
//! declarative [`ListSpec`] and the SQL source of its rows.

pub mod filter;
pub mod projection;
pub mod sql;

use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::QueryParams;
use crate::state::AppState;
pub use projection::Projection;
pub use sql::{Field, FieldType, Qb};

pub const MAX_LIMIT: i64 = 1000;

/// Keyset paging (`after`/`before`) for record lists: the order they follow.
#[derive(Clone, Copy, Debug)]
pub struct Keyset {
    /// The field (of `fields`) the records are ordered by, e.g. `date_stop`.
    pub order_field: &'static str,
    /// The table and its unqualified columns, to find the record named by `after`/`before`.
    pub table: &'static str,
    pub order_column: &'static str,
    pub sid_column: &'static str,
}

/// What a resource declares about its collection.
#[derive(Clone, Copy, Debug)]
pub struct ListSpec {
    /// The attributes that can be filtered and ordered, with their SQL.
    pub fields: &'static [Field],
    /// The SQL of the secure ID: ties are broken by it.
    pub sid: &'static str,
    /// The default order (SQL), e.g. the internal id.
    pub default_order: &'static str,
    pub default_limit: i64,
    /// Whether `total` is counted (else `null`).
    pub total: bool,
    pub keyset: Option<Keyset>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Order {
    Default,
    Field { sql: &'static str, desc: bool, text: bool },
    Shuffle,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cursor {
    After(Uuid),
    Before(Uuid),
}

/// A list request, parsed and checked against the spec.
#[derive(Clone, Debug)]
pub struct ListQuery {
    pub limit: i64,
    pub offset: i64,
    pub order: Order,
    pub filter: Vec<filter::Condition>,
    pub cursor: Option<Cursor>,
    pub projection: Projection,
    /// The list is read in its keyset order: its links page by `after`/`before`, so deep pages
    /// cost what the first one does.
    pub keyset_order: bool,
}

impl ListQuery {
    pub fn parse(q: &QueryParams, spec: &ListSpec) -> ApiResult<Self> {
        let limit = match q.get("limit") {
            None | Some("") => spec.default_limit,
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| ApiError::bad_param("limit", "must be an integer"))?;
                if n < 0 {
                    return Err(ApiError::bad_param("limit", "must not be negative"));
                }
                if n > MAX_LIMIT {
                    return Err(ApiError::bad_param("limit", format!("cannot exceed {MAX_LIMIT}")));
                }
                n
            }
        };
        let offset = match q.get("offset") {
            None | Some("") => 0,
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| ApiError::bad_param("offset", "must be an integer"))?;
                if n < 0 {
                    return Err(ApiError::bad_param("offset", "must not be negative"));
                }
                n
            }
        };
        let cursor = match (q.get("after").filter(|s| !s.is_empty()), q.get("before").filter(|s| !s.is_empty())) {
            (None, None) => None,
            (Some(_), Some(_)) => return Err(ApiError::bad_param("after", "after and before cannot be combined")),
            (a, b) => {
                let Some((name, raw)) = a.map(|v| ("after", v)).or(b.map(|v| ("before", v))) else {
                    return Err(ApiError::bad_param("after", "after or before is needed"));
                };
                if spec.keyset.is_none() {
                    return Err(ApiError::bad_param(name, "this list does not support after/before paging"));
                }
                if offset != 0 {
                    return Err(ApiError::bad_param("offset", "offset cannot be combined with after/before"));
                }
                let sid = Uuid::parse_str(raw.trim()).map_err(|_| ApiError::bad_param(name, "must be a secure ID"))?;
                Some(if name == "after" { Cursor::After(sid) } else { Cursor::Before(sid) })
            }
        };
        let order = match q.get("order").map(str::trim).filter(|s| !s.is_empty()) {
            None => Order::Default,
            Some(o) if o.eq_ignore_ascii_case("shuffle") => Order::Shuffle,
            Some(o) => {
                let mut words = o.split_whitespace();
                let name = words.next().unwrap_or_default();
                let desc = match words.next().map(|w| w.to_ascii_lowercase()) {
                    None => false,
                    Some(w) if w == "asc" => false,
                    Some(w) if w == "desc" => true,
                    Some(w) => {
                        return Err(ApiError::bad_param("order", format!("direction '{w}' must be asc or desc")))
                    }
                };
                if words.next().is_some() {
                    return Err(ApiError::bad_param(
                        "order",
                        "must be 'field', 'field asc', 'field desc' or 'shuffle'",
                    ));
                }
                let field = spec
                    .fields
                    .iter()
                    .find(|f| f.name == name)
                    .ok_or_else(|| ApiError::bad_param("order", format!("unknown field '{name}'")))?;
                if !field.sortable() {
                    return Err(ApiError::bad_param("order", format!("cannot order by '{name}'")));
                }
                Order::Field { sql: field.sql, desc, text: field.ty == FieldType::Text }
            }
        };
        let keyset_order = match (&order, spec.keyset) {
            (_, None) => false,
            (Order::Default, Some(_)) => true,
            (Order::Field { sql, desc, .. }, Some(ks)) => {
                !desc && spec.fields.iter().any(|f| f.name == ks.order_field && f.sql == *sql)
            }
            (Order::Shuffle, Some(_)) => false,
        };
        if cursor.is_some() && !keyset_order {
            return Err(ApiError::bad_param("order", "after/before pages follow the list's own order"));
        }
        let filter = match q.get("filter") {
            None => Vec::new(),
            Some(f) => filter::parse(f).map_err(|m| ApiError::bad_param("filter", m))?,
        };
        // Check the fields now, so a bad filter is a 400 before any SQL runs.
        let mut probe = Qb::new("");
        sql::push_conditions(&mut probe, spec.fields, &filter).map_err(|m| ApiError::bad_param("filter", m))?;
        Ok(ListQuery { limit, offset, order, filter, cursor, projection: Projection::from_query(q), keyset_order })
    }
}

/// One page of rows.
#[derive(Debug)]
pub struct Page<R> {
    pub items: Vec<R>,
    pub has_more: bool,
    pub total: Option<i64>,
}

/// Runs the list query. `select` is the column list, `from` the FROM clause; `scope` appends
/// ` AND ...` conditions (tenancy, path arguments) with bound values.
pub async fn fetch<'e, R, E>(
    exec: E,
    spec: &ListSpec,
    q: &ListQuery,
    select: &str,
    from: &str,
    scope: &(dyn Fn(&mut Qb<'_>) + Send + Sync),
) -> ApiResult<Page<R>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    E: PgExecutor<'e> + Copy,
{
    let mut qb = Qb::new("SELECT ");
    qb.push(select);
    qb.push(" FROM ").push(from).push(" WHERE true");
    scope(&mut qb);
    sql::push_conditions(&mut qb, spec.fields, &q.filter).map_err(|m| ApiError::bad_param("filter", m))?;

    let mut reverse = false;
    match (q.cursor, spec.keyset) {
        (Some(cursor), Some(ks)) => {
            let order_sql =
                spec.fields.iter().find(|f| f.name == ks.order_field).map(|f| f.sql).unwrap_or(ks.order_column);
            let (cmp, sid, dir) = match cursor {
                Cursor::After(s) => (">", s, "ASC"),
                Cursor::Before(s) => ("<", s, "DESC"),
            };
            reverse = matches!(cursor, Cursor::Before(_));
            qb.push(" AND (").push(order_sql).push(", ").push(spec.sid).push(") ").push(cmp);
            qb.push(" (SELECT k.").push(ks.order_column).push(", k.").push(ks.sid_column);
            qb.push(" FROM ")
                .push(ks.table)
                .push(" k WHERE k.")
                .push(ks.sid_column)
                .push(" = ")
                .push_bind(sid)
                .push(")");
            qb.push(" ORDER BY ").push(order_sql).push(" ").push(dir).push(", ").push(spec.sid).push(" ").push(dir);
        }
        _ => {
            qb.push(" ORDER BY ");
            match &q.order {
                Order::Default => {
                    qb.push(spec.default_order).push(", ").push(spec.sid);
                }
                Order::Field { sql, desc, text } => {
                    let dir = if *desc { " DESC" } else { " ASC" };
                    qb.push(*sql);
                    if *text {
                        // Names sort as people expect ("Åland" with the A's), not by byte.
                        qb.push(" COLLATE \"und-x-icu\"");
                    }
                    qb.push(dir).push(", ").push(spec.sid).push(dir);
                }
                Order::Shuffle => {
                    qb.push("random()");
                }
            }
        }
    }
    qb.push(" LIMIT ").push_bind(q.limit + 1);
    if q.cursor.is_none() {
        qb.push(" OFFSET ").push_bind(q.offset);
    }
    let rows: Vec<PgRow> = qb.build().fetch_all(exec).await?;
    let has_more = rows.len() as i64 > q.limit;
    let mut total = None;
    let mut items = rows.iter().take(q.limit as usize).map(R::from_row).collect::<Result<Vec<R>, _>>()?;
    if reverse {
        items.reverse();
    }
    if spec.total && q.offset == 0 && !has_more {
        // Everything matching is on this page.
        total = Some(items.len() as i64);
    } else if spec.total {
        // A separate count (index-only where the indexes allow) beats a window over wide rows.
        let mut cq = Qb::new("SELECT COUNT(*) FROM ");
        cq.push(from).push(" WHERE true");
        scope(&mut cq);
        sql::push_conditions(&mut cq, spec.fields, &q.filter).map_err(|m| ApiError::bad_param("filter", m))?;
        total = Some(cq.build_query_scalar::<i64>().fetch_one(exec).await?);
    }
    Ok(Page { items, has_more, total })
}

/// The absolute URL of the current request's path, for `pagination` links.
#[derive(Clone, Debug)]
pub struct RequestUrl {
    pub base: String,
    pub query: QueryParams,
}

impl FromRequestParts<AppState> for RequestUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let path = parts
            .extensions
            .get::<OriginalUri>()
            .map(|u| u.0.path().to_owned())
            .unwrap_or_else(|| parts.uri.path().to_owned());
        let base = absolute_url(&parts.headers, state.config.public_url(), &path);
        Ok(RequestUrl { base, query: QueryParams::parse(parts.uri.query())? })
    }
}

/// `CARRIERX_PUBLIC_URL` (the URL of `/core/v2`) or the request's Host and forwarding headers.
pub fn absolute_url(headers: &HeaderMap, public_url: Option<&str>, path: &str) -> String {
    const PREFIX: &str = "/core/v2";
    if let Some(public) = public_url {
        let rest = path.strip_prefix(PREFIX).unwrap_or(path);
        return format!("{public}{rest}");
    }
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_graphic()))
    };
    let scheme = h("x-forwarded-proto").filter(|s| s == "http" || s == "https").unwrap_or_else(|| "http".into());
    let host = h("x-forwarded-host").or_else(|| h(header::HOST.as_str())).unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}{path}")
}

/// The list envelope.
#[derive(Debug, Serialize)]
pub struct Envelope<I> {
    pub count: usize,
    pub has_more: bool,
    pub items: Vec<I>,
    pub limit: i64,
    pub offset: i64,
    pub pagination: Map<String, Value>,
    pub total: Option<i64>,
}

fn link(url: &RequestUrl, first: Option<(&str, String)>, drop: &[&str], limit: i64, last: (&str, String)) -> Value {
    let mut pairs: Vec<(String, String)> = Vec::new();
    if let Some((k, v)) = first {
        pairs.push((k.into(), v));
    }
    let mut has_limit = false;
    for (k, v) in &url.query.0 {
        if drop.contains(&k.as_str()) || k == last.0 {
            continue;
        }
        has_limit |= k == "limit";
        pairs.push((k.clone(), v.clone()));
    }
    if !has_limit {
        pairs.push(("limit".into(), limit.to_string()));
    }
    pairs.push((last.0.into(), last.1));
    let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    Value::String(format!("{}?{}", url.base, qs))
}

/// The `pagination` links: absolute, keeping every other argument. Offset pages link by
/// `offset`; lists read in their keyset order link by `after`/`before` and the secure IDs of
/// the last and first items.
pub fn pagination(
    first_sid: Option<String>,
    last_sid: Option<String>,
    has_more: bool,
    q: &ListQuery,
    url: &RequestUrl,
) -> Map<String, Value> {
    let mut pagination = Map::new();
    if q.keyset_order {
        let (more_after, more_before) = match q.cursor {
            Some(Cursor::After(_)) => (has_more, true),
            Some(Cursor::Before(_)) => (true, has_more),
            None => (has_more, q.offset > 0),
        };
        if more_before {
            if let Some(s) = first_sid {
                pagination.insert(
                    "previous".into(),
                    link(url, Some(("before", s)), &["after", "before", "offset"], q.limit, ("offset", "0".into())),
                );
            }
        }
        if more_after {
            if let Some(s) = last_sid {
                pagination.insert(
                    "next".into(),
                    link(url, Some(("after", s)), &["after", "before", "offset"], q.limit, ("offset", "0".into())),
                );
            }
        }
    } else {
        if has_more {
            pagination.insert(
                "next".into(),
                link(url, None, &["after", "before"], q.limit, ("offset", (q.offset + q.limit).to_string())),
            );
        }
        if q.offset > 0 {
            let prev = (q.offset - q.limit).max(0);
            pagination.insert(
                "previous".into(),
                link(url, None, &["after", "before"], q.limit, ("offset", prev.to_string())),
            );
        }
    }
    pagination
}

/// The absolute URL of `/core/v2` for links the server writes (mails, documents).
#[derive(Clone, Debug)]
pub struct ApiBase(pub String);

impl FromRequestParts<AppState> for ApiBase {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        Ok(ApiBase(absolute_url(&parts.headers, state.config.public_url(), "/core/v2")))
    }
}
