//! Trunk groups and their trunks: how calls of a phone number reach an endpoint.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use types::{Trunk, TrunkGroup};

pub const CREATE: &[Scope] = &[Scope::TrunkGroupsManage, Scope::TrunkGroupsCreate];
pub const READ: &[Scope] = &[Scope::TrunkGroupsManage, Scope::TrunkGroupsRead];
pub const UPDATE: &[Scope] = &[Scope::TrunkGroupsManage, Scope::TrunkGroupsUpdate];
pub const DELETE: &[Scope] = &[Scope::TrunkGroupsManage, Scope::TrunkGroupsDelete];
pub const TRUNK_CREATE: &[Scope] = &[Scope::TrunkGroupsTrunksManage, Scope::TrunkGroupsTrunksCreate];
pub const TRUNK_READ: &[Scope] = &[Scope::TrunkGroupsTrunksManage, Scope::TrunkGroupsTrunksRead];
pub const TRUNK_UPDATE: &[Scope] = &[Scope::TrunkGroupsTrunksManage, Scope::TrunkGroupsTrunksUpdate];
pub const TRUNK_DELETE: &[Scope] = &[Scope::TrunkGroupsTrunksManage, Scope::TrunkGroupsTrunksDelete];

pub fn routes(api: &mut Api) {
    let (group, trunk) = (Reply::object::<TrunkGroup>, Reply::object::<Trunk>);
    let trunk_path = "/trunk_groups/{trunk_group_sid}/trunks/{trunk_sid}";
    api.section("trunk_groups");
    api.route(Method::POST, "/trunk_groups", CREATE, handlers::create_trunk_group).returns(group());
    api.route(Method::GET, "/trunk_groups", READ, handlers::list_trunk_groups)
        .with_related()
        .query("with_trunks", ArgKind::Boolean, false, "true: each group with its trunks")
        .returns(Reply::list::<TrunkGroup>());
    api.route(Method::GET, "/trunk_groups/{trunk_group_sid}", READ, handlers::get_trunk_group)
        .with_related()
        .query("with_trunks", ArgKind::Boolean, false, "true: the group with its trunks")
        .returns(group());
    api.route(Method::PATCH, "/trunk_groups/{trunk_group_sid}", UPDATE, handlers::update_trunk_group).returns(group());
    api.route(Method::PUT, "/trunk_groups/{trunk_group_sid}", UPDATE, handlers::update_trunk_group).returns(group());
    api.route(Method::DELETE, "/trunk_groups/{trunk_group_sid}", DELETE, handlers::delete_trunk_group)
        .returns(Reply::no_content());
    api.route(Method::POST, "/trunk_groups/{trunk_group_sid}/trunks", TRUNK_CREATE, handlers::create_trunk)
        .returns(trunk());
    api.route(Method::GET, "/trunk_groups/{trunk_group_sid}/trunks", TRUNK_READ, handlers::list_trunks)
        .returns(Reply::list::<Trunk>());
    api.route(Method::GET, trunk_path, TRUNK_READ, handlers::get_trunk).returns(trunk());
    api.route(Method::PATCH, trunk_path, TRUNK_UPDATE, handlers::update_trunk).returns(trunk());
    api.route(Method::PUT, trunk_path, TRUNK_UPDATE, handlers::update_trunk).returns(trunk());
    api.route(Method::DELETE, trunk_path, TRUNK_DELETE, handlers::delete_trunk).returns(Reply::no_content());
}
