//! Typed settings: `config/default.toml` (or the file named by `CARRIERX_CONFIG`, or the copy
//! compiled into the binary), each key overridden by a `CARRIERX_<KEY>` environment variable,
//! and `DATABASE_URL`.

use std::fmt;
use std::path::PathBuf;

use rust_decimal::Decimal;
use serde::Deserialize;

const EMBEDDED_DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EmailVerification {
    Required,
    Auto,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, Deserialize)]
pub struct PartnerDefaults {
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub spending_limit: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub daily_spending_limit: Decimal,
}

/// A secret setting: never printed by `Debug`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn expose(&self) -> Option<&str> {
        if self.0.is_empty() {
            None
        } else {
            Some(&self.0)
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "\"[redacted]\"" })
    }
}

#[derive(Clone, Debug, Deserialize)]
pub struct Config {
    pub bind: String,
    #[serde(default)]
    pub database_url: Secret,
    pub data_dir: PathBuf,
    pub public_url: String,
    pub root_login: String,
    pub root_password: Secret,
    pub root_token: Secret,
    pub oauth_client_id: String,
    pub oauth_client_secret: Secret,
    pub email_verification: EmailVerification,
    pub smtp_url: String,
    pub mail_from: String,
    pub demo_data: bool,
    pub log_format: LogFormat,
    pub db_max_connections: u32,
    pub max_body_bytes: usize,
    pub max_admin_body_bytes: usize,
    pub endpoint_api_url: String,
    pub system_gateway_addresses: Vec<String>,
    pub did_aging_seconds: u32,
    #[serde(with = "rust_decimal::serde::str")]
    pub did_default_price: Decimal,
    pub geoip_db: Vec<PathBuf>,
    pub geoip_auto_install: bool,
    pub allow_reset: bool,
    pub batch_worker: bool,
    pub batch_chunk_size: u32,
    pub batch_chunk_pause_ms: u64,
    pub batch_claim_timeout_seconds: u32,
    pub batch_poll_ms: u64,
    pub batch_max_entries: u32,
    pub verification_base_url: String,
    pub network_worker: bool,
    pub sms_step_ms: u64,
    pub sms_unreachable_numbers: Vec<String>,
    pub callback_timeout_ms: u64,
    pub callback_max_attempts: u32,
    pub callback_retry_base_ms: u64,
    pub callback_retry_max_ms: u64,
    pub callback_concurrency: u32,
    pub callback_per_receiver: u32,
    pub storage_max_file_bytes: u64,
    pub storage_max_containers: u32,
    pub storage_uploads: u32,
    pub partner_defaults: PartnerDefaults,
    pub lookup_prices: LookupPrices,
}

/// What each detail of a phone number lookup costs (an invoice line each).
#[derive(Clone, Debug, Deserialize)]
pub struct LookupPrices {
    #[serde(with = "rust_decimal::serde::str")]
    pub carrier: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub cnam: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub lrn: Decimal,
}

#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration error: {}", self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads the settings file and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let text = match std::env::var_os("CARRIERX_CONFIG") {
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|e| ConfigError(format!("cannot read {}: {e}", PathBuf::from(path).display())))?,
            None => std::fs::read_to_string("config/default.toml").unwrap_or_else(|_| EMBEDDED_DEFAULTS.to_owned()),
        };
        Self::from_sources(&text, |k| std::env::var(k).ok())
    }

    /// The compiled-in defaults with no environment (tests start from this).
    pub fn defaults() -> Self {
        Self::from_sources(EMBEDDED_DEFAULTS, |_| None).expect("embedded defaults are valid")
    }

    pub fn from_sources(text: &str, env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut table: toml::Table = text.parse().map_err(|e| ConfigError(format!("settings file: {e}")))?;
        apply_env(&mut table, "CARRIERX_", &env)?;
        if let Some(url) = env("DATABASE_URL") {
            table.insert("database_url".into(), toml::Value::String(url));
        }
        let cfg: Config = table.try_into().map_err(|e: toml::de::Error| ConfigError(e.to_string()))?;
        let absolute = ["http://", "https://"].iter().any(|p| cfg.public_url.starts_with(p));
        if !cfg.public_url.is_empty() && !absolute {
            return Err(ConfigError("CARRIERX_PUBLIC_URL must be an absolute http(s) URL".into()));
        }
        if cfg.batch_chunk_size == 0 || cfg.batch_claim_timeout_seconds == 0 || cfg.batch_max_entries == 0 {
            return Err(ConfigError(
                "CARRIERX_BATCH_CHUNK_SIZE, CARRIERX_BATCH_CLAIM_TIMEOUT_SECONDS and CARRIERX_BATCH_MAX_ENTRIES must be positive"
                    .into(),
            ));
        }
        if let Some(bad) = cfg.sms_unreachable_numbers.iter().find(|p| regex::Regex::new(p).is_err()) {
            return Err(ConfigError(format!("CARRIERX_SMS_UNREACHABLE_NUMBERS: {bad:?} is not a regular expression")));
        }
        if cfg.callback_max_attempts == 0 || cfg.callback_concurrency == 0 || cfg.callback_per_receiver == 0 {
            return Err(ConfigError(
                "CARRIERX_CALLBACK_MAX_ATTEMPTS, CARRIERX_CALLBACK_CONCURRENCY and CARRIERX_CALLBACK_PER_RECEIVER must be positive"
                    .into(),
            ));
        }
        if cfg.storage_max_file_bytes == 0 || cfg.storage_uploads == 0 {
            return Err(ConfigError(
                "CARRIERX_STORAGE_MAX_FILE_BYTES and CARRIERX_STORAGE_UPLOADS must be positive".into(),
            ));
        }
        if !cfg.smtp_url.is_empty() && !cfg.smtp_url.starts_with("smtp://") {
            return Err(ConfigError("CARRIERX_SMTP_URL must look like smtp://host:port".into()));
        }
        Ok(cfg)
    }

    pub fn database_url(&self) -> Option<&str> {
        self.database_url.expose()
    }

    pub fn public_url(&self) -> Option<&str> {
        let u = self.public_url.trim_end_matches('/');
        (!u.is_empty()).then_some(u)
    }
}

fn apply_env(table: &mut toml::Table, prefix: &str, env: &impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
    for (key, value) in table.iter_mut() {
        let var = format!("{prefix}{}", key.to_ascii_uppercase());
        if let toml::Value::Table(inner) = value {
            apply_env(inner, &format!("{var}_"), env)?;
            continue;
        }
        let Some(raw) = env(&var) else { continue };
        *value = match value {
            toml::Value::Boolean(_) => match raw.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => toml::Value::Boolean(true),
                "0" | "false" | "no" | "off" | "" => toml::Value::Boolean(false),
                _ => return Err(ConfigError(format!("{var} must be true or false"))),
            },
            toml::Value::Integer(_) => {
                toml::Value::Integer(raw.parse().map_err(|_| ConfigError(format!("{var} must be an integer")))?)
            }
            toml::Value::Array(_) => toml::Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_owned()))
                    .collect(),
            ),
            _ => toml::Value::String(raw),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests;
