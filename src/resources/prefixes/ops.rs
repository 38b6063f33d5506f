//! What is done to a prefix, written once: the prefix routes and the batch tasks both call these,
//! inside their own transaction.

use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, PrefixRow};
use super::types::{Kind, PrefixInput};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::input::{Maybe, Problems};
use crate::resources::shared::check_transformations;
use crate::resources::{partners, trunk_groups};
use crate::state::AppState;

crate::resources::shared::owned_rows!(PrefixRow);
crate::resources::shared::cached_rows!(PrefixRow => "prefixes");

async fn trunk_group(
    conn: &mut PgConnection,
    owner: Uuid,
    field: &str,
    v: &Maybe<String>,
    p: &mut Problems,
) -> ApiResult<Option<Uuid>> {
    let Some(s) = v.value().filter(|s| !s.is_empty()) else { return Ok(None) };
    let found = match Uuid::parse_str(s) {
        Ok(u) => trunk_groups::repo::get_group(conn, u, false).await?.filter(|g| g.partner_sid == owner),
        Err(_) => None,
    };
    if found.is_none() {
        p.add(field, "must be a trunk group of the prefix's partner");
    }
    Ok(found.map(|g| g.trunk_group_sid))
}

/// Fills a prefix from a body (defaults for what is absent) and checks it.
async fn build(
    conn: &mut PgConnection,
    input: &PrefixInput,
    mut row: PrefixRow,
    p: &mut Problems,
) -> ApiResult<PrefixRow> {
    match input.prefix.value() {
        None => p.add("prefix", "field is required"),
        Some(x) => p.check(
            !x.is_empty() && x.len() <= 15 && x.chars().all(|c| c.is_ascii_digit()),
            "prefix",
            "must be 1 to 15 digits",
        ),
    }
    if let Maybe::Value(u) = &input.callback_url {
        p.check(
            u.is_empty() || u.starts_with("http://") || u.starts_with("https://"),
            "callback_url",
            "must be an http(s) URL",
        );
    }
    row.prefix = input.prefix.value().cloned().unwrap_or_default();
    row.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    row.attributes = Value::Object(input.attributes.value().cloned().unwrap_or_default());
    row.callback_url = input.callback_url.value().cloned().filter(|s| !s.is_empty());
    row.trunk_group_sid = trunk_group(conn, row.partner_sid, "trunk_group_sid", &input.trunk_group_sid, p).await?;
    row.source_trunk_group_sid =
        trunk_group(conn, row.partner_sid, "source_trunk_group_sid", &input.source_trunk_group_sid, p).await?;
    row.string_key_1 = input.string_key_1.value().cloned();
    row.string_key_2 = input.string_key_2.value().cloned();
    row.transformations = check_transformations(&input.transformations, p);
    Ok(row)
}

/// Checks a new prefix for `caller` (its `partner_sid`, default the caller, must be in the
/// caller's tree) and returns it, not stored; `p`: the problems already found in its body.
pub async fn check_new(
    state: &AppState,
    conn: &mut PgConnection,
    caller: &Caller,
    kind: Kind,
    input: &PrefixInput,
    mut p: Problems,
) -> ApiResult<PrefixRow> {
    let owner = match input.partner_sid.value().filter(|s| !s.is_empty()) {
        None => partners::ops::find(state, caller.partner_sid()).await?,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(sid) => partners::ops::find(state, sid).await?.filter(|r| caller.sees(&r.tree_path)),
            Err(_) => None,
        },
    };
    let Some(owner) = owner else {
        p.add("partner_sid", "cannot find partner");
        return Err(ApiError::Validation(p.0));
    };
    let blank = PrefixRow {
        prefix_sid: Uuid::new_v4(),
        partner_sid: owner.partner_sid,
        prefix: String::new(),
        name: String::new(),
        attributes: Value::Null,
        callback_url: None,
        lrn_sid: None,
        source_trunk_group_sid: None,
        trunk_group_sid: None,
        string_key_1: None,
        string_key_2: None,
        transformations: Value::Null,
        tree_path: owner.tree_path.clone(),
        version: 1,
        kind: kind.as_str().to_owned(),
    };
    let row = build(conn, input, blank, &mut p).await?;
    p.finish()?;
    Ok(row)
}

/// Creates a prefix for `caller` from a body.
pub async fn create(
    state: &AppState,
    tx: &mut PgConnection,
    caller: &Caller,
    kind: Kind,
    input: &PrefixInput,
    p: Problems,
) -> ApiResult<PrefixRow> {
    let row = check_new(state, tx, caller, kind, input, p).await?;
    repo::upsert(tx, &row).await?;
    Ok(row)
}

/// Updates a prefix (locked by the caller) with a body already merged with its current
/// attributes; `p`: the problems already found in the body.
pub async fn update(
    tx: &mut PgConnection,
    row: PrefixRow,
    input: &PrefixInput,
    mut p: Problems,
) -> ApiResult<PrefixRow> {
    let row = build(tx, input, row, &mut p).await?;
    p.finish()?;
    repo::upsert(tx, &row).await?;
    Ok(row)
}

pub async fn delete(tx: &mut PgConnection, row: &PrefixRow) -> ApiResult<()> {
    Ok(repo::delete(tx, row.prefix_sid).await?)
}
