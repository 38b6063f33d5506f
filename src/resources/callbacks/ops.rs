//! The callback outbox, as the sections that call applications back use it: a callback is queued
//! in the transaction of the change it reports and goes out once that commits
//! (`jobs::callbacks` delivers it).

use sqlx::PgConnection;
use uuid::Uuid;

use super::repo::{self, NewCallback};
use crate::domain::callback_url;
use crate::http::error::ApiResult;
use crate::jobs::callbacks::Reserved;
use crate::state::AppState;

/// Callbacks queued in a transaction. Those this instance's sender had room for were taken by it
/// in the same write; [`Queued::launch`], once the transaction has committed, hands them over, so
/// they go out without a claim. Dropped without it (the transaction failed), the room is given
/// back; a committed callback never handed over is attempted once its lease runs out.
#[must_use = "launch the callbacks once the transaction commits"]
pub struct Queued {
    /// How many callbacks were queued.
    pub count: usize,
    /// How many are due at once for any instance's sender to claim (not handed over).
    due: usize,
    handed: Option<(Reserved, Vec<repo::Claimed>)>,
}

impl Queued {
    fn none() -> Self {
        Queued { count: 0, due: 0, handed: None }
    }

    /// After the commit: the callbacks go to this instance's sender (those it had no room for, to
    /// any instance's, woken).
    pub fn launch(mut self, state: &AppState) {
        if let Some((reserved, claimed)) = self.handed.take() {
            reserved.launch(claimed);
        }
        if self.due > 0 {
            crate::jobs::callbacks::queued_due(state);
        }
    }
}

/// A change to report: its partner, the number it went through, the object and its JSON.
pub struct Report {
    pub partner_sid: Uuid,
    pub did_sid: Option<Uuid>,
    pub object_sid: Uuid,
    /// The JSON to POST.
    pub body: String,
}

/// Queues the SMS callbacks of `reports`, each to its number's URL by the reference's precedence
/// (number, DID group, partner `callbacks.sms`); a report without a URL calls nobody. A URL that
/// cannot be used (set before this server's address was known, say) is recorded as failed.
pub async fn queue_sms(state: &AppState, db: &mut PgConnection, reports: Vec<Report>) -> ApiResult<Queued> {
    if reports.is_empty() {
        return Ok(Queued::none());
    }
    let keys: Vec<(Option<Uuid>, Uuid)> = reports.iter().map(|r| (r.did_sid, r.partner_sid)).collect();
    let urls = repo::sms_urls(&mut *db, &keys).await?;
    enqueue(state, db, "sms", reports, urls).await
}

/// Queues the callbacks of `reports` for the partner's `callbacks.<key>` URL (`app_conference_call`,
/// ...); a partner without one is called by nobody.
pub async fn queue_partner(
    state: &AppState,
    db: &mut PgConnection,
    key: &'static str,
    reports: Vec<Report>,
) -> ApiResult<Queued> {
    if reports.is_empty() {
        return Ok(Queued::none());
    }
    let partners: Vec<Uuid> = reports.iter().map(|r| r.partner_sid).collect();
    let urls = repo::partner_urls(&mut *db, key, &partners).await?;
    enqueue(state, db, key, reports, urls).await
}

/// Queues each report to its URL (none: nobody is called); a URL that cannot be used (set before
/// this server's address was known, say) is recorded as failed.
async fn enqueue(
    state: &AppState,
    db: &mut PgConnection,
    event: &'static str,
    reports: Vec<Report>,
    urls: Vec<Option<String>>,
) -> ApiResult<Queued> {
    let items: Vec<NewCallback> = reports
        .into_iter()
        .zip(urls)
        .filter_map(|(r, url)| {
            let url = url?;
            let (authority, refused) = match callback_url::check(&url, &state.own) {
                Ok(target) => (target.authority(), None),
                Err(why) => (String::new(), Some(format!("callback URL {why}"))),
            };
            Some(NewCallback {
                partner_sid: r.partner_sid,
                event,
                object_sid: Some(r.object_sid),
                url,
                authority,
                body: r.body,
                refused,
            })
        })
        .collect();
    // Room with this instance's sender, taken now; given back if the transaction fails.
    let mut reserved = crate::jobs::callbacks::reserve(state);
    let leased: Vec<bool> = items.iter().map(|i| i.refused.is_none() && reserved.take(&i.authority)).collect();
    let claimed = repo::enqueue(db, &items, &leased, reserved.lease_ms()).await?;
    let due = items.iter().zip(&leased).filter(|(i, l)| i.refused.is_none() && !**l).count();
    Ok(Queued { count: items.len(), due, handed: Some((reserved, claimed)) })
}
