use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{with_text_fields, CallDr};
use crate::db::listing::{self, Field, FieldType as T, Keyset, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::json::sorted;
use crate::domain::money::Money;

pub const COLUMNS: &str = "c.dr_sid, c.partner_sid, c.date_stop, c.date_start, c.date_talk, c.date_insert, c.direction, c.type, \
    c.version, c.cic, c.cic_original, c.cic_transformed, c.disconnect_originator, c.diversion_dst, c.diversion_src, c.duration, \
    c.duration_billing, c.endpoint_sid_dst, c.endpoint_sid_src, c.identity, c.ip_dst, c.ip_src, c.number_billing, c.number_dst, \
    c.number_dst_original, c.number_dst_transformed, c.number_external, c.number_src, c.number_src_original, \
    c.number_src_transformed, c.price, c.rate, c.sipcallid_dst, c.sipcallid_src, c.sipcause, c.stir_attest, c.stir_identity, \
    c.stir_orig_id, c.stir_signing_entity, c.stir_verstat, c.trunk_group_sid_dst, c.trunk_group_sid_src, c.trunk_sid_dst, \
    c.trunk_sid_src, c.user_data";

/// A call detail record as stored; ingestion builds these and inserts them as they are.
#[derive(Clone, Debug, Default, serde::Serialize, sqlx::FromRow)]
pub struct CdrRow {
    pub dr_sid: Uuid,
    pub partner_sid: Uuid,
    pub date_stop: DateTime<Utc>,
    pub date_start: Option<DateTime<Utc>>,
    pub date_talk: Option<DateTime<Utc>>,
    pub date_insert: DateTime<Utc>,
    pub direction: Option<String>,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub version: Option<i32>,
    pub cic: Option<String>,
    pub cic_original: Option<String>,
    pub cic_transformed: Option<String>,
    pub disconnect_originator: Option<String>,
    pub diversion_dst: Option<String>,
    pub diversion_src: Option<String>,
    pub duration: Option<Decimal>,
    pub duration_billing: Option<Decimal>,
    pub endpoint_sid_dst: Option<Uuid>,
    pub endpoint_sid_src: Option<Uuid>,
    pub identity: Option<String>,
    pub ip_dst: Option<String>,
    pub ip_src: Option<String>,
    pub number_billing: Option<String>,
    pub number_dst: Option<String>,
    pub number_dst_original: Option<String>,
    pub number_dst_transformed: Option<String>,
    pub number_external: Option<String>,
    pub number_src: Option<String>,
    pub number_src_original: Option<String>,
    pub number_src_transformed: Option<String>,
    pub price: Option<Decimal>,
    pub rate: Option<Decimal>,
    pub sipcallid_dst: Option<String>,
    pub sipcallid_src: Option<String>,
    pub sipcause: Option<String>,
    pub stir_attest: Option<String>,
    pub stir_identity: Option<String>,
    pub stir_orig_id: Option<String>,
    pub stir_signing_entity: Option<String>,
    pub stir_verstat: Option<String>,
    pub trunk_group_sid_dst: Option<Uuid>,
    pub trunk_group_sid_src: Option<Uuid>,
    pub trunk_sid_dst: Option<Uuid>,
    pub trunk_sid_src: Option<Uuid>,
    pub user_data: Option<Value>,
}

impl CdrRow {
    pub fn to_wire(&self) -> CallDr {
        CallDr {
            cic: self.cic.clone(),
            cic_original: self.cic_original.clone(),
            cic_transformed: self.cic_transformed.clone(),
            date_insert: self.date_insert.into(),
            date_start: self.date_start.map(Into::into),
            date_stop: self.date_stop.into(),
            date_talk: self.date_talk.map(Into::into),
            direction: self.direction.clone(),
            disconnect_originator: self.disconnect_originator.clone(),
            diversion_dst: self.diversion_dst.clone(),
            diversion_src: self.diversion_src.clone(),
            dr_sid: self.dr_sid,
            duration: self.duration.map(Money),
            duration_billing: self.duration_billing.map(Money),
            endpoint_sid_dst: self.endpoint_sid_dst,
            endpoint_sid_src: self.endpoint_sid_src,
            identity: self.identity.clone(),
            ip_dst: self.ip_dst.clone(),
            ip_src: self.ip_src.clone(),
            number_billing: self.number_billing.clone(),
            number_dst: self.number_dst.clone(),
            number_dst_original: self.number_dst_original.clone(),
            number_dst_transformed: self.number_dst_transformed.clone(),
            number_external: self.number_external.clone(),
            number_src: self.number_src.clone(),
            number_src_original: self.number_src_original.clone(),
            number_src_transformed: self.number_src_transformed.clone(),
            partner_sid: self.partner_sid,
            price: self.price.map(Money),
            rate: self.rate.map(Money),
            sipcallid_dst: self.sipcallid_dst.clone(),
            sipcallid_src: self.sipcallid_src.clone(),
            sipcause: self.sipcause.clone(),
            stir_attest: self.stir_attest.clone(),
            stir_identity: self.stir_identity.clone(),
            stir_orig_id: self.stir_orig_id.clone(),
            stir_signing_entity: self.stir_signing_entity.clone(),
            stir_verstat: self.stir_verstat.clone(),
            trunk_group_sid_dst: self.trunk_group_sid_dst,
            trunk_group_sid_src: self.trunk_group_sid_src,
            trunk_sid_dst: self.trunk_sid_dst,
            trunk_sid_src: self.trunk_sid_src,
            kind: self.kind.clone(),
            user_data: self.user_data.as_ref().map(sorted),
            version: self.version,
        }
    }
}

/// The filter allow-list: the text attributes as `c.<name>`, then the others.
macro_rules! fields {
    ([$($name:literal),*] $(, $extra:expr)*) => {
        &[$(Field::new($name, concat!("c.", $name), T::Text),)* $($extra),*]
    };
}

const FIELDS: &[Field] = with_text_fields!(
    fields,
    Field::new("direction", "c.direction", T::Text),
    Field::new("date_insert", "c.date_insert", T::Timestamp),
    Field::new("date_start", "c.date_start", T::Timestamp),
    Field::new("date_stop", "c.date_stop", T::Timestamp),
    Field::new("date_talk", "c.date_talk", T::Timestamp),
    Field::new("dr_sid", "c.dr_sid", T::Uuid),
    Field::new("duration", "c.duration", T::Decimal),
    Field::new("duration_billing", "c.duration_billing", T::Decimal),
    Field::new("endpoint_sid_dst", "c.endpoint_sid_dst", T::Uuid),
    Field::new("endpoint_sid_src", "c.endpoint_sid_src", T::Uuid),
    Field::new("partner_sid", "c.partner_sid", T::Uuid),
    Field::new("price", "c.price", T::Decimal),
    Field::new("rate", "c.rate", T::Decimal),
    Field::new("stir_identity", "c.stir_identity", T::Text),
    Field::new("trunk_group_sid_dst", "c.trunk_group_sid_dst", T::Uuid),
    Field::new("trunk_group_sid_src", "c.trunk_group_sid_src", T::Uuid),
    Field::new("trunk_sid_dst", "c.trunk_sid_dst", T::Uuid),
    Field::new("trunk_sid_src", "c.trunk_sid_src", T::Uuid),
    Field::new("type", "c.type", T::Text),
    Field::new("user_data", "c.user_data", T::Json),
    Field::new("version", "c.version", T::Int),
);

/// Call detail records: `date_stop` order (ties by `dr_sid`), 1,000 a page by default, no total,
/// `after`/`before` pages (decision 8).
pub const LIST: ListSpec = ListSpec {
    fields: FIELDS,
    sid: "c.dr_sid",
    default_order: "c.date_stop",
    default_limit: 1000,
    total: false,
    keyset: Some(Keyset {
        order_field: "date_stop",
        table: "call_drs",
        order_column: "date_stop",
        sid_column: "dr_sid",
    }),
};

/// The records of `t`'s own partner, or of its whole tree with `descendants`.
pub async fn list<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    descendants: bool,
    q: &ListQuery,
) -> RepoResult<Page<CdrRow>> {
    listing::fetch_records::<CdrRow, _>(
        db,
        &LIST,
        q,
        COLUMNS,
        "call_drs c",
        &listing::records_scope(db, t, descendants, "c.partner_sid").await?,
    )
    .await
}

impl crate::cache::Cacheable for (CdrRow, String) {
    const TABLE: &'static str = "call_drs";
}

/// A record with its partner's place in the tree.
pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<(CdrRow, String)>> {
    #[derive(sqlx::FromRow)]
    struct WithPath {
        #[sqlx(flatten)]
        row: CdrRow,
        tree_path: String,
    }
    let r: Option<WithPath> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, p.tree_path FROM call_drs c JOIN partners p ON p.partner_sid = c.partner_sid WHERE c.dr_sid = $1"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?;
    Ok(r.map(|w| (w.row, w.tree_path)))
}

/// The columns [`insert_batch`] writes, in its order.
const COPY_COLUMNS: &str = "dr_sid, partner_sid, date_stop, date_start, date_talk, date_insert, direction, type, \
    version, cic, cic_original, cic_transformed, disconnect_originator, diversion_dst, diversion_src, duration, \
    duration_billing, endpoint_sid_dst, endpoint_sid_src, identity, ip_dst, ip_src, number_billing, number_dst, \
    number_dst_original, number_dst_transformed, number_external, number_src, number_src_original, \
    number_src_transformed, price, rate, sipcallid_dst, sipcallid_src, sipcause, stir_attest, stir_identity, \
    stir_orig_id, stir_signing_entity, stir_verstat, trunk_group_sid_dst, trunk_group_sid_src, trunk_sid_dst, \
    trunk_sid_src, user_data";

/// Inserts records with one `COPY` (however many).
pub async fn insert_batch(db: &mut PgConnection, records: &[CdrRow]) -> RepoResult<()> {
    let mut rows = crate::db::copy::CopyRows::new();
    for r in records {
        rows.push(&r.dr_sid).push(&r.partner_sid).push(&r.date_stop).push(&r.date_start).push(&r.date_talk);
        rows.push(&r.date_insert).push(&r.direction).push(&r.kind).push(&r.version).push(&r.cic);
        rows.push(&r.cic_original).push(&r.cic_transformed).push(&r.disconnect_originator).push(&r.diversion_dst);
        rows.push(&r.diversion_src).push(&r.duration).push(&r.duration_billing).push(&r.endpoint_sid_dst);
        rows.push(&r.endpoint_sid_src).push(&r.identity).push(&r.ip_dst).push(&r.ip_src).push(&r.number_billing);
        rows.push(&r.number_dst).push(&r.number_dst_original).push(&r.number_dst_transformed);
        rows.push(&r.number_external).push(&r.number_src).push(&r.number_src_original);
        rows.push(&r.number_src_transformed).push(&r.price).push(&r.rate).push(&r.sipcallid_dst);
        rows.push(&r.sipcallid_src).push(&r.sipcause).push(&r.stir_attest).push(&r.stir_identity);
        rows.push(&r.stir_orig_id).push(&r.stir_signing_entity).push(&r.stir_verstat).push(&r.trunk_group_sid_dst);
        rows.push(&r.trunk_group_sid_src).push(&r.trunk_sid_dst).push(&r.trunk_sid_src).push(&r.user_data);
        rows.end_row();
    }
    rows.write(db, "call_drs", COPY_COLUMNS).await?;
    Ok(())
}

/// The key of the records.
pub const RECORD_KEY: &str = "call_drs_pkey";

/// Which of `sids` are records already, in the order given.
pub async fn existing<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<Uuid>> {
    crate::db::keys::stored(db, "call_drs", "dr_sid", sids).await
}

// ---- the simulated network's calls in progress ----

/// The next turn of a round-robin trunk group (0 for its first call), counted on every instance.
pub async fn next_turn<'e>(db: impl PgExecutor<'e>, trunk_group: Uuid) -> RepoResult<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO trunk_group_turns AS t (trunk_group_sid, turn) VALUES ($1, 0)
         ON CONFLICT (trunk_group_sid) DO UPDATE SET turn = t.turn + 1 RETURNING t.turn",
    )
    .bind(trunk_group)
    .fetch_one(db)
    .await?)
}

/// Locks the trunks and endpoints whose capacity a call may take, in one order everywhere
/// (trunks, then endpoints, each by secure ID): calls that count and take their room take turns.
pub async fn lock_capacity(db: &mut PgConnection, trunks: &[Uuid], endpoints: &[Uuid]) -> RepoResult<()> {
    if !trunks.is_empty() {
        sqlx::query("SELECT 1 FROM trunks WHERE trunk_sid = ANY($1) ORDER BY trunk_sid FOR UPDATE")
            .bind(trunks)
            .execute(&mut *db)
            .await?;
    }
    if !endpoints.is_empty() {
        sqlx::query("SELECT 1 FROM endpoints WHERE endpoint_sid = ANY($1) ORDER BY endpoint_sid FOR UPDATE")
            .bind(endpoints)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// The calls in progress now on each of `trunks` (in `direction`) and each of `endpoints`.
pub async fn in_progress(
    db: &mut PgConnection,
    direction: &str,
    trunks: &[Uuid],
    endpoints: &[Uuid],
) -> RepoResult<(Vec<(Uuid, i64)>, Vec<(Uuid, i64)>)> {
    let by_trunk = if trunks.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT trunk_sid, count(*) FROM active_calls
              WHERE trunk_sid = ANY($1) AND direction = $2 AND ends_at > now() GROUP BY trunk_sid",
        )
        .bind(trunks)
        .bind(direction)
        .fetch_all(&mut *db)
        .await?
    };
    let by_endpoint = if endpoints.is_empty() {
        Vec::new()
    } else {
        sqlx::query_as(
            "SELECT endpoint_sid, count(*) FROM active_calls
              WHERE endpoint_sid = ANY($1) AND ends_at > now() GROUP BY endpoint_sid",
        )
        .bind(endpoints)
        .fetch_all(&mut *db)
        .await?
    };
    Ok((by_trunk, by_endpoint))
}

/// A call in progress until `ends_at`.
pub struct ActiveCall {
    pub call_sid: Uuid,
    pub partner_sid: Uuid,
    pub direction: String,
    pub trunk_sid: Uuid,
    pub endpoint_sid: Option<Uuid>,
    pub ends_at: DateTime<Utc>,
}

pub async fn insert_active(db: &mut PgConnection, c: &ActiveCall) -> RepoResult<()> {
    sqlx::query(
        "INSERT INTO active_calls (call_sid, partner_sid, direction, trunk_sid, endpoint_sid, ends_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(c.call_sid)
    .bind(c.partner_sid)
    .bind(&c.direction)
    .bind(c.trunk_sid)
    .bind(c.endpoint_sid)
    .bind(c.ends_at)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets calls that have ended (up to 10,000 at a time); answers how many.
pub async fn prune_ended<'e>(db: impl PgExecutor<'e>) -> RepoResult<u64> {
    Ok(sqlx::query(
        "DELETE FROM active_calls WHERE call_sid IN
           (SELECT call_sid FROM active_calls WHERE ends_at <= now() LIMIT 10000 FOR UPDATE SKIP LOCKED)",
    )
    .execute(db)
    .await?
    .rows_affected())
}
