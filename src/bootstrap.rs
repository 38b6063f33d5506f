//! First start: on a database with no partner, creates in one transaction the root partner
//! (every scope, admin included), the OAuth client and a token for the root partner, and
//! prints what was generated once.

use sqlx::PgPool;
use uuid::Uuid;

use crate::config::Config;
use crate::db::RepoError;
use crate::domain::scopes::ScopeSet;
use crate::domain::secrets;
use crate::resources::oauth::repo::{self as oauth, NewToken};
use crate::resources::partners::repo as partners;

/// What bootstrap created (the secrets are shown once, to the operator).
#[derive(Debug)]
pub struct Bootstrapped {
    pub root_partner_sid: Uuid,
    pub root_login: String,
    pub root_password: Option<String>,
    pub root_token: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

pub async fn run(pool: &PgPool, config: &Config) -> Result<Option<Bootstrapped>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    crate::db::reset::lock_bootstrap(&mut tx).await.map_err(sql)?;
    // A configured client that does not exist yet is created on any start.
    if !config.oauth_client_id.is_empty() {
        if let Some(secret) = config.oauth_client_secret.expose() {
            if !oauth::client_exists(&mut *tx, &config.oauth_client_id).await.map_err(sql)? {
                oauth::insert_client(&mut *tx, &config.oauth_client_id, &secrets::hash_password(secret))
                    .await
                    .map_err(sql)?;
            }
        }
    }
    if partners::any_exists(&mut *tx).await.map_err(sql)? {
        tx.commit().await?;
        return Ok(None);
    }

    let generated_password = config.root_password.expose().is_none().then(|| secrets::random_hex(12));
    let password = config.root_password.expose().map(str::to_owned).or(generated_password.clone()).unwrap_or_default();
    let sid = Uuid::new_v4();
    let all = ScopeSet::all();
    let d = &config.partner_defaults;
    partners::insert_root(&mut *tx, sid, &config.root_login, all, d.balance, d.spending_limit, d.daily_spending_limit)
        .await
        .map_err(sql)?;
    partners::insert_credential(&mut *tx, &config.root_login, sid, &secrets::hash_password(&password))
        .await
        .map_err(sql)?;
    crate::resources::endpoints::repo::create_system_gateway(&mut tx, sid, &config.system_gateway_addresses)
        .await
        .map_err(|e| sqlx::Error::Protocol(format!("{e:?}")))?;

    let (client_id, client_secret, generated_client) = if !config.oauth_client_id.is_empty()
        && config.oauth_client_secret.expose().is_some()
    {
        (config.oauth_client_id.clone(), None, false)
    } else {
        let id =
            if config.oauth_client_id.is_empty() { secrets::random_hex(16) } else { config.oauth_client_id.clone() };
        let secret = config.oauth_client_secret.expose().map(str::to_owned).unwrap_or_else(|| secrets::random_hex(16));
        oauth::insert_client_if_absent(&mut *tx, &id, &secrets::hash_password(&secret)).await.map_err(sql)?;
        let shown = config.oauth_client_secret.expose().is_none().then_some(secret);
        (id, shown, true)
    };

    let generated_token = config.root_token.expose().is_none().then(secrets::random_token);
    let token = config.root_token.expose().map(str::to_owned).or(generated_token.clone());
    oauth::insert_token(
        &mut *tx,
        NewToken {
            partner_sid: sid,
            client_id: client_id.clone(),
            name: Some("root".into()),
            scopes: all,
            login_sid: None,
            partner_login: Some(config.root_login.clone()),
            access_lifetime: oauth::default_lifetime(),
            refresh_lifetime: oauth::default_lifetime(),
            access_token: token,
        },
    )
    .await
    .map_err(|e| sqlx::Error::Protocol(format!("{e:?}")))?;
    tx.commit().await?;
    Ok(Some(Bootstrapped {
        root_partner_sid: sid,
        root_login: config.root_login.clone(),
        root_password: generated_password,
        root_token: generated_token,
        client_id: generated_client.then_some(client_id),
        client_secret,
    }))
}

/// The `sqlx::Error` behind a repository call's error (what `run` answers).
fn sql(e: RepoError) -> sqlx::Error {
    match e {
        RepoError::Db(e) => e,
        other => sqlx::Error::Protocol(format!("{other:?}")),
    }
}

/// Prints what was generated, once, on standard output (never through the logs).
pub fn print(b: &Bootstrapped) {
    println!("carrierx-core: first start: created the root partner {} (login {:?})", b.root_partner_sid, b.root_login);
    if let Some(p) = &b.root_password {
        println!("  CARRIERX_ROOT_PASSWORD={p}");
    }
    if let Some(t) = &b.root_token {
        println!("  CARRIERX_ROOT_TOKEN={t}");
    }
    if let Some(c) = &b.client_id {
        println!("  CARRIERX_OAUTH_CLIENT_ID={c}");
    }
    if let Some(s) = &b.client_secret {
        println!("  CARRIERX_OAUTH_CLIENT_SECRET={s}");
    }
    println!("  (shown only now: keep them)");
}
