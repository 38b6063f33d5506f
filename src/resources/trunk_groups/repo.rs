use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{Trunk, TrunkGroup};
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::json::sorted;

pub const GROUP_COLUMNS: &str = "g.id, g.trunk_group_sid, g.partner_sid, g.name, g.acls, g.external_handlers, g.hard_failure_codes, \
    g.hard_failure_cooldown, g.hard_failure_interval, g.hard_failure_last_resort, g.hard_failure_threshold, g.routing_data, \
    g.routing_type, g.sip_options_locations, g.sip_options_threshold, g.soft_failure_codes, g.transformations, p.tree_path";

const GROUP_FROM: &str = "trunk_groups g JOIN partners p ON p.partner_sid = g.partner_sid";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub trunk_group_sid: Uuid,
    pub partner_sid: Uuid,
    pub name: String,
    pub acls: Value,
    pub external_handlers: Value,
    pub hard_failure_codes: String,
    pub hard_failure_cooldown: i32,
    pub hard_failure_interval: i32,
    pub hard_failure_last_resort: String,
    pub hard_failure_threshold: i32,
    pub routing_data: Option<Value>,
    pub routing_type: String,
    pub sip_options_locations: Value,
    pub sip_options_threshold: i32,
    pub soft_failure_codes: String,
    pub transformations: Value,
    pub tree_path: String,
}

impl crate::cache::Cacheable for GroupRow {
    const TABLE: &'static str = "trunk_groups";

    fn owner(&self) -> Option<Uuid> {
        Some(self.partner_sid)
    }
}

impl crate::cache::Cacheable for TrunkRow {
    const TABLE: &'static str = "trunks";
}

impl GroupRow {
    pub fn to_wire(&self) -> TrunkGroup {
        TrunkGroup {
            acls: sorted(&self.acls),
            external_handlers: sorted(&self.external_handlers),
            hard_failure_codes: self.hard_failure_codes.clone(),
            hard_failure_cooldown: self.hard_failure_cooldown,
            hard_failure_interval: self.hard_failure_interval,
            hard_failure_last_resort: self.hard_failure_last_resort.clone(),
            hard_failure_threshold: self.hard_failure_threshold,
            name: self.name.clone(),
            partner: None,
            partner_sid: self.partner_sid,
            routing_data: self.routing_data.as_ref().filter(|v| !v.is_null()).map(sorted),
            routing_type: self.routing_type.clone(),
            sip_options_locations: self.sip_options_locations.clone(),
            sip_options_threshold: self.sip_options_threshold,
            soft_failure_codes: self.soft_failure_codes.clone(),
            transformations: sorted(&self.transformations),
            trunk_group_sid: self.trunk_group_sid,
            trunks: None,
        }
    }
}

crate::resources::shared::owned_rows!(GroupRow);

pub const GROUPS: ListSpec = ListSpec {
    fields: &[
        Field::new("acls", "g.acls", T::Json),
        Field::new("external_handlers", "g.external_handlers", T::Json),
        Field::new("hard_failure_codes", "g.hard_failure_codes", T::Text),
        Field::new("hard_failure_cooldown", "g.hard_failure_cooldown", T::Int),
        Field::new("hard_failure_interval", "g.hard_failure_interval", T::Int),
        Field::new("hard_failure_last_resort", "g.hard_failure_last_resort", T::Text),
        Field::new("hard_failure_threshold", "g.hard_failure_threshold", T::Int),
        Field::new("name", "g.name", T::Text),
        Field::new("partner_sid", "g.partner_sid", T::Uuid),
        Field::new("routing_data", "g.routing_data", T::Json),
        Field::new("routing_type", "g.routing_type", T::Text),
        Field::new("sip_options_locations", "g.sip_options_locations", T::Json),
        Field::new("sip_options_threshold", "g.sip_options_threshold", T::Int),
        Field::new("soft_failure_codes", "g.soft_failure_codes", T::Text),
        Field::new("transformations", "g.transformations", T::Json),
        Field::new("trunk_group_sid", "g.trunk_group_sid", T::Uuid),
    ],
    sid: "g.trunk_group_sid",
    default_order: "g.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_groups<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<GroupRow>> {
    let pattern = t.subtree_pattern();
    listing::fetch::<GroupRow, _>(db, &GROUPS, q, GROUP_COLUMNS, GROUP_FROM, &move |qb| {
        qb.push(" AND p.status <> 'deleted' AND p.tree_path LIKE ").push_bind(pattern.clone());
    })
    .await
}

pub async fn get_group<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<GroupRow>> {
    let lock = if lock { " FOR UPDATE OF g" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {GROUP_COLUMNS} FROM {GROUP_FROM} WHERE g.trunk_group_sid = $1 AND p.status <> 'deleted'{lock}"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// Inserts or updates a trunk group (all its changeable attributes).
pub async fn upsert_group(db: &mut PgConnection, g: &GroupRow) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO trunk_groups (trunk_group_sid, partner_sid, name, acls, external_handlers, hard_failure_codes,
             hard_failure_cooldown, hard_failure_interval, hard_failure_last_resort, hard_failure_threshold, routing_data,
             routing_type, sip_options_locations, sip_options_threshold, soft_failure_codes, transformations)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (trunk_group_sid) DO UPDATE SET name = $3, acls = $4, external_handlers = $5, hard_failure_codes = $6,
             hard_failure_cooldown = $7, hard_failure_interval = $8, hard_failure_last_resort = $9,
             hard_failure_threshold = $10, routing_data = $11, routing_type = $12, sip_options_locations = $13,
             sip_options_threshold = $14, soft_failure_codes = $15, transformations = $16",
    )
    .bind(g.trunk_group_sid)
    .bind(g.partner_sid)
    .bind(&g.name)
    .bind(&g.acls)
    .bind(&g.external_handlers)
    .bind(&g.hard_failure_codes)
    .bind(g.hard_failure_cooldown)
    .bind(g.hard_failure_interval)
    .bind(&g.hard_failure_last_resort)
    .bind(g.hard_failure_threshold)
    .bind(&g.routing_data)
    .bind(&g.routing_type)
    .bind(&g.sip_options_locations)
    .bind(g.sip_options_threshold)
    .bind(&g.soft_failure_codes)
    .bind(&g.transformations)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_group<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM trunk_groups WHERE trunk_group_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

// ---- trunks ----

pub const TRUNK_COLUMNS: &str =
    "t.id, t.trunk_sid, t.trunk_group_sid, t.name, t.acls, t.allow_forward, t.allow_transfer, t.asn_mode, \
    t.call_type, t.codec, t.endpoint_sid, t.in_capacity, t.in_identity_format, t.in_identity_mode, t.in_rfc_4694_mode, \
    t.location_sid, t.out_capacity, t.out_identity_mode, t.out_rfc_4694_mode, t.priority, t.relay_sip_headers, \
    t.transformations, t.weight";

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TrunkRow {
    pub id: i64,
    pub trunk_sid: Uuid,
    pub trunk_group_sid: Uuid,
    pub name: String,
    pub acls: Value,
    pub allow_forward: String,
    pub allow_transfer: bool,
    pub asn_mode: String,
    pub call_type: String,
    pub codec: Option<String>,
    pub endpoint_sid: Option<Uuid>,
    pub in_capacity: i32,
    pub in_identity_format: String,
    pub in_identity_mode: String,
    pub in_rfc_4694_mode: String,
    pub location_sid: Option<Uuid>,
    pub out_capacity: i32,
    pub out_identity_mode: String,
    pub out_rfc_4694_mode: String,
    pub priority: i32,
    pub relay_sip_headers: Value,
    pub transformations: Value,
    pub weight: i32,
}

impl TrunkRow {
    pub fn to_wire(&self) -> Trunk {
        Trunk {
            acls: sorted(&self.acls),
            allow_forward: self.allow_forward.clone(),
            allow_transfer: self.allow_transfer,
            asn_mode: self.asn_mode.clone(),
            call_type: self.call_type.clone(),
            codec: self.codec.clone(),
            endpoint_sid: self.endpoint_sid,
            in_capacity: self.in_capacity,
            in_identity_format: self.in_identity_format.clone(),
            in_identity_mode: self.in_identity_mode.clone(),
            in_rfc_4694_mode: self.in_rfc_4694_mode.clone(),
            location_sid: self.location_sid,
            name: self.name.clone(),
            out_capacity: self.out_capacity,
            out_identity_mode: self.out_identity_mode.clone(),
            out_rfc_4694_mode: self.out_rfc_4694_mode.clone(),
            priority: self.priority,
            relay_sip_headers: self.relay_sip_headers.clone(),
            transformations: sorted(&self.transformations),
            trunk_sid: self.trunk_sid,
            weight: self.weight,
        }
    }
}

pub const TRUNKS: ListSpec = ListSpec {
    fields: &[
        Field::new("acls", "t.acls", T::Json),
        Field::new("allow_forward", "t.allow_forward", T::Text),
        Field::new("allow_transfer", "t.allow_transfer", T::Bool),
        Field::new("asn_mode", "t.asn_mode", T::Text),
        Field::new("call_type", "t.call_type", T::Text),
        Field::new("codec", "t.codec", T::Text),
        Field::new("endpoint_sid", "t.endpoint_sid", T::Uuid),
        Field::new("in_capacity", "t.in_capacity", T::Int),
        Field::new("in_identity_format", "t.in_identity_format", T::Text),
        Field::new("in_identity_mode", "t.in_identity_mode", T::Text),
        Field::new("in_rfc_4694_mode", "t.in_rfc_4694_mode", T::Text),
        Field::new("location_sid", "t.location_sid", T::Uuid),
        Field::new("name", "t.name", T::Text),
        Field::new("out_capacity", "t.out_capacity", T::Int),
        Field::new("out_identity_mode", "t.out_identity_mode", T::Text),
        Field::new("out_rfc_4694_mode", "t.out_rfc_4694_mode", T::Text),
        Field::new("priority", "t.priority", T::Int),
        Field::new("relay_sip_headers", "t.relay_sip_headers", T::Json),
        Field::new("transformations", "t.transformations", T::Json),
        Field::new("trunk_sid", "t.trunk_sid", T::Uuid),
        Field::new("weight", "t.weight", T::Int),
    ],
    sid: "t.trunk_sid",
    default_order: "t.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

pub async fn list_trunks<'e>(db: impl PgExecutor<'e> + Copy, group: Uuid, q: &ListQuery) -> RepoResult<Page<TrunkRow>> {
    listing::fetch::<TrunkRow, _>(db, &TRUNKS, q, TRUNK_COLUMNS, "trunks t", &move |qb| {
        qb.push(" AND t.trunk_group_sid = ").push_bind(group);
    })
    .await
}

/// The trunks of several groups (`with_trunks=true`), in one query.
pub async fn trunks_of<'e>(db: impl PgExecutor<'e>, groups: &[Uuid]) -> RepoResult<Vec<TrunkRow>> {
    Ok(sqlx::query_as(&format!("SELECT {TRUNK_COLUMNS} FROM trunks t WHERE t.trunk_group_sid = ANY($1) ORDER BY t.id"))
        .bind(groups)
        .fetch_all(db)
        .await?)
}

pub async fn get_trunk<'e>(
    db: impl PgExecutor<'e>,
    group: Uuid,
    sid: Uuid,
    lock: bool,
) -> RepoResult<Option<TrunkRow>> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    Ok(sqlx::query_as(&format!(
        "SELECT {TRUNK_COLUMNS} FROM trunks t WHERE t.trunk_sid = $1 AND t.trunk_group_sid = $2{lock}"
    ))
    .bind(sid)
    .bind(group)
    .fetch_optional(db)
    .await?)
}

pub async fn upsert_trunk(db: &mut PgConnection, t: &TrunkRow) -> RepoResult<TrunkRow> {
    Ok(sqlx::query_as(&format!(
        "INSERT INTO trunks AS t (trunk_sid, trunk_group_sid, name, acls, allow_forward, allow_transfer, asn_mode, call_type, codec,
             endpoint_sid, in_capacity, in_identity_format, in_identity_mode, in_rfc_4694_mode, location_sid, out_capacity,
             out_identity_mode, out_rfc_4694_mode, priority, relay_sip_headers, transformations, weight)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
         ON CONFLICT (trunk_sid) DO UPDATE SET name = $3, acls = $4, allow_forward = $5, allow_transfer = $6, asn_mode = $7,
             call_type = $8, codec = $9, endpoint_sid = $10, in_capacity = $11, in_identity_format = $12,
             in_identity_mode = $13, in_rfc_4694_mode = $14, location_sid = $15, out_capacity = $16,
             out_identity_mode = $17, out_rfc_4694_mode = $18, priority = $19, relay_sip_headers = $20,
             transformations = $21, weight = $22
         RETURNING {TRUNK_COLUMNS}"
    ))
    .bind(t.trunk_sid)
    .bind(t.trunk_group_sid)
    .bind(&t.name)
    .bind(&t.acls)
    .bind(&t.allow_forward)
    .bind(t.allow_transfer)
    .bind(&t.asn_mode)
    .bind(&t.call_type)
    .bind(&t.codec)
    .bind(t.endpoint_sid)
    .bind(t.in_capacity)
    .bind(&t.in_identity_format)
    .bind(&t.in_identity_mode)
    .bind(&t.in_rfc_4694_mode)
    .bind(t.location_sid)
    .bind(t.out_capacity)
    .bind(&t.out_identity_mode)
    .bind(&t.out_rfc_4694_mode)
    .bind(t.priority)
    .bind(&t.relay_sip_headers)
    .bind(&t.transformations)
    .bind(t.weight)
    .fetch_one(db)
    .await?)
}

pub async fn delete_trunk<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<()> {
    sqlx::query("DELETE FROM trunks WHERE trunk_sid = $1").bind(sid).execute(db).await?;
    Ok(())
}

/// The trunk group a trunk belongs to.
pub async fn group_of_trunk<'e>(db: impl PgExecutor<'e>, trunk_sid: Uuid) -> RepoResult<Option<Uuid>> {
    Ok(sqlx::query_scalar("SELECT trunk_group_sid FROM trunks WHERE trunk_sid = $1")
        .bind(trunk_sid)
        .fetch_optional(db)
        .await?)
}
