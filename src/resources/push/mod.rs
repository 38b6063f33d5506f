//! Push: applications (their APNs and Firebase credentials, secrets masked), devices (`?reuse=`),
//! and notifications to up to 100 devices, carried by the simulated push network, which records
//! each delivery (`GET /admin/simulator/push`) and shows it on the console.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::{Api, ArgKind};
use types::{Application, Delivery, Device, SendSummary};

pub const CREATE: &[Scope] = &[Scope::PushManage, Scope::PushCreate];
pub const READ: &[Scope] = &[Scope::PushManage, Scope::PushRead];
pub const UPDATE: &[Scope] = &[Scope::PushManage, Scope::PushUpdate];
pub const DELETE: &[Scope] = &[Scope::PushManage, Scope::PushDelete];

pub fn routes(api: &mut Api) {
    let app = Reply::object::<Application>;
    let device = Reply::object::<Device>;
    api.section("push");
    api.route(Method::POST, "/push/applications", CREATE, handlers::create_application).returns(app());
    api.route(Method::GET, "/push/applications", READ, handlers::list_applications)
        .with_related()
        .returns(Reply::list::<Application>());
    api.route(Method::GET, "/push/applications/{application_sid}", READ, handlers::get_application)
        .with_related()
        .returns(app());
    api.route(Method::PATCH, "/push/applications/{application_sid}", UPDATE, handlers::update_application)
        .returns(app());
    api.route(Method::PUT, "/push/applications/{application_sid}", UPDATE, handlers::update_application).returns(app());
    api.route(Method::DELETE, "/push/applications/{application_sid}", DELETE, handlers::delete_application)
        .returns(Reply::no_content());
    api.route(Method::POST, "/push/devices", CREATE, handlers::create_device)
        .query(
            "reuse",
            ArgKind::Boolean,
            false,
            "true (the default): answer the device with the same token, type and environment, if any",
        )
        .returns(device());
    api.route(Method::GET, "/push/devices", READ, handlers::list_devices)
        .with_related()
        .returns(Reply::list::<Device>());
    api.route(Method::GET, "/push/devices/{device_sid}", READ, handlers::get_device).with_related().returns(device());
    api.route(Method::PATCH, "/push/devices/{device_sid}", UPDATE, handlers::update_device).returns(device());
    api.route(Method::PUT, "/push/devices/{device_sid}", UPDATE, handlers::update_device).returns(device());
    api.route(Method::DELETE, "/push/devices/{device_sid}", DELETE, handlers::delete_device)
        .returns(Reply::no_content());
    api.route(Method::POST, "/push/notifications", CREATE, handlers::send_notification)
        .returns(Reply::object::<SendSummary>());
    api.section("simulator");
    api.admin(Method::GET, "/admin/simulator/push", &[], handlers::list_deliveries).returns(Reply::list::<Delivery>());
}
