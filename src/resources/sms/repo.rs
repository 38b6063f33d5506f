use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::{MessageCallback, MessageDr, SmsMessage};
use crate::db::listing::{self, Field, FieldType as T, Keyset, ListQuery, ListSpec, Page};
use crate::db::{RepoResult, Tenancy};
use crate::domain::money::Money;

/// Every stored column but the internal id, in the table's order.
const STORED: &str = "message_sid, dr_sid, partner_sid, did_sid, direction, type, status, number_src, number_dst, \
    number_billing, number_external, number_group_dst, group_recipients, media_urls, message, message_segments, user_data, \
    mcc, mnc, rate, price, mcc_mnc_rate, mcc_mnc_price, passthrough_rate, passthrough_price, a2p_campaign, p2p_nnid, provider, \
    registration_type, vendor_error_code, version, legacy_names, date_created, date_changed, date_status_changed, date_sent, \
    date_stop, delay_sent, next_step_at";

const COLUMNS: &str = "m.message_sid, m.dr_sid, m.partner_sid, m.did_sid, m.direction, m.type, m.status, m.number_src, \
    m.number_dst, m.number_billing, m.number_external, m.number_group_dst, m.group_recipients, m.media_urls, m.message, \
    m.message_segments, m.user_data, m.mcc, m.mnc, m.rate, m.price, m.mcc_mnc_rate, m.mcc_mnc_price, m.passthrough_rate, \
    m.passthrough_price, m.a2p_campaign, m.p2p_nnid, m.provider, m.registration_type, m.vendor_error_code, m.version, \
    m.legacy_names, m.date_created, m.date_changed, m.date_status_changed, m.date_sent, m.date_stop, m.delay_sent, \
    m.next_step_at";

/// A message and its detail record, as stored.
#[derive(Clone, Debug, Default, serde::Serialize, sqlx::FromRow)]
pub struct MessageRow {
    pub message_sid: Uuid,
    pub dr_sid: Uuid,
    pub partner_sid: Uuid,
    pub did_sid: Option<Uuid>,
    pub direction: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub number_src: String,
    pub number_dst: String,
    pub number_billing: Option<String>,
    pub number_external: Option<String>,
    pub number_group_dst: Vec<String>,
    pub group_recipients: Vec<String>,
    pub media_urls: Vec<String>,
    pub message: Option<String>,
    pub message_segments: i32,
    pub user_data: Option<String>,
    pub mcc: Option<i32>,
    pub mnc: Option<i32>,
    pub rate: Option<Decimal>,
    pub price: Option<Decimal>,
    pub mcc_mnc_rate: Option<Decimal>,
    pub mcc_mnc_price: Option<Decimal>,
    pub passthrough_rate: Option<Decimal>,
    pub passthrough_price: Option<Decimal>,
    pub a2p_campaign: Option<String>,
    pub p2p_nnid: Option<String>,
    pub provider: Option<String>,
    pub registration_type: Option<String>,
    pub vendor_error_code: Option<String>,
    pub version: Option<i32>,
    pub legacy_names: bool,
    pub date_created: DateTime<Utc>,
    pub date_changed: DateTime<Utc>,
    pub date_status_changed: Option<DateTime<Utc>>,
    pub date_sent: Option<DateTime<Utc>>,
    pub date_stop: DateTime<Utc>,
    pub delay_sent: Option<i32>,
    pub next_step_at: Option<DateTime<Utc>>,
}

impl MessageRow {
    /// The SMS object. Its price is shown once the message has left (`null` while queued, as
    /// the reference's send sample shows), though it was charged when accepted.
    pub fn to_wire(&self) -> SmsMessage {
        let (from, from_did, to, to_did) = if self.legacy_names {
            (None, Some(self.number_src.clone()), None, Some(self.number_dst.clone()))
        } else {
            (Some(self.number_src.clone()), None, Some(self.number_dst.clone()), None)
        };
        SmsMessage {
            date_changed: self.date_changed.into(),
            date_created: self.date_created.into(),
            date_status_changed: self.date_status_changed.map(Into::into),
            direction: self.direction.clone(),
            from,
            from_did,
            group_recipients: self.group_recipients.clone(),
            mcc: self.mcc,
            media_urls: self.media_urls.clone(),
            message: self.message.clone(),
            message_segments: self.message_segments,
            message_sid: self.message_sid,
            mnc: self.mnc,
            partner_sid: self.partner_sid,
            price: if self.status == "queued" { None } else { self.price.map(Money) },
            status: self.status.clone(),
            to,
            to_did,
            kind: self.kind.clone(),
            user_data: self.user_data.clone(),
        }
    }

    /// The message detail record.
    pub fn to_dr(&self) -> MessageDr {
        MessageDr {
            a2p_campaign: self.a2p_campaign.clone(),
            date_changed: self.date_changed.into(),
            date_insert: self.date_created.into(),
            date_sent: self.date_sent.map(Into::into),
            date_start: self.date_created.into(),
            date_stop: self.date_stop.into(),
            delay_sent: self.delay_sent,
            direction: self.direction.clone(),
            dr_sid: self.dr_sid,
            mcc: self.mcc,
            mcc_mnc_price: self.mcc_mnc_price.map(Money),
            mcc_mnc_rate: self.mcc_mnc_rate.map(Money),
            media_urls: self.media_urls.clone(),
            message: self.message.clone(),
            message_segments: self.message_segments,
            mnc: self.mnc,
            number_billing: self.number_billing.clone(),
            number_dst: self.number_dst.clone(),
            number_external: self.number_external.clone(),
            number_group_dst: self.number_group_dst.clone(),
            number_src: self.number_src.clone(),
            p2p_nnid: self.p2p_nnid.clone(),
            partner_sid: self.partner_sid,
            passthrough_price: self.passthrough_price.map(Money),
            passthrough_rate: self.passthrough_rate.map(Money),
            price: self.price.map(Money),
            provider: self.provider.clone(),
            rate: self.rate.map(Money),
            registration_type: self.registration_type.clone(),
            status: self.status.clone(),
            kind: self.kind.clone(),
            user_data: self.user_data.clone(),
            vendor_error_code: self.vendor_error_code.clone(),
            version: self.version,
        }
    }

    /// What a callback about the message's current state POSTs.
    pub fn to_callback(&self) -> MessageCallback {
        MessageCallback {
            record: self.to_dr(),
            from: self.number_src.clone(),
            message_sid: self.message_sid,
            to: self.number_dst.clone(),
        }
    }
}

/// A row with its partner's place in the tree.
#[derive(sqlx::FromRow)]
pub struct WithPath {
    #[sqlx(flatten)]
    pub row: MessageRow,
    pub tree_path: String,
}

/// Cached by either secure ID: a `message_sid` entry holds the message's JSON, a `dr_sid`
/// entry the record's (each change announces both).
impl crate::cache::Cacheable for WithPath {
    const TABLE: &'static str = "messages";
}

const MESSAGE_FIELDS: &[Field] = &[
    Field::new("date_changed", "m.date_changed", T::Timestamp),
    Field::new("date_created", "m.date_created", T::Timestamp),
    Field::new("date_status_changed", "m.date_status_changed", T::Timestamp),
    Field::new("direction", "m.direction", T::Text),
    Field::new("from", "m.number_src", T::Text),
    Field::new("from_did", "m.number_src", T::Text),
    Field::new("group_recipients", "m.group_recipients", T::TextArray),
    Field::new("mcc", "m.mcc", T::Int),
    Field::new("media_urls", "m.media_urls", T::TextArray),
    Field::new("message", "m.message", T::Text),
    Field::new("message_segments", "m.message_segments", T::Int),
    Field::new("message_sid", "m.message_sid", T::Uuid),
    Field::new("mnc", "m.mnc", T::Int),
    Field::new("partner_sid", "m.partner_sid", T::Uuid),
    Field::new("price", "m.price", T::Decimal),
    Field::new("status", "m.status", T::Text),
    Field::new("to", "m.number_dst", T::Text),
    Field::new("to_did", "m.number_dst", T::Text),
    Field::new("type", "m.type", T::Text),
    Field::new("user_data", "m.user_data", T::Text),
];

/// `GET /sms/messages`: newest last (creation order), offset pages with their total.
pub const MESSAGES: ListSpec = ListSpec {
    fields: MESSAGE_FIELDS,
    sid: "m.message_sid",
    default_order: "m.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

const DR_FIELDS: &[Field] = &[
    Field::new("a2p_campaign", "m.a2p_campaign", T::Text),
    Field::new("date_changed", "m.date_changed", T::Timestamp),
    Field::new("date_insert", "m.date_created", T::Timestamp),
    Field::new("date_sent", "m.date_sent", T::Timestamp),
    Field::new("date_start", "m.date_created", T::Timestamp),
    Field::new("date_stop", "m.date_stop", T::Timestamp),
    Field::new("delay_sent", "m.delay_sent", T::Int),
    Field::new("direction", "m.direction", T::Text),
    Field::new("dr_sid", "m.dr_sid", T::Uuid),
    Field::new("mcc", "m.mcc", T::Int),
    Field::new("mcc_mnc_price", "m.mcc_mnc_price", T::Decimal),
    Field::new("mcc_mnc_rate", "m.mcc_mnc_rate", T::Decimal),
    Field::new("media_urls", "m.media_urls", T::TextArray),
    Field::new("message", "m.message", T::Text),
    Field::new("message_segments", "m.message_segments", T::Int),
    Field::new("mnc", "m.mnc", T::Int),
    Field::new("number_billing", "m.number_billing", T::Text),
    Field::new("number_dst", "m.number_dst", T::Text),
    Field::new("number_external", "m.number_external", T::Text),
    Field::new("number_group_dst", "m.number_group_dst", T::TextArray),
    Field::new("number_src", "m.number_src", T::Text),
    Field::new("p2p_nnid", "m.p2p_nnid", T::Text),
    Field::new("partner_sid", "m.partner_sid", T::Uuid),
    Field::new("passthrough_price", "m.passthrough_price", T::Decimal),
    Field::new("passthrough_rate", "m.passthrough_rate", T::Decimal),
    Field::new("price", "m.price", T::Decimal),
    Field::new("provider", "m.provider", T::Text),
    Field::new("rate", "m.rate", T::Decimal),
    Field::new("registration_type", "m.registration_type", T::Text),
    Field::new("status", "m.status", T::Text),
    Field::new("type", "m.type", T::Text),
    Field::new("user_data", "m.user_data", T::Text),
    Field::new("vendor_error_code", "m.vendor_error_code", T::Text),
    Field::new("version", "m.version", T::Int),
];

/// Message detail records: `date_stop` order (ties by `dr_sid`), 1,000 a page by default, no
/// total, `after`/`before` pages, like call records (decision 8).
pub const DRS: ListSpec = ListSpec {
    fields: DR_FIELDS,
    sid: "m.dr_sid",
    default_order: "m.date_stop",
    default_limit: 1000,
    total: false,
    keyset: Some(Keyset {
        order_field: "date_stop",
        table: "messages",
        order_column: "date_stop",
        sid_column: "dr_sid",
    }),
};

pub async fn list_messages<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    q: &ListQuery,
) -> RepoResult<Page<MessageRow>> {
    listing::fetch_records::<MessageRow, _>(
        db,
        &MESSAGES,
        q,
        COLUMNS,
        "messages m",
        &listing::records_scope(db, t, false, "m.partner_sid").await?,
    )
    .await
}

pub async fn list_drs<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    descendants: bool,
    q: &ListQuery,
) -> RepoResult<Page<MessageRow>> {
    listing::fetch_records::<MessageRow, _>(
        db,
        &DRS,
        q,
        COLUMNS,
        "messages m",
        &listing::records_scope(db, t, descendants, "m.partner_sid").await?,
    )
    .await
}

/// A message by `message_sid` (or its record by `dr_sid`), with its partner's tree path.
pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid, by_dr: bool) -> RepoResult<Option<WithPath>> {
    let key = if by_dr { "m.dr_sid" } else { "m.message_sid" };
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS}, p.tree_path FROM messages m JOIN partners p ON p.partner_sid = m.partner_sid WHERE {key} = $1"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?)
}

/// Inserts messages in one statement.
pub async fn insert(db: &mut PgConnection, rows: &[MessageRow]) -> RepoResult<()> {
    sqlx::query(&format!(
        "INSERT INTO messages ({STORED}) SELECT {STORED} FROM jsonb_populate_recordset(NULL::messages, $1)"
    ))
    .bind(sqlx::types::Json(rows))
    .execute(db)
    .await?;
    Ok(())
}

/// Which of `sids` are records already.
/// The unique key of message records.
pub const DR_KEY: &str = "messages_dr_sid_key";

/// Which of `sids` are message records already, in the order given.
pub async fn existing_drs<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<Uuid>> {
    crate::db::keys::stored(db, "messages", "dr_sid", sids).await
}

pub async fn get_drs(db: &mut PgConnection, sids: &[Uuid]) -> RepoResult<Vec<MessageRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.dr_sid = ANY($1) ORDER BY m.date_stop, m.dr_sid"
    ))
    .bind(sids)
    .fetch_all(db)
    .await?)
}

/// Up to `limit` messages whose next change is due, locked for the caller's transaction;
/// messages another worker holds are skipped.
pub async fn claim_due(db: &mut PgConnection, limit: i64) -> RepoResult<Vec<MessageRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM messages m WHERE m.next_step_at <= now()
          ORDER BY m.next_step_at LIMIT $1 FOR UPDATE SKIP LOCKED"
    ))
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// Stores the changes of a step of the network: status, times, network codes, the next step.
pub async fn save_steps(db: &mut PgConnection, rows: &[MessageRow]) -> RepoResult<()> {
    sqlx::query(
        "UPDATE messages m SET status = x.status, mcc = x.mcc, mnc = x.mnc, vendor_error_code = x.vendor_error_code,
                date_changed = x.date_changed, date_status_changed = x.date_status_changed, date_sent = x.date_sent,
                date_stop = x.date_stop, delay_sent = x.delay_sent, next_step_at = x.next_step_at
           FROM unnest($1::uuid[], $2::text[], $3::int[], $4::int[], $5::text[], $6::timestamptz[], $7::timestamptz[],
                       $8::timestamptz[], $9::timestamptz[], $10::int[], $11::timestamptz[])
                AS x(message_sid, status, mcc, mnc, vendor_error_code, date_changed, date_status_changed, date_sent,
                     date_stop, delay_sent, next_step_at)
          WHERE m.message_sid = x.message_sid",
    )
    .bind(rows.iter().map(|r| r.message_sid).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.mcc).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.mnc).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.vendor_error_code.clone()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.date_changed).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.date_status_changed).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.date_sent).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.date_stop).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.delay_sent).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.next_step_at).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}
