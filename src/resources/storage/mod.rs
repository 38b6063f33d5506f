//! Storage: containers (quotas in bytes and files) and files (uploaded as multipart or raw bytes,
//! their bytes in PostgreSQL in chunks, streamed both ways), the published files' public route
//! (`GET /f/{key}`), and the deletion of files whose lifecycle has ended.

mod handlers;
pub mod repo;
pub mod types;

use axum::http::Method;
use axum::routing::get;
use axum::Router;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use crate::state::AppState;
use types::{Container, File};

pub use handlers::{classify, expire_files};

pub const CREATE: &[Scope] = &[Scope::StorageManage, Scope::StorageCreate];
pub const READ: &[Scope] = &[Scope::StorageManage, Scope::StorageRead];
pub const UPDATE: &[Scope] = &[Scope::StorageManage, Scope::StorageUpdate];
pub const DELETE: &[Scope] = &[Scope::StorageManage, Scope::StorageDelete];

pub fn routes(api: &mut Api) {
    let container = Reply::object::<Container>;
    let file = Reply::object::<File>;
    api.section("storage");
    api.route(Method::POST, "/storage/containers", CREATE, handlers::create_container).returns(container());
    api.route(Method::GET, "/storage/containers", READ, handlers::list_containers).returns(Reply::list::<Container>());
    api.route(Method::GET, "/storage/containers/{container_sid}", READ, handlers::get_container).returns(container());
    api.route(Method::PATCH, "/storage/containers/{container_sid}", UPDATE, handlers::update_container)
        .returns(container());
    api.route(Method::PUT, "/storage/containers/{container_sid}", UPDATE, handlers::update_container)
        .returns(container());
    api.route(Method::DELETE, "/storage/containers/{container_sid}", DELETE, handlers::delete_container)
        .returns(Reply::no_content());
    api.route(Method::POST, "/storage/files", CREATE, handlers::upload_file).returns(Reply::created::<File>());
    api.route(Method::GET, "/storage/files", READ, handlers::list_files).returns(Reply::list::<File>());
    api.route(Method::GET, "/storage/files/{file_sid}", READ, handlers::get_file).returns(file());
    api.route(Method::GET, "/storage/files/{file_sid}/data", READ, handlers::download_file)
        .returns(Reply::document("application/octet-stream"));
    api.route(Method::PATCH, "/storage/files/{file_sid}", UPDATE, handlers::update_file).returns(file());
    api.route(Method::PUT, "/storage/files/{file_sid}", UPDATE, handlers::update_file).returns(file());
    api.route(Method::DELETE, "/storage/files/{file_sid}", DELETE, handlers::delete_file).returns(Reply::no_content());
}

/// Published files, without credentials (outside the API).
pub fn router() -> Router<AppState> {
    Router::new().route("/f/{key}", get(handlers::published))
}

/// Deletes files whose lifecycle has ended, every minute (any instance; each file once).
pub async fn run_lifecycle(state: AppState) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        loop {
            match expire_files(&state).await {
                Ok(100) => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = ?e, "cannot delete the files whose lifecycle ended");
                    break;
                }
            }
        }
    }
}
