use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::Partner;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::json::sorted;
use crate::domain::money::Money;
use crate::domain::scopes::ScopeSet;
use crate::domain::secrets;
use crate::mail::{self, Mail};

pub const COLUMNS: &str = "p.id, p.partner_sid, p.parent_sid, p.tree_path, p.display_id, p.login, p.name, p.company_name, \
    p.address1, p.address2, p.city, p.state, p.zip, p.country_code, p.phonenumber, p.owner_email, p.owner_email_pending, \
    p.tech_email, p.tech_email_pending, p.billing_email, p.billing_email_pending, p.compliance_email, p.attributes, \
    p.callbacks, p.acls, p.parent_assigned_acls, p.transformations, p.system_attributes, p.available_scopes, p.balance, \
    p.charge_at, p.prepay_amount, p.spending_limit, p.daily_spending_limit, p.daily_spent_amount, p.payment_type, \
    p.status, p.date_created";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartnerRow {
    pub id: i64,
    pub partner_sid: Uuid,
    pub parent_sid: Option<Uuid>,
    pub tree_path: String,
    pub display_id: String,
    pub login: String,
    pub name: Option<String>,
    pub company_name: Option<String>,
    pub address1: Option<String>,
    pub address2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zip: Option<String>,
    pub country_code: Option<String>,
    pub phonenumber: Option<String>,
    pub owner_email: Option<String>,
    pub owner_email_pending: Option<String>,
    pub tech_email: Option<String>,
    pub tech_email_pending: Option<String>,
    pub billing_email: Option<String>,
    pub billing_email_pending: Option<String>,
    pub compliance_email: Option<String>,
    pub attributes: Value,
    pub callbacks: Value,
    pub acls: Value,
    pub parent_assigned_acls: Value,
    pub transformations: Value,
    pub system_attributes: Value,
    pub available_scopes: ScopeSet,
    pub balance: Decimal,
    pub charge_at: Option<Decimal>,
    pub prepay_amount: Option<Decimal>,
    pub spending_limit: Decimal,
    pub daily_spending_limit: Option<Decimal>,
    pub daily_spent_amount: Decimal,
    pub payment_type: String,
    pub status: String,
    pub date_created: DateTime<Utc>,
}

impl PartnerRow {
    /// The wire object; `admin` shows the admin-only attributes. (`available_scopes` are stored
    /// sorted.)
    pub fn to_wire(&self, admin: bool) -> Partner {
        let scopes = self.available_scopes;
        Partner {
            acls: sorted(&self.acls),
            address1: self.address1.clone(),
            address2: self.address2.clone(),
            attributes: sorted(&self.attributes),
            available_scopes: scopes,
            balance: Money(self.balance),
            billing_email: self.billing_email.clone(),
            callbacks: sorted(&self.callbacks),
            charge_at: self.charge_at.map(Money),
            city: self.city.clone(),
            company_name: self.company_name.clone(),
            compliance_email: self.compliance_email.clone(),
            country_code: self.country_code.clone(),
            daily_spending_limit: self.daily_spending_limit.map(Money),
            daily_spent_amount: Money(self.daily_spent_amount),
            date_created: self.date_created.into(),
            display_id: self.display_id.clone(),
            id: admin.then_some(self.id),
            login: self.login.clone(),
            name: self.name.clone(),
            owner_email: self.owner_email.clone(),
            owner_email_pending: self.owner_email_pending.clone(),
            parent_assigned_acls: sorted(&self.parent_assigned_acls),
            parent_sid: self.parent_sid,
            partner_sid: self.partner_sid,
            payment_type: self.payment_type.clone(),
            phonenumber: self.phonenumber.clone(),
            prepay_amount: self.prepay_amount.map(Money),
            spending_limit: Money(self.spending_limit),
            state: self.state.clone(),
            status: self.status.clone(),
            system_attributes: admin.then(|| sorted(&self.system_attributes)),
            tech_email: self.tech_email.clone(),
            transformations: sorted(&self.transformations),
            zip: self.zip.clone(),
        }
    }
}

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("acls", "p.acls", T::Json),
        Field::new("address1", "p.address1", T::Text),
        Field::new("address2", "p.address2", T::Text),
        Field::new("attributes", "p.attributes", T::Json),
        Field::new("available_scopes", "p.available_scopes", T::TextArray),
        Field::new("balance", "p.balance", T::Decimal),
        Field::new("billing_email", "p.billing_email", T::Text),
        Field::new("callbacks", "p.callbacks", T::Json),
        Field::new("charge_at", "p.charge_at", T::Decimal),
        Field::new("city", "p.city", T::Text),
        Field::new("company_name", "p.company_name", T::Text),
        Field::new("compliance_email", "p.compliance_email", T::Text),
        Field::new("country_code", "p.country_code", T::Text),
        Field::new("daily_spending_limit", "p.daily_spending_limit", T::Decimal),
        Field::new("daily_spent_amount", "p.daily_spent_amount", T::Decimal),
        Field::new("date_created", "p.date_created", T::Timestamp),
        Field::new("display_id", "p.display_id", T::Text),
        Field::new("login", "p.login", T::Text),
        Field::new("name", "p.name", T::Text),
        Field::new("owner_email", "p.owner_email", T::Text),
        Field::new("owner_email_pending", "p.owner_email_pending", T::Text),
        Field::new("parent_assigned_acls", "p.parent_assigned_acls", T::Json),
        Field::new("parent_sid", "p.parent_sid", T::Uuid),
        Field::new("partner_sid", "p.partner_sid", T::Uuid),
        Field::new("payment_type", "p.payment_type", T::Text),
        Field::new("phonenumber", "p.phonenumber", T::Text),
        Field::new("prepay_amount", "p.prepay_amount", T::Decimal),
        Field::new("spending_limit", "p.spending_limit", T::Decimal),
        Field::new("state", "p.state", T::Text),
        Field::new("status", "p.status", T::Text),
        Field::new("tech_email", "p.tech_email", T::Text),
        Field::new("transformations", "p.transformations", T::Json),
        Field::new("zip", "p.zip", T::Text),
    ],
    sid: "p.partner_sid",
    default_order: "p.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// The partners the caller sees: its subtree (all for admin), never deleted ones; partners
/// whose e-mail is not verified yet are left out of lists (admin lists show them).
pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<PartnerRow>> {
    let pattern = t.subtree_pattern();
    let admin = t.admin;
    listing::fetch::<PartnerRow, _>(db, &LIST, q, COLUMNS, "partners p", &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
        if !admin {
            qb.push(" AND p.status <> 'unverified'");
        }
    })
    .await
}

/// A partner by SID, whatever the caller (deleted ones are not found).
pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<PartnerRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM partners p WHERE p.partner_sid = $1 AND p.status <> 'deleted'"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

/// A partner by SID, locked for update until the transaction ends.
pub async fn get_for_update(db: &mut PgConnection, sid: Uuid) -> RepoResult<Option<PartnerRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM partners p WHERE p.partner_sid = $1 AND p.status <> 'deleted' FOR UPDATE"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// Partners by SID, for `with_related` (one query for a whole page).
pub async fn get_many<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<PartnerRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM partners p WHERE p.partner_sid = ANY($1)"))
        .bind(sids)
        .fetch_all(db)
        .await?)
}

/// Which of `sids` are partners (not deleted).
pub async fn existing<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<Uuid>> {
    Ok(sqlx::query_scalar("SELECT partner_sid FROM partners WHERE partner_sid = ANY($1) AND status <> 'deleted'")
        .bind(sids)
        .fetch_all(db)
        .await?)
}

/// Inserts a partner (the row's id, display_id and date_created are assigned here) and its
/// own login.
pub async fn insert(db: &mut PgConnection, row: &mut PartnerRow, password_hash: &str) -> RepoResult<()> {
    let (id, display_id, date_created): (i64, String, DateTime<Utc>) = sqlx::query_as(
        "INSERT INTO partners (partner_sid, parent_sid, tree_path, display_id, login, name, company_name, address1, address2,
             city, state, zip, country_code, phonenumber, owner_email, owner_email_pending, tech_email, tech_email_pending,
             billing_email, billing_email_pending, compliance_email, attributes, callbacks, acls, parent_assigned_acls,
             transformations, system_attributes, available_scopes, balance, charge_at, prepay_amount, spending_limit,
             daily_spending_limit, daily_spent_amount, payment_type, status)
         VALUES ($1, $2, $3,
             (SELECT c.d FROM (SELECT 'CX' || lpad(floor(random() * 100000000)::bigint::text, 8, '0') AS d
                                 FROM generate_series(1, 20)) c
               WHERE NOT EXISTS (SELECT 1 FROM partners x WHERE x.display_id = c.d) LIMIT 1),
             $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26,
             $27, $28, $29, $30, $31, $32, $33, $34, $35)
         RETURNING id, display_id, date_created",
    )
    .bind(row.partner_sid)
    .bind(row.parent_sid)
    .bind(&row.tree_path)
    .bind(&row.login)
    .bind(&row.name)
    .bind(&row.company_name)
    .bind(&row.address1)
    .bind(&row.address2)
    .bind(&row.city)
    .bind(&row.state)
    .bind(&row.zip)
    .bind(&row.country_code)
    .bind(&row.phonenumber)
    .bind(&row.owner_email)
    .bind(&row.owner_email_pending)
    .bind(&row.tech_email)
    .bind(&row.tech_email_pending)
    .bind(&row.billing_email)
    .bind(&row.billing_email_pending)
    .bind(&row.compliance_email)
    .bind(&row.attributes)
    .bind(&row.callbacks)
    .bind(&row.acls)
    .bind(&row.parent_assigned_acls)
    .bind(&row.transformations)
    .bind(&row.system_attributes)
    .bind(row.available_scopes)
    .bind(row.balance)
    .bind(row.charge_at)
    .bind(row.prepay_amount)
    .bind(row.spending_limit)
    .bind(row.daily_spending_limit)
    .bind(row.daily_spent_amount)
    .bind(&row.payment_type)
    .bind(&row.status)
    .fetch_one(&mut *db)
    .await?;
    row.id = id;
    row.display_id = display_id;
    row.date_created = date_created;
    insert_credential(&mut *db, &row.login, row.partner_sid, password_hash).await
}

/// Writes every changeable column of `row`.
pub async fn save(db: &mut PgConnection, row: &PartnerRow) -> RepoResult<()> {
    sqlx::query(
        "UPDATE partners SET name = $2, company_name = $3, address1 = $4, address2 = $5, city = $6, state = $7, zip = $8,
             country_code = $9, phonenumber = $10, owner_email = $11, owner_email_pending = $12, tech_email = $13,
             tech_email_pending = $14, billing_email = $15, billing_email_pending = $16, compliance_email = $17,
             attributes = $18, callbacks = $19, acls = $20, parent_assigned_acls = $21, transformations = $22,
             system_attributes = $23, available_scopes = $24, charge_at = $25, prepay_amount = $26, spending_limit = $27,
             daily_spending_limit = $28, status = $29
         WHERE partner_sid = $1",
    )
    .bind(row.partner_sid)
    .bind(&row.name)
    .bind(&row.company_name)
    .bind(&row.address1)
    .bind(&row.address2)
    .bind(&row.city)
    .bind(&row.state)
    .bind(&row.zip)
    .bind(&row.country_code)
    .bind(&row.phonenumber)
    .bind(&row.owner_email)
    .bind(&row.owner_email_pending)
    .bind(&row.tech_email)
    .bind(&row.tech_email_pending)
    .bind(&row.billing_email)
    .bind(&row.billing_email_pending)
    .bind(&row.compliance_email)
    .bind(&row.attributes)
    .bind(&row.callbacks)
    .bind(&row.acls)
    .bind(&row.parent_assigned_acls)
    .bind(&row.transformations)
    .bind(&row.system_attributes)
    .bind(row.available_scopes)
    .bind(row.charge_at)
    .bind(row.prepay_amount)
    .bind(row.spending_limit)
    .bind(row.daily_spending_limit)
    .bind(&row.status)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn count_children<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM partners WHERE parent_sid = $1 AND status <> 'deleted'")
        .bind(sid)
        .fetch_one(db)
        .await?)
}

/// Deletes a partner: it keeps its records (for invoices and call records) with status
/// `deleted`, its login is freed, and its credentials and tokens stop working.
pub async fn delete(db: &mut PgConnection, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM oauth_tokens WHERE partner_sid = $1").bind(sid).execute(&mut *db).await?;
    sqlx::query("DELETE FROM credentials WHERE partner_sid = $1").bind(sid).execute(&mut *db).await?;
    sqlx::query("DELETE FROM email_verifications WHERE partner_sid = $1").bind(sid).execute(&mut *db).await?;
    sqlx::query("UPDATE partners SET status = 'deleted', login = login || '#deleted#' || partner_sid::text WHERE partner_sid = $1")
        .bind(sid)
        .execute(&mut *db)
        .await?;
    Ok(())
}

pub async fn set_password(db: &mut PgConnection, partner_sid: Uuid, hash: &str) -> RepoResult<()> {
    sqlx::query("UPDATE credentials SET password_hash = $2 WHERE partner_sid = $1 AND login_sid IS NULL")
        .bind(partner_sid)
        .bind(hash)
        .execute(db)
        .await?;
    Ok(())
}

/// Which address of a partner a verification is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmailKind {
    Owner,
    Tech,
    Billing,
}

impl EmailKind {
    pub fn column(self) -> &'static str {
        match self {
            EmailKind::Owner => "owner_email",
            EmailKind::Tech => "tech_email",
            EmailKind::Billing => "billing_email",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "owner_email" => EmailKind::Owner,
            "tech_email" => EmailKind::Tech,
            "billing_email" => EmailKind::Billing,
            _ => return None,
        })
    }
}

/// Records a pending address and queues the verification mail with its link.
pub async fn request_verification(
    db: &mut PgConnection,
    row: &PartnerRow,
    kind: EmailKind,
    email: &str,
    api_url: &str,
) -> RepoResult<()> {
    let token = secrets::random_hex(32);
    sqlx::query("DELETE FROM email_verifications WHERE partner_sid = $1 AND kind = $2 AND date_used IS NULL")
        .bind(row.partner_sid)
        .bind(kind.column())
        .execute(&mut *db)
        .await?;
    sqlx::query("INSERT INTO email_verifications (token_hash, partner_sid, kind, email) VALUES ($1, $2, $3, $4)")
        .bind(&secrets::sha256(token.as_bytes())[..])
        .bind(row.partner_sid)
        .bind(kind.column())
        .bind(email)
        .execute(&mut *db)
        .await?;
    let link = format!("{api_url}/email_verifications/{token}");
    let who = row.name.clone().or(row.company_name.clone()).unwrap_or_else(|| row.login.clone());
    let text = format!(
        "Hello {who},\r\n\r\nplease confirm {email} as the {} of the CarrierX partner account {} ({}) by opening this link:\r\n\r\n{link}\r\n\r\nUntil it is confirmed, the address does not appear on the account.\r\n",
        kind.column().replace('_', " "),
        row.login,
        row.display_id
    );
    let mail = Mail {
        partner_sid: Some(row.partner_sid),
        recipients: email.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect(),
        subject: "Confirm your e-mail address for CarrierX".into(),
        body_text: text,
        ..Mail::default()
    };
    mail::enqueue(&mut *db, &mail).await?;
    Ok(())
}

/// Follows a verification link: the pending address becomes the partner's, and a partner
/// waiting for its verification becomes active. Returns the partner and the address.
pub async fn verify_email(db: &mut PgConnection, token: &str) -> RepoResult<Option<(Uuid, String, String)>> {
    let found: Option<(Uuid, String, String)> = sqlx::query_as(
        "UPDATE email_verifications SET date_used = now()
          WHERE token_hash = $1 AND date_used IS NULL AND date_created > now() - interval '7 days'
          RETURNING partner_sid, kind, email",
    )
    .bind(&secrets::sha256(token.as_bytes())[..])
    .fetch_optional(&mut *db)
    .await?;
    let Some((partner_sid, kind, email)) = found else { return Ok(None) };
    let Some(kind) = EmailKind::parse(&kind) else { return Ok(None) };
    let col = kind.column();
    // Column names come from the closed list above, never from input.
    let sql = format!(
        "UPDATE partners SET {col} = $2, {col}_pending = CASE WHEN {col}_pending = $2 THEN NULL ELSE {col}_pending END,
                status = CASE WHEN status = 'unverified' AND ($3 OR owner_email_pending IS NULL) THEN 'active' ELSE status END
          WHERE partner_sid = $1 AND status <> 'deleted'"
    );
    sqlx::query(&sql).bind(partner_sid).bind(&email).bind(kind == EmailKind::Owner).execute(&mut *db).await?;
    Ok(Some((partner_sid, col.to_owned(), email)))
}

// ---- The root partner (bootstrap, reset, the demo data) ----

/// Whether any partner exists (a database that was bootstrapped).
pub async fn any_exists<'e>(db: impl PgExecutor<'e>) -> RepoResult<bool> {
    Ok(sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM partners)").fetch_one(db).await?)
}

/// Inserts the root partner (no parent, tree path `/{sid}/`, an active postpaid account).
pub async fn insert_root<'e>(
    db: impl PgExecutor<'e>,
    sid: Uuid,
    login: &str,
    scopes: ScopeSet,
    balance: Decimal,
    spending_limit: Decimal,
    daily_spending_limit: Decimal,
) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO partners (partner_sid, parent_sid, tree_path, display_id, login, name, company_name, available_scopes,
                               balance, spending_limit, daily_spending_limit, payment_type, status)
         VALUES ($1, NULL, $2, 'CX' || lpad(floor(random() * 100000000)::bigint::text, 8, '0'), $3, 'Root', 'carrierx-core',
                 $4, $5, $6, $7, 'postpay', 'active')",
    )
    .bind(sid)
    .bind(format!("/{sid}/"))
    .bind(login)
    .bind(scopes)
    .bind(balance)
    .bind(spending_limit)
    .bind(daily_spending_limit)
    .execute(db)
    .await?;
    Ok(())
}

/// Inserts a partner's own login.
pub async fn insert_credential<'e>(
    db: impl PgExecutor<'e>,
    login: &str,
    partner_sid: Uuid,
    password_hash: &str,
) -> RepoResult<()> {
    sqlx::query("INSERT INTO credentials (login, partner_sid, password_hash) VALUES ($1, $2, $3)")
        .bind(login)
        .bind(partner_sid)
        .bind(password_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// The root partner (the first without a parent), if the database was bootstrapped.
pub async fn root_sid<'e>(db: impl PgExecutor<'e>) -> RepoResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT partner_sid FROM partners WHERE parent_sid IS NULL ORDER BY id LIMIT 1")
        .fetch_optional(db)
        .await?)
}

/// The root partner and its login, if the database was bootstrapped.
pub async fn root_with_login<'e>(db: impl PgExecutor<'e>) -> RepoResult<Option<(Uuid, String)>> {
    Ok(sqlx::query_as("SELECT partner_sid, login FROM partners WHERE parent_sid IS NULL ORDER BY id LIMIT 1")
        .fetch_optional(db)
        .await?)
}

/// The partner whose login is `login`, if any.
pub async fn sid_by_login<'e>(db: impl PgExecutor<'e>, login: &str) -> RepoResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT partner_sid FROM partners WHERE login = $1").bind(login).fetch_optional(db).await?)
}

/// A partner's ACLs (its own and those its parent assigned), cached apart from the partner.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PartnerAcls {
    pub partner_sid: Uuid,
    pub acls: serde_json::Value,
    pub parent_assigned_acls: serde_json::Value,
}

impl crate::cache::Cacheable for PartnerAcls {
    const TABLE: &'static str = "partner_acls";
}

/// The ACLs of the partners among `sids` (deleted partners have none).
pub async fn partner_acls<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<PartnerAcls>> {
    Ok(sqlx::query_as(
        "SELECT partner_sid, acls, parent_assigned_acls FROM partners WHERE partner_sid = ANY($1) AND status <> 'deleted'",
    )
    .bind(sids)
    .fetch_all(db)
    .await?)
}
