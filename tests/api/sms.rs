//! SMS: messages sent and received on the simulated network, their records, callbacks, money.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::receiver::Receiver;
use crate::common::*;

/// The keys of the reference's send sample, in its order.
const MESSAGE_KEYS: &[&str] = &[
    "date_changed",
    "date_created",
    "date_status_changed",
    "direction",
    "from",
    "group_recipients",
    "mcc",
    "media_urls",
    "message",
    "message_segments",
    "message_sid",
    "mnc",
    "partner_sid",
    "price",
    "status",
    "to",
    "type",
    "user_data",
];

/// The keys of the reference's message detail record sample, in its order.
const DR_KEYS: &[&str] = &[
    "a2p_campaign",
    "date_changed",
    "date_insert",
    "date_sent",
    "date_start",
    "date_stop",
    "delay_sent",
    "direction",
    "dr_sid",
    "mcc",
    "mcc_mnc_price",
    "mcc_mnc_rate",
    "media_urls",
    "message",
    "message_segments",
    "mnc",
    "number_billing",
    "number_dst",
    "number_external",
    "number_group_dst",
    "number_src",
    "p2p_nnid",
    "partner_sid",
    "passthrough_price",
    "passthrough_rate",
    "price",
    "provider",
    "rate",
    "registration_type",
    "status",
    "type",
    "user_data",
    "vendor_error_code",
    "version",
];

/// A partner with the sample's sending number (and a second one), every messaging capability.
async fn sender(app: &TestApp, login: &str) -> (Value, Actor) {
    let (p, tok) = app.partner(&root(), login, None).await;
    let tok = bearer(&tok);
    app.rent_numbers(&tok, &["15162065575", "15162065576"], 31).await;
    (p, tok)
}

async fn send(app: &TestApp, who: &Actor, body: Value) -> Value {
    app.post("/core/v2/sms/messages").actor(who.clone()).json(body).ok().await
}

async fn message(app: &TestApp, who: &Actor, sid: &Value) -> Value {
    app.get(&format!("/core/v2/sms/messages/{}", sid.as_str().unwrap())).actor(who.clone()).ok().await
}

/// Waits until the message has the status.
async fn until_status(app: &TestApp, who: &Actor, sid: &Value, status: &str) -> Value {
    eventually(Duration::from_secs(20), &format!("the message is {status}"), || async {
        let m = message(app, who, sid).await;
        (m["status"] == status).then_some(m)
    })
    .await
}

#[tokio::test]
async fn sending_the_reference_sample() {
    let app = TestApp::new().await;
    let (p, tok) = sender(&app, "sms_sample").await;
    let m = send(
        &app,
        &tok,
        json!({"from":"15162065575", "to":"15162065574", "message":"This is a test message", "user_data":"test_message"}),
    )
    .await;
    assert_eq!(keys(&m), MESSAGE_KEYS);
    assert_eq!(m["date_status_changed"], Value::Null);
    assert_eq!(m["direction"], "outbound");
    assert_eq!(m["from"], "15162065575");
    assert_eq!(m["group_recipients"], json!([]));
    assert_eq!(m["mcc"], Value::Null);
    assert_eq!(m["media_urls"], json!([]));
    assert_eq!(m["message"], "This is a test message");
    assert_eq!(m["message_segments"], 1);
    assert_eq!(m["mnc"], Value::Null);
    assert_eq!(m["partner_sid"], p["partner_sid"]);
    assert_eq!(m["price"], Value::Null);
    assert_eq!(m["status"], "queued");
    assert_eq!(m["to"], "15162065574");
    assert_eq!(m["type"], "sms");
    assert_eq!(m["user_data"], "test_message");
    assert_eq!(m["date_changed"], m["date_created"]);
    // Read back, and listed.
    assert_eq!(message(&app, &tok, &m["message_sid"]).await, m);
    let list = app.get("/core/v2/sms/messages").actor(tok.clone()).ok().await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0], m);
}

#[tokio::test]
async fn a_message_is_sent_delivered_recorded_and_charged() {
    let app = TestApp::new().await;
    let (p, tok) = sender(&app, "sms_flow").await;
    let psid = p["partner_sid"].as_str().unwrap();
    let before = app.get(&format!("/core/v2/partners/{psid}")).actor(tok.clone()).ok().await["balance"].clone();
    let _net = app.network();
    // 161 GSM characters: two segments of 153.
    let text = "x".repeat(161);
    let m = send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message": text})).await;
    assert_eq!(m["message_segments"], 2);
    let done = until_status(&app, &tok, &m["message_sid"], "delivered").await;
    assert_eq!(done["price"], "0.02", "two segments at the reference plans' 0.01");
    assert_eq!(done["mcc"], 310);
    assert_eq!(done["mnc"], 999);
    assert!(done["date_status_changed"].is_string());
    // The record: every attribute of the sample, the numbers as the reference defines them.
    let drs = app.get("/core/v2/sms/message_drs").actor(tok.clone()).ok().await;
    assert_eq!(drs["total"], Value::Null);
    assert_eq!(drs["limit"], 1000);
    let dr = &drs["items"][0];
    assert_eq!(keys(dr), DR_KEYS);
    assert_eq!(dr["status"], "delivered");
    assert_eq!(dr["number_billing"], "15162065575");
    assert_eq!(dr["number_external"], "15162065574");
    assert_eq!(dr["number_src"], "15162065575");
    assert_eq!(dr["number_dst"], "15162065574");
    assert_eq!(dr["number_group_dst"], json!([]));
    assert_eq!(dr["rate"], "0.01");
    assert_eq!(dr["price"], "0.02");
    assert_eq!(dr["mcc_mnc_rate"], "0.01");
    assert_eq!(dr["provider"], "carrierx-core");
    assert!(dr["date_sent"].is_string());
    assert!(dr["date_stop"].as_str().unwrap() >= dr["date_sent"].as_str().unwrap());
    assert_eq!(dr["delay_sent"], 0);
    let one =
        app.get(&format!("/core/v2/sms/message_drs/{}", dr["dr_sid"].as_str().unwrap())).actor(tok.clone()).ok().await;
    assert_eq!(&one, dr);
    // Charged: the balance and an invoice line of its own type.
    let after = app.get(&format!("/core/v2/partners/{psid}")).actor(tok.clone()).ok().await["balance"].clone();
    let (b, a): (f64, f64) = (before.as_str().unwrap().parse().unwrap(), after.as_str().unwrap().parse().unwrap());
    assert!((b - a - 0.02).abs() < 1e-9, "{before} - 0.02 = {after}");
    // The invoice line follows within a second (the fold of pending charges).
    let line = eventually(Duration::from_secs(20), "an sms line on the open invoice", || async {
        let inv = app.get("/core/v2/invoices").actor(tok.clone()).ok().await;
        inv["items"][0]["invoice_items"].as_array().unwrap().iter().find(|i| i["type"] == "sms").cloned()
    })
    .await;
    assert_eq!(line["amount"], "0.02");
    assert_eq!(line["direction"], "outbound");
    assert_eq!(line["country_code"], "USA");
}

#[tokio::test]
async fn bad_messages_name_every_bad_field() {
    let app = TestApp::new().await;
    let (_, tok) = sender(&app, "sms_bad").await;
    let r = app.post("/core/v2/sms/messages").actor(tok.clone()).json(json!({})).send().await;
    assert_eq!(r.status, 422);
    let fields: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["from", "to", "message"]);
    let r = app
        .post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(
            json!({"from":"abc", "to":"+1 516", "message":"x".repeat(1601), "media_urls":["ftp://x"], "user_data": 5}),
        )
        .send()
        .await;
    assert_eq!(r.status, 422);
    let mut fields: Vec<&str> =
        r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, vec!["from", "media_urls[0]", "message", "to", "user_data"]);
    // Too many group recipients.
    let group: Vec<String> = (0..10).map(|i| format!("1516206600{i}")).collect();
    app.post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from":"15162065575", "group_recipients": group, "message":"hi"}))
        .send()
        .await
        .assert_error(422, "group_recipients");
    // A number the caller does not rent: 404 naming it (with its legacy name when so sent).
    app.post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from":"15162069999", "to":"15162065574", "message":"hi"}))
        .send()
        .await
        .assert_error(404, "from");
    app.post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from_did":"15162069999", "to_did":"15162065574", "message":"hi"}))
        .send()
        .await
        .assert_error(404, "from_did");
    // Another partner's number is not the caller's.
    let (_, other) = app.partner(&root(), "sms_bad_other", None).await;
    app.post("/core/v2/sms/messages")
        .actor(bearer(&other))
        .json(json!({"from":"15162065575", "to":"15162065574", "message":"hi"}))
        .send()
        .await
        .assert_error(404, "from");
    // A number that cannot send MMS.
    app.rent_numbers(&tok, &["15162065580"], 7).await;
    app.post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from":"15162065580", "to":"15162065574", "media_urls":["https://example.com/a.png"]}))
        .send()
        .await
        .assert_error(422, "from");
    // Nothing was stored.
    let list = app.get("/core/v2/sms/messages").actor(tok.clone()).ok().await;
    assert_eq!(list["total"], 0);
    // Another partner's message and record are not found.
    let m = send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message":"mine"})).await;
    let r = app
        .get(&format!("/core/v2/sms/messages/{}", m["message_sid"].as_str().unwrap()))
        .actor(bearer(&other))
        .send()
        .await;
    assert_eq!(r.status, 404);
    let dr = app.get("/core/v2/sms/message_drs").actor(tok.clone()).ok().await["items"][0]["dr_sid"].clone();
    let r = app.get(&format!("/core/v2/sms/message_drs/{}", dr.as_str().unwrap())).actor(bearer(&other)).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(app.get("/core/v2/sms/message_drs").actor(bearer(&other)).ok().await["count"], 0);
    // Scopes: reading is not sending.
    let reader = app.partner_with(&["sms.read"]).await;
    app.post("/core/v2/sms/messages")
        .actor(reader)
        .json(json!({"from":"15162065575", "to":"15162065574", "message":"hi"}))
        .send()
        .await
        .assert_error(403, "cause");
}

#[tokio::test]
async fn legacy_names_are_answered_with_legacy_names() {
    let app = TestApp::new().await;
    let (_, tok) = sender(&app, "sms_legacy").await;
    let m = send(&app, &tok, json!({"from_did":"15162065575", "to_did":"15162065574", "message":"old style"})).await;
    assert_eq!(m["from_did"], "15162065575");
    assert_eq!(m["to_did"], "15162065574");
    assert!(m.get("from").is_none() && m.get("to").is_none());
}

#[tokio::test]
async fn an_mms_is_one_segment_and_a_group_is_charged_per_recipient() {
    let app = TestApp::new().await;
    let (_, tok) = sender(&app, "sms_mms").await;
    let _net = app.network();
    let m = send(
        &app,
        &tok,
        json!({"from":"15162065575", "group_recipients":["17207217011", "17207210038", "17575000929"],
               "media_urls":["https://example.com/cat.png"], "message":"x".repeat(500)}),
    )
    .await;
    assert_eq!(m["type"], "mms");
    assert_eq!(m["message_segments"], 1);
    assert_eq!(m["to"], "17207217011");
    let done = until_status(&app, &tok, &m["message_sid"], "delivered").await;
    assert_eq!(done["price"], "0.21", "three copies at the reference plans' 0.07");
    let dr = &app.get("/core/v2/sms/message_drs").actor(tok.clone()).ok().await["items"][0];
    assert_eq!(dr["number_group_dst"], json!(["17207217011", "17207210038", "17575000929"]));
    assert_eq!(dr["type"], "mms");
    assert_eq!(dr["rate"], "0.07");
}

#[tokio::test]
async fn two_tenants_text_each_other_and_each_is_called_back() {
    let app = TestApp::new().await;
    let rx = Receiver::start().await;
    let (a, a_tok) = app.partner(&root(), "sms_alice", None).await;
    let (b, b_tok) = app.partner(&root(), "sms_bob", None).await;
    let (a_tok, b_tok) = (bearer(&a_tok), bearer(&b_tok));
    app.rent_numbers(&a_tok, &["15162065575"], 31).await;
    app.rent_numbers(&b_tok, &["15162065574"], 31).await;
    for (p, tok, path) in [(&a, &a_tok, "/alice"), (&b, &b_tok, "/bob")] {
        app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
            .actor(tok.clone())
            .json(json!({"callbacks": {"sms": rx.url(path)}}))
            .ok()
            .await;
    }
    let _net = app.network();
    let m = send(&app, &a_tok, json!({"from":"15162065575", "to":"15162065574", "message":"hello bob"})).await;
    until_status(&app, &a_tok, &m["message_sid"], "delivered").await;
    // Bob received it: an inbound message of his, priced from his inbound plan.
    let got = eventually(Duration::from_secs(20), "bob has the message", || async {
        let l = app.get("/core/v2/sms/messages").actor(b_tok.clone()).ok().await;
        (l["count"] == 1).then(|| l["items"][0].clone())
    })
    .await;
    assert_eq!(got["direction"], "inbound");
    assert_eq!(got["status"], "received");
    assert_eq!(got["from"], "15162065575");
    assert_eq!(got["to"], "15162065574");
    assert_eq!(got["message"], "hello bob");
    assert_eq!(got["price"], "0.005");
    // Alice hears queued, sent, delivered; Bob hears received: JSON bodies of the records.
    let all = rx.wait_for(4).await;
    let alice: Vec<&str> =
        all.iter().filter(|r| r.path == "/alice").map(|r| r.body["status"].as_str().unwrap()).collect();
    let mut sorted = alice.clone();
    sorted.sort();
    assert_eq!(sorted, vec!["delivered", "queued", "sent"]);
    let bob: Vec<_> = all.iter().filter(|r| r.path == "/bob").collect();
    assert_eq!(bob.len(), 1);
    assert_eq!(bob[0].body["direction"], "inbound");
    assert_eq!(bob[0].body["from"], "15162065575");
    assert_eq!(bob[0].body["to"], "15162065574");
    assert_eq!(bob[0].body["message"], "hello bob");
    assert_eq!(bob[0].body["message_sid"], got["message_sid"]);
    assert!(all.iter().all(|r| r.content_type.as_deref() == Some("application/json")));
    // The record of every callback, with its attempt.
    let cbs = eventually(Duration::from_secs(20), "four callbacks recorded delivered", || async {
        let l = app.get("/core/v2/admin/simulator/callbacks?filter=status+eq+delivered").actor(root()).ok().await;
        (l["total"] == 4).then_some(l)
    })
    .await;
    let cb = &cbs["items"][0];
    let one = app
        .get(&format!("/core/v2/admin/simulator/callbacks/{}", cb["callback_sid"].as_str().unwrap()))
        .actor(root())
        .ok()
        .await;
    assert_eq!(&one, cb);
    assert_eq!(cb["attempts"], 1);
    assert_eq!(cb["response_status"], 200);
    assert_eq!(cb["attempt_log"][0]["response_status"], 200);
    assert_eq!(cb["event"], "sms");
}

#[tokio::test]
async fn the_callback_url_is_the_numbers_then_its_groups_then_the_partners() {
    let app = TestApp::new().await;
    let rx = Receiver::start().await;
    let (p, tok) = sender(&app, "sms_precedence").await;
    let psid = p["partner_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/partners/{psid}"))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": rx.url("/partner")}}))
        .ok()
        .await;
    let group = app
        .post("/core/v2/phonenumber/did_groups")
        .actor(tok.clone())
        .json(json!({"name":"g", "callback_url": rx.url("/group")}))
        .ok()
        .await;
    let dids = app.rent_numbers(&tok, &["15162065581", "15162065582"], 31).await;
    // 581: in the group, and its own URL; 582: in the group only; 575: neither.
    for (d, url) in [(&dids[0], Some(rx.url("/number"))), (&dids[1], None)] {
        app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
            .actor(tok.clone())
            .json(json!({"did_group_sid": group["did_group_sid"], "callback_url": url}))
            .ok()
            .await;
    }
    for (from, to) in [("15162065581", "14155550001"), ("15162065582", "14155550002"), ("15162065575", "14155550003")] {
        app.post("/core/v2/admin/simulator/sms")
            .actor(root())
            .json(json!({"from": to, "to": from, "message": "hi"}))
            .ok()
            .await;
    }
    let _net = app.network();
    let got = rx.wait_for(3).await;
    let by_to = |n: &str| got.iter().find(|r| r.body["to"] == n).map(|r| r.path.clone()).unwrap();
    assert_eq!(by_to("15162065581"), "/number");
    assert_eq!(by_to("15162065582"), "/group");
    assert_eq!(by_to("15162065575"), "/partner");
}

#[tokio::test]
async fn callbacks_are_retried_after_errors_with_every_attempt_recorded() {
    let app = TestApp::new().await;
    let rx = Receiver::answering(&[500, 503]).await;
    let (_, tok) = sender(&app, "sms_retry").await;
    let did = &app.get("/core/v2/phonenumber/dids?filter=phonenumber+eq+15162065575").actor(tok.clone()).ok().await
        ["items"][0];
    app.patch(&format!("/core/v2/phonenumber/dids/{}", did["did_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callback_url": rx.url("/cb")}))
        .ok()
        .await;
    app.post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from":"14155550100", "to":"15162065575", "message":"retry me"}))
        .ok()
        .await;
    let _net = app.network();
    let cb = eventually(Duration::from_secs(20), "the callback is delivered", || async {
        let l = app.get("/core/v2/admin/simulator/callbacks").actor(root()).ok().await;
        (l["items"][0]["status"] == "delivered").then(|| l["items"][0].clone())
    })
    .await;
    assert_eq!(cb["attempts"], 3);
    let statuses: Vec<&Value> = cb["attempt_log"].as_array().unwrap().iter().map(|a| &a["response_status"]).collect();
    assert_eq!(statuses, vec![&json!(500), &json!(503), &json!(200)]);
    assert_eq!(rx.received().len(), 3);
    assert!(rx.received().iter().all(|r| r.body["message"] == "retry me"));
}

#[tokio::test]
async fn a_receiver_that_is_down_fails_its_callbacks_without_holding_back_others() {
    let app = TestApp::with_config(|c| c.callback_max_attempts = 3).await;
    let good = Receiver::start().await;
    let dead_port = free_port();
    let (_, tok) = sender(&app, "sms_down").await;
    let dids = app.get("/core/v2/phonenumber/dids?order=phonenumber").actor(tok.clone()).ok().await;
    for (d, url) in
        dids["items"].as_array().unwrap().iter().zip([format!("http://127.0.0.1:{dead_port}/x"), good.url("/ok")])
    {
        app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
            .actor(tok.clone())
            .json(json!({"callback_url": url}))
            .ok()
            .await;
    }
    for to in ["15162065575", "15162065576"] {
        app.post("/core/v2/admin/simulator/sms")
            .actor(root())
            .json(json!({"from":"14155550100", "to": to, "message":"m"}))
            .ok()
            .await;
    }
    let _net = app.network();
    good.wait_for(1).await;
    let failed = eventually(Duration::from_secs(20), "the dead receiver's callback fails", || async {
        let l = app.get("/core/v2/admin/simulator/callbacks?filter=status+eq+failed").actor(root()).ok().await;
        (l["count"] == 1).then(|| l["items"][0].clone())
    })
    .await;
    assert_eq!(failed["attempts"], 3);
    assert_eq!(failed["response_status"], Value::Null);
    assert!(failed["error"].as_str().unwrap().len() > 3, "{failed}");
    assert_eq!(failed["next_attempt_at"], Value::Null);
    assert_eq!(failed["attempt_log"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_callback_url_pointing_at_this_server_is_refused() {
    let app = TestApp::with_config(|c| c.bind = "127.0.0.1:8080".into()).await;
    let (p, tok) = sender(&app, "sms_self").await;
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": "http://localhost:8080/core/v2/partners"}}))
        .send()
        .await
        .assert_error(422, "callbacks.sms");
    let did = &app.get("/core/v2/phonenumber/dids").actor(tok.clone()).ok().await["items"][0];
    app.patch(&format!("/core/v2/phonenumber/dids/{}", did["did_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callback_url": "http://127.0.0.1:8080/x"}))
        .send()
        .await
        .assert_error(422, "callback_url");
    app.post("/core/v2/phonenumber/did_groups")
        .actor(tok.clone())
        .json(json!({"callback_url": "ftp://example.com/"}))
        .send()
        .await
        .assert_error(422, "callback_url");
    // Loopback elsewhere and private addresses are a developer's application: allowed.
    app.patch(&format!("/core/v2/phonenumber/dids/{}", did["did_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callback_url": "http://127.0.0.1:9999/x"}))
        .ok()
        .await;
}

#[tokio::test]
async fn acls_reject_messages_both_ways_uncharged_and_unannounced() {
    let app = TestApp::new().await;
    let rx = Receiver::start().await;
    let (p, tok) = sender(&app, "sms_acl").await;
    let psid = p["partner_sid"].as_str().unwrap();
    let rule = app
        .post("/core/v2/accesscontrol/rules")
        .actor(tok.clone())
        .json(json!({"field":"message", "operation":"regexp", "quantifier":"any", "entries":["(?i)spam"], "name":"no spam"}))
        .ok()
        .await;
    app.patch(&format!("/core/v2/partners/{psid}"))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": rx.url("/")}, "acls": [{"access_control_rules": [rule["rule_sid"]],
                     "direction": "any", "sms_action_true": "reject"}]}))
        .ok()
        .await;
    let before = app.get(&format!("/core/v2/partners/{psid}")).actor(tok.clone()).ok().await["balance"].clone();
    let out = send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message":"Buy SPAM now"})).await;
    assert_eq!(out["status"], "rejected");
    assert_eq!(out["price"], Value::Null);
    let inbound = app
        .post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from":"14155550100", "to":"15162065575", "message":"more spam"}))
        .ok()
        .await;
    assert_eq!(inbound["status"], "rejected");
    assert_eq!(inbound["direction"], "inbound");
    // A message the ACLs accept goes through and is called back; the rejected ones never were.
    let _net = app.network();
    let ok = send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message":"hello"})).await;
    until_status(&app, &tok, &ok["message_sid"], "delivered").await;
    let got = rx.wait_for(3).await;
    assert!(got.iter().all(|r| r.body["message_sid"] == ok["message_sid"]), "only the accepted message calls back");
    let after = app.get(&format!("/core/v2/partners/{psid}")).actor(tok.clone()).ok().await["balance"].clone();
    let (b, a): (f64, f64) = (before.as_str().unwrap().parse().unwrap(), after.as_str().unwrap().parse().unwrap());
    assert!((b - a - 0.01).abs() < 1e-9, "only the accepted message is charged: {before} -> {after}");
}

#[tokio::test]
async fn unreachable_numbers_fail_their_messages() {
    let app = TestApp::new().await;
    let (_, tok) = sender(&app, "sms_unreachable").await;
    let _net = app.network();
    let m = send(&app, &tok, json!({"from":"15162065575", "to":"12125550123", "message":"anyone?"})).await;
    let done = until_status(&app, &tok, &m["message_sid"], "failed").await;
    assert!(done["date_status_changed"].is_string());
    let dr = &app.get("/core/v2/sms/message_drs").actor(tok.clone()).ok().await["items"][0];
    assert_eq!(dr["status"], "failed");
    assert_eq!(dr["vendor_error_code"], "unreachable");
}

#[tokio::test]
async fn the_outside_world_texts_a_rented_number() {
    let app = TestApp::new().await;
    let (p, tok) = sender(&app, "sms_inbound").await;
    let m = app
        .post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from_did":"447700900123", "to_did":"15162065575", "message":"hi from london"}))
        .ok()
        .await;
    assert_eq!(keys(&m), MESSAGE_KEYS);
    assert_eq!(m["direction"], "inbound");
    assert_eq!(m["status"], "received");
    assert_eq!(m["partner_sid"], p["partner_sid"]);
    assert_eq!(m["mcc"], 234);
    assert_eq!(message(&app, &tok, &m["message_sid"]).await, m);
    let dr = &app.get("/core/v2/sms/message_drs").actor(tok.clone()).ok().await["items"][0];
    assert_eq!(dr["number_billing"], "15162065575");
    assert_eq!(dr["number_external"], "447700900123");
    // A number nobody rents is a 404 naming it; bad input names every field; admins only.
    app.post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from":"447700900123", "to":"15160000000", "message":"hi"}))
        .send()
        .await
        .assert_error(404, "to");
    let r = app.post("/core/v2/admin/simulator/sms").actor(root()).json(json!({"to": 5})).send().await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["errors"].as_array().unwrap().len(), 3, "{}", r.json);
    app.post("/core/v2/admin/simulator/sms")
        .actor(tok.clone())
        .json(json!({"from":"447700900123", "to":"15162065575", "message":"hi"}))
        .send()
        .await
        .assert_error(403, "cause");
}

#[tokio::test]
async fn a_prepaid_balance_is_never_overdrawn_by_concurrent_sends() {
    let app = TestApp::new().await;
    let (p, tok) = sender(&app, "sms_prepay").await;
    let psid = p["partner_sid"].as_str().unwrap();
    // Covers exactly 50 messages at 0.01.
    app.set_balance(psid, "0.5", "prepay").await;
    let sends = (0..100).map(|i| {
        let (app, tok) = (&app, tok.clone());
        async move {
            app.post("/core/v2/sms/messages")
                .actor(tok)
                .json(json!({"from":"15162065575", "to":"15162065574", "message": format!("n{i}")}))
                .send()
                .await
        }
    });
    let results = futures_util::future::join_all(sends).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    let refused: Vec<_> = results.iter().filter(|r| r.status != 200).collect();
    assert_eq!(ok, 50);
    assert!(
        refused.iter().all(|r| r.status == 402 && r.json["errors"][0]["field"] == "balance"),
        "{:?}",
        refused[0].json
    );
    let partner = app.get(&format!("/core/v2/partners/{psid}")).actor(tok.clone()).ok().await;
    assert_eq!(partner["balance"], "0");
    let list = app.get("/core/v2/sms/messages").actor(tok.clone()).ok().await;
    assert_eq!(list["total"], 50, "nothing stored for a refused send");
}

#[tokio::test]
async fn the_daily_spending_limit_stops_sending() {
    let app = TestApp::new().await;
    let (p, tok) = sender(&app, "sms_daily").await;
    let psid = p["partner_sid"].as_str().unwrap();
    app.patch(&format!("/admin/partners/{psid}").replace("/admin", "/core/v2/admin"))
        .actor(root())
        .json(json!({"daily_spending_limit": "0.02"}))
        .ok()
        .await;
    for i in 0..2 {
        send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message": format!("{i}")})).await;
    }
    app.post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from":"15162065575", "to":"15162065574", "message":"one too many"}))
        .send()
        .await
        .assert_error(402, "daily_spending_limit");
}

#[tokio::test]
async fn message_records_page_by_keyset_like_call_records() {
    let app = TestApp::new().await;
    let (_, tok) = sender(&app, "sms_pages").await;
    for i in 0..5 {
        send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message": format!("m{i}")})).await;
    }
    let first = app.get("/core/v2/sms/message_drs?limit=2").actor(tok.clone()).ok().await;
    assert_eq!(first["count"], 2);
    assert_eq!(first["total"], Value::Null);
    let mut seen: Vec<Value> = first["items"].as_array().unwrap().iter().map(|i| i["dr_sid"].clone()).collect();
    let mut next = first["pagination"]["next"].as_str().map(str::to_owned);
    while let Some(url) = next {
        let path = url.split_once("/core/v2").map(|(_, p)| format!("/core/v2{p}")).unwrap();
        assert!(path.contains("after="), "{path}");
        let page = app.get(&path).actor(tok.clone()).ok().await;
        seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["dr_sid"].clone()));
        if let Some(prev) = page["pagination"]["previous"].as_str() {
            assert!(prev.contains("before=") && prev.contains("offset=0"), "{prev}");
        }
        next = page["pagination"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5);
    let mut unique = seen.clone();
    unique.dedup();
    assert_eq!(unique.len(), 5);
    // A parent reads its children's records with sms.read_descendant only.
    let (child, child_tok) = app.partner(&tok, "sms_pages_child", None).await;
    let child_tok = bearer(&child_tok);
    app.rent_numbers(&child_tok, &["15162065590"], 31).await;
    send(&app, &child_tok, json!({"from":"15162065590", "to":"15162065574", "message":"child"})).await;
    let parent_sid =
        app.get("/core/v2/oauth/whoami").actor(tok.clone()).ok().await["partner_sid"].as_str().unwrap().to_owned();
    let own_only = bearer(&app.token_for(&root(), &parent_sid, Some("sms.read")).await);
    let own = app.get("/core/v2/sms/message_drs").actor(own_only.clone()).ok().await;
    assert_eq!(own["count"], 5);
    let reader = app.token_for(&root(), &parent_sid, Some("sms.read sms.read_descendant")).await;
    let tree = app.get("/core/v2/sms/message_drs").actor(bearer(&reader)).ok().await;
    assert_eq!(tree["count"], 6);
    let child_dr = tree["items"].as_array().unwrap().iter().find(|d| d["partner_sid"] == child["partner_sid"]).unwrap();
    let path = format!("/core/v2/sms/message_drs/{}", child_dr["dr_sid"].as_str().unwrap());
    app.get(&path).actor(bearer(&reader)).ok().await;
    let r = app.get(&path).actor(own_only).send().await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn two_instances_deliver_each_callback_once() {
    let app = TestApp::new().await;
    let other = app.another_instance().await;
    let rx = Receiver::start().await;
    let (p, tok) = sender(&app, "sms_two").await;
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": rx.url("/")}}))
        .ok()
        .await;
    for i in 0..40 {
        app.post("/core/v2/admin/simulator/sms")
            .actor(root())
            .json(json!({"from":"14155550100", "to":"15162065575", "message": format!("n{i}")}))
            .ok()
            .await;
    }
    let (_a, _b) = (app.network(), other.network());
    for i in 0..20 {
        send(&app, &tok, json!({"from":"15162065575", "to":"14155550100", "message": format!("o{i}")})).await;
    }
    // 40 received + 20 × (queued, sent, delivered).
    let got = rx.wait_for(100).await;
    eventually(Duration::from_secs(20), "every callback recorded delivered", || async {
        let l =
            app.get("/core/v2/admin/simulator/callbacks?filter=status+eq+delivered&limit=1").actor(root()).ok().await;
        l["total"] == 100
    })
    .await;
    let mut keys: Vec<String> = got.iter().map(|r| format!("{}:{}", r.body["message_sid"], r.body["status"])).collect();
    keys.sort();
    let n = keys.len();
    keys.dedup();
    assert_eq!(keys.len(), n, "no callback was delivered twice");
    assert_eq!(n, 100);
}

#[tokio::test]
async fn pending_callbacks_survive_a_restart() {
    let app = TestApp::with_config(|c| c.callback_max_attempts = 1000).await;
    let (p, tok) = sender(&app, "sms_restart").await;
    let port = free_port();
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": format!("http://127.0.0.1:{port}/cb")}}))
        .ok()
        .await;
    app.post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from":"14155550100", "to":"15162065575", "message":"while you were out"}))
        .ok()
        .await;
    // The receiver is down while this instance runs: attempts fail and stay pending.
    {
        let _net = app.network();
        eventually(Duration::from_secs(20), "an attempt failed", || async {
            let l = app.get("/core/v2/admin/simulator/callbacks").actor(root()).ok().await;
            l["items"][0]["attempts"].as_i64().unwrap_or(0) >= 1
        })
        .await;
    }
    // Another instance (a restart) with the receiver up delivers it.
    let restarted = app.another_instance().await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let rx_inner = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Value>::new()));
    let store = rx_inner.clone();
    let server = tokio::spawn(async move {
        let app = axum::Router::new().fallback(move |body: axum::body::Bytes| {
            let store = store.clone();
            async move {
                store.lock().unwrap().push(serde_json::from_slice::<Value>(&body).unwrap());
                "ok"
            }
        });
        axum::serve(listener, app).await.unwrap();
    });
    let _net = restarted.network();
    eventually(Duration::from_secs(20), "the pending callback is delivered", || async {
        !rx_inner.lock().unwrap().is_empty()
    })
    .await;
    assert_eq!(rx_inner.lock().unwrap()[0]["message"], "while you were out");
    server.abort();
}

/// The reference's message detail record sample ([MDR-SID]).
fn dr_sample() -> Value {
    json!({
      "a2p_campaign": null,
      "date_changed": "2025-04-14T10:32:18.175Z",
      "date_insert": "2025-04-14T10:32:17.279Z",
      "date_sent": "2025-04-14T10:32:17.997Z",
      "date_start": "2025-04-14T10:32:17.279Z",
      "date_stop": "2025-04-14T10:32:00.000Z",
      "delay_sent": 0,
      "direction": "outbound",
      "dr_sid": "92cd9154-2f53-4e62-8b4e-8ff6e4849d16",
      "mcc": 310,
      "mcc_mnc_price": "0.015",
      "mcc_mnc_rate": "0.005",
      "media_urls": ["https://storage.carrierx.com/f/cdac0471-f144-42a2-94f8-d9838ce5e4b9"],
      "message": null,
      "message_segments": 1,
      "mnc": 999,
      "number_billing": "12078152557",
      "number_dst": "17575000929",
      "number_external": "17575000929",
      "number_group_dst": ["17207217011", "17207210038", "17575000929"],
      "number_src": "12078152557",
      "p2p_nnid": null,
      "partner_sid": "8d180104-0b34-4e55-907f-4a72409484c9",
      "passthrough_price": null,
      "passthrough_rate": null,
      "price": "0.015",
      "provider": "tsg",
      "rate": "0.005",
      "registration_type": null,
      "status": "sent",
      "type": "mms",
      "user_data": "test_message",
      "vendor_error_code": "503",
      "version": null
    })
}

#[tokio::test]
async fn the_reference_record_sample_is_ingested_and_read_back_as_it_was() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "mdr_sample", None).await;
    let mut sample = dr_sample();
    sample["partner_sid"] = p["partner_sid"].clone();
    let saved = app.post("/core/v2/admin/sms/message_drs").actor(root()).json(sample.clone()).ok().await;
    assert_eq!(saved, sample);
    let one = app.get("/core/v2/sms/message_drs/92cd9154-2f53-4e62-8b4e-8ff6e4849d16").actor(bearer(&tok)).ok().await;
    assert_eq!(one, sample);
    // The reference's keyset sample: after= a record, total null, previous with before= and offset=0.
    let page = app
        .get("/core/v2/sms/message_drs?after=b6d574ea-b11f-41fd-a25f-602e7b28807f&limit=1")
        .actor(bearer(&tok))
        .send()
        .await;
    assert_eq!(page.status, 200, "an unknown cursor pages from nowhere: {}", page.json);
    let r = app
        .get("/core/v2/sms/message_drs?filter=date_stop+ge+2025-04-01&order=date_stop&limit=1")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(r["items"][0], sample);
    assert_eq!(r["total"], Value::Null);
    // Again: a conflict naming the record; nothing half-stored.
    let r = app.post("/core/v2/admin/sms/message_drs").actor(root()).json(json!([sample])).send().await;
    r.assert_error(409, "dr_sid");
    assert_eq!(r.json["errors"][0]["reference_sid"], sample["dr_sid"]);
}

#[tokio::test]
async fn ingested_records_are_rated_from_the_partners_plan_and_bad_ones_named() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "mdr_rated", None).await;
    let psid = p["partner_sid"].as_str().unwrap();
    let saved = app
        .post("/core/v2/admin/sms/message_drs")
        .actor(root())
        .json(json!([
            {"partner_sid": psid, "direction": "outbound", "number_src": "15162065575", "number_dst": "15162065574",
             "message": "y".repeat(200), "date_stop": "2025-01-02T03:04:05Z"},
            {"partner_sid": psid, "direction": "inbound", "number_src": "15162065574", "number_dst": "15162065575",
             "message": "hi"}
        ]))
        .ok()
        .await;
    assert_eq!(saved[0]["message_segments"], 2);
    assert_eq!(saved[0]["rate"], "0.01");
    assert_eq!(saved[0]["price"], "0.02");
    assert_eq!(saved[0]["status"], "delivered");
    assert_eq!(saved[0]["number_billing"], "15162065575");
    assert_eq!(saved[1]["price"], "0.005");
    assert_eq!(saved[1]["status"], "received");
    assert_eq!(saved[1]["number_external"], "15162065574");
    let inv = app.get("/core/v2/invoices").actor(bearer(&tok)).ok().await;
    let lines = inv["items"][0]["invoice_items"].as_array().unwrap().clone();
    assert!(
        lines.iter().any(|l| l["type"] == "sms" && l["direction"] == "outbound" && l["amount"] == "0.02"),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l["type"] == "sms" && l["direction"] == "inbound" && l["amount"] == "0.005"),
        "{lines:?}"
    );
    let r = app
        .post("/core/v2/admin/sms/message_drs")
        .actor(root())
        .json(json!([{"partner_sid": "nope", "number_src": "x"}, {"partner_sid": psid, "direction": "sideways",
                      "number_src": "1", "number_dst": "15162065574", "type": "fax", "date_stop": "yesterday"}]))
        .send()
        .await;
    assert_eq!(r.status, 422);
    let mut fields: Vec<&str> =
        r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(
        fields,
        vec![
            "[0].direction",
            "[0].number_dst",
            "[0].number_src",
            "[0].partner_sid",
            "[1].date_stop",
            "[1].direction",
            "[1].number_src",
            "[1].type"
        ]
    );
    let drs = app.get("/core/v2/sms/message_drs").actor(bearer(&tok)).ok().await;
    assert_eq!(drs["count"], 2, "the refused batch stored nothing");
}

#[tokio::test]
async fn a_slow_receiver_holds_back_only_its_own_callbacks() {
    let app = TestApp::with_config(|c| {
        c.callback_timeout_ms = 1500;
        c.callback_max_attempts = 1;
    })
    .await;
    // Accepts connections and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = silent.accept().await {
            open.push(s);
        }
    });
    let good = Receiver::start().await;
    let (_, tok) = sender(&app, "sms_slow").await;
    let dids = app.get("/core/v2/phonenumber/dids?order=phonenumber").actor(tok.clone()).ok().await;
    for (d, url) in
        dids["items"].as_array().unwrap().iter().zip([format!("http://127.0.0.1:{silent_port}/x"), good.url("/ok")])
    {
        app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
            .actor(tok.clone())
            .json(json!({"callback_url": url}))
            .ok()
            .await;
    }
    let _net = app.network();
    // Twenty callbacks for the silent receiver first, then one for the good one.
    for i in 0..20 {
        app.post("/core/v2/admin/simulator/sms")
            .actor(root())
            .json(json!({"from":"14155550100", "to":"15162065575", "message": format!("s{i}")}))
            .ok()
            .await;
    }
    app.post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from":"14155550100", "to":"15162065576", "message":"ok"}))
        .ok()
        .await;
    // The good receiver has its callback while the silent one's attempts are still waiting.
    let got = good.wait_for(1).await;
    assert_eq!(got[0].body["message"], "ok");
    let pending = app.get("/core/v2/admin/simulator/callbacks?filter=status+eq+pending").actor(root()).ok().await;
    assert!(pending["total"].as_i64().unwrap() > 0, "the silent receiver's callbacks are still in flight");
    // Sending is not held back either.
    send(&app, &tok, json!({"from":"15162065576", "to":"15162065574", "message":"still sending"})).await;
    // Each silent attempt ends at the timeout, recorded.
    let failed = eventually(Duration::from_secs(30), "the silent receiver's callbacks time out", || async {
        let l = app.get("/core/v2/admin/simulator/callbacks?filter=status+eq+failed&limit=1").actor(root()).ok().await;
        (l["total"] == 20).then(|| l["items"][0].clone())
    })
    .await;
    assert!(failed["error"].as_str().unwrap().contains("no answer within 1500 ms"), "{failed}");
    held.abort();
}

#[tokio::test]
async fn a_callback_carries_the_record_with_the_message_sid_and_numbers() {
    let app = TestApp::new().await;
    let rx = Receiver::start().await;
    let (p, tok) = sender(&app, "sms_body").await;
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": rx.url("/cb")}}))
        .ok()
        .await;
    let _net = app.network();
    let m = send(&app, &tok, json!({"from":"15162065575", "to":"15162065574", "message":"body"})).await;
    let got = rx.wait_for(3).await;
    let delivered = got.iter().find(|r| r.body["status"] == "delivered").expect("the delivered callback");
    let mut expected: Vec<String> = DR_KEYS.iter().map(|k| k.to_string()).collect();
    expected.extend(["from", "message_sid", "to"].map(String::from));
    assert_eq!(keys(&delivered.body), expected, "the record's keys in its order, then the message's");
    assert_eq!(delivered.body["message_sid"], m["message_sid"]);
    assert_eq!(delivered.body["from"], "15162065575");
    assert_eq!(delivered.body["to"], "15162065574");
    assert_eq!(delivered.body["price"], "0.01");
    let record = app.get("/core/v2/sms/message_drs").actor(tok.clone()).ok().await["items"][0].clone();
    assert_eq!(delivered.body["dr_sid"], record["dr_sid"]);
}

/// Spending is not a change of credentials: a partner sending with HTTP Basic has its password
/// checked once (argon2), not once per message charged. Counted at the real server's `/metrics`.
#[tokio::test]
async fn sending_with_basic_credentials_checks_the_password_once() {
    use base64::Engine;
    let app = TestApp::new().await;
    let (_, tok) = sender(&app, "sms_basic").await;
    drop(tok);
    let server = Server::start(&app, &[("CARRIERX_NETWORK_WORKER", "false")]);
    server.ready().await;
    let checks = || server.metric("password_verifications_total");
    let before = checks().await;
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("sms_basic:sms_basic-password"));
    for i in 0..5 {
        let body = format!(r#"{{"from":"15162065575","to":"15162065574","message":"basic {i}"}}"#);
        let (status, answer) =
            send_json_as(server.port, &auth, "POST", "/core/v2/sms/messages", &body).await.expect("an answer");
        assert_eq!(status, 200, "{answer}");
    }
    assert_eq!(checks().await - before, 1.0, "one password check for five charged sends");
    server.terminate().await;
}

#[tokio::test]
async fn a_changed_plan_or_number_counts_for_the_next_message_on_every_instance() {
    let app = TestApp::new().await;
    let other = app.another_instance().await;
    let (p, tok) = sender(&app, "sms_replan").await;
    let psid = p["partner_sid"].as_str().unwrap();
    let _net = app.network();
    // A message sent through an instance, once it has left (its price shows then).
    async fn priced_by(via: &TestApp, tok: &Actor, n: &str) -> Value {
        let m = send(via, tok, json!({"from": "15162065575", "to": n, "message": "rated"})).await;
        until_status(via, tok, &m["message_sid"], "delivered").await["price"].clone()
    }
    let priced = |via, n| priced_by(via, &tok, n);
    // The reference plans (0.01 a segment), read once by each instance and kept.
    assert_eq!(priced(&app, "17605692222").await, "0.01");
    assert_eq!(priced(&other, "17605692222").await, "0.01");
    // The partner's own plan: 0.05 for 1760..., 0.03 for any other number.
    let plan = app
        .post("/core/v2/admin/calls/rates_plans")
        .actor(root())
        .json(json!({"name": "sms_own", "items": [{"prefix": "1760", "price": "0.05"}, {"price": "0.03"}]}))
        .ok()
        .await;
    let plan_path = format!("/core/v2/admin/calls/rates_plans/{}", plan["rates_plan_sid"].as_str().unwrap());
    app.post(&format!("{plan_path}/assignments"))
        .actor(root())
        .json(json!({"partner_sid": psid, "direction": "outbound", "type": "sms", "sub_type": "toll"}))
        .ok()
        .await;
    // The instance that assigned it rates with it at once; the other within a second.
    assert_eq!(priced(&app, "17605692222").await, "0.05");
    assert_eq!(priced(&app, "12123450000").await, "0.03");
    eventually(Duration::from_secs(1), "the other instance rates with the new plan", || async {
        priced(&other, "17605692222").await == "0.05"
    })
    .await;
    // The plan deleted (its assignment with it): the reference plans again.
    assert_eq!(app.delete(&plan_path).actor(root()).send().await.status, 204);
    assert_eq!(priced(&app, "17605692222").await, "0.01");
    eventually(Duration::from_secs(1), "the other instance forgets the deleted plan", || async {
        priced(&other, "17605692222").await == "0.01"
    })
    .await;
    // The sending number released: no instance sends from it any more.
    let dids = app.get("/core/v2/phonenumber/dids?filter=phonenumber+eq+15162065575").actor(tok.clone()).ok().await;
    let did_path = format!("/core/v2/phonenumber/dids/{}", dids["items"][0]["did_sid"].as_str().unwrap());
    assert_eq!(app.delete(&did_path).actor(tok.clone()).send().await.status, 204);
    let gone = json!({"from": "15162065575", "to": "17605692222", "message": "gone"});
    let r = app.post("/core/v2/sms/messages").actor(tok.clone()).json(gone.clone()).send().await;
    r.assert_error(404, "from");
    eventually(Duration::from_secs(1), "the other instance forgets the released number", || async {
        other.post("/core/v2/sms/messages").actor(tok.clone()).json(gone.clone()).send().await.status == 404
    })
    .await;
}
