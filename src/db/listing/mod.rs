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
/// A tree is read in one of two ways, chosen from its size (one indexed query of the partners):
/// - a tree of the caller alone, or a small one (fewer partners than the square root of all
///   partners: a small share of the records), names its partners (`= ANY($1)`), so the
///   partners' index `(partner_sid, date_stop, ...)` finds their rows;
/// - a large tree is read in the page's order from the `(date_stop, <sid>)` index, each record
///   checked against the tree (written so that the planner cannot turn it into an index
///   condition), and the page stops at its limit: its cost is the page over the tree's share
///   of the records. Through the partners' index, every record of a large tree in the filtered
///   range was read and sorted for each page (a reseller's month of 300,000 records: 100 ms a
///   page; this way 5 ms).
pub async fn records_scope<'e>(
    db: impl sqlx::PgExecutor<'e>,
    t: crate::db::Tenancy<'_>,
    descendants: bool,
    column: &'static str,
) -> RepoResult<impl Fn(&mut Qb<'_>) + Send + Sync> {
    enum Scope {
        All,
        Own(uuid::Uuid),
        Named(Vec<uuid::Uuid>),
        Checked(Vec<uuid::Uuid>),
    }
    let scope = if t.admin {
        Scope::All
    } else if !descendants {
        Scope::Own(t.partner_sid)
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
            0 | 1 => Scope::Own(t.partner_sid),
            n if ((n * n) as f64) < all => Scope::Named(tree),
            _ => Scope::Checked(tree),
        }
    };
    Ok(move |qb: &mut Qb<'_>| match &scope {
        Scope::All => {}
        Scope::Own(sid) => {
            qb.push(format!(" AND {column} = ")).push_bind(*sid);
        }
        Scope::Named(sids) => {
            qb.push(format!(" AND {column} = ANY(")).push_bind(sids.clone()).push(")");
        }
        Scope::Checked(sids) => {
            qb.push(format!(" AND ({column} = ANY(")).push_bind(sids.clone()).push(")) IS TRUE");
        }
    })
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
    let mut qb = Qb::new("SELECT ");
    qb.push(select);
    qb.push(" FROM ").push(from).push(" WHERE true");
    scope(&mut qb);
    push_filter(&mut qb, spec.fields, &q.filter)?;

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
            // The pivot's position once more as a bound of the order column alone: the index scan
            // then starts at the pivot even beside a range filter on that column (`date_stop ge`);
            // with the row comparison alone it started at the range's start, every page reading
            // all the pages before it again (a month walked page by page grew quadratic).
            qb.push(" AND ").push(order_sql).push(if cmp == ">" { " >= " } else { " <= " });
            qb.push("(SELECT k.").push(ks.order_column).push(" FROM ").push(ks.table).push(" k WHERE k.");
            qb.push(ks.sid_column).push(" = ").push_bind(sid).push(")");
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
