use std::collections::HashSet;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::entries::normalize;
use super::repo::{self, NewTask, TaskRow};
use super::types::{fields_of, ReviewItem, ReviewResponse, Task, TaskInput, METHODS, TYPES};
use crate::domain::scopes::Scope;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Body, PathParams, QueryParams};
use crate::http::input::{parse_into, Maybe, Problems};
use crate::http::listing::{ListQuery, Page, Projection, RequestUrl};
use crate::http::patch::{self, Update, UpdateMode};
use crate::http::respond;
use crate::resources::dids::{self, types::DidInput};
use crate::resources::prefixes::{self, types::PrefixInput};
use crate::resources::shared::{find_cached, find_visible, respond_cached};
use crate::state::AppState;

/// The attributes set when a task is created; a change of one later is refused.
const CREATE_ONLY: &[&str] = &["data", "entries", "field", "method", "review", "type"];

const WHAT: &str = "task";

async fn wire(state: &AppState, rows: Vec<TaskRow>) -> ApiResult<Vec<Task>> {
    let ids: Vec<i64> = rows.iter().map(|t| t.id).collect();
    let mut errors = repo::error_details(&state.pool, &ids).await?;
    Ok(rows.into_iter().map(|t| t.to_wire(errors.remove(&t.id).unwrap_or_default())).collect())
}

/// Moves the problems of a nested object's validation under `prefix` (`data[3].trunk_group_sid`).
fn nest(prefix: &str, result: ApiResult<()>, p: &mut Problems) -> ApiResult<()> {
    match result {
        Ok(()) => Ok(()),
        Err(ApiError::Validation(errors)) => {
            for e in errors {
                p.add(format!("{prefix}.{}", e.field.as_deref().unwrap_or("body")), e.message);
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn one_of<'a>(v: &Maybe<String>, field: &str, allowed: &[&'a str], p: &mut Problems) -> Option<&'a str> {
    match v.value() {
        None => {
            p.add(field, "field is required");
            None
        }
        Some(s) => {
            let found = allowed.iter().find(|a| **a == s.as_str()).copied();
            if found.is_none() {
                p.add(field, format!("must be one of {}", allowed.join(", ")));
            }
            found
        }
    }
}

fn is_empty(v: &Maybe<Value>) -> bool {
    match v {
        Maybe::Absent | Maybe::Null => true,
        Maybe::Value(Value::Array(a)) => a.is_empty(),
        Maybe::Value(Value::Object(o)) => o.is_empty(),
        Maybe::Value(_) => false,
    }
}

/// Checks one new object of a `POST` task with the validators of its single-object route.
async fn check_new_object(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    caller: &Caller,
    kind: &str,
    obj: &Map<String, Value>,
) -> ApiResult<Option<String>> {
    if kind == "phonenumber" {
        let mut p = Problems::new();
        let input: DidInput = parse_into(obj, &mut p)?;
        let number = dids::ops::wanted_number(&input, &mut p);
        dids::ops::check(&state.own, conn, Some(caller.partner_sid()), &input, &mut p).await?;
        p.finish()?;
        Ok(number)
    } else {
        let mut p = Problems::new();
        let input: PrefixInput = parse_into(obj, &mut p)?;
        prefixes::ops::check_new(state, conn, caller, prefixes::types::Kind::Routing, &input, p).await?;
        Ok(None)
    }
}

/// Checks the changes of a `PATCH` task as an update of one of the caller's objects.
async fn check_changes(
    state: &AppState,
    conn: &mut sqlx::PgConnection,
    caller: &Caller,
    kind: &str,
    changes: &Map<String, Value>,
) -> ApiResult<()> {
    let patch = UpdateMode::Patch { nested_replace: false };
    if kind == "phonenumber" {
        // As the body of a PATCH of one number: an unknown attribute is refused.
        let mut p = Problems::new();
        parse_into::<DidInput>(changes, &mut p)?;
        let updatable = dids::ops::updatable(caller.admin);
        let input: DidInput = parse_into(&patch::apply(&Map::new(), changes, &updatable, patch), &mut p)?;
        dids::ops::check(&state.own, conn, Some(caller.partner_sid()), &input, &mut p).await?;
        p.finish()
    } else {
        let mut p = Problems::new();
        parse_into::<PrefixInput>(changes, &mut p)?;
        // Checked as a prefix whose other attributes are empty (a prefix is never empty).
        let mut current = Map::new();
        current.insert("prefix".into(), Value::String("0".into()));
        let merged = patch::apply(&current, changes, prefixes::types::UPDATABLE, patch);
        let input: PrefixInput = parse_into(&merged, &mut p)?;
        prefixes::ops::check_new(state, conn, caller, prefixes::types::Kind::Routing, &input, p).await.map(|_| ())
    }
}

/// A task changes phone numbers or prefixes: who creates or approves it must be allowed to.
fn may_change(caller: &Caller, method: &str) -> ApiResult<()> {
    let needed: &[Scope] = match method {
        "POST" => dids::CREATE,
        "PATCH" => dids::UPDATE,
        _ => dids::DELETE,
    };
    if caller.scopes().grants_any(needed) {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// `POST /batch/tasks`: checks every entry and object up front (a task that could never
/// succeed is refused), stores the task as `created`; the worker takes it from there.
pub async fn create_task(
    State(state): State<AppState>,
    caller: Caller,
    url: RequestUrl,
    Body { input, problems: mut p, .. }: Body<TaskInput>,
) -> ApiResult<Response> {
    let kind = one_of(&input.kind, "type", TYPES, &mut p);
    let method = one_of(&input.method, "method", METHODS, &mut p);
    if let Some(s) = input.status.value() {
        p.check(s == "created", "status", "a new task is created; its status changes once it is reviewed");
    }
    let (Some(kind), Some(method)) = (kind, method) else {
        return Err(ApiError::Validation(p.0));
    };
    may_change(&caller, method)?;
    let max = state.config.batch_max_entries as usize;
    let mut conn = state.pool.acquire().await?;
    let mut keys: Vec<Value> = Vec::new();
    let mut rent_filter = None;
    if method == "POST" {
        p.check(input.field.value().is_none(), "field", "must be empty for POST");
        p.check(input.entries.value().is_none_or(Vec::is_empty), "entries", "must be empty for POST");
        match input.data.value() {
            Some(Value::Array(objects)) if !objects.is_empty() && objects.len() <= max => {
                let mut numbers = HashSet::new();
                for (i, o) in objects.iter().enumerate() {
                    let Value::Object(obj) = o else {
                        p.add(format!("data[{i}]"), "must be an object");
                        continue;
                    };
                    match check_new_object(&state, &mut conn, &caller, kind, obj).await {
                        Ok(Some(n)) if !numbers.insert(n.clone()) => {
                            p.add(format!("data[{i}].phonenumber"), "appears twice")
                        }
                        Ok(_) => {}
                        Err(e) => nest(&format!("data[{i}]"), Err(e), &mut p)?,
                    }
                    keys.push(o.clone());
                }
            }
            None => p.add("data", "field is required"),
            Some(_) => p.add("data", format!("must be an array of 1 to {max} objects")),
        }
        if kind == "phonenumber" {
            if let Some(f) = url.query.get("filter").filter(|f| !f.trim().is_empty()) {
                ListQuery::parse(&url.query, &dids::repo::AVAILABLE)?;
                rent_filter = Some(f.to_owned());
            }
        }
    } else {
        let field = one_of(&input.field, "field", fields_of(kind), &mut p);
        match input.entries.value() {
            None => p.add("entries", "field is required"),
            Some(list) if list.is_empty() || list.len() > max => {
                p.add("entries", format!("must hold 1 to {max} entries"))
            }
            Some(list) => {
                let mut seen = HashSet::new();
                for (i, e) in list.iter().enumerate() {
                    match field.map(|f| normalize(f, e)) {
                        Some(None) => p.add(format!("entries[{i}]"), format!("is not a {}", field.unwrap_or_default())),
                        Some(Some(n)) if !seen.insert(n.clone()) => p.add(format!("entries[{i}]"), "appears twice"),
                        _ => {}
                    }
                    keys.push(Value::String(e.clone()));
                }
            }
        }
        if method == "PATCH" {
            match input.data.value() {
                Some(Value::Object(changes)) if !changes.is_empty() => {
                    let checked = check_changes(&state, &mut conn, &caller, kind, changes).await;
                    nest("data", checked, &mut p)?;
                }
                None => p.add("data", "field is required"),
                Some(_) => p.add("data", "must be an object of the changes"),
            }
        } else {
            p.check(is_empty(&input.data), "data", "must be empty for DELETE");
        }
    }
    drop(conn);
    p.finish()?;
    let task = NewTask {
        task_sid: Uuid::new_v4(),
        partner_sid: caller.partner_sid(),
        admin: caller.admin,
        kind: kind.to_owned(),
        method: method.to_owned(),
        field: input.field.value().cloned().filter(|_| method != "POST"),
        entries: input.entries.value().filter(|_| method != "POST").map(|e| Value::from(e.clone())),
        data: input.data.into_option().filter(|d| method != "DELETE" && !d.is_null()),
        rent_filter,
        review: input.review.value().copied().unwrap_or(false),
    };
    let mut tx = state.pool.begin().await?;
    repo::insert(&mut tx, &task, &keys).await?;
    let row =
        repo::get(&mut *tx, task.task_sid, false).await?.ok_or_else(|| ApiError::internal("a new task vanished"))?;
    tx.commit().await?;
    state.batch_wake.notify_one();
    Ok(Json(row.to_wire(Vec::new())).into_response())
}

pub async fn list_tasks(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?;
    let items = wire(&state, page.items).await?;
    respond::list(Page { items, has_more: page.has_more, total: page.total }, &q, &url, "task_sid")
}

pub async fn get_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let t = find_cached(&state, &caller, &raw, WHAT, |s| repo::get_view(&state.pool, s)).await?;
    respond_cached(&t, &query, repo::TaskView::to_wire)
}

/// `PATCH`/`PUT /batch/tasks/{task_sid}`: a task pending review is `approved` or `cancelled`;
/// nothing else changes (attributes sent unchanged, and read-only ones, are ignored).
pub async fn update_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    update: Update<TaskInput>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let t = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    let current = patch::wire_map(&t.to_wire(Vec::new()))?;
    let mut p = update.problems.clone();
    for key in CREATE_ONLY {
        if let Some(v) = update.body.get(*key) {
            p.check(current.get(*key) == Some(v), key, "is set when the task is created and cannot be changed");
        }
    }
    let new_status = match (&update.sent.status, update.mode) {
        (Maybe::Value(s), _) if *s == t.status => None,
        (Maybe::Value(s), _) if t.status != "pending_review" => {
            p.add("status", format!("can change only while the task is pending_review (it is {})", t.status));
            let _ = s;
            None
        }
        (Maybe::Value(s), _) if s == "approved" || s == "cancelled" => Some(s.clone()),
        (Maybe::Absent, UpdateMode::Patch { .. }) => None,
        (Maybe::Absent, UpdateMode::Put) => {
            p.add("status", "field is required");
            None
        }
        _ => {
            p.add("status", "must be approved or cancelled");
            None
        }
    };
    p.finish()?;
    if new_status.as_deref() == Some("approved") {
        may_change(&caller, &t.method)?;
    }
    if let Some(s) = &new_status {
        repo::set_status(&mut tx, t.id, s).await?;
    }
    let t = repo::get(&mut *tx, t.task_sid, false).await?.ok_or_else(|| ApiError::not_found("task"))?;
    tx.commit().await?;
    if new_status.as_deref() == Some("approved") {
        state.batch_wake.notify_one();
    }
    Ok(Json(wire(&state, vec![t]).await?.remove(0)).into_response())
}

/// `DELETE /batch/tasks/{task_sid}`: any task but a running one.
pub async fn delete_task(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let mut tx = state.pool.begin().await?;
    let t = find_visible(&caller, &raw, WHAT, |sid| repo::get(&mut *tx, sid, true)).await?;
    if t.status == "running" {
        return Err(ApiError::conflict("status", "a running task cannot be deleted; wait until it is completed"));
    }
    repo::delete(&mut tx, t.id).await?;
    tx.commit().await?;
    Ok(respond::no_content())
}

async fn review(state: &AppState, caller: &Caller, raw: &str) -> ApiResult<ReviewResponse> {
    let t = find_visible(caller, raw, WHAT, |sid| repo::get(&state.pool, sid, false)).await?;
    let review_items = repo::review_items(&state.pool, t.id).await?;
    Ok(ReviewResponse { method: t.method, review_items, kind: t.kind })
}

pub async fn get_review_items(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    respond::object(&review(&state, &caller, &raw).await?, &query)
}

/// `GET /batch/tasks/{task_sid}/review_items.csv`: one row per review item; field filtering
/// picks the columns.
pub async fn get_review_items_csv(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let r = review(&state, &caller, &raw).await?;
    let projection = Projection::from_query(&query);
    let mut columns =
        serde_json::to_value(ReviewItem { description: String::new(), fields: Value::Null, sid: None, version: None })
            .map_err(ApiError::internal)?;
    projection.apply(&mut columns);
    let columns: Vec<String> = columns.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(&columns).map_err(ApiError::internal)?;
    for item in &r.review_items {
        let v = serde_json::to_value(item).map_err(ApiError::internal)?;
        let cells = columns.iter().map(|c| match &v[c.as_str()] {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        out.write_record(cells).map_err(ApiError::internal)?;
    }
    let bytes = out.into_inner().map_err(ApiError::internal)?;
    let disposition = format!("attachment; filename=\"review_items_{raw}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response())
}

/// `GET /batch/tasks/{task_sid}/errors`: the failed entries, paged.
pub async fn list_errors(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    url: RequestUrl,
) -> ApiResult<Response> {
    let t = find_visible(&caller, &raw, WHAT, |sid| repo::get(&state.pool, sid, false)).await?;
    let q = ListQuery::parse(&url.query, &repo::ERRORS)?;
    let page = repo::list_errors(&state.pool, t.id, &q).await?;
    respond::list(page, &q, &url, "key")
}
