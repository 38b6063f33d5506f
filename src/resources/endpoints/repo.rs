use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Address, Endpoint};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::Tenancy;
use crate::db::{RepoError, RepoResult};
use crate::domain::json::sorted;
use crate::domain::secrets;

pub const COLUMNS: &str =
    "e.id, e.endpoint_sid, e.partner_sid, e.name, e.type, e.capacity, e.addresses, e.attributes, \
    e.properties, e.transformations, e.out_sip_username, e.out_sip_password, e.voip_token, e.allow_custom_caller_id, \
    e.auth_required, e.insecure_address, e.template_sid, e.date_created, p.tree_path";

const FROM: &str = "endpoints e JOIN partners p ON p.partner_sid = e.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct EndpointRow {
    pub id: i64,
    pub endpoint_sid: Uuid,
    pub partner_sid: Uuid,
    pub name: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub capacity: i32,
    pub addresses: Value,
    pub attributes: Value,
    pub properties: Value,
    pub transformations: Value,
    pub out_sip_username: Option<String>,
    pub out_sip_password: Option<String>,
    pub voip_token: Option<String>,
    pub allow_custom_caller_id: bool,
    pub auth_required: bool,
    pub insecure_address: bool,
    pub template_sid: Option<Uuid>,
    pub date_created: DateTime<Utc>,
    /// The owner's place in the partner tree (for visibility).
    pub tree_path: String,
}

impl crate::cache::Cacheable for EndpointRow {
    const TABLE: &'static str = "endpoints";

    fn owner(&self) -> Option<Uuid> {
        Some(self.partner_sid)
    }
}

impl EndpointRow {
    pub fn to_wire(&self, admin: bool) -> Endpoint {
        Endpoint {
            addresses: serde_json::from_value(self.addresses.clone()).unwrap_or_default(),
            allow_custom_caller_id: admin.then_some(self.allow_custom_caller_id),
            attributes: sorted(&self.attributes),
            auth_required: admin.then_some(self.auth_required),
            capacity: self.capacity,
            endpoint_sid: self.endpoint_sid,
            id: admin.then_some(self.id),
            insecure_address: admin.then_some(self.insecure_address),
            name: self.name.clone(),
            out_sip_password: self.out_sip_password.clone(),
            out_sip_username: self.out_sip_username.clone(),
            partner: None,
            partner_sid: self.partner_sid,
            properties: sorted(&self.properties),
            template_sid: admin.then_some(self.template_sid),
            transformations: sorted(&self.transformations),
            kind: self.kind.clone(),
            voip_token: self.voip_token.clone(),
        }
    }
}

crate::resources::shared::owned_rows!(EndpointRow);

pub const LIST: ListSpec = ListSpec {
    fields: &[
        Field::new("addresses", "e.addresses", T::Json),
        Field::new("attributes", "e.attributes", T::Json),
        Field::new("capacity", "e.capacity", T::Int),
        Field::new("endpoint_sid", "e.endpoint_sid", T::Uuid),
        Field::new("name", "e.name", T::Text),
        Field::new("out_sip_username", "e.out_sip_username", T::Text),
        Field::new("partner_sid", "e.partner_sid", T::Uuid),
        Field::new("properties", "e.properties", T::Json),
        Field::new("transformations", "e.transformations", T::Json),
        Field::new("type", "e.type", T::Text),
        Field::new("voip_token", "e.voip_token", T::Text),
    ],
    sid: "e.endpoint_sid",
    default_order: "e.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// The endpoints of the caller's partner tree (all for admin).
pub async fn list<'e>(db: impl PgExecutor<'e> + Copy, t: Tenancy<'_>, q: &ListQuery) -> RepoResult<Page<EndpointRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<EndpointRow, _>(db, &LIST, q, COLUMNS, FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<EndpointRow>> {
    let lock = if lock { " FOR UPDATE OF e" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE e.endpoint_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

pub async fn insert(db: &mut PgConnection, row: &EndpointRow) -> RepoResult<EndpointRow> {
    sqlx::query(
        "INSERT INTO endpoints (endpoint_sid, partner_sid, name, type, capacity, addresses, attributes, properties, transformations,
             out_sip_username, out_sip_password, voip_token, allow_custom_caller_id, auth_required, insecure_address)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(row.endpoint_sid)
    .bind(row.partner_sid)
    .bind(&row.name)
    .bind(&row.kind)
    .bind(row.capacity)
    .bind(&row.addresses)
    .bind(&row.attributes)
    .bind(&row.properties)
    .bind(&row.transformations)
    .bind(&row.out_sip_username)
    .bind(&row.out_sip_password)
    .bind(&row.voip_token)
    .bind(row.allow_custom_caller_id)
    .bind(row.auth_required)
    .bind(row.insecure_address)
    .execute(&mut *db)
    .await?;
    get(db, row.endpoint_sid, false).await?.ok_or_else(|| RepoError::Vanished("a new endpoint"))
}

pub async fn save(db: &mut PgConnection, row: &EndpointRow) -> RepoResult<EndpointRow> {
    sqlx::query(
        "UPDATE endpoints SET name = $2, capacity = $3, addresses = $4, attributes = $5, properties = $6, transformations = $7,
             allow_custom_caller_id = $8, auth_required = $9, insecure_address = $10
         WHERE endpoint_sid = $1",
    )
    .bind(row.endpoint_sid)
    .bind(&row.name)
    .bind(row.capacity)
    .bind(&row.addresses)
    .bind(&row.attributes)
    .bind(&row.properties)
    .bind(&row.transformations)
    .bind(row.allow_custom_caller_id)
    .bind(row.auth_required)
    .bind(row.insecure_address)
    .execute(&mut *db)
    .await?;
    get(db, row.endpoint_sid, false).await?.ok_or_else(|| RepoError::Vanished("an updated endpoint"))
}

/// How many trunks deliver to the endpoint.
/// Several endpoints by secure ID, in one query.
pub async fn get_many<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<EndpointRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE e.endpoint_sid = ANY($1)"))
        .bind(sids)
        .fetch_all(db)
        .await?)
}

/// The partner's System Gateway (the far end of its calls to and from the phone network).
pub async fn system_gateway<'e>(db: impl PgExecutor<'e>, partner: Uuid) -> RepoResult<Option<EndpointRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE e.partner_sid = $1 AND e.type = 'system_gateway' ORDER BY e.id LIMIT 1"
    ))
    .bind(partner)
    .fetch_optional(db)
    .await?)
}

pub async fn trunks_using<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM trunks WHERE endpoint_sid = $1").bind(sid).fetch_one(db).await?)
}

pub async fn delete<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM endpoints WHERE endpoint_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

/// The System Gateway of a new partner: CarrierX's switches, at the configured addresses.
pub async fn create_system_gateway(db: &mut PgConnection, partner_sid: Uuid, ips: &[String]) -> RepoResult<()> {
    let addresses: Vec<Address> = ips
        .iter()
        .map(|ip| Address {
            direction: "any".into(),
            dst_port: 5060,
            ip: ip.clone(),
            location_sid: None,
            port: 5060,
            priority: 0,
            sip_password: None,
            sip_username: None,
            srtp: false,
            transport: "udp".into(),
        })
        .collect();
    sqlx::query(
        "INSERT INTO endpoints (endpoint_sid, partner_sid, name, type, addresses, auth_required)
         VALUES ($1, $2, 'System Gateway', 'system_gateway', $3, false)",
    )
    .bind(Uuid::new_v4())
    .bind(partner_sid)
    .bind(serde_json::to_value(addresses).unwrap_or(Value::Array(Vec::new())))
    .execute(db)
    .await?;
    Ok(())
}

/// A random string of letters and digits (generated credentials).
pub fn random_alnum(n: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    secrets::random_bytes(n).iter().map(|b| CHARS[(*b as usize) % CHARS.len()] as char).collect()
}
