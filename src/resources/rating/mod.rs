//! Rating: what a call or a message would cost, priced from the plans that rate the records
//! (`GET /rating/calls/pstn`, `/rating/calls/voip/{sub_type}`, `/rating/sms/{sub_type}`,
//! `/rating/mms/{sub_type}`).

mod handlers;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind, Declare};
use types::{RatingCall, RatingMessage};

pub const READ: &[Scope] = &[Scope::RatingManage, Scope::RatingRead];

pub fn routes(api: &mut Api) {
    api.section("rating");
    let call = |d: Declare<'_>| {
        asked(d)
            .query("duration", ArgKind::Integer, true, "the call's length in seconds")
            .returns(Reply::object::<RatingCall>());
    };
    let message = |d: Declare<'_>| {
        asked(d).returns(Reply::object::<RatingMessage>());
    };
    call(api.route(Method::GET, "/rating/calls/pstn", READ, handlers::rate_pstn_call));
    call(api.route(Method::GET, "/rating/calls/voip/{sub_type}", READ, handlers::rate_voip_call));
    message(api.route(Method::GET, "/rating/sms/{sub_type}", READ, handlers::rate_message).summary("rate sms").query(
        "message_segments",
        ArgKind::Integer,
        false,
        "the segments of the message (default 1)",
    ));
    message(api.route(Method::GET, "/rating/mms/{sub_type}", READ, handlers::rate_message).summary("rate mms"));
}

/// The arguments every rating route reads.
fn asked(d: Declare<'_>) -> Declare<'_> {
    d.query("direction", ArgKind::Text, true, "inbound (from the number) or outbound (to it)")
        .query("to", ArgKind::Text, true, "the other party's number")
        .query("partner_sid", ArgKind::Text, false, "a partner of the caller's tree to price for (default: the caller)")
}
