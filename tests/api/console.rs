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

/// A headless Chromium driven over the DevTools protocol (its WebSocket), killed when dropped.
struct Browser {
    child: std::process::Child,
    ws: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
    next: u64,
    _profile: std::path::PathBuf,
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The whole process group: chromium's helpers would otherwise outlive it and write into
        // the profile after it is removed.
        let group = format!("-{}", self.child.id());
        let _ = std::process::Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._profile);
    }
}

impl Browser {
    async fn launch() -> Browser {
        use std::io::BufRead;
        let profile = std::env::temp_dir().join(format!("carrierx-chromium-{}", new_uuid()));
        use std::os::unix::process::CommandExt;
        let mut child = std::process::Command::new("chromium")
            .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"])
            .arg("--disable-crash-reporter")
            .process_group(0)
            .arg("--remote-debugging-port=0")
            .arg(format!("--user-data-dir={}", profile.display()))
            .args(["--window-size=1400,900", "about:blank"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("chromium (apt-get install chromium) runs headless");
        let stderr = child.stderr.take().unwrap();
        // Chromium says where its DevTools listen on its first lines.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(30)).expect("chromium tells its DevTools address");
        let (ws, _) = tokio_tungstenite::connect_async(url.as_str()).await.expect("the DevTools socket opens");
        Browser { child, ws, next: 0, _profile: profile }
    }

    /// One DevTools command (in `session`, when given): its result.
    async fn call(&mut self, method: &str, params: Value, session: Option<&str>) -> Value {
        use futures_util::{SinkExt, StreamExt};
        use tokio_tungstenite::tungstenite::Message;
        self.next += 1;
        let id = self.next;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws.send(Message::Text(msg.to_string().into())).await.unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(30), self.ws.next())
                .await
                .expect("chromium answers within 30 s")
                .expect("the DevTools socket is open")
                .unwrap();
            if let Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["id"] == id {
                    assert!(v.get("error").is_none(), "{method}: {v}");
                    return v["result"].clone();
                }
            }
        }
    }

    /// A page at `url`: its session.
    async fn open(&mut self, url: &str) -> String {
        let target = self.call("Target.createTarget", json!({"url": url}), None).await;
        let attached =
            self.call("Target.attachToTarget", json!({"targetId": target["targetId"], "flatten": true}), None).await;
        attached["sessionId"].as_str().unwrap().to_owned()
    }

    async fn eval(&mut self, session: &str, expression: &str) -> Value {
        let r = self
            .call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true}), Some(session))
            .await;
        r["result"]["value"].clone()
    }

    /// Waits (at most 30 s) until `expression` is true in the page.
    async fn until(&mut self, session: &str, expression: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if self.eval(session, expression).await == json!(true) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "the page never showed: {expression}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn the_console_shows_traffic_as_it_happens_in_a_real_browser() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "browser-watcher", None).await;
    let psid = p["partner_sid"].as_str().unwrap().to_owned();
    app.rent_numbers(&bearer(&tok), &["15162065575", "15162065576"], 31).await;
    let ep = app
        .post("/core/v2/endpoints")
        .actor(bearer(&tok))
        .json(json!({"name": "pbx", "type": "third_party", "addresses": [{"ip": "10.0.0.1"}]}))
        .ok()
        .await;
    let g = app
        .post("/core/v2/trunk_groups?with_trunks=true")
        .actor(bearer(&tok))
        .json(json!({"name": "main", "trunks": [{"name": "t1", "endpoint_sid": ep["endpoint_sid"]}]}))
        .ok()
        .await;
    let dids = app.get("/core/v2/phonenumber/dids").actor(bearer(&tok)).ok().await;
    app.patch(&format!("/core/v2/phonenumber/dids/{}", dids["items"][0]["did_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .json(json!({"trunk_group_sid": g["trunk_group_sid"]}))
        .ok()
        .await;
    let server = Server::start(&app, &[]);
    server.ready().await;
    let mut browser = Browser::launch().await;
    let page = browser.open(&format!("http://127.0.0.1:{}/console#token={tok}", server.port)).await;
    browser.until(&page, "document.getElementById('state').textContent === 'live'").await;
    // A mark on this page: still there at the end, so the page was never reloaded.
    browser.eval(&page, "window.__before_traffic = 42").await;
    let auth = format!("Bearer {tok}");
    let body = json!({"from": "15162065575", "to": "15162065576", "message": "hello from the test"}).to_string();
    let (status, _) = send_json_as(server.port, &auth, "POST", "/core/v2/sms/messages", &body).await.unwrap();
    assert_eq!(status, 200);
    let call = json!({"from": "12125550100", "to": "15162065575", "duration": 45}).to_string();
    let (status, text) = server.send_json("POST", "/core/v2/admin/simulator/calls", &call).await.unwrap();
    assert_eq!(status, 200, "{text}");
    browser
        .until(
            &page,
            "[...document.querySelectorAll('#feed li.message .status')].some(s => s.textContent === 'delivered')",
        )
        .await;
    browser.until(&page, "document.querySelectorAll('#feed li.call details').length === 1").await;
    browser.until(&page, "document.querySelectorAll('#feed li.charge').length >= 2").await;
    assert_eq!(browser.eval(&page, "window.__before_traffic").await, json!(42), "no reload");
    let text = browser.eval(&page, "document.getElementById('feed').innerText").await;
    let text = text.as_str().unwrap();
    assert!(text.contains("hello from the test"), "{text}");
    assert!(text.contains("completed (200)"), "{text}");
    assert!(text.contains(&psid), "{text}");
    assert!(!text.contains(&tok), "the token is not shown");
    // Opening an item reads its object through the API, with the console's credentials.
    browser.eval(&page, "document.querySelector('#feed li.call details').open = true").await;
    browser.eval(&page, "document.querySelector('#feed li.call a').click()").await;
    browser.until(&page, "document.getElementById('object').textContent.includes('\"dr_sid\"')").await;
    let shot = browser.call("Page.captureScreenshot", json!({"format": "png"}), Some(&page)).await;
    use base64::Engine;
    let png = base64::engine::general_purpose::STANDARD.decode(shot["data"].as_str().unwrap()).unwrap();
    assert!(png.len() > 10_000, "a screenshot of the page");
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("console.png");
    std::fs::write(out, png).unwrap();
    server.terminate().await;
}

#[tokio::test]
async fn a_console_on_one_instance_sees_the_traffic_of_another() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let _relay_a = a.network();
    let (_, tok) = a.partner(&root(), "two-instances", None).await;
    let tok = bearer(&tok);
    a.rent_numbers(&tok, &["15162065575"], 31).await;
    let mut on_b = Stream::open(&b, &tok, "").await.unwrap();
    let m = a
        .post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from": "15162065575", "to": "12125550100", "message": "across"}))
        .ok()
        .await;
    let seen = on_b.until(|e| e["kind"] == "message").await;
    assert_eq!(seen["sid"], m["message_sid"]);
}

#[tokio::test]
async fn push_notifications_show_what_would_have_been_sent() {
    let app = TestApp::new().await;
    let _net = app.network();
    let (_, tok) = app.partner(&root(), "push-watcher", None).await;
    let tok = bearer(&tok);
    let a = app
        .post("/core/v2/push/applications")
        .actor(tok.clone())
        .json(json!({"google_credentials": "c2VjcmV0LWNyZWRlbnRpYWxz"}))
        .ok()
        .await;
    let d = app
        .post("/core/v2/push/devices")
        .actor(tok.clone())
        .json(json!({"application_sid": a["application_sid"], "type": "android", "token": "t-1"}))
        .ok()
        .await;
    let mut s = Stream::open(&app, &tok, "").await.unwrap();
    app.post("/core/v2/push/notifications")
        .actor(tok.clone())
        .json(json!({"title": "Hello", "body": "from the test", "recipients": [d["device_sid"]]}))
        .ok()
        .await;
    let e = s.until(|e| e["kind"] == "push").await;
    assert_eq!((e["status"].clone(), e["sid"].clone()), (json!("success"), d["device_sid"].clone()));
    assert_eq!(e["detail"]["body"], "from the test");
    assert!(!e.to_string().contains("c2VjcmV0"), "no credentials shown");
}
