//! Partners: create, list, get, update (PATCH/PUT), delete, with `/admin` variants; and the
//! e-mail verification link of this server's design (`GET /email_verifications/{token}`).

pub mod handlers;
pub mod repo;
pub mod types;

use std::sync::Arc;

use axum::http::Method;
use uuid::Uuid;

use crate::cache::Cached;
use crate::domain::scopes::Scope;
use crate::http::error::ApiResult;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::state::AppState;

pub const CREATE: &[Scope] = &[Scope::PartnersManage, Scope::PartnersCreate];
pub const READ: &[Scope] = &[Scope::PartnersManage, Scope::PartnersRead];
pub const UPDATE: &[Scope] = &[Scope::PartnersManage, Scope::PartnersUpdate];
pub const DELETE: &[Scope] = &[Scope::PartnersManage, Scope::PartnersDelete];

pub fn routes(api: &mut Api) {
    let partner = Reply::object::<types::Partner>;
    api.section("partners");
    api.with_admin(Method::POST, "/partners", CREATE, handlers::create_partner).returns(partner());
    api.with_admin(Method::GET, "/partners", READ, handlers::list_partners).returns(Reply::list::<types::Partner>());
    api.with_admin(Method::GET, "/partners/{partner_sid}", READ, handlers::get_partner).returns(partner());
    api.with_admin(Method::PATCH, "/partners/{partner_sid}", UPDATE, handlers::update_partner).returns(partner());
    api.with_admin(Method::PUT, "/partners/{partner_sid}", UPDATE, handlers::update_partner).returns(partner());
    api.route(Method::DELETE, "/partners/{partner_sid}", DELETE, handlers::delete_partner).returns(Reply::no_content());
    api.public(Method::GET, "/email_verifications/{token}", handlers::verify_email)
        .returns(Reply::object::<types::EmailVerified>());
}

/// A partner by SID (not deleted), from this instance's cache or the database.
pub async fn find(state: &AppState, sid: Uuid) -> ApiResult<Option<Arc<Cached<repo::PartnerRow>>>> {
    let cache = &state.objects.partners;
    if let Some(row) = cache.get(&sid) {
        return Ok(Some(row));
    }
    let generation = cache.generation();
    Ok(repo::get(&state.pool, sid).await?.map(|row| {
        let row = Arc::new(Cached::new(row));
        cache.put(sid, row.clone(), generation);
        row
    }))
}

/// The JSON of a partner as a non-admin caller sees it, serialized once per cached version.
pub fn public_json(p: &Cached<repo::PartnerRow>) -> axum::body::Bytes {
    p.json(|row| serde_json::to_vec(&row.to_wire(false)).unwrap_or_default())
}

/// The partners of a page of objects (`with_related=true`), read with one query.
pub async fn related(
    state: &AppState,
    sids: impl IntoIterator<Item = Uuid>,
    admin: bool,
) -> ApiResult<std::collections::HashMap<Uuid, types::Partner>> {
    let mut sids: Vec<Uuid> = sids.into_iter().collect();
    sids.sort();
    sids.dedup();
    let rows = repo::get_many(&state.pool, &sids).await?;
    Ok(rows.into_iter().map(|r| (r.partner_sid, r.to_wire(admin))).collect())
}
