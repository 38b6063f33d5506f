use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use super::types::Did;
use crate::db::listing::filter::Condition;
use crate::db::listing::{self, Field, FieldType as T, ListQuery, ListSpec, Page};
use crate::db::RepoResult;
use crate::db::Tenancy;
use crate::domain::json::sorted;
use crate::domain::money::Money;

pub const COLUMNS: &str = "d.id, d.did_sid, d.phonenumber, d.partner_sid, d.status, d.name, d.attributes, d.callback_url, \
    d.capabilities, d.country_code, d.in_country_format, d.international_format, d.locality, d.state, d.lrn_sid, \
    d.did_group_sid, d.trunk_group_sid, d.price, d.string_key_1, d.string_key_2, d.transformations, d.classification_sid, \
    d.provider_sid, d.source_trunk_group_sid, d.ocn, d.external_keys, d.type, d.date_status_changed, \
    COALESCE(p.tree_path, '') AS tree_path, d.version";

const FROM: &str = "dids d LEFT JOIN partners p ON p.partner_sid = d.partner_sid";

impl crate::cache::Cacheable for DidRow {
    const TABLE: &'static str = "dids";
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DidRow {
    pub id: i64,
    pub did_sid: Uuid,
    pub phonenumber: String,
    pub partner_sid: Option<Uuid>,
    pub status: String,
    pub name: String,
    pub attributes: Value,
    pub callback_url: Option<String>,
    pub capabilities: i32,
    pub country_code: Option<String>,
    pub in_country_format: Option<String>,
    pub international_format: Option<String>,
    pub locality: Option<String>,
    pub state: Option<String>,
    pub lrn_sid: Option<Uuid>,
    pub did_group_sid: Option<Uuid>,
    pub trunk_group_sid: Option<Uuid>,
    pub price: Decimal,
    pub string_key_1: Option<String>,
    pub string_key_2: Option<String>,
    pub transformations: Value,
    pub classification_sid: Option<Uuid>,
    pub provider_sid: Option<Uuid>,
    pub source_trunk_group_sid: Option<Uuid>,
    pub ocn: Option<String>,
    pub external_keys: Value,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub date_status_changed: DateTime<Utc>,
    pub tree_path: String,
    pub version: i32,
}

impl DidRow {
    /// A number just added to the inventory, as stored: its key, secure ID and given values, every
    /// other column at the table's default (migrations 0004 and 0009; the ingestion test compares
    /// each number answered with the same number read back).
    pub fn in_inventory(id: i64, did_sid: Uuid, n: &NewNumber, now: DateTime<Utc>) -> DidRow {
        DidRow {
            id,
            did_sid,
            phonenumber: n.phonenumber.clone(),
            partner_sid: None,
            status: "available".to_owned(),
            name: "N/A".to_owned(),
            attributes: Value::Object(Default::default()),
            callback_url: None,
            capabilities: n.capabilities,
            country_code: n.country_code.clone(),
            in_country_format: n.in_country_format.clone(),
            international_format: n.international_format.clone(),
            locality: n.locality.clone(),
            state: n.state.clone(),
            lrn_sid: n.lrn_sid,
            did_group_sid: None,
            trunk_group_sid: None,
            price: n.price,
            string_key_1: None,
            string_key_2: None,
            transformations: Value::Array(Vec::new()),
            classification_sid: n.classification_sid,
            provider_sid: n.provider_sid,
            source_trunk_group_sid: None,
            ocn: n.ocn.clone(),
            external_keys: Value::Object(Default::default()),
            kind: "phonenumber_did".to_owned(),
            date_status_changed: now,
            tree_path: String::new(),
            version: 1,
        }
    }

    /// The wire object; `admin` adds the admin-only attributes; available numbers show their
    /// `status` (as the reference's inventory sample does).
    pub fn to_wire(&self, admin: bool) -> Did {
        self.clone().into_wire(admin)
    }

    /// [`Self::to_wire`] of a row no longer needed (nothing copied).
    pub fn into_wire(self, admin: bool) -> Did {
        Did {
            attributes: sorted(&self.attributes),
            callback_url: self.callback_url,
            capabilities: self.capabilities,
            classification_sid: admin.then_some(self.classification_sid),
            country_code: self.country_code,
            date_status_changed: admin.then(|| self.date_status_changed.into()),
            did_group_sid: self.did_group_sid,
            did_sid: self.did_sid,
            external_keys: admin.then(|| sorted(&self.external_keys)),
            id: admin.then_some(self.id),
            in_country_format: self.in_country_format,
            international_format: self.international_format,
            locality: self.locality,
            lrn_sid: self.lrn_sid,
            name: self.name,
            ocn: admin.then_some(self.ocn),
            partner: None,
            partner_sid: self.partner_sid,
            phonenumber: self.phonenumber,
            price: Money(self.price),
            provider_sid: admin.then_some(self.provider_sid),
            source_trunk_group_sid: admin.then_some(self.source_trunk_group_sid),
            state: self.state,
            status: (admin || self.status == "available").then_some(self.status),
            string_key_1: self.string_key_1,
            string_key_2: self.string_key_2,
            transformations: sorted(&self.transformations),
            trunk_group_sid: self.trunk_group_sid,
            kind: admin.then_some(self.kind),
        }
    }
}

const FIELDS: &[Field] = &[
    Field::new("attributes", "d.attributes", T::Json),
    Field::new("callback_url", "d.callback_url", T::Text),
    Field::new("capabilities", "d.capabilities", T::Int),
    Field::new("classification_sid", "d.classification_sid", T::Uuid),
    Field::new("country_code", "d.country_code", T::Text),
    Field::new("did_group_sid", "d.did_group_sid", T::Uuid),
    Field::new("did_sid", "d.did_sid", T::Uuid),
    Field::new("in_country_format", "d.in_country_format", T::Text),
    Field::new("international_format", "d.international_format", T::Text),
    Field::new("locality", "d.locality", T::Text),
    Field::new("lrn_sid", "d.lrn_sid", T::Uuid),
    Field::new("name", "d.name", T::Text),
    Field::new("partner_sid", "d.partner_sid", T::Uuid),
    Field::new("phonenumber", "d.phonenumber", T::Text),
    Field::new("price", "d.price", T::Decimal),
    Field::new("state", "d.state", T::Text),
    Field::new("status", "d.status", T::Text),
    Field::new("string_key_1", "d.string_key_1", T::Text),
    Field::new("string_key_2", "d.string_key_2", T::Text),
    Field::new("transformations", "d.transformations", T::Json),
    Field::new("trunk_group_sid", "d.trunk_group_sid", T::Uuid),
];

/// The inventory: ordered by number (the index serves `phonenumber like "1516%"`); no total.
pub const AVAILABLE: ListSpec = ListSpec {
    fields: FIELDS,
    sid: "d.did_sid",
    default_order: "d.phonenumber",
    default_limit: 10,
    total: false,
    keyset: None,
};

/// Rented numbers: by partner, then in the order they entered the inventory (the partial
/// indexes on rented numbers serve this order, so the first page reads only its rows).
pub const RENTED: ListSpec = ListSpec {
    fields: FIELDS,
    sid: "d.did_sid",
    default_order: "d.partner_sid, d.id",
    default_limit: 10,
    total: true,
    keyset: None,
};

/// What coverage groups by: the SQL of each `group_by` key.
pub const GROUP_BY: &[(&str, &str)] = &[
    ("country_code", "d.country_code"),
    ("locality", "d.locality"),
    ("npa", "CASE WHEN d.phonenumber ~ '^1[0-9]{10}$' THEN substring(d.phonenumber FROM 2 FOR 3) END"),
    ("npa_nxx", "CASE WHEN d.phonenumber ~ '^1[0-9]{10}$' THEN substring(d.phonenumber FROM 2 FOR 6) END"),
    ("state", "d.state"),
];

/// Fields coverage filters on: the inventory's, and the NANP area code and exchange.
pub const COVERAGE_FIELDS: &[Field] = &[
    Field::new("capabilities", "d.capabilities", T::Int),
    Field::new("country_code", "d.country_code", T::Text),
    Field::new("locality", "d.locality", T::Text),
    Field::new(
        "npa",
        "CASE WHEN d.phonenumber ~ '^1[0-9]{10}$' THEN substring(d.phonenumber FROM 2 FOR 3) END",
        T::Text,
    ),
    Field::new(
        "npa_nxx",
        "CASE WHEN d.phonenumber ~ '^1[0-9]{10}$' THEN substring(d.phonenumber FROM 2 FOR 6) END",
        T::Text,
    ),
    Field::new("phonenumber", "d.phonenumber", T::Text),
    Field::new("price", "d.price", T::Decimal),
    Field::new("state", "d.state", T::Text),
];

#[derive(Debug, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CoverageItem {
    pub count: i64,
    pub key: Option<String>,
}

/// Counts of available numbers grouped by `key_sql`, a page of groups, and how many groups.
pub async fn coverage<'e>(
    db: impl PgExecutor<'e> + Copy,
    key_sql: &str,
    q: &ListQuery,
    by_count: Option<bool>,
) -> RepoResult<(Vec<CoverageItem>, i64)> {
    let mut qb = listing::Qb::new(format!(
        "SELECT {key_sql} AS key, COUNT(*) AS count FROM dids d WHERE d.status = 'available'"
    ));
    listing::push_filter(&mut qb, COVERAGE_FIELDS, &q.filter)?;
    qb.push(" GROUP BY 1 ORDER BY ");
    match by_count {
        Some(desc) => qb.push(if desc { "2 DESC, 1" } else { "2 ASC, 1" }),
        None => qb.push("1"),
    };
    qb.push(" LIMIT ").push_bind(q.limit).push(" OFFSET ").push_bind(q.offset);
    let items = qb.build_query_as::<CoverageItem>().fetch_all(db).await?;
    let mut cq = listing::Qb::new(format!("SELECT COUNT(DISTINCT {key_sql}) + MAX(CASE WHEN {key_sql} IS NULL THEN 1 ELSE 0 END) FROM dids d WHERE d.status = 'available'"));
    listing::push_filter(&mut cq, COVERAGE_FIELDS, &q.filter)?;
    let total: Option<i64> = cq.build_query_scalar().fetch_one(db).await?;
    Ok((items, total.unwrap_or(0)))
}

pub async fn list_available<'e>(db: impl PgExecutor<'e> + Copy, q: &ListQuery) -> RepoResult<Page<DidRow>> {
    listing::fetch::<DidRow, _>(db, &AVAILABLE, q, COLUMNS, FROM, &|qb| {
        qb.push(" AND d.status = 'available'");
    })
    .await
}

/// The caller's rented numbers (its subtree's; every status through the admin routes).
pub async fn list_rented<'e>(
    db: impl PgExecutor<'e> + Copy,
    t: Tenancy<'_>,
    trunk_group: Option<Uuid>,
    q: &ListQuery,
) -> RepoResult<Page<DidRow>> {
    let pattern = t.subtree_pattern();
    let admin = t.admin;
    listing::fetch::<DidRow, _>(db, &RENTED, q, COLUMNS, FROM, &move |qb| {
        if !admin {
            qb.push(" AND d.status = 'assigned'");
            listing::push_in_tree(qb, "d.partner_sid", pattern.clone());
        }
        if let Some(tg) = trunk_group {
            qb.push(" AND d.trunk_group_sid = ").push_bind(tg);
        }
    })
    .await
}

pub async fn get<'e>(db: impl PgExecutor<'e>, sid: Uuid, lock: bool) -> RepoResult<Option<DidRow>> {
    let lock = if lock { " FOR UPDATE OF d" } else { "" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.did_sid = $1{lock}"))
        .bind(sid)
        .fetch_optional(db)
        .await?)
}

/// Takes an available number for a partner: the given one, or the first (by number) matching
/// the filter. Concurrent renters never get the same number: the row is locked, and a number
/// locked by another renter is skipped (first available) or waited for and re-checked (given).
pub async fn rent(
    db: &mut PgConnection,
    partner_sid: Uuid,
    number: Option<&str>,
    filter: &[Condition],
) -> RepoResult<Option<Uuid>> {
    let mut qb = listing::Qb::new("UPDATE dids SET status = 'assigned', partner_sid = ");
    qb.push_bind(partner_sid);
    qb.push(", aging_until = NULL, date_status_changed = date_trunc('milliseconds', now()) WHERE ");
    match number {
        Some(n) => {
            qb.push("phonenumber = ").push_bind(n.to_owned()).push(" AND status = 'available'");
        }
        None => {
            qb.push("did_sid = (SELECT d.did_sid FROM dids d WHERE d.status = 'available'");
            listing::push_filter(&mut qb, AVAILABLE.fields, filter)?;
            qb.push(" ORDER BY d.phonenumber LIMIT 1 FOR UPDATE SKIP LOCKED)");
        }
    }
    qb.push(" RETURNING did_sid");
    Ok(qb.build_query_scalar::<Uuid>().fetch_optional(db).await?)
}

/// Writes the changeable attributes.
pub async fn save(db: &mut PgConnection, d: &DidRow) -> RepoResult<()> {
    sqlx::query(
        "UPDATE dids SET name = $2, attributes = $3, callback_url = $4, did_group_sid = $5, trunk_group_sid = $6,
             string_key_1 = $7, string_key_2 = $8, transformations = $9, classification_sid = $10
         WHERE did_sid = $1",
    )
    .bind(d.did_sid)
    .bind(&d.name)
    .bind(&d.attributes)
    .bind(&d.callback_url)
    .bind(d.did_group_sid)
    .bind(d.trunk_group_sid)
    .bind(&d.string_key_1)
    .bind(&d.string_key_2)
    .bind(&d.transformations)
    .bind(d.classification_sid)
    .execute(db)
    .await?;
    Ok(())
}

/// Releases numbers (one, or all of a deleted partner): `aging` for the configured period, their
/// settings cleared for the next renter.
pub async fn release<'e>(
    db: impl PgExecutor<'e>,
    did: Option<Uuid>,
    partner: Option<Uuid>,
    aging_seconds: u32,
) -> RepoResult<()> {
    sqlx::query(
        "UPDATE dids SET status = 'aging', partner_sid = NULL, name = 'N/A', attributes = '{}', callback_url = NULL,
             did_group_sid = NULL, trunk_group_sid = NULL, string_key_1 = NULL, string_key_2 = NULL, transformations = '[]',
             aging_until = now() + make_interval(secs => $3), date_status_changed = date_trunc('milliseconds', now())
         WHERE status = 'assigned' AND (did_sid = $1 OR partner_sid = $2)",
    )
    .bind(did)
    .bind(partner)
    .bind(aging_seconds as f64)
    .execute(db)
    .await?;
    Ok(())
}

/// Numbers whose aging has ended become available again (safe on every instance at once).
pub async fn return_aged<'e>(db: impl PgExecutor<'e>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE dids SET status = 'available', aging_until = NULL, date_status_changed = date_trunc('milliseconds', now())
          WHERE status = 'aging' AND aging_until <= now()",
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected())
}

pub async fn count_in_trunk_group<'e>(db: impl PgExecutor<'e>, tg: Uuid) -> RepoResult<i64> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM dids WHERE trunk_group_sid = $1").bind(tg).fetch_one(db).await?)
}

/// A number for the inventory.
pub struct NewNumber {
    pub phonenumber: String,
    pub capabilities: i32,
    pub price: Decimal,
    pub country_code: Option<String>,
    pub in_country_format: Option<String>,
    pub international_format: Option<String>,
    pub state: Option<String>,
    pub locality: Option<String>,
    pub classification_sid: Option<Uuid>,
    pub provider_sid: Option<Uuid>,
    pub lrn_sid: Option<Uuid>,
    pub ocn: Option<String>,
}

/// The unique key of the numbers.
pub const NUMBER_KEY: &str = "dids_phonenumber_key";

/// Which of `numbers` are in the table, with their secure IDs, in the order given. One probe of
/// the unique key a number: a large batch is never read as a scan of the whole table.
pub async fn existing<'e>(db: impl PgExecutor<'e>, numbers: &[String]) -> RepoResult<Vec<(String, Uuid)>> {
    Ok(sqlx::query_as(
        "SELECT p, did_sid FROM (
             SELECT n.p, n.i, (SELECT d.did_sid FROM dids d WHERE d.phonenumber = n.p) AS did_sid
               FROM unnest($1::text[]) WITH ORDINALITY AS n(p, i)) x
          WHERE did_sid IS NOT NULL ORDER BY i",
    )
    .bind(numbers)
    .fetch_all(db)
    .await?)
}

/// The columns [`insert_inventory`] writes, in its order; every other column takes its default.
const INVENTORY_COLUMNS: &str = "id, did_sid, phonenumber, capabilities, price, country_code, in_country_format, \
    international_format, state, locality, classification_sid, provider_sid, lrn_sid, ocn";

/// Adds numbers to the inventory with one `COPY` (however many), and hands each to `each` as
/// stored, in order.
pub async fn insert_inventory(
    db: &mut PgConnection,
    items: &[NewNumber],
    mut each: impl FnMut(DidRow),
) -> RepoResult<()> {
    let mut writer = InventoryWriter::start(db, items.len()).await?;
    for n in items {
        writer.add(n).await?;
    }
    writer.finish().await?.rows(items).for_each(&mut each);
    Ok(())
}

/// Numbers written to the inventory with one `COPY` as they come: a caller checking a batch sends
/// each number once it is checked, and PostgreSQL writes the first while the next are checked.
/// Their keys and the transaction's time come from the database first (one statement), so the
/// rows are answered from what was written, not read back: a number of the inventory is its given
/// values and the table's defaults ([`DidRow::in_inventory`]).
pub struct InventoryWriter<'c> {
    copy: crate::db::copy::CopyStream<'c>,
    keys: InventoryKeys,
    added: usize,
}

/// The keys, secure IDs and time of the numbers an [`InventoryWriter`] wrote.
pub struct InventoryKeys {
    ids: Vec<i64>,
    sids: Vec<Uuid>,
    now: DateTime<Utc>,
}

impl<'c> InventoryWriter<'c> {
    /// Ready for at most `count` numbers.
    pub async fn start(db: &'c mut PgConnection, count: usize) -> RepoResult<Self> {
        let (now, ids): (DateTime<Utc>, Vec<i64>) = sqlx::query_as(
            "SELECT date_trunc('milliseconds', now()), ARRAY(SELECT nextval('dids_id_seq') FROM generate_series(1, $1))",
        )
        .bind(count as i64)
        .fetch_one(&mut *db)
        .await?;
        let sids = (0..count).map(|_| Uuid::new_v4()).collect();
        let copy = crate::db::copy::CopyStream::start(db, "dids", INVENTORY_COLUMNS).await?;
        Ok(InventoryWriter { copy, keys: InventoryKeys { ids, sids, now }, added: 0 })
    }

    /// The next number (no more than the count given at the start).
    pub async fn add(&mut self, n: &NewNumber) -> RepoResult<()> {
        let (Some(id), Some(sid)) = (self.keys.ids.get(self.added), self.keys.sids.get(self.added)) else {
            // More numbers than the writer was started for: a caller's bug, never the input's.
            return Err(crate::db::RepoError::Vanished("the key reserved for a number"));
        };
        self.added += 1;
        let row = self.copy.rows();
        row.push(id).push(sid).push(&n.phonenumber).push(&n.capabilities).push(&n.price).push(&n.country_code);
        row.push(&n.in_country_format).push(&n.international_format).push(&n.state).push(&n.locality);
        row.push(&n.classification_sid).push(&n.provider_sid).push(&n.lrn_sid).push(&n.ocn);
        row.end_row();
        self.copy.send_ready().await
    }

    /// Ends the `COPY`: the numbers' keys, or PostgreSQL's refusal (a number already there).
    pub async fn finish(mut self) -> RepoResult<InventoryKeys> {
        self.copy.finish().await?;
        self.keys.ids.truncate(self.added);
        self.keys.sids.truncate(self.added);
        Ok(self.keys)
    }

    /// Gives the numbers up (the transaction is the caller's to roll back).
    pub async fn abort(self) {
        self.copy.abort().await
    }
}

impl InventoryKeys {
    /// Each number written, as stored, in order: `items` are the numbers given to
    /// [`InventoryWriter::add`], each row made as it is taken.
    pub fn rows<'a>(self, items: &'a [NewNumber]) -> impl Iterator<Item = DidRow> + 'a {
        let now = self.now;
        items.iter().zip(self.ids).zip(self.sids).map(move |((n, id), sid)| DidRow::in_inventory(id, sid, n, now))
    }
}

pub async fn get_many(db: &mut PgConnection, sids: &[Uuid]) -> RepoResult<Vec<DidRow>> {
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE d.did_sid = ANY($1) ORDER BY d.id"))
        .bind(sids)
        .fetch_all(db)
        .await?)
}

/// What messaging and call routing read of a rented number.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct RentedNumber {
    pub did_sid: Uuid,
    pub phonenumber: String,
    pub partner_sid: Uuid,
    pub capabilities: i32,
    pub trunk_group_sid: Option<Uuid>,
    pub transformations: Value,
    pub tree_path: String,
    /// A short code of the partner's (messaging only), not a DID.
    pub short_code: bool,
}

/// A rented number as messaging keeps it in the object cache (by its secure ID; a change of the
/// number's row drops it).
#[derive(Clone, Debug)]
pub struct RentedEntry(pub RentedNumber);

impl crate::cache::Cacheable for RentedEntry {
    const TABLE: &'static str = "dids";
}

/// The rented numbers among `numbers` (E.164 digits), unlocked.
pub async fn rented_by_number<'e>(db: impl PgExecutor<'e>, numbers: &[String]) -> RepoResult<Vec<RentedNumber>> {
    Ok(sqlx::query_as(
        "SELECT d.did_sid, d.phonenumber, d.partner_sid, d.capabilities, d.trunk_group_sid, d.transformations, p.tree_path,
                false AS short_code
           FROM dids d JOIN partners p ON p.partner_sid = d.partner_sid
          WHERE d.phonenumber = ANY($1) AND d.status = 'assigned'",
    )
    .bind(numbers)
    .fetch_all(db)
    .await?)
}

/// The numbers whose `phonenumber` (or, `by_sid`, whose secure ID) is among `keys`, locked.
pub async fn find_many(db: &mut PgConnection, by_sid: bool, keys: &[String]) -> RepoResult<Vec<DidRow>> {
    let cond = if by_sid { "d.did_sid = ANY($1::uuid[])" } else { "d.phonenumber = ANY($1)" };
    Ok(sqlx::query_as(&format!("SELECT {COLUMNS} FROM {FROM} WHERE {cond} FOR UPDATE OF d"))
        .bind(keys)
        .fetch_all(db)
        .await?)
}
