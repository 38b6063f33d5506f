use std::time::Duration;

use base64::Engine;

use axum::http::Method;
use carrierx_core::http::auth::AuthMode;
use serde_json::json;

use crate::common::*;

fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 1..end];
        out.push_str(if name == "country_code" { "USA" } else { "6bace9c5-3eef-4f75-8f48-fb98e04408be" });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    format!("/core/v2{out}")
}

async fn call(app: &TestApp, method: &Method, path: &str, actor: Actor) -> Resp {
    let r = app.req(method.clone(), path).actor(actor);
    let r = if matches!(*method, Method::POST | Method::PATCH | Method::PUT) { r.json(json!({})) } else { r };
    r.send().await
}

#[tokio::test]
async fn every_route_needs_credentials_and_its_scopes() {
    let app = TestApp::new().await;
    let table = carrierx_core::route_table(app.state.clone());
    assert!(table.len() > 40, "the route table lists every route");
    let no_scopes = app.partner_with(&[]).await;
    let (_, no_admin) = app.partner(&root(), "noadmin", None).await;
    let unauthorized = json!({"message": "authentication required",
        "errors": [{"field": "cause", "message": "authentication required", "reference_sid": null}]});
    let forbidden = json!({"message": "permission denied",
        "errors": [{"field": "cause", "message": "permission denied", "reference_sid": null}]});
    let mut checked = 0;
    for route in &table {
        if route.auth.mode == AuthMode::Public {
            continue;
        }
        let path = concrete(&route.path);
        let r = call(&app, &route.method, &path, anon()).await;
        assert_eq!(r.status, 401, "{} {} without credentials: {}", route.method, route.path, r.text());
        assert_eq!(r.json, unauthorized, "{} {}", route.method, route.path);
        if !route.auth.scopes.is_empty() {
            let r = call(&app, &route.method, &path, no_scopes.clone()).await;
            assert_eq!(r.status, 403, "{} {} without its scopes: {}", route.method, route.path, r.text());
            assert_eq!(r.json, forbidden, "{} {}", route.method, route.path);
        }
        if route.auth.admin {
            let r = call(&app, &route.method, &path, bearer(&no_admin)).await;
            assert_eq!(r.status, 403, "{} {} without admin scopes: {}", route.method, route.path, r.text());
        }
        checked += 1;
    }
    assert!(checked > 40);
}

const BAD_CREDENTIALS: [&str; 6] = ["Basic Og==", "Basic !!!", "Bearer ", "Bearer nope", "Token abc", "Basic cm9vdDo="];

#[tokio::test]
async fn bad_credentials_are_refused() {
    let app = TestApp::new().await;
    for header in BAD_CREDENTIALS {
        let r = app.get("/core/v2/oauth/whoami").header("authorization", header).send().await;
        r.assert_error(401, "cause");
    }
    app.get("/core/v2/oauth/whoami").actor(basic("root", "wrong")).send().await.assert_error(401, "cause");
    app.get("/core/v2/oauth/whoami").actor(basic("nobody", "x")).send().await.assert_error(401, "cause");
    // The root partner can still log in afterwards (no lockout).
    let me = app.get("/core/v2/oauth/whoami").actor(basic("root", ROOT_PASSWORD)).ok().await;
    assert_eq!(me["login"], "root");
}

/// Counted at the server's `/metrics` (a process of its own: no other test adds to its count).
#[tokio::test]
async fn malformed_credentials_cost_no_password_check_and_basic_ones_cost_one() {
    let app = TestApp::new().await;
    app.partner(&root(), "hashed", None).await;
    let server = Server::start(&app, &[]);
    server.ready().await;
    let checks = || server.metric("password_verifications_total");
    let whoami = |authorization: String| {
        let server = &server;
        async move { server.request("GET", "/core/v2/oauth/whoami", &[("Authorization", &authorization)]).await }
    };
    let before = checks().await;
    for header in BAD_CREDENTIALS {
        let (status, body) = whoami(header.into()).await.expect("an answer");
        assert_eq!(status, 401, "{header}: {body}");
    }
    // The empty credentials of the SDK ("Basic Og==", i.e. ":") among them: refused at once.
    assert_eq!(checks().await, before, "malformed or empty credentials are refused before any argon2");
    let good = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("hashed:hashed-password"));
    assert_eq!(whoami(good.clone()).await.expect("an answer").0, 200);
    let after_first = checks().await;
    assert_eq!(after_first, before + 1.0, "the first Basic request checks the password");
    for _ in 0..20 {
        assert_eq!(whoami(good.clone()).await.expect("an answer").0, 200);
    }
    // At most one more: the server's start-up drops its caches once, perhaps after the first.
    assert!(checks().await <= after_first + 1.0, "a cached Basic credential runs no argon2 per request");
}

#[tokio::test]
async fn basic_auth_works_like_a_bearer_token() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "basicuser", None).await;
    let by_token = app.get("/core/v2/partners").actor(bearer(&tok)).ok().await;
    let by_basic = app.get("/core/v2/partners").actor(basic("basicuser", "basicuser-password")).ok().await;
    assert_eq!(by_token, by_basic);
    assert_eq!(by_basic["items"][0]["partner_sid"], p["partner_sid"]);
}

#[tokio::test]
async fn get_and_delete_with_a_json_content_type_and_no_body_are_accepted() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "sdk", None).await;
    let r = app.get("/core/v2/partners").actor(root()).header("content-type", "application/json").send().await;
    assert_eq!(r.status, 200);
    let r = app
        .delete(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(root())
        .header("content-type", "application/json")
        .send()
        .await;
    assert_eq!(r.status, 204);
}

#[tokio::test]
async fn narrowing_a_partners_scopes_narrows_its_tokens_at_once() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "shrinking", None).await;
    app.get("/core/v2/partners").actor(bearer(&tok)).ok().await;
    app.patch(&format!("/core/v2/admin/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"available_scopes": ["oauth.read"]}))
        .ok()
        .await;
    app.get("/core/v2/partners").actor(bearer(&tok)).send().await.assert_error(403, "cause");
    app.get("/core/v2/partners")
        .actor(basic("shrinking", "shrinking-password"))
        .send()
        .await
        .assert_error(403, "cause");
}

#[tokio::test]
async fn another_instance_drops_its_cached_credentials_within_a_second() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (p, tok) = a.partner(&root(), "cached", None).await;
    // Instance B caches both credentials.
    b.get("/core/v2/oauth/whoami").actor(basic("cached", "cached-password")).ok().await;
    b.get("/core/v2/oauth/whoami").actor(bearer(&tok)).ok().await;
    // Instance A changes the password and revokes the token.
    a.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"password": "rotated"}))
        .ok()
        .await;
    let form = format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&token={tok}");
    assert_eq!(a.post("/core/v2/oauth/revoke").actor(root()).form(&form).send().await.status, 204);
    eventually(Duration::from_secs(1), "instance B refuses the old credentials", || async {
        let basic_refused =
            b.get("/core/v2/oauth/whoami").actor(basic("cached", "cached-password")).send().await.status == 401;
        let token_refused = b.get("/core/v2/oauth/whoami").actor(bearer(&tok)).send().await.status == 401;
        basic_refused && token_refused
    })
    .await;
}

#[tokio::test]
async fn cors_answers_preflight_and_marks_responses() {
    let app = TestApp::new().await;
    let r = app
        .req(Method::OPTIONS, "/core/v2/partners")
        .header("origin", "https://portal.example")
        .header("access-control-request-method", "PATCH")
        .header("access-control-request-headers", "authorization,content-type")
        .send()
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    assert!(r.headers["access-control-allow-methods"].to_str().unwrap().contains("PATCH"));
    let r = app.get("/core/v2/countries?limit=1").actor(root()).header("origin", "https://portal.example").send().await;
    assert_eq!(r.headers["access-control-allow-origin"], "*");
    let exposed = r.headers["access-control-expose-headers"].to_str().unwrap().to_ascii_lowercase();
    for h in [
        "access-control-allow-origin",
        "access-control-allow-methods",
        "access-control-allow-credentials",
        "content-disposition",
        "access-control-allow-headers",
    ] {
        assert!(exposed.contains(h), "{h} in {exposed}");
    }
    assert!(r.headers.contains_key("x-request-id"));
}

#[tokio::test]
async fn each_request_gets_its_own_request_id_and_a_sent_one_is_kept() {
    let app = TestApp::new().await;
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let r = app.get("/core/v2/oauth/whoami").actor(root()).send().await;
        assert_eq!(r.status, 200);
        let id = r.headers["x-request-id"].to_str().unwrap().to_owned();
        let uuid = uuid::Uuid::parse_str(&id).expect("a generated request ID is a UUID");
        assert_eq!(uuid.get_version_num(), 4, "{id}");
        assert!(seen.insert(id), "request IDs repeat");
    }
    let r = app.get("/core/v2/oauth/whoami").actor(root()).header("x-request-id", "client-trace-17").send().await;
    assert_eq!(r.headers["x-request-id"], "client-trace-17");
}

#[tokio::test]
async fn health_needs_no_credentials() {
    let app = TestApp::new().await;
    let r = app.get("/health").send().await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json["status"], "ok");
}

#[tokio::test]
async fn another_instance_sees_a_changed_partner_within_a_second() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (p, tok) = a.partner(&root(), "shared", None).await;
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    // B caches the partner (and its own view of whoami).
    assert_eq!(b.get(&path).actor(root()).ok().await["name"], "shared");
    assert_eq!(b.get("/core/v2/oauth/whoami").actor(bearer(&tok)).ok().await["name"], "shared");
    // A writes and reads its write at once.
    a.patch(&path).actor(root()).json(json!({"name": "renamed"})).ok().await;
    assert_eq!(a.get(&path).actor(root()).ok().await["name"], "renamed");
    eventually(Duration::from_secs(1), "instance B shows the renamed partner", || async {
        let by_sid = b.get(&path).actor(root()).ok().await["name"] == "renamed";
        let me = b.get("/core/v2/oauth/whoami").actor(bearer(&tok)).ok().await["name"] == "renamed";
        by_sid && me
    })
    .await;
    // Deleted on A: gone on B.
    let (c, _) = a.partner(&root(), "doomed", None).await;
    let cpath = format!("/core/v2/partners/{}", c["partner_sid"].as_str().unwrap());
    b.get(&cpath).actor(root()).ok().await;
    assert_eq!(a.delete(&cpath).actor(root()).send().await.status, 204);
    eventually(Duration::from_secs(1), "instance B forgets the deleted partner", || async {
        b.get(&cpath).actor(root()).send().await.status == 404
    })
    .await;
}

/// Bad input never gets a 500: every write route with bodies of the wrong shape and values of
/// every wrong type (NUL bytes, huge numbers, long strings), every route with hostile query arguments.
#[tokio::test]
async fn hostile_input_on_every_route_is_never_a_500() {
    let app = TestApp::new().await;
    let table = carrierx_core::route_table(app.state.clone());
    let keys = [
        "name",
        "type",
        "addresses",
        "attributes",
        "transformations",
        "entries",
        "items",
        "phonenumber",
        "capabilities",
        "price",
        "partner_sid",
        "trunk_group_sid",
        "did_group_sid",
        "endpoint_sid",
        "scopes",
        "acls",
        "callback_url",
        "properties",
        "trunks",
        "login",
        "password",
        "effective_date",
        "date_start",
        "direction",
        "prefix",
        "field",
        "operation",
        "quantifier",
        "parent_assigned_acls",
        "callbacks",
        "country_code",
        "state",
        "status",
        "capacity",
    ];
    let long = "x".repeat(70_000);
    let values = [
        json!([]),
        json!({}),
        json!(-1),
        json!(1e308),
        json!(18446744073709551615u64),
        json!(long),
        json!("nul\u{0000}byte"),
        json!(true),
        json!(null),
        json!([{"\u{0000}": "\u{0000}"}]),
        json!("2024-13-45T99:99:99Z"),
    ];
    let queries = [
        "limit=-1",
        "limit=abc&offset=-5",
        "offset=99999999999999999999",
        "order=%3Bdrop",
        "include_fields=,,,&exclude_fields=%00",
        "with_related=maybe",
        "filter=name+eq+%00",
        "filter=date_created+gt+2024-99-99",
        "after=not-a-sid",
        "nested_objects=sideways",
    ];
    let mut calls = 0;
    for route in &table {
        if route.auth.mode == AuthMode::Public {
            continue;
        }
        let path = concrete(&route.path);
        for q in queries {
            let r = app.req(route.method.clone(), &format!("{path}?{q}")).actor(root()).send().await;
            assert!(r.status.as_u16() < 500, "{} {}?{q}: {} {}", route.method, route.path, r.status, r.text());
            calls += 1;
        }
        if !matches!(route.method, Method::POST | Method::PATCH | Method::PUT) {
            continue;
        }
        for body in [json!([]), json!("x"), json!(12)].into_iter().chain(
            values.iter().map(|v| serde_json::Value::Object(keys.iter().map(|k| (k.to_string(), v.clone())).collect())),
        ) {
            let r = app.req(route.method.clone(), &path).actor(root()).json(body.clone()).send().await;
            let shown: String = body.to_string().chars().take(200).collect();
            assert!(r.status.as_u16() < 500, "{} {} {shown}: {} {}", route.method, route.path, r.status, r.text());
            calls += 1;
        }
    }
    assert!(calls > 500);
    // Bodies valid but for a NUL byte in free text (PostgreSQL text cannot hold one) or an
    // out-of-range number: a 4xx naming the field, nothing written.
    let nul = "a\u{0000}b";
    for (path, body, field) in [
        (
            "/core/v2/accesscontrol/rules",
            json!({"field":"to","quantifier":"any","entries":["1800"],"operation":"prefix","name":nul}),
            "name",
        ),
        (
            "/core/v2/accesscontrol/rules",
            json!({"field":"to","quantifier":"any","entries":[nul],"operation":"prefix"}),
            "entries",
        ),
        ("/core/v2/endpoints", json!({"name": nul, "type": "third_party", "addresses": [{"ip": "10.0.0.1"}]}), "name"),
        (
            "/core/v2/endpoints",
            json!({"name": "x", "type": "third_party", "addresses": [{"ip": "10.0.0.1"}], "attributes": {nul: nul}}),
            "attributes",
        ),
        ("/core/v2/trunk_groups", json!({"name": nul}), "name"),
        ("/core/v2/trunk_groups", json!({"name": "x", "capacity": 1e30}), "capacity"),
        ("/core/v2/phonenumber/did_groups", json!({"name": nul}), "name"),
        ("/core/v2/trunk_groups", json!({"name": "x", "capacity": 3_000_000_000u64}), "capacity"),
        (
            "/core/v2/endpoints",
            json!({"name": "x", "type": "third_party", "capacity": -3_000_000_000i64, "addresses": [{"ip": "10.0.0.1"}]}),
            "capacity",
        ),
        (
            "/core/v2/endpoints",
            json!({"name": "x", "type": "third_party", "addresses": [{"ip": "10.0.0.1", "port": 3_000_000_000u64}]}),
            "port",
        ),
        (
            "/core/v2/admin/dids",
            json!({"phonenumber": "15162065999", "capabilities": 3_000_000_000u64}),
            "capabilities",
        ),
        ("/core/v2/admin/dids", json!({"phonenumber": "15162065999", "price": "1e40"}), "price"),
    ] {
        let r = app.post(path).actor(root()).json(body.clone()).send().await;
        let shown: String = r.text().chars().take(300).collect();
        assert!(r.status.is_client_error(), "{path} {body}: {} {shown}", r.status);
        assert!(r.text().contains(field), "{path} {body}: {shown}");
    }
    let rules = app.get("/core/v2/accesscontrol/rules").actor(root()).ok().await;
    assert_eq!(rules["total"], 0, "nothing written");
    app.get("/core/v2/partners?filter=name+eq+a%00b").actor(root()).send().await.assert_error(400, "filter");
    let r = app.post("/core/v2/oauth/token").form("grant_type=password&username=a%00b&password=x").send().await;
    assert!(r.status.is_client_error() && r.text().contains("username"), "{}", r.text());
}

#[tokio::test]
async fn another_instance_decides_with_changed_acls_within_a_second() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (p, tok) = a.partner(&root(), "acl-shared", None).await;
    let psid = p["partner_sid"].as_str().unwrap().to_owned();
    let effective = "/core/v2/accesscontrol/effective_acl/calls";
    // B caches the partner's (empty) ACLs; a charge on A (a new balance) leaves them cached.
    assert_eq!(b.get(effective).actor(bearer(&tok)).ok().await["total"], 0);
    a.set_balance(&psid, "3", "postpay").await;
    let rule = a
        .post("/core/v2/accesscontrol/rules")
        .actor(bearer(&tok))
        .json(json!({"field": "to", "operation": "prefix", "quantifier": "any", "entries": ["1900"]}))
        .ok()
        .await;
    a.patch(&format!("/core/v2/partners/{psid}"))
        .actor(bearer(&tok))
        .json(json!({"acls": [{"access_control_rules": [rule["rule_sid"]], "direction": "outbound", "voice_action_true": "reject403"}]}))
        .ok()
        .await;
    assert_eq!(a.get(effective).actor(bearer(&tok)).ok().await["total"], 1, "A reads its write");
    eventually(Duration::from_secs(1), "instance B sees the new ACL", || async {
        b.get(effective).actor(bearer(&tok)).ok().await["total"] == 1
    })
    .await;
}

#[tokio::test]
async fn another_instance_sees_a_changed_endpoint_within_a_second() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (p, tok) = a.partner(&root(), "ep-shared", None).await;
    let tok = bearer(&tok);
    let e = a
        .post("/core/v2/endpoints")
        .actor(tok.clone())
        .json(json!({"name": "pbx", "type": "third_party", "addresses": [{"ip": "10.1.1.1"}]}))
        .ok()
        .await;
    let path = format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap());
    // Both instances cache it; A changes it and reads its write at once; B within a second.
    assert_eq!(b.get(&path).actor(tok.clone()).ok().await["name"], "pbx");
    assert_eq!(a.get(&path).actor(tok.clone()).ok().await["name"], "pbx");
    a.patch(&path).actor(tok.clone()).json(json!({"name": "renamed"})).ok().await;
    assert_eq!(a.get(&path).actor(tok.clone()).ok().await["name"], "renamed");
    eventually(Duration::from_secs(1), "instance B shows the renamed endpoint", || async {
        b.get(&path).actor(tok.clone()).ok().await["name"] == "renamed"
    })
    .await;
    // Field filtering and with_related still apply to the cached object.
    let some = b.get(&format!("{path}?include_fields=name")).actor(tok.clone()).ok().await;
    assert_eq!(some, json!({"name": "renamed"}));
    let related = b.get(&format!("{path}?with_related=true")).actor(tok.clone()).ok().await;
    assert_eq!(related["partner"]["partner_sid"], p["partner_sid"]);
    // Deleted on A: gone on B; the partner deleted: its endpoints are not found.
    a.delete(&path).actor(tok.clone()).send().await;
    eventually(Duration::from_secs(1), "instance B forgets the deleted endpoint", || async {
        b.get(&path).actor(root()).send().await.status == 404
    })
    .await;
    let e2 = a
        .post("/core/v2/endpoints")
        .actor(tok.clone())
        .json(json!({"name": "pbx2", "type": "third_party", "addresses": [{"ip": "10.1.1.2"}]}))
        .ok()
        .await;
    let path2 = format!("/core/v2/endpoints/{}", e2["endpoint_sid"].as_str().unwrap());
    assert_eq!(b.get(&path2).actor(root()).ok().await["name"], "pbx2");
    assert_eq!(
        a.delete(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
            .actor(root())
            .send()
            .await
            .status,
        204
    );
    eventually(Duration::from_secs(1), "instance B hides the deleted partner's endpoint", || async {
        b.get(&path2).actor(root()).send().await.status == 404
    })
    .await;
}

#[tokio::test]
async fn another_instance_sees_a_changed_trunk_group_within_a_second() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (_, tok) = a.partner(&root(), "tg-shared", None).await;
    let tok = bearer(&tok);
    let g = a.post("/core/v2/trunk_groups").actor(tok.clone()).json(json!({"name": "office"})).ok().await;
    let path = format!("/core/v2/trunk_groups/{}", g["trunk_group_sid"].as_str().unwrap());
    assert_eq!(b.get(&path).actor(tok.clone()).ok().await, g);
    assert_eq!(a.get(&path).actor(tok.clone()).ok().await, g);
    a.patch(&path).actor(tok.clone()).json(json!({"name": "renamed", "routing_type": "round_robin"})).ok().await;
    assert_eq!(a.get(&path).actor(tok.clone()).ok().await["routing_type"], "round_robin", "A reads its write");
    eventually(Duration::from_secs(1), "instance B shows the changed group", || async {
        b.get(&path).actor(tok.clone()).ok().await["name"] == "renamed"
    })
    .await;
    assert_eq!(a.delete(&path).actor(tok.clone()).send().await.status, 204);
    eventually(Duration::from_secs(1), "instance B forgets the deleted group", || async {
        b.get(&path).actor(tok.clone()).send().await.status == 404
    })
    .await;
}

#[tokio::test]
async fn another_instance_sees_a_changed_rule_within_a_second() {
    let a = TestApp::new().await;
    let b = a.another_instance().await;
    let (_, tok) = a.partner(&root(), "rule-shared", None).await;
    let tok = bearer(&tok);
    let r = a
        .post("/core/v2/accesscontrol/rules")
        .actor(tok.clone())
        .json(json!({"field": "to", "operation": "prefix", "quantifier": "any", "entries": ["1900"]}))
        .ok()
        .await;
    let path = format!("/core/v2/accesscontrol/rules/{}", r["rule_sid"].as_str().unwrap());
    assert_eq!(b.get(&path).actor(tok.clone()).ok().await, r);
    assert_eq!(a.get(&path).actor(tok.clone()).ok().await, r);
    a.patch(&path).actor(tok.clone()).json(json!({"entries": ["1976"]})).ok().await;
    assert_eq!(a.get(&path).actor(tok.clone()).ok().await["entries"], json!(["1976"]), "A reads its write");
    eventually(Duration::from_secs(1), "instance B shows the changed rule", || async {
        b.get(&path).actor(tok.clone()).ok().await["entries"] == json!(["1976"])
    })
    .await;
    assert_eq!(a.delete(&path).actor(tok.clone()).send().await.status, 204);
    eventually(Duration::from_secs(1), "instance B forgets the deleted rule", || async {
        b.get(&path).actor(tok.clone()).send().await.status == 404
    })
    .await;
}
