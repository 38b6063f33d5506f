//! Local administration routes (not in CarrierX): `POST /core/v2/admin/reset`.

use axum::extract::State;
use axum::http::Method;
use axum::response::Response;

use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::http::openapi::Reply;
use crate::http::respond;
use crate::http::router::Api;
use crate::state::AppState;

pub fn routes(api: &mut Api) {
    api.section("admin");
    api.admin(Method::POST, "/admin/reset", &[], reset).returns(Reply::no_content());
}

/// Returns the database to its bootstrap state (`CARRIERX_ALLOW_RESET` must be on): 204.
pub async fn reset(State(state): State<AppState>, _caller: Caller) -> ApiResult<Response> {
    if !state.config.allow_reset {
        return Err(ApiError::Forbidden);
    }
    crate::reset::reset(&state).await?;
    state.invalidate_all();
    Ok(respond::no_content())
}
