//! `ApiError`: every error the API answers with, mapped in one place to the CarrierX bodies.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of the `errors` array.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: Option<String>,
    pub message: String,
    pub reference_sid: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: Some(field.into()), message: message.into(), reference_sid: None }
    }

    pub fn with_reference(mut self, sid: impl Into<String>) -> Self {
        self.reference_sid = Some(sid.into());
        self
    }
}

/// The error body: `{"message", "errors": [...]}`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub message: String,
    pub errors: Option<Vec<FieldError>>,
}

/// The body of a 400 for a request body that is not JSON, as the reference shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MalformedJsonBody {
    pub body: ErrorBody,
    pub status: u16,
}

#[derive(Debug)]
pub enum ApiError {
    /// 400 with the reference's body for a body that is not JSON.
    MalformedJson,
    /// 400: a query or path parameter that cannot be used.
    BadParameter { field: String, message: String },
    /// 400: several such parameters, every one named at once.
    BadParameters(Vec<FieldError>),
    /// 401 `authentication required`.
    Unauthorized,
    /// 403 `permission denied`.
    Forbidden,
    /// 404 `no item error`; the message says what was not found (`cannot find token`).
    NotFound(String),
    /// 404 `no item error` naming the field that names what was not found (`to`: a number
    /// nobody rents).
    MissingItem(FieldError),
    /// 405 for a method the path does not take.
    MethodNotAllowed,
    /// 409: the request conflicts with the current state (e.g. a number already rented).
    Conflict(Vec<FieldError>),
    /// 409: the database gave up on a transaction (serialization failure, deadlock): a retry
    /// will do.
    Concurrent,
    /// 402: the partner cannot pay for what it asked (a prepaid balance that does not cover it,
    /// a daily spending limit reached); the errors name the limit.
    PaymentRequired(Vec<FieldError>),
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge,
    /// 415: a body without the content type the route needs.
    UnsupportedMediaType(&'static str),
    /// 422 `object validation error` naming every bad field.
    Validation(Vec<FieldError>),
    /// 503: the database does not answer.
    Unavailable,
    /// 503: a feature whose data is not installed on this server (says what is missing).
    NotInstalled(&'static str),
    /// 500: logged, never described to the client.
    Internal(String),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// A batch the database refused. When the cause is its unique `key`, the 409 names every
    /// object of the batch stored already (`taken`: looked up only now, for a batch is inserted
    /// without asking first); an object named twice in the batch itself, or any other refusal,
    /// answers as the database's error does.
    pub async fn refused_by_key<F, Fut>(e: crate::db::RepoError, key: &str, taken: F) -> ApiError
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::db::RepoResult<Vec<FieldError>>>,
    {
        if !e.violates(key) {
            return e.into();
        }
        match taken().await {
            Ok(named) if !named.is_empty() => ApiError::Conflict(named),
            Ok(_) => e.into(),
            Err(lookup) => lookup.into(),
        }
    }

    /// [`Self::refused_by_key`] for records keyed by secure ID: each taken one named as `field`.
    pub async fn refused_batch<F, Fut>(e: crate::db::RepoError, key: &str, field: &str, taken: F) -> ApiError
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = crate::db::RepoResult<Vec<uuid::Uuid>>>,
    {
        ApiError::refused_by_key(e, key, || async {
            Ok(taken()
                .await?
                .iter()
                .map(|s| FieldError::new(field, "this record exists already").with_reference(s.to_string()))
                .collect())
        })
        .await
    }

    pub fn bad_param(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::BadParameter { field: field.into(), message: message.into() }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("cannot find {what}"))
    }

    pub fn conflict(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Conflict(vec![FieldError::new(field, message)])
    }

    pub fn internal(e: impl std::fmt::Display) -> Self {
        ApiError::Internal(e.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson | ApiError::BadParameter { .. } | ApiError::BadParameters(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::MissingItem(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::Concurrent => StatusCode::CONFLICT,
            ApiError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable | ApiError::NotInstalled(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The error body, as the response carries it (batch tasks keep it per failed entry).
    pub fn body(self) -> serde_json::Value {
        fn cause(message: &str) -> Vec<FieldError> {
            vec![FieldError::new("cause", message)]
        }
        let (message, errors): (String, Option<Vec<FieldError>>) = match self {
            ApiError::MalformedJson => {
                let body = ErrorBody { message: "cannot parse json. Check json for validity".into(), errors: None };
                return serde_json::to_value(MalformedJsonBody { body, status: 400 }).unwrap_or_default();
            }
            ApiError::BadParameter { field, message } => {
                ("invalid request parameter".into(), Some(vec![FieldError::new(field, message)]))
            }
            ApiError::BadParameters(errors) => ("invalid request parameter".into(), Some(errors)),
            ApiError::Unauthorized => ("authentication required".into(), Some(cause("authentication required"))),
            ApiError::Forbidden => ("permission denied".into(), Some(cause("permission denied"))),
            ApiError::NotFound(message) => {
                ("no item error".into(), Some(vec![FieldError { field: None, message, reference_sid: None }]))
            }
            ApiError::MissingItem(e) => ("no item error".into(), Some(vec![e])),
            ApiError::MethodNotAllowed => ("method not allowed".into(), Some(cause("method not allowed"))),
            ApiError::Conflict(errors) => ("conflict".into(), Some(errors)),
            ApiError::Concurrent => {
                ("conflict".into(), Some(vec![FieldError::new("cause", "concurrent update, retry the request")]))
            }
            ApiError::PaymentRequired(errors) => ("payment required".into(), Some(errors)),
            ApiError::PayloadTooLarge => ("payload too large".into(), Some(cause("request body is too large"))),
            ApiError::UnsupportedMediaType(expected) => (
                "unsupported media type".into(),
                Some(vec![FieldError::new("Content-Type", format!("must be {expected}"))]),
            ),
            ApiError::Validation(errors) => ("object validation error".into(), Some(errors)),
            ApiError::Unavailable => ("service unavailable".into(), Some(cause("database unavailable"))),
            ApiError::NotInstalled(what) => ("service unavailable".into(), Some(cause(what))),
            ApiError::Internal(_) => ("internal server error".into(), Some(cause("internal server error"))),
        };
        serde_json::to_value(ErrorBody { message, errors }).unwrap_or_default()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(error = %detail, "internal error");
        }
        let mut resp = (status, axum::Json(self.body())).into_response();
        if status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"carrierx\", Basic realm=\"carrierx\""),
            );
        }
        resp
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => ApiError::NotFound("cannot find item by SID".into()),
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            sqlx::Error::Database(db) => {
                if let Some(c) = db.constraint() {
                    if let Some((field, message)) = constraint_field(c) {
                        return ApiError::invalid(field, message);
                    }
                }
                let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
                match code.as_str() {
                    // serialization failure / deadlock: the client may retry.
                    "40001" | "40P01" => ApiError::Concurrent,
                    // The connection ended by the server (a shutdown or restart, an administrator:
                    // class 57), lost (08) or refused for want of resources (53: connections, disk,
                    // memory): the database is unavailable, not the request wrong.
                    c if c.starts_with("57") || c.starts_with("08") || c.starts_with("53") => {
                        tracing::error!(error = %e, "database unavailable");
                        ApiError::Unavailable
                    }
                    // Data exceptions come from values a client sent that validation let through:
                    // still the client's, never a 500.
                    c if c.starts_with("22") => {
                        tracing::warn!(error = %e, "a value was refused by the database");
                        ApiError::bad_param("cause", "a value is out of range or malformed")
                    }
                    c if c.starts_with("23") => {
                        // A constraint no validation foresaw: the client's conflict, named without
                        // the database's own names (logged for the developers).
                        tracing::warn!(error = %e, constraint = db.constraint().unwrap_or(""), "a constraint was violated");
                        ApiError::conflict("cause", "conflicts with existing data")
                    }
                    _ => ApiError::Internal(e.to_string()),
                }
            }
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<crate::db::RepoError> for ApiError {
    fn from(e: crate::db::RepoError) -> Self {
        use crate::db::RepoError;
        match e {
            RepoError::Db(e) => e.into(),
            RepoError::BadParameter { field, message } => ApiError::bad_param(field, message),
            RepoError::Vanished(what) => ApiError::Internal(format!("{what} vanished")),
        }
    }
}

impl From<crate::db::listing::ParamError> for ApiError {
    fn from(e: crate::db::listing::ParamError) -> Self {
        ApiError::bad_param(e.field, e.message)
    }
}

/// Named constraints that a client's value can break, with the field they concern (every other
/// one is answered without its name).
fn constraint_field(constraint: &str) -> Option<(&'static str, &'static str)> {
    Some(match constraint {
        "partners_login_key" | "credentials_pkey" => ("login", "this login already exists"),
        "dids_phonenumber_key" => ("phonenumber", "this number exists already"),
        "call_drs_pkey" | "messages_dr_sid_key" => ("dr_sid", "this record exists already"),
        "conference_calls_pkey" => ("call_sid", "this record exists already"),
        "lookup_lrns_pkey" | "lookup_cnams_pkey" => ("phonenumber", "this number exists already"),
        "shortener_domains_domain_name_key" => ("domain_name", "this domain name is taken"),
        "short_codes_short_code_key" => ("short_code", "this short code exists already"),
        _ => return None,
    })
}
