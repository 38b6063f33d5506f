//! Batch tasks: bulk creation, change or release of phone numbers and prefixes, reviewed before
//! they run when asked, run in the background by the worker of `jobs::batch`.

pub mod entries;
mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::{ErrorDetail, ReviewResponse, Task};

const CREATE: &[Scope] = &[Scope::BatchManage, Scope::BatchCreate];
const READ: &[Scope] = &[Scope::BatchManage, Scope::BatchRead];
const UPDATE: &[Scope] = &[Scope::BatchManage, Scope::BatchUpdate];
const DELETE: &[Scope] = &[Scope::BatchManage, Scope::BatchDelete];

pub fn routes(api: &mut Api) {
    let task = Reply::object::<Task>;
    api.section("batch");
    api.with_admin(Method::POST, "/batch/tasks", CREATE, handlers::create_task).returns(task());
    api.with_admin(Method::GET, "/batch/tasks", READ, handlers::list_tasks).returns(Reply::list::<Task>());
    api.with_admin(Method::GET, "/batch/tasks/{task_sid}", READ, handlers::get_task).returns(task());
    api.with_admin(Method::PATCH, "/batch/tasks/{task_sid}", UPDATE, handlers::update_task).returns(task());
    api.with_admin(Method::PUT, "/batch/tasks/{task_sid}", UPDATE, handlers::update_task).returns(task());
    api.with_admin(Method::DELETE, "/batch/tasks/{task_sid}", DELETE, handlers::delete_task)
        .returns(Reply::no_content());
    api.with_admin(Method::GET, "/batch/tasks/{task_sid}/review_items", READ, handlers::get_review_items)
        .returns(Reply::object::<ReviewResponse>());
    api.with_admin(Method::GET, "/batch/tasks/{task_sid}/review_items.csv", READ, handlers::get_review_items_csv)
        .returns(Reply::document("text/csv"));
    api.with_admin(Method::GET, "/batch/tasks/{task_sid}/errors", READ, handlers::list_errors)
        .returns(Reply::list::<ErrorDetail>());
}
