//! The list engine every collection uses, database side: `limit`, `offset`, `order`, `filter`,
//! `after`/`before` keyset pages and `total`, read through a resource's declarative [`ListSpec`]
//! with bound values only. The HTTP side (links, envelope, field filtering) is `http::listing`.

pub mod filter;
pub mod sql;

use sqlx::postgres::PgRow;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

use super::error::{RepoError, RepoResult};
pub use sql::{Field, FieldType, Qb};

/// The list parameters of a request, by name (the query string).
pub trait Params {
    fn param(&self, name: &str) -> Option<&str>;
}

/// A list parameter that cannot be used: the client's error, naming the parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParamError {
    pub field: &'static str,
    pub message: String,
}

fn bad(field: &'static str, message: impl Into<String>) -> ParamError {
    ParamError { field, message: message.into() }
}

impl From<ParamError> for RepoError {
    fn from(e: ParamError) -> Self {
        RepoError::BadParameter { field: e.field, message: e.message }
    }
}

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
    /// The list is read in its keyset order: its links page by `after`/`before`, so deep pages
    /// cost what the first one does.
    pub keyset_order: bool,
}

impl ListQuery {
    pub fn parse(q: &impl Params, spec: &ListSpec) -> Result<Self, ParamError> {
        let limit = match q.param("limit") {
            None | Some("") => spec.default_limit,
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| bad("limit", "must be an integer"))?;
                if n < 0 {
                    return Err(bad("limit", "must not be negative"));
                }
                if n > MAX_LIMIT {
                    return Err(bad("limit", format!("cannot exceed {MAX_LIMIT}")));
                }
                n
            }
        };
        let offset = match q.param("offset") {
            None | Some("") => 0,
            Some(v) => {
                let n: i64 = v.trim().parse().map_err(|_| bad("offset", "must be an integer"))?;
                if n < 0 {
                    return Err(bad("offset", "must not be negative"));
                }
                n
            }
        };
        let cursor = match (q.param("after").filter(|s| !s.is_empty()), q.param("before").filter(|s| !s.is_empty())) {
            (None, None) => None,
            (Some(_), Some(_)) => return Err(bad("after", "after and before cannot be combined")),
            (a, b) => {
                let Some((name, raw)) = a.map(|v| ("after", v)).or(b.map(|v| ("before", v))) else {
                    return Err(bad("after", "after or before is needed"));
                };
                if spec.keyset.is_none() {
                    return Err(bad(name, "this list does not support after/before paging"));
                }
                if offset != 0 {
                    return Err(bad("offset", "offset cannot be combined with after/before"));
                }
                let sid = Uuid::parse_str(raw.trim()).map_err(|_| bad(name, "must be a secure ID"))?;
                Some(if name == "after" { Cursor::After(sid) } else { Cursor::Before(sid) })
            }
        };
        let order = match q.param("order").map(str::trim).filter(|s| !s.is_empty()) {
            None => Order::Default,
            Some(o) if o.eq_ignore_ascii_case("shuffle") => Order::Shuffle,
            Some(o) => {
                let mut words = o.split_whitespace();
                let name = words.next().unwrap_or_default();
                let desc = match words.next().map(|w| w.to_ascii_lowercase()) {
                    None => false,
                    Some(w) if w == "asc" => false,
                    Some(w) if w == "desc" => true,
                    Some(w) => return Err(bad("order", format!("direction '{w}' must be asc or desc"))),
                };
                if words.next().is_some() {
                    return Err(bad("order", "must be 'field', 'field asc', 'field desc' or 'shuffle'"));
                }
                let field = spec
                    .fields
                    .iter()
                    .find(|f| f.name == name)
                    .ok_or_else(|| bad("order", format!("unknown field '{name}'")))?;
                if !field.sortable() {
                    return Err(bad("order", format!("cannot order by '{name}'")));
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
            return Err(bad("order", "after/before pages follow the list's own order"));
        }
        let filter = match q.param("filter") {
            None => Vec::new(),
            Some(f) => filter::parse(f).map_err(|m| bad("filter", m))?,
        };
        // Check the fields now, so a bad filter is a 400 before any SQL runs.
        let mut probe = Qb::new("");
        sql::push_conditions(&mut probe, spec.fields, &filter).map_err(|m| bad("filter", m))?;
        Ok(ListQuery { limit, offset, order, filter, cursor, keyset_order })
    }
}

/// Appends the filter's conditions (` AND ...`, bound values); a field outside `fields` is the
/// client's error.
pub fn push_filter(qb: &mut Qb<'_>, fields: &[Field], conds: &[filter::Condition]) -> RepoResult<()> {
    sql::push_conditions(qb, fields, conds).map_err(|m| RepoError::BadParameter { field: "filter", message: m })
}

/// One page of rows.
#[derive(Debug)]
pub struct Page<R> {
    pub items: Vec<R>,
    pub has_more: bool,
    pub total: Option<i64>,
}

/// ` AND <column> = ANY(<the partners of the subtree `pattern`>)`: the partners are an array
/// computed once, so the planner reads the rows through the column's index and the list's
/// order (as a semi-join it read every matching row of the tree and sorted them: a page of a
/// root's 20,000 rented numbers in a state took 20 ms, this way 0.25 ms).
pub fn push_in_tree(qb: &mut Qb<'_>, column: &str, pattern: String) {
    qb.push(format!(" AND {column} = ANY(ARRAY(SELECT x.partner_sid FROM partners x WHERE x.tree_path LIKE "))
        .push_bind(pattern)
        .push("))");
}

/// The scope of a record list (call, message, conference records): the caller's own partner's
/// rows, its whole tree's (`descendants`), or everyone's (admin); `column` is the rows' partner.
///
/// A tree is read in one of three ways, chosen from its size (one indexed query of the partners):
/// - a tree of the caller alone reads its own rows (`column = $1`);
/// - a tree of up to [`MERGED_TREE`] partners, in a list read in one order (the records' date,
///   or another field), is read partner by partner, each through the partners' index
///   `(partner_sid, date_stop, ...)` in the page's order, the branches merged (`UNION ALL` of
///   `LIMIT`ed branches under one `ORDER BY ... LIMIT`: PostgreSQL's Merge Append): a page costs
///   its own rows, whatever the tree's share of the records (a reseller of 11 partners holding
///   10% of 10M records: 8.6 ms a page read in date order and checked, 1.6 ms merged);
/// - a larger tree: a small one (fewer partners than the square root of all partners: a small
///   share of the records) names its partners (`= ANY($1)`); a large one is read in the page's
///   order from the `(date_stop, <sid>)` index, each record checked against the tree (written so
///   that the planner cannot turn it into an index condition), and the page stops at its limit:
///   its cost is the page over the tree's share of the records. Through the partners' index,
///   every record of a large tree in the filtered range was read and sorted for each page (a
///   reseller's month of 300,000 records: 100 ms a page; this way 5 ms).
pub async fn records_scope<'e>(
    db: impl sqlx::PgExecutor<'e>,
    t: crate::db::Tenancy<'_>,
    descendants: bool,
    column: &'static str,
) -> RepoResult<RecordsScope> {
    let kind = if t.admin {
        ScopeKind::All
    } else if !descendants {
        ScopeKind::Own(t.partner_sid)
    } else {
        let (tree, all): (Vec<uuid::Uuid>, f64) = sqlx::query_as(
            "SELECT COALESCE(array_agg(partner_sid), '{}'),
                    (SELECT CASE WHEN reltuples < 0 THEN (SELECT count(*) FROM partners) ELSE reltuples END::float8
                       FROM pg_class WHERE oid = 'partners'::regclass)
               FROM partners WHERE tree_path LIKE $1",
        )
        .bind(t.subtree_pattern())
        .fetch_one(db)
        .await?;
        match tree.len() {
            0 | 1 => ScopeKind::Own(t.partner_sid),
            n if ((n * n) as f64) < all || n <= MERGED_TREE => ScopeKind::Named(tree),
            _ => ScopeKind::Checked(tree),
        }
    };
    Ok(RecordsScope { column, kind })
}

/// The most partners a tree's records are read in branches merged in the page's order
/// ([`records_scope`]): each is one index descent and a branch of the plan.
pub const MERGED_TREE: usize = 32;

/// Whose records a record list reads ([`records_scope`]).
pub struct RecordsScope {
    column: &'static str,
    kind: ScopeKind,
}

enum ScopeKind {
    All,
    Own(uuid::Uuid),
    Named(Vec<uuid::Uuid>),
    Checked(Vec<uuid::Uuid>),
}

impl RecordsScope {
    /// Appends the scope as one condition (` AND ...`).
    pub fn push(&self, qb: &mut Qb<'_>) {
        let column = self.column;
        match &self.kind {
            ScopeKind::All => {}
            ScopeKind::Own(sid) => {
                qb.push(format!(" AND {column} = ")).push_bind(*sid);
            }
            ScopeKind::Named(sids) => {
                qb.push(format!(" AND {column} = ANY(")).push_bind(sids.clone()).push(")");
            }
            ScopeKind::Checked(sids) => {
                qb.push(format!(" AND ({column} = ANY(")).push_bind(sids.clone()).push(")) IS TRUE");
            }
        }
    }

    /// The partners read branch by branch, merged in the page's order: a tree's few partners.
    fn branches(&self) -> Option<Branches<'_>> {
        match &self.kind {
            ScopeKind::Named(sids) if (2..=MERGED_TREE).contains(&sids.len()) => {
                Some(Branches { column: self.column, sids })
            }
            _ => None,
        }
    }
}

/// A list's rows read as one branch per value of `column`, merged in the page's order.
#[derive(Clone, Copy)]
struct Branches<'a> {
    column: &'static str,
    sids: &'a [uuid::Uuid],
}

/// Runs a record list's query ([`fetch`]) in `scope`.
pub async fn fetch_records<'e, R, E>(
    exec: E,
    spec: &ListSpec,
    q: &ListQuery,
    select: &str,
    from: &str,
    scope: &RecordsScope,
) -> RepoResult<Page<R>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    E: PgExecutor<'e> + Copy,
{
    run(exec, spec, q, select, from, &|qb: &mut Qb<'_>| scope.push(qb), scope.branches()).await
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
) -> RepoResult<Page<R>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    E: PgExecutor<'e> + Copy,
{
    run(exec, spec, q, select, from, scope, None).await
}

/// The SQL of the field keyset pages follow.
fn keyset_order_sql<'s>(spec: &'s ListSpec, ks: &Keyset) -> &'s str {
    spec.fields.iter().find(|f| f.name == ks.order_field).map(|f| f.sql).unwrap_or(ks.order_column)
}

/// The page's order: its SQL and direction, `None` for a shuffle.
fn page_order<'s>(spec: &'s ListSpec, q: &ListQuery) -> Option<(&'s str, &'static str, bool)> {
    match (q.cursor, spec.keyset) {
        (Some(cursor), Some(ks)) => {
            Some((keyset_order_sql(spec, &ks), if matches!(cursor, Cursor::After(_)) { "ASC" } else { "DESC" }, false))
        }
        _ => match &q.order {
            Order::Default => Some((spec.default_order, "ASC", false)),
            Order::Field { sql, desc, text } => Some((sql, if *desc { "DESC" } else { "ASC" }, *text)),
            Order::Shuffle => None,
        },
    }
}

/// ` WHERE ...` (scope, filter, the keyset pivot) and ` ORDER BY ...` of one query, or of one
/// branch (`branch`: its column's value).
fn push_where_order(
    qb: &mut Qb<'_>,
    spec: &ListSpec,
    q: &ListQuery,
    scope: &(dyn Fn(&mut Qb<'_>) + Send + Sync),
    branch: Option<(&str, uuid::Uuid)>,
) -> RepoResult<()> {
    qb.push(" WHERE true");
    match branch {
        Some((column, sid)) => {
            qb.push(format!(" AND {column} = ")).push_bind(sid);
        }
        None => scope(qb),
    }
    push_filter(qb, spec.fields, &q.filter)?;
    if let (Some(cursor), Some(ks)) = (q.cursor, spec.keyset) {
        let order_sql = keyset_order_sql(spec, &ks);
        let (cmp, sid) = match cursor {
            Cursor::After(s) => (">", s),
            Cursor::Before(s) => ("<", s),
        };
        // The pivot's position once more as a bound of the order column alone: the index scan
        // then starts at the pivot even beside a range filter on that column (`date_stop ge`);
        // with the row comparison alone it started at the range's start, every page reading
        // all the pages before it again (a month walked page by page grew quadratic).
        qb.push(" AND ").push(order_sql).push(if cmp == ">" { " >= " } else { " <= " });
        qb.push("(SELECT k.").push(ks.order_column).push(" FROM ").push(ks.table).push(" k WHERE k.");
        qb.push(ks.sid_column).push(" = ").push_bind(sid).push(")");
        qb.push(" AND (").push(order_sql).push(", ").push(spec.sid).push(") ").push(cmp);
        qb.push(" (SELECT k.").push(ks.order_column).push(", k.").push(ks.sid_column);
        qb.push(" FROM ").push(ks.table).push(" k WHERE k.").push(ks.sid_column).push(" = ").push_bind(sid).push(")");
    }
    qb.push(" ORDER BY ");
    match page_order(spec, q) {
        Some((sql, dir, text)) => {
            qb.push(sql);
            if text {
                // Names sort as people expect ("Åland" with the A's), not by byte.
                qb.push(" COLLATE \"und-x-icu\"");
            }
            qb.push(" ").push(dir).push(", ").push(spec.sid).push(" ").push(dir);
        }
        None => {
            qb.push("random()");
        }
    }
    Ok(())
}

async fn run<'e, R, E>(
    exec: E,
    spec: &ListSpec,
    q: &ListQuery,
    select: &str,
    from: &str,
    scope: &(dyn Fn(&mut Qb<'_>) + Send + Sync),
    branches: Option<Branches<'_>>,
) -> RepoResult<Page<R>>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
    E: PgExecutor<'e> + Copy,
{
    let reverse = matches!(q.cursor, Some(Cursor::Before(_))) && spec.keyset.is_some();
    let mut qb = Qb::new("SELECT ");
    let mut literal_limits = false;
    match (branches, page_order(spec, q)) {
        (Some(b), Some((order_sql, dir, text))) => {
            // One branch a partner, each in the page's order and limited to what the page may
            // need of it, merged (Merge Append) into the page.
            let need = q.limit + 1 + if q.cursor.is_none() { q.offset } else { 0 };
            // The limits of a first or keyset page are written as numbers (the checked limit),
            // so that PostgreSQL plans the query once per connection: with a bound limit it
            // prices a generic plan at a tenth of the rows and plans every execution anew
            // (0.5-0.9 ms for eleven branches).
            literal_limits = q.offset == 0;
            qb.push("* FROM (");
            for (i, sid) in b.sids.iter().enumerate() {
                if i > 0 {
                    qb.push(" UNION ALL ");
                }
                qb.push("(SELECT ").push(select).push(", ").push(order_sql).push(" AS list_order_, ");
                qb.push(spec.sid).push(" AS list_sid_ FROM ").push(from);
                push_where_order(&mut qb, spec, q, scope, Some((b.column, *sid)))?;
                qb.push(" LIMIT ");
                if literal_limits {
                    qb.push(need);
                } else {
                    qb.push_bind(need);
                }
                qb.push(")");
            }
            qb.push(") list_ ORDER BY list_order_");
            if text {
                qb.push(" COLLATE \"und-x-icu\"");
            }
            qb.push(" ").push(dir).push(", list_sid_ ").push(dir);
        }
        _ => {
            qb.push(select).push(" FROM ").push(from);
            push_where_order(&mut qb, spec, q, scope, None)?;
        }
    }
    if literal_limits {
        qb.push(" LIMIT ").push(q.limit + 1);
    } else {
        qb.push(" LIMIT ").push_bind(q.limit + 1);
        if q.cursor.is_none() {
            qb.push(" OFFSET ").push_bind(q.offset);
        }
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
        push_filter(&mut cq, spec.fields, &q.filter)?;
        // Remembered until a table it reads changes (`db::counts`), keyed by its SQL and values.
        let counts = super::counts::current();
        let tables = counts.as_ref().and_then(|_| super::counts::announced_tables(cq.sql()));
        let mut query = cq.build_query_scalar::<i64>();
        let mut key = None;
        if tables.is_some() {
            if let Ok(Some(args)) = sqlx::Execute::take_arguments(&mut query) {
                key = Some(format!("{}\u{0}{args:?}", sqlx::Execute::sql(&query)));
                query = sqlx::query_scalar_with(sqlx::Execute::sql(&query), args);
            }
        }
        total = match (&counts, &tables, &key) {
            (Some(c), Some(t), Some(k)) => match c.get(k, t) {
                Some(n) => Some(n),
                None => {
                    let before = c.generations(t);
                    let n = query.fetch_one(exec).await?;
                    c.remember(k.clone(), before, n);
                    Some(n)
                }
            },
            _ => Some(query.fetch_one(exec).await?),
        };
    }
    Ok(Page { items, has_more, total })
}

impl<R> Page<R> {
    pub fn map<T>(self, f: impl FnMut(R) -> T) -> Page<T> {
        Page { items: self.items.into_iter().map(f).collect(), has_more: self.has_more, total: self.total }
    }
}
