//! Countries: `GET /countries`, `GET /countries/{country_code}` (ISO 3166-1 alpha-3).

mod handlers;
pub mod ops;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;

pub const READ: &[Scope] = &[Scope::CountriesManage, Scope::CountriesRead];

pub fn routes(api: &mut Api) {
    api.section("countries");
    api.route(Method::GET, "/countries", READ, handlers::list_countries).returns(Reply::list::<types::Country>());
    api.route(Method::GET, "/countries/{country_code}", READ, handlers::get_country)
        .returns(Reply::object::<types::Country>());
    // `/countries/ip/{ip_address}` is answered by the lookup section's IP geolocation.
}
