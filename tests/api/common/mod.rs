//! The test harness: a PostgreSQL (DATABASE_URL, or a throwaway embedded cluster under
//! target/), a migrated template database made once, a fresh database per test, the real router
//! driven in-process with `oneshot`, and actors.

#![allow(dead_code)]

pub mod receiver;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use base64::Engine;
use carrierx_core::config::{Config, EmailVerification};
use carrierx_core::db::embedded::{Durability, EmbeddedPg};
use carrierx_core::state::AppState;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};
use tower::ServiceExt;
use uuid::Uuid;

pub const ROOT_TOKEN: &str = "5ebc03d6-8b2b-44ad-bf65-72d4f1491dda";
pub const ROOT_PASSWORD: &str = "root-password";
pub const CLIENT_ID: &str = "5c7965f285344165b003ce1a3202e589";
pub const CLIENT_SECRET: &str = "5033909114fe442cbbcb83b674dbf90c";

struct Cluster {
    admin: PgConnectOptions,
    template: String,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn admin_options() -> PgConnectOptions {
    match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url.parse::<PgConnectOptions>().expect("DATABASE_URL is a PostgreSQL URL"),
        _ => {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("carrierx-test-pg");
            let pg = EmbeddedPg::start(&dir, Durability::Throwaway).or_else(|e| {
                // Run as root from a directory the postgres user cannot reach (e.g. under /root).
                if e.0.contains("cannot reach") {
                    let tmp = std::env::temp_dir()
                        .join(format!("carrierx-test-pg-{:x}", fnv(env!("CARGO_MANIFEST_DIR").as_bytes())));
                    // Where it went, for .ci/run to stop this checkout's cluster (and no other).
                    let _ = std::fs::write(
                        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("carrierx-test-pg.dir"),
                        tmp.as_os_str().as_encoded_bytes(),
                    );
                    EmbeddedPg::start(&tmp, Durability::Throwaway)
                } else {
                    Err(e)
                }
            });
            pg.unwrap_or_else(|e| panic!("test database: {e}")).connect_options("postgres")
        }
    }
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325u64, |h, b| (h ^ *b as u64).wrapping_mul(0x100000001b3))
}

fn template_name() -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for m in carrierx_core::db::MIGRATOR.iter() {
        for b in m.checksum.iter().chain(m.version.to_le_bytes().iter()) {
            h ^= *b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("carrierx_tpl_{h:016x}")
}

/// The IP geolocation data the server reads, in the source tree's data/geoip/ (installed by the
/// project's set-up script once; nothing is fetched when it is there).
fn ensure_geoip() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let status = std::process::Command::new("bash")
        .arg(root.join("tools/setup-data.sh"))
        .status()
        .expect("tools/setup-data.sh runs");
    assert!(status.success(), "tools/setup-data.sh failed: the IP geolocation data is missing");
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        ensure_geoip();
        // Set up on a thread of its own: the caller's runtime must not be blocked or nested.
        std::thread::spawn(|| {
            let admin = admin_options().log_statements(tracing::log::LevelFilter::Off);
            let template = template_name();
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(prepare(&admin, &template));
            Cluster { admin, template }
        })
        .join()
        .expect("test database set-up")
    })
}

async fn prepare(admin: &PgConnectOptions, template: &str) {
    let mut conn = PgConnection::connect_with(admin).await.expect("connect to the test PostgreSQL");
    conn.execute("SELECT pg_advisory_lock(727272)").await.unwrap();
    // Databases of test processes that are gone.
    let stale: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'cxt\\_%'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    for name in stale {
        let pid: Option<u32> = name.split('_').nth(1).and_then(|p| p.parse().ok());
        if pid.is_some_and(|p| p != std::process::id() && !std::path::Path::new(&format!("/proc/{p}")).exists()) {
            let _ = conn.execute(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)").as_str()).await;
        }
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(template)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    if !exists {
        let building = format!("{template}_building");
        conn.execute(format!("DROP DATABASE IF EXISTS \"{building}\"").as_str()).await.unwrap();
        conn.execute(format!("CREATE DATABASE \"{building}\"").as_str()).await.unwrap();
        let pool = sqlx::PgPool::connect_with(admin.clone().database(&building)).await.unwrap();
        carrierx_core::db::migrate(&pool).await.expect("migrations apply");
        pool.close().await;
        conn.execute(format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"").as_str()).await.unwrap();
        conn.execute(format!("ALTER DATABASE \"{template}\" WITH IS_TEMPLATE true").as_str()).await.unwrap();
    }
    conn.execute("SELECT pg_advisory_unlock(727272)").await.unwrap();
    let _ = conn.close().await;
}

/// A fresh, migrated database for one test.
pub async fn fresh_database() -> PgConnectOptions {
    let c = cluster();
    let name = format!("cxt_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
    let mut conn = PgConnection::connect_with(&c.admin).await.unwrap();
    conn.execute(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{}\"", c.template).as_str()).await.unwrap();
    let _ = conn.close().await;
    c.admin.clone().database(&name)
}

/// What a probe of [`eventually`] answers: `true`, or `Some(value)`, once the condition holds.
pub trait Settled {
    type Value;
    fn settled(self) -> Option<Self::Value>;
}

impl Settled for bool {
    type Value = ();
    fn settled(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Settled for Option<T> {
    type Value = T;
    fn settled(self) -> Option<T> {
        self
    }
}

/// How tests wait: `probe` runs until it answers `true` (or `Some(value)`, returned), every
/// 20 ms, and the test fails naming `what` if that has not happened `within` the deadline.
/// Never a fixed sleep; the deadline bounds a wait, it measures nothing.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut probe: F) -> <Fut::Output as Settled>::Value
where
    F: FnMut() -> Fut,
    Fut: Future,
    Fut::Output: Settled,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = probe().await.settled() {
            return v;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub fn test_config() -> Config {
    let mut cfg = Config::defaults();
    cfg.root_token = carrierx_core::config::Secret(ROOT_TOKEN.into());
    cfg.root_password = carrierx_core::config::Secret(ROOT_PASSWORD.into());
    cfg.oauth_client_id = CLIENT_ID.into();
    cfg.oauth_client_secret = carrierx_core::config::Secret(CLIENT_SECRET.into());
    cfg.email_verification = EmailVerification::Auto;
    cfg.data_dir = std::env::temp_dir().join("carrierx-core-tests");
    // The harness installs the data itself (tools/setup-data.sh): no test fetches anything.
    cfg.geoip_auto_install = false;
    // The simulated network and the callback sender at test speed.
    cfg.sms_step_ms = 20;
    cfg.callback_timeout_ms = 2000;
    cfg.callback_retry_base_ms = 20;
    cfg.callback_retry_max_ms = 200;
    cfg
}

/// Who sends a request.
#[derive(Clone, Debug)]
pub enum Actor {
    Anon,
    Bearer(String),
    Basic(String, String),
}

/// `.actor(&someone)` sends as a kept actor.
impl From<&Actor> for Actor {
    fn from(a: &Actor) -> Actor {
        a.clone()
    }
}

pub fn anon() -> Actor {
    Actor::Anon
}

pub fn root() -> Actor {
    Actor::Bearer(ROOT_TOKEN.into())
}

pub fn bearer(token: &str) -> Actor {
    Actor::Bearer(token.into())
}

pub fn basic(login: &str, password: &str) -> Actor {
    Actor::Basic(login.into(), password.into())
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub options: PgConnectOptions,
    /// The instance's listener of change notifications, as a real server runs it: its caches
    /// and the read-your-writes barrier work only while it is subscribed.
    _listening: Listening,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(f: impl FnOnce(&mut Config)) -> Self {
        let mut cfg = test_config();
        f(&mut cfg);
        let options = fresh_database().await;
        let pool = carrierx_core::db::pool(options.clone(), 5).await.expect("test pool");
        carrierx_core::bootstrap::run(&pool, &cfg).await.expect("bootstrap");
        let state = AppState::new(pool, cfg);
        let router = carrierx_core::build_router(state.clone());
        let _listening = listen(&state).await;
        TestApp { state, router, options, _listening }
    }

    /// A second server instance on the same database (its own caches).
    pub async fn another_instance(&self) -> TestApp {
        let pool = carrierx_core::db::pool(self.options.clone(), 5).await.unwrap();
        let state = AppState::new(pool, (*self.state.config).clone());
        let router = carrierx_core::build_router(state.clone());
        let _listening = listen(&state).await;
        TestApp { state, router, options: self.options.clone(), _listening }
    }

    /// Runs this instance's batch worker until no task has work left. A task row still locked
    /// by a request that just ended (its rollback not yet sent) is skipped by the claim: retried.
    pub async fn run_batch(&self) {
        let me = Uuid::new_v4();
        eventually(Duration::from_secs(20), "no batch task left waiting", || async {
            while carrierx_core::jobs::batch::step(&self.state, me).await.expect("a batch worker round") {}
            let waiting: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM batch_tasks WHERE status IN ('created', 'approved', 'queued', 'running'))",
            )
            .fetch_one(&self.state.pool)
            .await
            .unwrap();
            !waiting
        })
        .await;
        self.state.caches_caught_up().await
    }

    /// A URL of this test's database, for a server started as a child process.
    pub fn database_url(&self) -> String {
        let db = self.options.get_database().expect("a database name");
        match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let (head, query) = url.split_once('?').map(|(h, q)| (h, Some(q))).unwrap_or((url.as_str(), None));
                let base = head.rsplit_once('/').map(|(b, _)| b).unwrap_or(head);
                match query {
                    Some(q) => format!("{base}/{db}?{q}"),
                    None => format!("{base}/{db}"),
                }
            }
            _ => {
                let socket = self.options.get_socket().expect("the embedded cluster listens on a socket");
                format!(
                    "postgres://{}@localhost:{}/{db}?host={}",
                    self.options.get_username(),
                    self.options.get_port(),
                    socket.display()
                )
            }
        }
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            method,
            path: path.to_owned(),
            actor: Actor::Anon,
            body: None,
            content_type: None,
            headers: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.req(Method::POST, path)
    }
    pub fn patch(&self, path: &str) -> Req<'_> {
        self.req(Method::PATCH, path)
    }
    pub fn put(&self, path: &str) -> Req<'_> {
        self.req(Method::PUT, path)
    }
    pub fn delete(&self, path: &str) -> Req<'_> {
        self.req(Method::DELETE, path)
    }

    pub async fn root_sid(&self) -> String {
        self.get("/core/v2/oauth/whoami").actor(root()).ok().await["partner_sid"].as_str().unwrap().to_owned()
    }

    /// Creates a sub-partner of `parent` and returns it with a token for it. With `scopes`,
    /// the partner is created through the admin route with those available scopes.
    pub async fn partner(&self, parent: &Actor, login: &str, scopes: Option<&[&str]>) -> (Value, String) {
        let mut body = json!({"login": login, "password": format!("{login}-password"), "name": login});
        let path = if let Some(s) = scopes {
            body["available_scopes"] = json!(s);
            "/core/v2/admin/partners"
        } else {
            "/core/v2/partners"
        };
        let p = self.post(path).actor(parent.clone()).json(body).ok().await;
        let token = self.token_for(parent, p["partner_sid"].as_str().unwrap(), None).await;
        (p, token)
    }

    /// A token for `partner_sid` minted by `by`, with `scope` if given.
    pub async fn token_for(&self, by: &Actor, partner_sid: &str, scope: Option<&str>) -> String {
        let mut form = format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}");
        if let Some(s) = scope {
            form.push_str(&format!("&scope={}", s.replace(' ', "%20")));
        }
        let t = self.post(&format!("/core/v2/oauth/token/{partner_sid}")).actor(by.clone()).form(&form).ok().await;
        t["access_token"].as_str().unwrap().to_owned()
    }

    /// A new partner whose credentials hold exactly `scopes` (its `available_scopes`, set by
    /// root through the admin route), as the bearer of a token minted for it.
    pub async fn partner_with(&self, scopes: &[&str]) -> Actor {
        static N: AtomicU64 = AtomicU64::new(0);
        let login = format!("scoped_{}", N.fetch_add(1, Ordering::Relaxed));
        let (_, token) = self.partner(&root(), &login, Some(scopes)).await;
        bearer(&token)
    }
}

/// This instance's simulated network and callback sender, running until dropped.
pub struct Network(Vec<tokio::task::JoinHandle<()>>);

impl Drop for Network {
    fn drop(&mut self) {
        self.0.iter().for_each(|t| t.abort());
    }
}

impl TestApp {
    /// Runs this instance's network workers (message statuses, callbacks, and the fold of pending
    /// charges onto invoices and balances) until the guard drops.
    pub fn network(&self) -> Network {
        Network(vec![
            tokio::spawn(carrierx_core::jobs::network::run(self.state.clone())),
            tokio::spawn(carrierx_core::jobs::callbacks::run(self.state.clone())),
            tokio::spawn(carrierx_core::jobs::fold_pending_charges(self.state.clone())),
            tokio::spawn(carrierx_core::traffic::relay(self.state.clone())),
        ])
    }

    /// Stocks `numbers` in the inventory and rents them to the partner `tok` stands for, with
    /// `capabilities` (31: every messaging capability and voice); answers the DIDs.
    pub async fn rent_numbers(&self, tok: &Actor, numbers: &[&str], capabilities: i64) -> Vec<Value> {
        let items: Vec<Value> =
            numbers.iter().map(|n| json!({"phonenumber": n, "capabilities": capabilities, "price": "0"})).collect();
        self.post("/core/v2/admin/dids").actor(root()).json(json!(items)).ok().await;
        let mut out = Vec::new();
        for n in numbers {
            out.push(
                self.post("/core/v2/phonenumber/dids").actor(tok.clone()).json(json!({"phonenumber": n})).ok().await,
            );
        }
        out
    }

    /// Sets a partner's balance (test set-up; no route sets it outright).
    pub async fn set_balance(&self, partner_sid: &str, balance: &str, payment_type: &str) {
        sqlx::query("UPDATE partners SET balance = $2::numeric, payment_type = $3 WHERE partner_sid = $1::uuid")
            .bind(partner_sid)
            .bind(balance)
            .bind(payment_type)
            .execute(&self.state.pool)
            .await
            .unwrap();
        self.state.invalidate_all();
    }
}

/// A running invalidation listener, stopped when dropped.
/// Runs `state`'s listener of cache invalidations (`LISTEN/NOTIFY`) until the guard is dropped,
/// once it has subscribed (its object caches are then on).
async fn listen(state: &AppState) -> Listening {
    let task = tokio::spawn(carrierx_core::jobs::listen_for_invalidations(state.clone()));
    eventually(Duration::from_secs(10), "the invalidation listener subscribes", || async { state.objects.is_live() })
        .await;
    Listening(task)
}

pub struct Listening(tokio::task::JoinHandle<()>);

impl Drop for Listening {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    actor: Actor,
    body: Option<Vec<u8>>,
    content_type: Option<String>,
    headers: Vec<(String, String)>,
}

impl<'a> Req<'a> {
    pub fn actor(mut self, a: impl Into<Actor>) -> Self {
        self.actor = a.into();
        self
    }

    pub fn json(mut self, v: Value) -> Self {
        self.body = Some(serde_json::to_vec(&v).unwrap());
        self.content_type = Some("application/json".into());
        self
    }

    pub fn raw(mut self, body: &str, content_type: Option<&str>) -> Self {
        self.body = Some(body.as_bytes().to_vec());
        self.content_type = content_type.map(str::to_owned);
        self
    }

    /// A body of bytes with its content type.
    pub fn raw_bytes(mut self, body: Vec<u8>, content_type: &str) -> Self {
        self.body = Some(body);
        self.content_type = Some(content_type.to_owned());
        self
    }

    pub fn form(self, body: &str) -> Self {
        self.raw(body, Some("application/x-www-form-urlencoded"))
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.into(), v.into()));
        self
    }

    pub async fn send(self) -> Resp {
        let mut b = Request::builder().method(self.method).uri(&self.path);
        if !self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            b = b.header(header::HOST, "api.test");
        }
        match &self.actor {
            Actor::Anon => {}
            Actor::Bearer(t) => b = b.header(header::AUTHORIZATION, format!("Bearer {t}")),
            Actor::Basic(l, p) => {
                let enc = base64::engine::general_purpose::STANDARD.encode(format!("{l}:{p}"));
                b = b.header(header::AUTHORIZATION, format!("Basic {enc}"));
            }
        }
        if let Some(ct) = &self.content_type {
            b = b.header(header::CONTENT_TYPE, ct);
        }
        for (k, v) in &self.headers {
            b = b.header(k.as_str(), v.as_str());
        }
        let req = b.body(self.body.map(Body::from).unwrap_or_else(Body::empty)).unwrap();
        let resp = self.app.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes().to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, json, bytes }
    }

    /// Sends and expects 200, returning the JSON body.
    pub async fn ok(self) -> Value {
        let path = self.path.clone();
        let r = self.send().await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        r.json
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl Resp {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// Asserts the status and that the error body names `field`.
    pub fn assert_error(&self, status: u16, field: &str) {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        let errors = self.json["errors"].as_array().unwrap_or_else(|| panic!("no errors array: {}", self.text()));
        assert!(errors.iter().any(|e| e["field"] == field), "expected an error naming {field}: {}", self.text());
    }
}

/// The keys of an object, in order.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

pub fn new_uuid() -> String {
    Uuid::new_v4().to_string()
}

/// A free loopback port for a child server.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The real server binary as a child process on this test's database; killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub port: u16,
}

impl Server {
    pub fn start(app: &TestApp, settings: &[(&str, &str)]) -> Server {
        Self::start_in(app, std::path::Path::new(env!("CARGO_MANIFEST_DIR")), settings)
    }

    /// The same, started in the working directory `cwd`.
    pub fn start_in(app: &TestApp, cwd: &std::path::Path, settings: &[(&str, &str)]) -> Server {
        let data = std::env::temp_dir().join(format!("carrierx-child-{}", std::process::id()));
        let port = free_port();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_carrierx-core"));
        cmd.current_dir(cwd)
            .env("DATABASE_URL", app.database_url())
            .env("CARRIERX_GEOIP_AUTO_INSTALL", "false")
            .env("CARRIERX_BIND", format!("127.0.0.1:{port}"))
            .env("CARRIERX_DATA_DIR", data)
            .env("CARRIERX_DB_MAX_CONNECTIONS", "4")
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        for (k, v) in settings {
            cmd.env(k, v);
        }
        Server { child: cmd.spawn().expect("the server binary starts"), port }
    }

    /// The real server binary on its embedded PostgreSQL in `data_dir` (no `DATABASE_URL`), with
    /// the test root token.
    pub fn embedded(data_dir: &std::path::Path, settings: &[(&str, &str)]) -> Server {
        let port = free_port();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_carrierx-core"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("DATABASE_URL")
            .env("CARRIERX_BIND", format!("127.0.0.1:{port}"))
            .env("CARRIERX_DATA_DIR", data_dir)
            .env("CARRIERX_ROOT_TOKEN", ROOT_TOKEN)
            .env("CARRIERX_DB_MAX_CONNECTIONS", "4")
            .env("CARRIERX_GEOIP_AUTO_INSTALL", "false")
            .env("RUST_LOG", "info")
            .stdout(std::process::Stdio::null());
        // Its log beside the data, to read when a test fails.
        match std::fs::File::create(data_dir.join(format!("server-{port}.log"))) {
            Ok(log) => cmd.stderr(log),
            Err(_) => cmd.stderr(std::process::Stdio::null()),
        };
        for (k, v) in settings {
            cmd.env(k, v);
        }
        Server { child: cmd.spawn().expect("the server binary starts"), port }
    }

    /// SIGTERM, then waits (bounded) until the process has exited.
    pub async fn terminate(mut self) {
        let pid = self.child.id().to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        eventually(Duration::from_secs(30), "the server exits after SIGTERM", || {
            let exited = self.child.try_wait().ok().flatten().is_some();
            async move { exited }
        })
        .await;
    }

    /// One request with a JSON body as root: the status and the body.
    pub async fn send_json(&self, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
        send_json(self.port, method, path, body).await
    }

    /// Waits (bounded) until the server answers `GET /health`.
    pub async fn ready(&self) {
        eventually(Duration::from_secs(30), "the server starts", || async {
            self.request("GET", "/health", &[]).await.is_some_and(|(status, _)| status == 200)
        })
        .await;
    }

    /// One HTTP/1.0 request over TCP: the status and the body (`None` if no answer).
    pub async fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Option<(u16, String)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", self.port)).await.ok()?;
        let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        s.write_all(head.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await.ok()?;
        let text = String::from_utf8_lossy(&buf);
        let (head, body) = text.split_once("\r\n\r\n")?;
        let status = head.split(' ').nth(1)?.parse().ok()?;
        Some((status, body.to_owned()))
    }

    /// The value of an unlabelled metric at `GET /metrics` (0 while it was never recorded).
    pub async fn metric(&self, name: &str) -> f64 {
        let (status, text) = self.request("GET", "/metrics", &[]).await.expect("the server answers /metrics");
        assert_eq!(status, 200, "{text}");
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .find(|(k, _)| *k == name)
            .map_or(0.0, |(_, v)| v.trim().parse().unwrap_or_else(|_| panic!("{name}: {v}")))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 request with a JSON body, as root, to a server on a loopback port: the status and
/// the body (`None` if nothing answers).
pub async fn send_json(port: u16, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    send_json_as(port, &format!("Bearer {ROOT_TOKEN}"), method, path, body).await
}

/// The same with the `Authorization` header given.
pub async fn send_json_as(
    port: u16,
    authorization: &str,
    method: &str,
    path: &str,
    body: &str,
) -> Option<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let head = format!(
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: {authorization}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(head.as_bytes()).await.ok()?;
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.ok()?;
    let text = String::from_utf8_lossy(&buf);
    let (head, body) = text.split_once("\r\n\r\n")?;
    Some((head.split(' ').nth(1)?.parse().ok()?, body.to_owned()))
}
