//! First start: on a database with no partner, creates in one transaction the root partner
//! (every scope, admin included), the OAuth client and a token for the root partner, and
//! prints what was generated once.

use sqlx::PgPool;
use uuid::Uuid;

use crate::config::Config;
use crate::domain::scopes::ScopeSet;
use crate::domain::secrets;
use crate::resources::oauth::repo::{self as oauth, NewToken};

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
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('carrierx_bootstrap'))").execute(&mut *tx).await?;
    // A configured client that does not exist yet is created on any start.
    if !config.oauth_client_id.is_empty() {
        if let Some(secret) = config.oauth_client_secret.expose() {
            let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM oauth_clients WHERE client_id = $1)")
                .bind(&config.oauth_client_id)
                .fetch_one(&mut *tx)
                .await?;
            if !exists {
                sqlx::query("INSERT INTO oauth_clients (client_id, client_secret_hash) VALUES ($1, $2)")
                    .bind(&config.oauth_client_id)
                    .bind(secrets::hash_password(secret))
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }
    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partners)").fetch_one(&mut *tx).await?;
    if any {
        tx.commit().await?;
        return Ok(None);
    }

    let generated_password = config.root_password.expose().is_none().then(|| secrets::random_hex(12));
    let password = config.root_password.expose().map(str::to_owned).or(generated_password.clone()).unwrap_or_default();
    let sid = Uuid::new_v4();
    let all = ScopeSet::all();
    let d = &config.partner_defaults;
    sqlx::query(
        "INSERT INTO partners (partner_sid, parent_sid, tree_path, display_id, login, name, company_name, available_scopes,
                               balance, spending_limit, daily_spending_limit, payment_type, status)
         VALUES ($1, NULL, $2, 'CX' || lpad(floor(random() * 100000000)::bigint::text, 8, '0'), $3, 'Root', 'carrierx-core',
                 $4, $5, $6, $7, 'postpay', 'active')",
    )
    .bind(sid)
    .bind(format!("/{sid}/"))
    .bind(&config.root_login)
    .bind(all)
    .bind(d.balance)
    .bind(d.spending_limit)
    .bind(d.daily_spending_limit)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO credentials (login, partner_sid, password_hash) VALUES ($1, $2, $3)")
        .bind(&config.root_login)
        .bind(sid)
        .bind(secrets::hash_password(&password))
        .execute(&mut *tx)
        .await?;
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
        sqlx::query("INSERT INTO oauth_clients (client_id, client_secret_hash) VALUES ($1, $2) ON CONFLICT (client_id) DO NOTHING")
            .bind(&id)
            .bind(secrets::hash_password(&secret))
            .execute(&mut *tx)
            .await?;
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
