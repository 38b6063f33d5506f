//! What partners offer to other resources: a partner by SID through the object cache, the one a
//! caller sees, the owner of a new object, the related partners of a page, and the rules every
//! change of a partner's money or credentials follows.

use std::collections::HashMap;
use std::sync::Arc;

use axum::response::Response;
use uuid::Uuid;

use super::repo::{self, PartnerRow};
use super::types::Partner;
use crate::cache::{Cacheable, Cached};
use crate::http::auth::Caller;
use crate::http::error::ApiResult;
use crate::http::extract::QueryParams;
use crate::http::input::Problems;
use crate::http::listing::{ListQuery, Page, RequestUrl};
use crate::http::respond;
use crate::resources::shared::find_visible;
use crate::state::AppState;

impl Cacheable for PartnerRow {
    const TABLE: &'static str = "partners";
}

crate::resources::shared::owned_rows!(PartnerRow);

/// A partner by SID (not deleted), from this instance's cache or the database.
pub async fn find(state: &AppState, sid: Uuid) -> ApiResult<Option<Arc<Cached<PartnerRow>>>> {
    crate::resources::shared::cached(state, sid, |s| repo::get(&state.pool, s)).await
}

/// A partner's place in the tree (never changes once the partner exists), remembered by this
/// instance: background work names who may see what it did without reading the partner again.
pub async fn tree_path(state: &AppState, sid: Uuid) -> ApiResult<Option<String>> {
    #[derive(Default)]
    struct Paths(std::sync::Mutex<std::collections::HashMap<Uuid, String>>);
    let paths = state.services.get_or_init(Paths::default);
    if let Some(p) = crate::sync::lock(&paths.0).get(&sid) {
        return Ok(Some(p.clone()));
    }
    let Some(p) = find(state, sid).await? else { return Ok(None) };
    let mut map = crate::sync::lock(&paths.0);
    if map.len() >= 100_000 {
        map.clear();
    }
    map.insert(sid, p.tree_path.clone());
    Ok(Some(p.tree_path.clone()))
}

/// The partner named by the path if the caller sees it (its subtree, or admin), else 404.
pub async fn visible(state: &AppState, caller: &Caller, raw_sid: &str) -> ApiResult<Arc<Cached<PartnerRow>>> {
    find_visible(caller, raw_sid, "partner", |sid| find(state, sid)).await
}

/// The owner of a new object: the partner `given` names if the caller sees it, else the caller's
/// own; a partner not found is a problem of `partner_sid`.
pub async fn owner(
    state: &AppState,
    caller: &Caller,
    given: Option<&String>,
    p: &mut Problems,
) -> ApiResult<Option<Arc<Cached<PartnerRow>>>> {
    let owner = match given.filter(|s| !s.is_empty()) {
        None => find(state, caller.partner_sid()).await?,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(sid) => find(state, sid).await?.filter(|r| caller.sees(&r.tree_path)),
            Err(_) => None,
        },
    };
    if owner.is_none() {
        p.add("partner_sid", "cannot find partner");
    }
    Ok(owner)
}

/// The JSON of a partner as a non-admin caller sees it, serialized once per cached version.
pub fn public_json(p: &Cached<PartnerRow>) -> axum::body::Bytes {
    p.json(|row| serde_json::to_vec(&row.to_wire(false)).unwrap_or_default())
}

/// A password as every credential takes it.
pub fn validate_password(password: &str, field: &str, p: &mut Problems) {
    p.check(!password.is_empty() && password.len() <= 1024, field, "must be 1 to 1024 characters");
}

/// After a committed change of a partner (its balance, credentials, status, ...): this instance
/// forgets it at once, the others through the change notification.
pub fn changed(state: &AppState, partner_sid: Uuid) {
    state.objects.of::<repo::PartnerAcls>().invalidate(&partner_sid);
    state.auth.invalidate_partner(partner_sid);
    state.objects.invalidate(PartnerRow::TABLE, &partner_sid);
}

/// After a committed change of a partner's money only (its balance, today's spending: a charge,
/// a payment): its cached object goes on this instance at once, on the others through the
/// change notification; what its credentials grant did not change, and stays cached (a Basic
/// credential is not checked with argon2 again because the partner spent something).
pub fn money_changed(state: &AppState, partner_sid: Uuid) {
    state.objects.invalidate(PartnerRow::TABLE, &partner_sid);
}

/// A wire object that can carry its partner (`with_related=true`).
pub trait HasPartner {
    fn partner_sid(&self) -> Option<Uuid>;
    fn set_partner(&mut self, partner: Partner);
}

/// Implements [`HasPartner`] for wire types with `partner_sid` (`Uuid` or `Option<Uuid>`) and
/// `partner: Option<Box<Partner>>`.
macro_rules! carries_partner {
    ($($t:ty),* $(,)?) => {
        $(impl $crate::resources::partners::ops::HasPartner for $t {
            fn partner_sid(&self) -> Option<uuid::Uuid> {
                Option::<uuid::Uuid>::from(self.partner_sid)
            }
            fn set_partner(&mut self, partner: $crate::resources::partners::types::Partner) {
                self.partner = Some(Box::new(partner));
            }
        })*
    };
}
pub(crate) use carries_partner;

/// Attaches each object's partner when `related` is asked for: one query for the whole page.
pub async fn with_related<W: HasPartner>(
    state: &AppState,
    admin: bool,
    related: bool,
    mut items: Vec<W>,
) -> ApiResult<Vec<W>> {
    if !related {
        return Ok(items);
    }
    let mut sids: Vec<Uuid> = items.iter().filter_map(HasPartner::partner_sid).collect();
    sids.sort();
    sids.dedup();
    let partners: HashMap<Uuid, Partner> =
        repo::get_many(&state.pool, &sids).await?.into_iter().map(|r| (r.partner_sid, r.to_wire(admin))).collect();
    for item in &mut items {
        if let Some(p) = item.partner_sid().and_then(|s| partners.get(&s)) {
            item.set_partner(p.clone());
        }
    }
    Ok(items)
}

/// A page of objects that carry their partner, answered with the partners when the query asks
/// (`with_related=true`).
pub async fn respond_page<W: HasPartner + serde::Serialize>(
    state: &AppState,
    caller: &Caller,
    page: Page<W>,
    q: &ListQuery,
    url: &RequestUrl,
    sid_key: &str,
) -> ApiResult<Response> {
    let items = with_related(state, caller.admin, url.query.with_related()?, page.items).await?;
    respond::list(Page { items, ..page }, q, url, sid_key)
}

/// One object that carries its partner, answered with it when the query asks.
pub async fn respond_object<W: HasPartner + serde::Serialize>(
    state: &AppState,
    caller: &Caller,
    item: W,
    query: &QueryParams,
) -> ApiResult<Response> {
    let items = with_related(state, caller.admin, query.with_related()?, vec![item]).await?;
    respond::object(&items[0], query)
}
