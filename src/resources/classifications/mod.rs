//! DID classifications: what kind of number a DID is, and how long a released one stays aging
//! (`aging_policy`, seconds). Reference data: read-only, every partner reads them.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::resources::dids::READ;
use types::Classification;

pub fn routes(api: &mut Api) {
    api.section("classifications");
    api.route(Method::GET, "/phonenumber/classifications", READ, handlers::list_classifications)
        .returns(Reply::list::<Classification>());
    api.route(Method::GET, "/phonenumber/classifications/{classification_sid}", READ, handlers::get_classification)
        .returns(Reply::object::<Classification>());
}
