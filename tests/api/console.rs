//! The console: its page, and the traffic stream each partner sees (server-sent events).

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::common::*;

/// A console's stream: the traffic events it receives, in order.
struct Stream {
    body: Body,
    buf: String,
}

impl Stream {
    async fn open(app: &TestApp, who: &Actor, query: &str) -> Result<Stream, (u16, Value)> {
        let mut b = Request::builder().uri(format!("/console/events{query}"));
        if let Actor::Bearer(t) = who {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let resp = app.router.clone().oneshot(b.body(Body::empty()).unwrap()).await.unwrap();
        if resp.status() != StatusCode::OK {
            let status = resp.status().as_u16();
            let bytes = resp.into_body().collect().await.unwrap().to_bytes();
            return Err((status, serde_json::from_slice(&bytes).unwrap_or(Value::Null)));
        }
        assert_eq!(resp.headers()[header::CONTENT_TYPE], "text/event-stream");
        let mut s = Stream { body: resp.into_body(), buf: String::new() };
        // The events kept from before come first, then `ready`: everything after is live.
        loop {
            let (name, _) = s.next_frame().await;
            if name == "ready" {
                return Ok(s);
            }
        }
    }

    /// The next frame (its event name and data), waiting at most 20 s for it.
    async fn next_frame(&mut self) -> (String, String) {
        loop {
            if let Some(i) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..i + 2).collect();
                let mut name = String::new();
                let mut data = String::new();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        name = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.trim());
                    }
                }
                if name.is_empty() && data.is_empty() {
                    continue; // a keep-alive comment
                }
                return (name, data);
            }
            let frame = tokio::time::timeout(Duration::from_secs(20), self.body.frame())
                .await
                .expect("the console receives an event within 20 s")
                .expect("the stream is open")
                .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buf.push_str(&String::from_utf8_lossy(&data));
            }
        }
    }

    /// The next traffic event that `matches`.
    async fn until(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let (name, data) = self.next_frame().await;
            if name != "traffic" {
                continue;
            }
            let v: Value = serde_json::from_str(&data).unwrap();
            if matches(&v) {
                return v;
            }
        }
    }
}

#[tokio::test]
async fn the_page_is_served_whole_from_the_binary() {
    let app = TestApp::new().await;
    let r = app.get("/console").send().await;
    assert_eq!(r.status, 200);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
    let html = r.text();
    assert!(html.contains("carrierx-core console"));
    assert!(html.contains("/console/events"));
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing loaded from elsewhere");
}

#[tokio::test]
async fn each_partner_watches_its_own_traffic_live() {
    let app = TestApp::new().await;
    let _listening = app.listening().await;
    let _net = app.network();
    let (p, tok) = app.partner(&root(), "watcher", None).await;
    let tok = bearer(&tok);
    let psid = p["partner_sid"].as_str().unwrap().to_owned();
    app.rent_numbers(&tok, &["15162065575", "15162065576"], 31).await;
    let (other_p, other) = app.partner(&root(), "other-watcher", None).await;
    let other = bearer(&other);
    app.rent_numbers(&other, &["15162065577"], 31).await;
    let mut mine = Stream::open(&app, &tok, "").await.unwrap();
    let mut theirs = Stream::open(&app, &other, "").await.unwrap();
    let mut admin = Stream::open(&app, &root(), "?number=5576").await.unwrap();
    // A message: sent, then delivered (and received by the other number); its charge.
    let m = app
        .post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from": "15162065575", "to": "15162065576", "message": "hello console"}))
        .ok()
        .await;
    let sid = m["message_sid"].as_str().unwrap().to_owned();
    let queued = mine.until(|e| e["kind"] == "message" && e["sid"] == sid.as_str()).await;
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["partner_sid"], psid.as_str());
    assert_eq!(queued["href"], format!("/core/v2/sms/messages/{sid}"));
    assert_eq!(queued["detail"]["message"], "hello console");
    assert!(queued.get("tree_path").is_none(), "who may see it is not shown");
    let charge = mine.until(|e| e["kind"] == "charge").await;
    assert_eq!(charge["detail"]["amount"], "0.01");
    let delivered = mine.until(|e| e["sid"] == sid.as_str() && e["status"] == "delivered").await;
    assert_eq!(delivered["kind"], "message");
    // The admin's console filtered by number sees the message too.
    let seen = admin.until(|e| e["kind"] == "message").await;
    assert!(seen["numbers"].as_array().unwrap().iter().any(|n| n == "15162065576"));
    // A call with its trace.
    let g = app.post("/core/v2/trunk_groups").actor(tok.clone()).json(json!({"name": "g"})).ok().await;
    let t = app
        .post("/core/v2/admin/simulator/calls")
        .actor(root())
        .json(json!({"direction": "outbound", "trunk_group_sid": g["trunk_group_sid"], "from": "15162065575", "to": "12125550100"}))
        .ok()
        .await;
    assert_eq!(t["status"], "failed", "a group without trunks: {t}");
    let call = mine.until(|e| e["kind"] == "call").await;
    assert_eq!(call["status"], "failed");
    assert_eq!(call["detail"]["call_sid"], t["call_sid"]);
    assert!(call["detail"]["steps"].as_array().unwrap().iter().any(|s| s["result"] == "failed"));
    // The other partner sees none of it: the first event it gets is its own.
    app.post("/core/v2/sms/messages")
        .actor(other.clone())
        .json(json!({"from": "15162065577", "to": "12125550100", "message": "mine"}))
        .ok()
        .await;
    let first = theirs.until(|_| true).await;
    assert_eq!(first["partner_sid"], other_p["partner_sid"]);
}

#[tokio::test]
async fn callbacks_show_what_the_receiver_answered() {
    let app = TestApp::new().await;
    let _listening = app.listening().await;
    let _net = app.network();
    let receiver = crate::common::receiver::Receiver::answering(&[500, 200]).await;
    let (p, tok) = app.partner(&root(), "cb-watcher", None).await;
    let tok = bearer(&tok);
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"callbacks": {"sms": receiver.url("/in?secret=abc")}}))
        .ok()
        .await;
    app.rent_numbers(&tok, &["15162065575"], 31).await;
    let mut s = Stream::open(&app, &tok, "").await.unwrap();
    app.post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from": "12125550100", "to": "15162065575", "message": "ping"}))
        .ok()
        .await;
    let failed = s.until(|e| e["kind"] == "callback").await;
    assert_eq!(failed["status"], "pending", "{failed}");
    assert_eq!(failed["detail"]["response_status"], 500);
    assert!(!failed.to_string().contains("secret"), "a URL's query is not shown");
    let ok = s.until(|e| e["kind"] == "callback" && e["status"] == "delivered").await;
    assert_eq!(ok["detail"]["attempts"], 2);
}

#[tokio::test]
async fn a_console_needs_credentials_and_sees_only_its_tree() {
    let app = TestApp::new().await;
    assert_eq!(Stream::open(&app, &anon(), "").await.err().unwrap().0, 401);
    let (_, tok) = app.partner(&root(), "curious", None).await;
    let (stranger, _) = app.partner(&root(), "stranger", None).await;
    let (code, body) = Stream::open(&app, &bearer(&tok), "?partner_sid=nope&number=abc").await.err().unwrap();
    assert_eq!(code, 400);
    let fields: Vec<&str> = body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["partner_sid", "number"]);
    let q = format!("?partner_sid={}", stranger["partner_sid"].as_str().unwrap());
    assert_eq!(Stream::open(&app, &bearer(&tok), &q).await.err().unwrap().0, 404);
    // Without a scope that reads traffic, nothing to watch.
    let (p, _) = app.partner(&root(), "blind", None).await;
    let blind = app.token_for(&root(), p["partner_sid"].as_str().unwrap(), Some("partners.read")).await;
    assert_eq!(Stream::open(&app, &bearer(&blind), "").await.err().unwrap().0, 403);
}
