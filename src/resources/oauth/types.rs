use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::scopes::ScopeSet;
use crate::domain::time::Timestamp;
use crate::http::input::{Ignored, Maybe};
use crate::resources::partners::types::Partner;

/// The OAuth Token object. `partner` shows with `with_related=true`; `date_last_modified`, `id`,
/// `partner_login` and `visibility` through the admin routes only.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct OAuthToken {
    pub access_token: String,
    pub client_id: String,
    pub date_created: Timestamp,
    pub date_expiration_access_token: Timestamp,
    pub date_expiration_refresh_token: Timestamp,
    pub date_last_accessed: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_last_modified: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    pub ip_last_accessed: Option<String>,
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner: Option<Box<Partner>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_login: Option<String>,
    pub partner_sid: Uuid,
    pub refresh_token: String,
    pub scopes: ScopeSet,
    pub token_sid: Uuid,
    pub token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
}

/// An OAuth token in a PATCH/PUT body.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthTokenInput {
    #[serde(default)]
    pub date_expiration_access_token: Maybe<String>,
    #[serde(default)]
    pub date_expiration_refresh_token: Maybe<String>,
    #[serde(default)]
    pub name: Maybe<String>,
    #[serde(default)]
    pub scopes: Maybe<Vec<String>>,
    #[serde(default)]
    pub access_token: Ignored,
    #[serde(default)]
    pub client_id: Ignored,
    #[serde(default)]
    pub client_secret: Ignored,
    #[serde(default)]
    pub date_created: Ignored,
    #[serde(default)]
    pub date_last_accessed: Ignored,
    #[serde(default)]
    pub date_last_modified: Ignored,
    #[serde(default)]
    pub id: Ignored,
    #[serde(default)]
    pub ip_last_accessed: Ignored,
    #[serde(default)]
    pub partner: Ignored,
    #[serde(default)]
    pub partner_login: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
    #[serde(default)]
    pub refresh_token: Ignored,
    #[serde(default)]
    pub token_sid: Ignored,
    #[serde(default)]
    pub token_type: Ignored,
    #[serde(default)]
    pub visibility: Ignored,
}

pub const TOKEN_UPDATABLE: &[&str] =
    &["date_expiration_access_token", "date_expiration_refresh_token", "name", "scopes"];

/// The Partner Login object (a sub-login). `use_on_root_login` shows through admin routes.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PartnerLogin {
    pub login: String,
    pub login_sid: Uuid,
    pub partner_sid: Uuid,
    pub token_scopes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_on_root_login: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerLoginInput {
    #[serde(default)]
    pub login: Maybe<String>,
    #[serde(default)]
    pub password: Maybe<String>,
    #[serde(default)]
    pub token_scopes: Maybe<Vec<String>>,
    #[serde(default)]
    pub use_on_root_login: Maybe<bool>,
    #[serde(default)]
    pub login_sid: Ignored,
    #[serde(default)]
    pub partner_sid: Ignored,
}

pub const LOGIN_UPDATABLE: &[&str] = &["token_scopes"];

crate::resources::partners::ops::carries_partner!(OAuthToken);
