//! The demo tenant: a sub-partner of the root partner with something of every resource, made
//! through the API itself — the real router, its validation and its side effects (rental
//! charges, rating, the invoice) — so that it looks exactly like what a client would have made.
//!
//! `Demo Co` (login [`LOGIN`], password [`PASSWORD`]) has a card on file, a third-party endpoint
//! and a conference endpoint, a trunk group routing to each (the first with an access control
//! rule), a DID group, rented numbers on the trunk groups, a routing prefix, a completed batch task
//! and one waiting for review, rated call records, an issued invoice and its open one; messaging:
//! a callback URL, a conversation with another tenant (`Friendly Co`) and a week of message
//! records; two calls through the simulated network (one to the conference bridge); a short code;
//! a shortener domain on this server's own address with a link; a storage container with a file;
//! a push application with a device.

use axum::body::Body;
use axum::http::{header, Method, Request};
use axum::Router;
use base64::Engine;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::repo;
use crate::domain::scopes::ScopeSet;
use crate::http::error::{ApiError, ApiResult};
use crate::resources::oauth::repo::{self as oauth, NewToken};
use crate::resources::partners::repo as partners;
use crate::state::AppState;

pub const LOGIN: &str = "demo";
pub const PASSWORD: &str = "demo-password";
/// Another tenant of the server, whom the demo partner texts with.
pub const FRIEND_LOGIN: &str = "demo-friend";
pub const FRIEND_PASSWORD: &str = "demo-friend-password";
/// Where the demo partner's messaging callbacks go: a developer's application on loopback (until
/// one listens there, the callbacks show their failed attempts and retries).
pub const CALLBACK_URL: &str = "http://127.0.0.1:3000/carrierx/sms";
/// Where its conference call callbacks go.
pub const CONFERENCE_CALLBACK_URL: &str = "http://127.0.0.1:3000/carrierx/conference";
const MARKER: &str = "demo_data:tenant:v1";

/// Makes the demo tenant unless it is made already (once per database, one instance at a time);
/// returns whether it was made now.
pub async fn load(state: &AppState) -> ApiResult<bool> {
    let mut lock = state.pool.acquire().await?;
    repo::lock_tenant(&mut lock).await?;
    let result = load_locked(state).await;
    repo::unlock_tenant(&mut lock).await?;
    result
}

async fn load_locked(state: &AppState) -> ApiResult<bool> {
    if repo::tenant_made(&state.pool, MARKER, LOGIN).await? {
        return Ok(false);
    }
    let root = partners::root_with_login(&state.pool)
        .await?
        .ok_or_else(|| ApiError::internal("no root partner: the database was never bootstrapped"))?;
    // A short-lived token of the root partner for the loader's own requests, removed after.
    let client_id = oauth::first_client_id(&state.pool).await?;
    let token = oauth::insert_token(
        &state.pool,
        NewToken {
            partner_sid: root.0,
            client_id,
            name: Some("demo data loader".into()),
            scopes: ScopeSet::all(),
            login_sid: None,
            partner_login: Some(root.1),
            access_lifetime: chrono::Duration::minutes(10),
            refresh_lifetime: chrono::Duration::minutes(10),
            access_token: None,
        },
    )
    .await?;
    let api = Api {
        router: crate::build_router(state.clone()),
        root: format!("Bearer {}", token.access_token),
        demo: format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{LOGIN}:{PASSWORD}"))),
        friend: format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{FRIEND_LOGIN}:{FRIEND_PASSWORD}"))
        ),
        short_host: format!("localhost:{}", state.config.bind.rsplit(':').next().unwrap_or("8080")),
    };
    let made = build(&api).await;
    oauth::delete_token(&state.pool, token.token_sid).await?;
    match made {
        Ok(()) => {
            super::mark(&state.pool, MARKER).await?;
            Ok(true)
        }
        Err(e) => {
            // Leave nothing half made: the partner and everything of it go.
            for login in [LOGIN, FRIEND_LOGIN] {
                if let Some(sid) = partners::sid_by_login(&state.pool, login).await? {
                    let _ = api.call(Method::DELETE, &format!("/partners/{sid}"), Who::Root, None).await;
                }
            }
            Err(e)
        }
    }
}

#[derive(Clone, Copy)]
enum Who {
    Root,
    Demo,
    Friend,
}

/// The API in-process, as the root partner or the demo partner.
struct Api {
    router: Router,
    root: String,
    demo: String,
    friend: String,
    /// The demo's shortener domain: this server's own address (`localhost:<port>`), so that its
    /// short URLs open in a browser on the machine.
    short_host: String,
}

impl Api {
    async fn call(&self, method: Method, path: &str, who: Who, body: Option<Value>) -> ApiResult<Value> {
        let body = body.map(|b| ("application/json", b.to_string().into_bytes()));
        self.send(method, path, who, body).await
    }

    /// A request with a body of its content type (a file upload).
    async fn send(&self, method: Method, path: &str, who: Who, body: Option<(&str, Vec<u8>)>) -> ApiResult<Value> {
        let auth = match who {
            Who::Root => &self.root,
            Who::Demo => &self.demo,
            Who::Friend => &self.friend,
        };
        let mut req = Request::builder().method(method.clone()).uri(format!("/core/v2{path}"));
        req = req.header(header::AUTHORIZATION, auth);
        let body = match body {
            Some((content_type, bytes)) => {
                req = req.header(header::CONTENT_TYPE, content_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let request = req.body(body).map_err(|e| ApiError::internal(format!("demo request: {e}")))?;
        let Ok(resp) = self.router.clone().oneshot(request).await;
        let status = resp.status();
        let bytes =
            resp.into_body().collect().await.map_err(|e| ApiError::internal(format!("demo response: {e}")))?.to_bytes();
        if !status.is_success() {
            return Err(ApiError::internal(format!(
                "demo data: {method} {path} answered {status}: {}",
                String::from_utf8_lossy(&bytes)
            )));
        }
        Ok(if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    async fn post(&self, path: &str, who: Who, body: Value) -> ApiResult<Value> {
        self.call(Method::POST, path, who, Some(body)).await
    }
}

fn sid(v: &Value, key: &str) -> ApiResult<String> {
    v[key].as_str().map(str::to_owned).ok_or_else(|| ApiError::internal(format!("demo data: no {key} in {v}")))
}

async fn build(api: &Api) -> ApiResult<()> {
    use Who::{Demo, Root};
    let partner = api
        .post(
            // The admin route: the demo partner can sign in at once, its e-mail addresses still
            // wait for verification as any new partner's do.
            "/admin/partners",
            Root,
            // Postpaid: it spends on its card's credit (invoiced monthly), so that its numbers can
            // send messages and place calls however much the demo's history cost.
            json!({"status": "active", "login": LOGIN, "password": PASSWORD, "name": "Demo Co", "company_name": "Demo Co",
                   "payment_type": "postpay",
                   "owner_email": "owner@demo.example", "billing_email": "billing@demo.example",
                   "address1": "4300 E Pacific Coast Hwy", "city": "Long Beach", "state": "CA", "zip": "90804",
                   "country_code": "USA", "attributes": {"source": "demo data"}}),
        )
        .await?;
    let partner_sid = sid(&partner, "partner_sid")?;
    api.post(
        &format!("/partners/{partner_sid}/billing_method"),
        Demo,
        json!({"type": "visa", "cc_number": "4012888818888", "cc_expiration": "122030", "cc_cid": "318",
               "first_name": "Dana", "last_name": "Demo", "address1": "4300 E Pacific Coast Hwy",
               "city": "Long Beach", "state": "CA", "zip": "90804", "country_code": "USA", "phone": "15625550100"}),
    )
    .await?;

    let pbx = api
        .post(
            "/endpoints",
            Demo,
            json!({"name": "Office PBX", "type": "third_party",
                   "addresses": [{"ip": "203.0.113.10", "port": 5060, "transport": "udp"}]}),
        )
        .await?;
    let bridge = api.post("/endpoints", Demo, json!({"name": "Team bridge", "type": "conference"})).await?;
    let rule = api
        .post(
            "/accesscontrol/rules",
            Demo,
            json!({"name": "Premium-rate destinations", "field": "to", "quantifier": "any",
                   "entries": ["1900", "1976"], "operation": "prefix"}),
        )
        .await?;
    let group = api
        .post(
            "/trunk_groups",
            Demo,
            json!({"name": "Office", "trunks": [{"name": "Office PBX", "endpoint_sid": pbx["endpoint_sid"]}],
                   "acls": [{"access_control_rules": [rule["rule_sid"]], "direction": "outbound",
                             "voice_action_true": "reject403"}]}),
        )
        .await?;
    let tg = sid(&group, "trunk_group_sid")?;
    // Calls to the West coast number join the team's conference bridge.
    let bridge_group = api
        .post(
            "/trunk_groups",
            Demo,
            json!({"name": "Team bridge", "trunks": [{"name": "Bridge", "endpoint_sid": bridge["endpoint_sid"]}]}),
        )
        .await?;
    let bridge_tg = sid(&bridge_group, "trunk_group_sid")?;
    let sales = api.post("/phonenumber/did_groups", Demo, json!({"name": "Sales lines"})).await?;

    // Numbers: a main line, two sales lines, one in California.
    let mut rented = Vec::new();
    for (filter, body) in [
        ("state+eq+NY", json!({"name": "Main line", "trunk_group_sid": tg})),
        ("state+eq+NY", json!({"name": "Sales 1", "trunk_group_sid": tg, "did_group_sid": sales["did_group_sid"]})),
        ("state+eq+NY", json!({"name": "Sales 2", "trunk_group_sid": tg, "did_group_sid": sales["did_group_sid"]})),
        ("state+eq+CA", json!({"name": "West coast", "trunk_group_sid": bridge_tg})),
    ] {
        let did = api.post(&format!("/phonenumber/dids?filter={filter}"), Demo, body).await?;
        rented.push(sid(&did, "phonenumber")?);
    }
    // A short code (support makes them: the admin route), in the sales lines' group.
    api.post(
        "/admin/phonenumber/short_codes",
        Root,
        json!({"partner_sid": partner_sid, "short_code": "26399", "name": "Alerts", "state": "NY",
               "did_group_sid": sales["did_group_sid"]}),
    )
    .await?;
    api.post("/phonenumber/prefixes", Demo, json!({"prefix": "1516206", "name": "Long Island", "trunk_group_sid": tg}))
        .await?;

    // Batch: two more numbers rented by a task (the worker runs it), and a task moving the sales
    // lines off the trunk group, waiting for review.
    api.post(
        "/batch/tasks",
        Demo,
        json!({"method": "POST", "type": "phonenumber",
               "data": [{"name": "Support 1", "trunk_group_sid": tg}, {"name": "Support 2", "trunk_group_sid": tg}]}),
    )
    .await?;
    api.post(
        "/batch/tasks",
        Demo,
        json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber",
               "review": true, "entries": [rented[1], rented[2]], "data": {"trunk_group_sid": null}}),
    )
    .await?;

    // A week of calls on the numbers, rated by the demo rate plans.
    let now = chrono::Utc::now();
    let far = ["12125550100", "13125550199", "442079460123", "18005550199", "14155550123"];
    let records: Vec<Value> = (0..60i64)
        .map(|i| {
            let stop = now - chrono::Duration::minutes(i * 167 + 5);
            let secs = (i * 53) % 1200;
            let ours = &rented[(i as usize) % rented.len()];
            let theirs = far[(i as usize) % far.len()];
            let outbound = i % 2 == 0;
            json!({"partner_sid": partner_sid, "type": "telecom", "direction": if outbound { "outbound" } else { "inbound" },
                   "date_start": crate::domain::time::Timestamp(stop - chrono::Duration::seconds(secs)),
                   "date_stop": crate::domain::time::Timestamp(stop), "duration": secs.to_string(),
                   "number_billing": ours, "number_external": theirs,
                   "number_src": if outbound { ours } else { theirs }, "number_dst": if outbound { theirs } else { ours },
                   "sipcause": if secs > 0 { "200" } else { "487" }})
        })
        .collect();
    let (earlier, later) = records.split_at(40);
    api.post("/admin/calls/call_drs", Root, json!(earlier)).await?;
    // The period so far is invoiced (paid by the card on file); later calls land on the open one.
    api.call(Method::POST, &format!("/admin/partners/{partner_sid}/close_billing_period"), Root, None).await?;
    api.post("/admin/calls/call_drs", Root, json!(later)).await?;
    messaging(api, &partner_sid, &rented[0]).await?;
    // Two calls offered to the simulated network: one to the main line (the office PBX answers),
    // one to the West coast number (the conference bridge: a conference record, a callback).
    for (to, from, duration) in [(&rented[0], "12125550100", 45), (&rented[3], "14155550123", 300)] {
        api.post("/admin/simulator/calls", Root, json!({"from": from, "to": to, "duration": duration})).await?;
    }
    // Storage: a container for the voicemail greetings, with one (published: GET /f/<file_sid>).
    let container = api.post("/storage/containers", Demo, json!({"name": "Greetings"})).await?;
    let greeting = "Hello, you have reached Demo Co. Please leave a message after the tone.";
    api.send(
        Method::POST,
        &format!("/storage/files?container_sid={}&name=greeting.txt", sid(&container, "container_sid")?),
        Demo,
        Some(("application/octet-stream", greeting.as_bytes().to_vec())),
    )
    .await?;
    // Push: an Android application with a registered device.
    let app = api
        .post(
            "/push/applications",
            Demo,
            json!({"name": "Demo Co app", "google_credentials": "ZGVtby1jcmVkZW50aWFscw=="}),
        )
        .await?;
    api.post(
        "/push/devices",
        Demo,
        json!({"application_sid": app["application_sid"], "type": "android", "token": "demo-device-token",
               "application_version": "1.0", "os_version": "14"}),
    )
    .await?;
    // A short link: http://localhost:<port>/demo redirects to CarrierX's site.
    let domain = api.post("/shortener/domains", Demo, json!({"domain_name": api.short_host})).await?;
    api.post(
        "/shortener/links",
        Demo,
        json!({"domain_sid": domain["domain_sid"], "destination_url": "https://www.carrierx.com", "short_name": "demo"}),
    )
    .await?;
    Ok(())
}

/// Messaging: the demo partner's texts are called back to [`CALLBACK_URL`]; it texts with another
/// tenant of this server (the simulated network delivers both ways once the server runs), and has
/// a week of message history.
async fn messaging(api: &Api, partner_sid: &str, main_line: &str) -> ApiResult<()> {
    use Who::{Demo, Friend, Root};
    api.call(
        Method::PATCH,
        &format!("/partners/{partner_sid}"),
        Demo,
        Some(json!({"callbacks": {"sms": CALLBACK_URL, "app_conference_call": CONFERENCE_CALLBACK_URL}})),
    )
    .await?;
    api.post(
        "/admin/partners",
        Root,
        json!({"status": "active", "login": FRIEND_LOGIN, "password": FRIEND_PASSWORD, "name": "Friendly Co",
               "company_name": "Friendly Co", "attributes": {"source": "demo data"}}),
    )
    .await?;
    let theirs = sid(
        &api.post("/phonenumber/dids?filter=state+eq+CA", Friend, json!({"name": "Friendly line"})).await?,
        "phonenumber",
    )?;
    api.post(
        "/sms/messages",
        Demo,
        json!({"from": main_line, "to": theirs, "message": "Hi! Are we still on for Thursday?", "user_data": "demo"}),
    )
    .await?;
    api.post(
        "/sms/messages",
        Friend,
        json!({"from": theirs, "to": main_line, "message": "Yes, 10am at your office 👍"}),
    )
    .await?;
    let now = chrono::Utc::now();
    let far = ["12125550100", "13125550199", "442079460123", "14155552671"];
    let history: Vec<Value> = (0..24i64)
        .map(|i| {
            let at = crate::domain::time::Timestamp(now - chrono::Duration::minutes(i * 397 + 30));
            let outbound = i % 3 != 0;
            let other = far[(i as usize) % far.len()];
            json!({"partner_sid": partner_sid, "direction": if outbound { "outbound" } else { "inbound" },
                   "number_src": if outbound { main_line } else { other }, "number_dst": if outbound { other } else { main_line },
                   "message": format!("Demo message {}", i + 1), "date_start": at, "date_stop": at})
        })
        .collect();
    api.post("/admin/sms/message_drs", Root, json!(history)).await?;
    Ok(())
}
