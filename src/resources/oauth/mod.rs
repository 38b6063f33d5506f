//! OAuth: tokens (generate, generate for a sub-partner, revoke, list, get, update), the current
//! partner (`whoami`) and partner sub-logins, each with its `/admin` variant.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::{OAuthToken, PartnerLogin};

pub const TOKEN_CREATE: &[Scope] = &[Scope::OauthManageAllTokens, Scope::OauthManage, Scope::OauthCreate];
pub const TOKEN_READ: &[Scope] = &[Scope::OauthManageAllTokens, Scope::OauthManage, Scope::OauthRead];
pub const TOKEN_UPDATE: &[Scope] = &[Scope::OauthManageAllTokens, Scope::OauthManage, Scope::OauthUpdate];
pub const TOKEN_REVOKE: &[Scope] = &[Scope::OauthManageAllTokens, Scope::OauthManage];
pub const LOGIN_CREATE: &[Scope] = &[Scope::OauthManage, Scope::OauthCreate];
pub const LOGIN_READ: &[Scope] = &[Scope::OauthManage, Scope::OauthRead];
pub const LOGIN_UPDATE: &[Scope] = &[Scope::OauthManage, Scope::OauthUpdate];
pub const LOGIN_DELETE: &[Scope] = &[Scope::OauthManage, Scope::OauthDelete];
/// Any authenticated partner may ask who it is.
pub const WHOAMI: &[Scope] = &[];

pub fn routes(api: &mut Api) {
    let (token, login) = (Reply::object::<OAuthToken>, Reply::object::<PartnerLogin>);
    api.section("oauth");
    api.optional(Method::POST, "/oauth/token", TOKEN_CREATE, false, handlers::generate_token).returns(token());
    api.optional(Method::POST, "/admin/oauth/token", TOKEN_CREATE, true, handlers::generate_token).returns(token());
    api.with_admin(Method::POST, "/oauth/token/{partner_sid}", TOKEN_CREATE, handlers::generate_token_for_partner)
        .returns(token());
    api.with_admin(Method::POST, "/oauth/revoke", TOKEN_REVOKE, handlers::revoke_token).returns(Reply::no_content());
    api.with_admin(Method::GET, "/oauth/tokens", TOKEN_READ, handlers::list_tokens)
        .with_related()
        .returns(Reply::list::<OAuthToken>());
    api.with_admin(Method::GET, "/oauth/tokens/{token_sid}", TOKEN_READ, handlers::get_token)
        .with_related()
        .returns(token());
    api.with_admin(Method::PATCH, "/oauth/tokens/{token_sid}", TOKEN_UPDATE, handlers::update_token).returns(token());
    api.with_admin(Method::PUT, "/oauth/tokens/{token_sid}", TOKEN_UPDATE, handlers::update_token).returns(token());
    api.with_admin(Method::GET, "/oauth/whoami", WHOAMI, handlers::whoami)
        .returns(Reply::object::<crate::resources::partners::types::Partner>());
    api.with_admin(Method::POST, "/oauth/logins", LOGIN_CREATE, handlers::create_login).returns(login());
    api.with_admin(Method::GET, "/oauth/logins", LOGIN_READ, handlers::list_logins)
        .returns(Reply::list::<PartnerLogin>());
    api.with_admin(Method::GET, "/oauth/logins/{login_sid}", LOGIN_READ, handlers::get_login).returns(login());
    api.with_admin(Method::PATCH, "/oauth/logins/{login_sid}", LOGIN_UPDATE, handlers::update_login).returns(login());
    api.with_admin(Method::PUT, "/oauth/logins/{login_sid}", LOGIN_UPDATE, handlers::update_login).returns(login());
    api.with_admin(Method::DELETE, "/oauth/logins/{login_sid}", LOGIN_DELETE, handlers::delete_login)
        .returns(Reply::no_content());
}
