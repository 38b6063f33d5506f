//! What a call record costs, for every way a record is made (ingested, or written by the
//! simulated network): the partner's plan for the record's direction and kind rates the far
//! end's number; the charge goes on the invoice line of its class (toll or toll-free, the far
//! end's country).

use std::collections::HashMap;
use std::sync::Arc;

use rust_decimal::prelude::ToPrimitive;
use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::CdrRow;
use crate::domain::phone;
use crate::domain::rating::{self, PrefixIndex, RateItem};
use crate::http::error::ApiResult;
use crate::resources::invoices::accrual::Charge;
use crate::resources::{countries, rates};
use crate::state::AppState;

/// How a record is rated and billed.
pub struct Billing {
    /// `inbound` or `outbound` (anything else is not rated).
    pub direction: Option<String>,
    /// The kind of plan (`pstn`, `voip:<sub_type>`), none for records not rated.
    pub kind: Option<&'static str>,
    /// The number rated (the far end), digits.
    pub external: String,
    /// The number dialed (toll-free or not), digits.
    pub dialed: String,
}

/// The kind of rate plan a record of a `type` is rated with.
pub fn rate_kind(kind: Option<&str>) -> Option<&'static str> {
    match kind {
        None | Some("telecom") => Some("pstn"),
        Some("conference_call") | Some("conference_meeting") => Some("voip:conference"),
        Some("mediator") => Some("voip:mediator"),
        _ => None,
    }
}

/// Rates records: a batch loads each plan it meets once, whole; a single call rates through the
/// plans every instance keeps in memory (`rates::ops::best_item`, as messages do).
pub struct Rater {
    /// `None` for a batch; the server's state for a single call.
    single: Option<AppState>,
    plans: HashMap<(Uuid, String, &'static str), Option<PrefixIndex>>,
    codes: Arc<countries::ops::Codes>,
}

impl Rater {
    /// For many records (ingestion): plans are read whole, once each.
    pub async fn for_batch(state: &AppState) -> ApiResult<Self> {
        Ok(Rater { single: None, plans: HashMap::new(), codes: countries::ops::codes(state).await? })
    }

    /// For one record (a simulated call).
    pub async fn for_one(state: &AppState) -> ApiResult<Self> {
        Ok(Rater { single: Some(state.clone()), plans: HashMap::new(), codes: countries::ops::codes(state).await? })
    }

    async fn item(
        &mut self,
        db: &mut PgConnection,
        partner: Uuid,
        direction: &str,
        kind: &'static str,
        number: &str,
    ) -> ApiResult<Option<RateItem>> {
        if let Some(state) = &self.single {
            return rates::ops::best_item(state, Some(&mut *db), partner, direction, kind, number).await;
        }
        let key = (partner, direction.to_owned(), kind);
        if !self.plans.contains_key(&key) {
            let items = rates::ops::rating_items(&mut *db, partner, direction, kind).await?;
            self.plans.insert(key.clone(), items.map(PrefixIndex::new));
        }
        Ok(self.plans[&key].as_ref().and_then(|index| index.best(number)).cloned())
    }

    /// Fills the record's `rate`, `price` and `duration_billing` (those not given) from the
    /// partner's plan (read through `db`), and answers what it charges (none for a record
    /// without a price).
    pub async fn rate(&mut self, db: &mut PgConnection, row: &mut CdrRow, b: &Billing) -> ApiResult<Option<Charge>> {
        let unrated = row.rate.is_none() || row.price.is_none() || row.duration_billing.is_none();
        if let (true, Some(dir), Some(kind), Some(duration)) = (unrated, b.direction.as_deref(), b.kind, row.duration) {
            if let Some(item) = self.item(db, row.partner_sid, dir, kind, &b.external).await? {
                let (billed, price) = rating::bill(duration, &item);
                row.rate.get_or_insert(item.price.normalize());
                row.price.get_or_insert(price);
                row.duration_billing.get_or_insert(billed);
            }
        }
        let Some(price) = row.price else { return Ok(None) };
        let seconds = row.duration_billing.and_then(|d| d.ceil().to_i64()).unwrap_or(0);
        // The country of the number rated; toll-free when the number dialed is.
        let (region, _) = phone::billing_class(&b.external);
        let (_, toll_free) = phone::billing_class(&b.dialed);
        Ok(Some(Charge {
            kind: if toll_free { "toll_free" } else { "toll" },
            direction: b.direction.clone(),
            country_code: region.and_then(|r| self.codes.alpha3(&r).map(str::to_owned)),
            usage: seconds,
            amount: price,
        }))
    }
}
