//! What is done to a rented number, written once: the DID routes and the batch tasks both call
//! these, inside their own transaction.

use crate::domain::callback_url::OwnAddresses;
use crate::resources::shared::check_callback_url;
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, DidRow};
use super::types::{DidInput, ADMIN_UPDATABLE, UPDATABLE};
use crate::db::Tenancy;
use crate::domain::phone;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::input::{Maybe, Problems};
use crate::http::listing::filter::Condition;
use crate::resources::invoices::accrual::{self, Charge};
use crate::resources::shared::{check_transformations, Owned};
use crate::resources::{did_groups, trunk_groups};

/// The references of a rent or update body, checked.
pub struct Checked {
    pub trunk_group_sid: Option<Uuid>,
    pub did_group_sid: Option<Uuid>,
    pub transformations: Value,
}

/// A caller may see and change any number through the admin routes, else a rented number of its
/// tree.
impl Owned for DidRow {
    fn tree_path(&self) -> &str {
        &self.tree_path
    }

    fn visible_to(&self, t: Tenancy<'_>) -> bool {
        t.admin || (self.status == "assigned" && t.sees(&self.tree_path))
    }
}

/// The attributes an update may change.
pub fn updatable(admin: bool) -> Vec<&'static str> {
    let mut v = UPDATABLE.to_vec();
    if admin {
        v.extend_from_slice(ADMIN_UPDATABLE);
    }
    v
}

/// Checks a rent or update body for a number of `owner` (`None`: a number in the inventory,
/// which belongs to no group): the callback URL, the transformations, and that the trunk group
/// and DID group are the owner's.
pub async fn check(
    own: &OwnAddresses,
    conn: &mut PgConnection,
    owner: Option<Uuid>,
    input: &DidInput,
    p: &mut Problems,
) -> ApiResult<Checked> {
    if let Maybe::Value(u) = &input.callback_url {
        check_callback_url(own, "callback_url", u, p);
    }
    let transformations = check_transformations(&input.transformations, p);
    let tg_sent = input.trunk_group_sid.value().filter(|s| !s.is_empty());
    let dg_sent = input.did_group_sid.value().filter(|s| !s.is_empty());
    let Some(owner) = owner else {
        if tg_sent.is_some() || dg_sent.is_some() {
            p.add("trunk_group_sid", "a number in the inventory belongs to no trunk group");
        }
        return Ok(Checked { trunk_group_sid: None, did_group_sid: None, transformations });
    };
    let trunk_group_sid = match tg_sent {
        None => None,
        Some(s) => {
            let found = match Uuid::parse_str(s) {
                Ok(u) => trunk_groups::repo::get_group(&mut *conn, u, false).await?.filter(|g| g.partner_sid == owner),
                Err(_) => None,
            };
            if found.is_none() {
                p.add("trunk_group_sid", "must be a trunk group of the number's partner");
            }
            found.map(|g| g.trunk_group_sid)
        }
    };
    let did_group_sid = match dg_sent {
        None => None,
        Some(s) => {
            let found = match Uuid::parse_str(s) {
                Ok(u) => did_groups::repo::get(&mut *conn, u).await?.filter(|g| g.partner_sid == owner),
                Err(_) => None,
            };
            if found.is_none() {
                p.add("did_group_sid", "must be a DID group of the number's partner");
            }
            found.map(|g| g.did_group_sid)
        }
    };
    Ok(Checked { trunk_group_sid, did_group_sid, transformations })
}

/// The number a rent body asks for, in digits (`None`: the first available one).
pub fn wanted_number(input: &DidInput, p: &mut Problems) -> Option<String> {
    let number = input.phonenumber.value().map(|n| phone::digits(n));
    if let Some(n) = &number {
        p.check(n.len() >= 4 && n.len() <= 15, "phonenumber", "must be a phone number in the E.164 format");
    }
    number
}

/// Applies the changeable attributes of a checked body to a number.
fn apply(row: &mut DidRow, input: &DidInput, checked: Checked, admin: bool, p: &mut Problems) {
    row.name = input.name.value().cloned().unwrap_or_else(|| "N/A".into());
    row.attributes = Value::Object(input.attributes.value().cloned().unwrap_or_default());
    row.callback_url = input.callback_url.value().cloned().filter(|s| !s.is_empty());
    row.string_key_1 = input.string_key_1.value().cloned();
    row.string_key_2 = input.string_key_2.value().cloned();
    row.transformations = checked.transformations;
    row.trunk_group_sid = checked.trunk_group_sid;
    row.did_group_sid = checked.did_group_sid;
    if admin {
        row.classification_sid = match input.classification_sid.value().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Uuid::parse_str(s).map_err(|_| p.add("classification_sid", "must be a secure ID")).ok(),
        };
    }
}

/// Rents `number` (or the first available number matching `filter`) to `partner` with the
/// attributes of a checked body, and charges its monthly price. A number that is not available
/// is a 409.
pub async fn rent(
    tx: &mut PgConnection,
    partner: Uuid,
    number: Option<&str>,
    filter: &[Condition],
    input: &DidInput,
    checked: Checked,
) -> ApiResult<DidRow> {
    let Some(sid) = repo::rent(tx, partner, number, filter).await? else {
        return Err(match number {
            Some(n) => ApiError::Conflict(vec![FieldError::new(
                "phonenumber",
                format!("the phone number {n} is not available"),
            )]),
            None => ApiError::conflict("phonenumber", "no available phone number matches"),
        });
    };
    let mut row =
        repo::get(&mut *tx, sid, true).await?.ok_or_else(|| ApiError::internal("a rented number vanished"))?;
    apply(&mut row, input, checked, false, &mut Problems::new());
    repo::save(tx, &row).await?;
    // The first month is charged at once; each later one when its billing period starts.
    let rental =
        Charge { kind: "did", direction: None, country_code: row.country_code.clone(), usage: 1, amount: row.price };
    accrual::charge(tx, partner, &[rental]).await?;
    Ok(row)
}

/// Updates a number (locked by the caller) with a body already merged with its current
/// attributes; returns the number as stored.
/// `p`: the problems already found in the body.
pub async fn update(
    own: &OwnAddresses,
    tx: &mut PgConnection,
    mut row: DidRow,
    input: &DidInput,
    admin: bool,
    mut p: Problems,
) -> ApiResult<DidRow> {
    let checked = check(own, tx, row.partner_sid, input, &mut p).await?;
    apply(&mut row, input, checked, admin, &mut p);
    p.finish()?;
    repo::save(tx, &row).await?;
    repo::get(tx, row.did_sid, false).await?.ok_or_else(|| ApiError::internal("an updated number vanished"))
}

/// Releases a rented number (locked by the caller): it ages before it can be rented again.
pub async fn release(tx: &mut PgConnection, row: &DidRow, aging_seconds: u32) -> ApiResult<()> {
    if row.status != "assigned" {
        return Err(ApiError::conflict("did_sid", format!("the number is {}, not rented", row.status)));
    }
    Ok(repo::release(&mut *tx, Some(row.did_sid), None, aging_seconds).await?)
}

/// Which secure ID a number has: learned from the numbers read, so that the next read of the
/// number goes to the object cache (a number's row keeps its secure ID for life).
#[derive(Default)]
struct NumberIds(std::sync::Mutex<std::collections::HashMap<String, Uuid>>);

/// The most numbers [`rented`] remembers the secure ID of (then it starts again).
const MAX_NUMBER_IDS: usize = 100_000;

/// The rented number `number` (E.164 digits), through the object cache: what every message sent
/// from or to a number of this server reads. A number not rented is read from the database each
/// time.
pub async fn rented(state: &crate::state::AppState, number: &str) -> ApiResult<Option<repo::RentedNumber>> {
    let ids = state.services.get_or_init(NumberIds::default);
    let cache = state.objects.of::<repo::RentedEntry>();
    let known = crate::sync::lock(&ids.0).get(number).copied();
    if let Some(hit) = known.and_then(|sid| cache.get(&sid)).filter(|e| e.row.0.phonenumber == number) {
        return Ok(Some(hit.row.0.clone()));
    }
    let generation = cache.generation();
    let Some(found) = repo::rented_by_number(&state.pool, &[number.to_owned()]).await?.into_iter().next() else {
        return Ok(None);
    };
    cache.put(
        found.did_sid,
        std::sync::Arc::new(crate::cache::Cached::new(repo::RentedEntry(found.clone()))),
        generation,
    );
    let mut ids = crate::sync::lock(&ids.0);
    if ids.len() >= MAX_NUMBER_IDS {
        ids.clear();
    }
    ids.insert(number.to_owned(), found.did_sid);
    Ok(Some(found))
}
