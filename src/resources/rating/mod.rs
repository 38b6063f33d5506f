//! Rating: what a call or a message would cost, priced from the plans that rate the records
//! (`GET /rating/calls/pstn`, `/rating/calls/voip/{sub_type}`, `/rating/sms/{sub_type}`,
//! `/rating/mms/{sub_type}`).

mod handlers;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::{RatingCall, RatingMessage};

pub const READ: &[Scope] = &[Scope::RatingManage, Scope::RatingRead];

pub fn routes(api: &mut Api) {
    api.section("rating");
    api.route(Method::GET, "/rating/calls/pstn", READ, handlers::rate_pstn_call).returns(Reply::object::<RatingCall>());
    api.route(Method::GET, "/rating/calls/voip/{sub_type}", READ, handlers::rate_voip_call)
        .returns(Reply::object::<RatingCall>());
    api.route(Method::GET, "/rating/sms/{sub_type}", READ, handlers::rate_sms)
        .returns(Reply::object::<RatingMessage>());
    api.route(Method::GET, "/rating/mms/{sub_type}", READ, handlers::rate_mms)
        .returns(Reply::object::<RatingMessage>());
}
