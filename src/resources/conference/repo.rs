//! Conference call records: all their SQL.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::ConferenceCall;
use crate::db::listing::{self, Field, FieldType as T, Keyset, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::money::Money;

const COLUMNS: &str = "c.call_sid, c.partner_sid, c.date_stop, c.date_start, c.date_join, c.date_disconnected, \
    c.date_insert, c.address_dst, c.address_src, c.audio_key, c.bridge, c.custom_call_type, c.custom_name, c.direction, \
    c.disconnect_cause, c.disconnect_originator, c.disconnect_reason, c.duration, c.duration_meeting, c.endpoint_sid, \
    c.meeting_room_sid, c.meeting_sid, c.node, c.number_dst, c.number_src, c.role, c.user_agent";

/// A record as stored.
#[derive(Clone, Debug, Default, serde::Serialize, sqlx::FromRow)]
pub struct ConferenceRow {
    pub call_sid: Uuid,
    pub partner_sid: Uuid,
    pub date_stop: DateTime<Utc>,
    pub date_start: Option<DateTime<Utc>>,
    pub date_join: Option<DateTime<Utc>>,
    pub date_disconnected: Option<DateTime<Utc>>,
    pub date_insert: DateTime<Utc>,
    pub address_dst: Option<String>,
    pub address_src: Option<String>,
    pub audio_key: Option<String>,
    pub bridge: Option<String>,
    pub custom_call_type: Option<String>,
    pub custom_name: Option<String>,
    pub direction: Option<String>,
    pub disconnect_cause: Option<i32>,
    pub disconnect_originator: Option<String>,
    pub disconnect_reason: Option<String>,
    pub duration: Option<Decimal>,
    pub duration_meeting: Option<Decimal>,
    pub endpoint_sid: Option<Uuid>,
    pub meeting_room_sid: Option<Uuid>,
    pub meeting_sid: Option<Uuid>,
    pub node: Option<String>,
    pub number_dst: Option<String>,
    pub number_src: Option<String>,
    pub role: Option<String>,
    pub user_agent: Option<String>,
}

impl ConferenceRow {
    pub fn to_wire(&self) -> ConferenceCall {
        ConferenceCall {
            address_dst: self.address_dst.clone(),
            address_src: self.address_src.clone(),
            audio_key: self.audio_key.clone(),
            bridge: self.bridge.clone(),
            call_sid: self.call_sid,
            custom_call_type: self.custom_call_type.clone(),
            custom_name: self.custom_name.clone(),
            date_disconnected: self.date_disconnected.map(Into::into),
            date_insert: self.date_insert.into(),
            date_join: self.date_join.map(Into::into),
            date_start: self.date_start.map(Into::into),
            date_stop: self.date_stop.into(),
            direction: self.direction.clone(),
            disconnect_cause: self.disconnect_cause,
            disconnect_originator: self.disconnect_originator.clone(),
            disconnect_reason: self.disconnect_reason.clone(),
            duration: self.duration.map(Money),
            duration_meeting: self.duration_meeting.map(Money),
            endpoint_sid: self.endpoint_sid,
            meeting_room_sid: self.meeting_room_sid,
            meeting_sid: self.meeting_sid,
            node: self.node.clone(),
            number_dst: self.number_dst.clone(),
            number_src: self.number_src.clone(),
            partner_sid: self.partner_sid,
            role: self.role.clone(),
            user_agent: self.user_agent.clone(),
        }
    }
}

const FIELDS: &[Field] = &[
    Field::new("address_dst", "c.address_dst", T::Text),
    Field::new("address_src", "c.address_src", T::Text),
    Field::new("audio_key", "c.audio_key", T::Text),
    Field::new("bridge", "c.bridge", T::Text),
    Field::new("call_sid", "c.call_sid", T::Uuid),
    Field::new("custom_call_type", "c.custom_call_type", T::Text),
    Field::new("custom_name", "c.custom_name", T::Text),
    Field::new("date_disconnected", "c.date_disconnected", T::Timestamp),
    Field::new("date_insert", "c.date_insert", T::Timestamp),
    Field::new("date_join", "c.date_join", T::Timestamp),
    Field::new("date_start", "c.date_start", T::Timestamp),
    Field::new("date_stop", "c.date_stop", T::Timestamp),
    Field::new("direction", "c.direction", T::Text),
    Field::new("disconnect_cause", "c.disconnect_cause", T::Int),
    Field::new("disconnect_originator", "c.disconnect_originator", T::Text),
    Field::new("disconnect_reason", "c.disconnect_reason", T::Text),
    Field::new("duration", "c.duration", T::Decimal),
    Field::new("duration_meeting", "c.duration_meeting", T::Decimal),
    Field::new("endpoint_sid", "c.endpoint_sid", T::Uuid),
    Field::new("meeting_room_sid", "c.meeting_room_sid", T::Uuid),
    Field::new("meeting_sid", "c.meeting_sid", T::Uuid),
    Field::new("node", "c.node", T::Text),
    Field::new("number_dst", "c.number_dst", T::Text),
    Field::new("number_src", "c.number_src", T::Text),
    Field::new("partner_sid", "c.partner_sid", T::Uuid),
    Field::new("role", "c.role", T::Text),
    Field::new("user_agent", "c.user_agent", T::Text),
];

/// `date_stop` order (ties by `call_sid`), 10 a page by default as the reference's sample shows,
/// no total, `after`/`before` pages.
pub const LIST: ListSpec = ListSpec {
    fields: FIELDS,
    sid: "c.call_sid",
    default_order: "c.date_stop",
    default_limit: 10,
    total: false,
    keyset: Some(Keyset {
        order_field: "date_stop",
        table: "conference_calls",
        order_column: "date_stop",
        sid_column: "call_sid",
    }),
};

/// The records of `t`'s own partner, or of its whole tree with `descendants`.
pub async fn list<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    descendants: bool,
    q: &ListQuery,
) -> RepoResult<Page<ConferenceRow>> {
    listing::fetch_records::<ConferenceRow, _>(
        db,
        &LIST,
        q,
        COLUMNS,
        "conference_calls c",
        &listing::records_scope(db, t, descendants, "c.partner_sid").await?,
    )
    .await
}

impl crate::cache::Cacheable for (ConferenceRow, String) {
    const TABLE: &'static str = "conference_calls";
}

/// A record with its partner's place in the tree.
pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid) -> RepoResult<Option<(ConferenceRow, String)>> {
    #[derive(sqlx::FromRow)]
    struct WithPath {
        #[sqlx(flatten)]
        row: ConferenceRow,
        tree_path: String,
    }
    let r: Option<WithPath> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, p.tree_path FROM conference_calls c JOIN partners p ON p.partner_sid = c.partner_sid
          WHERE c.call_sid = $1"
    ))
    .bind(sid)
    .fetch_optional(db)
    .await?;
    Ok(r.map(|w| (w.row, w.tree_path)))
}

/// Inserts records in one statement.
pub async fn insert(db: &mut PgConnection, records: &[ConferenceRow]) -> RepoResult<()> {
    sqlx::query("INSERT INTO conference_calls SELECT * FROM jsonb_populate_recordset(NULL::conference_calls, $1)")
        .bind(sqlx::types::Json(records))
        .execute(db)
        .await?;
    Ok(())
}

/// The key of conference call records.
pub const CALL_KEY: &str = "conference_calls_pkey";

/// Which of `sids` are records already, in the order given.
pub async fn existing<'e>(db: impl PgExecutor<'e>, sids: &[Uuid]) -> RepoResult<Vec<Uuid>> {
    crate::db::keys::stored(db, "conference_calls", "call_sid", sids).await
}

pub async fn get_many(db: &mut PgConnection, sids: &[Uuid]) -> RepoResult<Vec<ConferenceRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM conference_calls c WHERE c.call_sid = ANY($1) ORDER BY c.date_stop, c.call_sid"
    ))
    .bind(sids)
    .fetch_all(db)
    .await?)
}
