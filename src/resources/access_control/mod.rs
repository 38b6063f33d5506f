//! Access control: rules (own and ancestors', these read only), the ACL object carried by
//! partners, trunk groups and trunks, and the effective ACLs of a partner, trunk group or trunk.

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use types::{AccessControlRule, EffectiveLayer};

pub const CREATE: &[Scope] = &[Scope::AccesscontrolManage, Scope::AccesscontrolCreate];
pub const READ: &[Scope] = &[Scope::AccesscontrolManage, Scope::AccesscontrolRead];
pub const UPDATE: &[Scope] = &[Scope::AccesscontrolManage, Scope::AccesscontrolUpdate];
pub const DELETE: &[Scope] = &[Scope::AccesscontrolManage, Scope::AccesscontrolDelete];

pub fn routes(api: &mut Api) {
    let rule = Reply::object::<AccessControlRule>;
    api.section("access_control");
    api.route(Method::POST, "/accesscontrol/rules", CREATE, handlers::create_rule).returns(rule());
    api.route(Method::GET, "/accesscontrol/rules", READ, handlers::list_rules)
        .returns(Reply::list::<AccessControlRule>());
    api.route(Method::GET, "/accesscontrol/rules/{rule_sid}", READ, handlers::get_rule).returns(rule());
    api.route(Method::PATCH, "/accesscontrol/rules/{rule_sid}", UPDATE, handlers::update_rule).returns(rule());
    api.route(Method::PUT, "/accesscontrol/rules/{rule_sid}", UPDATE, handlers::update_rule).returns(rule());
    api.route(Method::DELETE, "/accesscontrol/rules/{rule_sid}", DELETE, handlers::delete_rule)
        .returns(Reply::no_content());
    api.route(Method::GET, "/accesscontrol/effective_acl/calls", READ, handlers::effective_calls)
        .query("partner_sid", ArgKind::Text, false, "the partner whose layers are read (default: the caller)")
        .query("trunk_group_sid", ArgKind::Text, false, "add the layer of this trunk group")
        .query("trunk_sid", ArgKind::Text, false, "add the layers of this trunk and its group")
        .query("direction", ArgKind::Text, false, "only the ACLs of this direction (and any)")
        .returns(Reply::list::<EffectiveLayer>());
    api.route(Method::GET, "/accesscontrol/effective_acl/sms", READ, handlers::effective_sms)
        .query("partner_sid", ArgKind::Text, false, "the partner whose layers are read (default: the caller)")
        .query("direction", ArgKind::Text, false, "only the ACLs of this direction (and any)")
        .returns(Reply::list::<EffectiveLayer>());
}
