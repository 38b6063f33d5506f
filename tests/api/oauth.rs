use serde_json::{json, Value};

use crate::common::*;

const TOKEN_KEYS: &[&str] = &[
    "access_token",
    "client_id",
    "date_created",
    "date_expiration_access_token",
    "date_expiration_refresh_token",
    "date_last_accessed",
    "ip_last_accessed",
    "name",
    "partner_sid",
    "refresh_token",
    "scopes",
    "token_sid",
    "token_type",
];

fn password_form(user: &str, pw: &str, extra: &str) -> String {
    format!(
        "grant_type=password&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&username={user}&password={pw}{extra}"
    )
}

#[tokio::test]
async fn a_password_grant_generates_the_reference_token_object() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "carrierx_partner", None).await;
    let t = app
        .post("/core/v2/oauth/token")
        .actor(root())
        .form(&password_form("carrierx_partner", "carrierx_partner-password", "&name=test_token"))
        .ok()
        .await;
    assert_eq!(keys(&t), TOKEN_KEYS);
    assert_eq!(t["client_id"], CLIENT_ID);
    assert_eq!(t["name"], "test_token");
    assert_eq!(t["partner_sid"], p["partner_sid"]);
    assert_eq!(t["token_type"], "bearer");
    assert_eq!(t["date_last_accessed"], Value::Null);
    assert_eq!(t["ip_last_accessed"], Value::Null);
    assert_eq!(t["scopes"], p["available_scopes"], "all available scopes by default");
    let year = |v: &Value| v.as_str().unwrap()[..4].parse::<i32>().unwrap();
    assert!(year(&t["date_expiration_access_token"]) >= year(&t["date_created"]) + 99, "about a hundred years");
    // The token works, without any other credential.
    let me = app.get("/core/v2/oauth/whoami").actor(bearer(t["access_token"].as_str().unwrap())).ok().await;
    assert_eq!(me["login"], "carrierx_partner");
    // The grant also works without an Authorization header.
    let t2 = app
        .post("/core/v2/oauth/token")
        .form(&password_form("carrierx_partner", "carrierx_partner-password", ""))
        .ok()
        .await;
    assert_ne!(t2["access_token"], t["access_token"]);
}

#[tokio::test]
async fn token_requests_check_the_client_and_the_credentials() {
    let app = TestApp::new().await;
    app.partner(&root(), "tok", None).await;
    let bad_secret =
        format!("grant_type=password&client_id={CLIENT_ID}&client_secret=nope&username=tok&password=tok-password");
    app.post("/core/v2/oauth/token").form(&bad_secret).send().await.assert_error(401, "cause");
    app.post("/core/v2/oauth/token").form(&password_form("tok", "wrong", "")).send().await.assert_error(401, "cause");
    app.post("/core/v2/oauth/token").form(&password_form("nobody", "x", "")).send().await.assert_error(401, "cause");
    // Nothing to authenticate with at all.
    app.post("/core/v2/oauth/token").form("grant_type=password").send().await.assert_error(401, "cause");
    // With a caller, a missing field is named.
    let r = app
        .post("/core/v2/oauth/token")
        .actor(root())
        .form(&format!("grant_type=password&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&username=tok"))
        .send()
        .await;
    r.assert_error(422, "password");
    let r = app.post("/core/v2/oauth/token").actor(root()).form("grant_type=magic").send().await;
    r.assert_error(422, "grant_type");
    let r = app
        .post("/core/v2/oauth/token")
        .actor(root())
        .form(&password_form("tok", "tok-password", "&access_token_expires_in=-5"))
        .send()
        .await;
    r.assert_error(422, "access_token_expires_in");
    // JSON bodies are not a form.
    let r = app.post("/core/v2/oauth/token").raw("<xml/>", Some("text/xml")).send().await;
    assert_eq!(r.status, 415);
}

#[tokio::test]
async fn the_scope_argument_narrows_a_token() {
    let app = TestApp::new().await;
    app.partner(&root(), "narrow", None).await;
    let t = app
        .post("/core/v2/oauth/token")
        .form(&password_form("narrow", "narrow-password", "&scope=partners.read,oauth.read"))
        .ok()
        .await;
    assert_eq!(t["scopes"], json!(["oauth.read", "partners.read"]));
    let tok = bearer(t["access_token"].as_str().unwrap());
    app.get("/core/v2/partners").actor(tok.clone()).ok().await;
    app.post("/core/v2/partners")
        .actor(tok)
        .json(json!({"login": "n2", "password": "p"}))
        .send()
        .await
        .assert_error(403, "cause");
    let r = app
        .post("/core/v2/oauth/token")
        .form(&password_form("narrow", "narrow-password", "&scope=admin.manage"))
        .send()
        .await;
    r.assert_error(422, "scope");
}

#[tokio::test]
async fn a_partner_generates_a_token_for_its_sub_partner() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "reseller", None).await;
    let (c, _) = app.partner(&bearer(&tok), "customer", None).await;
    let (other, _) = app.partner(&root(), "stranger", None).await;
    let c_sid = c["partner_sid"].as_str().unwrap();
    let form = format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}");
    let t = app.post(&format!("/core/v2/oauth/token/{c_sid}")).actor(bearer(&tok)).form(&form).ok().await;
    assert_eq!(keys(&t), TOKEN_KEYS);
    assert_eq!(t["partner_sid"], c_sid);
    let me = app.get("/core/v2/oauth/whoami").actor(bearer(t["access_token"].as_str().unwrap())).ok().await;
    assert_eq!(me["partner_sid"], c_sid);
    assert_eq!(me["parent_sid"], p["partner_sid"]);
    let r = app
        .post(&format!("/core/v2/oauth/token/{}", other["partner_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .form(&form)
        .send()
        .await;
    assert_eq!(r.status, 404);
    let r = app
        .post(&format!("/core/v2/oauth/token/{c_sid}"))
        .actor(bearer(&tok))
        .form(&format!("client_id={CLIENT_ID}"))
        .send()
        .await;
    r.assert_error(422, "client_secret");
}

#[tokio::test]
async fn revoking_a_token_ends_it() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "revoker", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let second = app.token_for(&root(), sid, None).await;
    app.get("/core/v2/oauth/whoami").actor(bearer(&second)).ok().await;
    let form = format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&token={second}");
    let r = app.post("/core/v2/oauth/revoke").actor(bearer(&tok)).form(&form).send().await;
    assert_eq!(r.status, 204);
    app.get("/core/v2/oauth/whoami").actor(bearer(&second)).send().await.assert_error(401, "cause");
    // Without `token`, the token of the request itself.
    let form = format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}");
    assert_eq!(app.post("/core/v2/oauth/revoke").actor(bearer(&tok)).form(&form).send().await.status, 204);
    app.get("/core/v2/oauth/whoami").actor(bearer(&tok)).send().await.assert_error(401, "cause");
    // Another partner's token is left alone.
    let (_, other) = app.partner(&root(), "other", None).await;
    let third = app.token_for(&root(), sid, None).await;
    let form = format!("client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&token={third}");
    assert_eq!(app.post("/core/v2/oauth/revoke").actor(bearer(&other)).form(&form).send().await.status, 204);
    app.get("/core/v2/oauth/whoami").actor(bearer(&third)).ok().await;
}

#[tokio::test]
async fn a_partner_lists_its_own_active_tokens() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "lister", None).await;
    app.partner(&root(), "someone_else", None).await;
    app.get("/core/v2/oauth/whoami").actor(bearer(&tok)).header("x-forwarded-for", "203.0.113.7").ok().await;
    let r = app.get("/core/v2/oauth/tokens").actor(bearer(&tok)).ok().await;
    assert_eq!(keys(&r), vec!["count", "has_more", "items", "limit", "offset", "pagination", "total"]);
    assert_eq!(r["count"], 1);
    assert_eq!(r["limit"], 10);
    assert_eq!(r["total"], Value::Null);
    assert_eq!(r["pagination"], json!({}));
    let t = &r["items"][0];
    assert_eq!(keys(t), TOKEN_KEYS);
    assert_eq!(t["access_token"], tok.as_str());
    assert_eq!(t["partner_sid"], p["partner_sid"]);
    assert_eq!(t["ip_last_accessed"], "203.0.113.7");
    assert!(t["date_last_accessed"].is_string());
    // with_related adds the partner
    let r = app.get("/core/v2/oauth/tokens?with_related=true").actor(bearer(&tok)).ok().await;
    assert_eq!(r["items"][0]["partner"]["login"], "lister");
    let token_sid = t["token_sid"].as_str().unwrap();
    let one = app.get(&format!("/core/v2/oauth/tokens/{token_sid}?with_related=true")).actor(bearer(&tok)).ok().await;
    assert_eq!(one["partner"]["partner_sid"], p["partner_sid"]);
    let one = app.get(&format!("/core/v2/oauth/tokens/{token_sid}")).actor(bearer(&tok)).ok().await;
    assert!(one.get("partner").is_none());
    assert_eq!(keys(&one), TOKEN_KEYS);
    for k in TOKEN_KEYS.iter().filter(|k| !k.ends_with("_last_accessed")) {
        assert_eq!(one[*k], t[*k], "{k}");
    }
    // The root does not see it without oauth.manage_all_tokens... but root has it.
    app.get(&format!("/core/v2/oauth/tokens/{token_sid}")).actor(root()).ok().await;
    let r = app.get(&format!("/core/v2/oauth/tokens/{}", new_uuid())).actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(
        r.json,
        json!({"message": "no item error", "errors": [{"field": null, "message": "cannot find token", "reference_sid": null}]})
    );
}

#[tokio::test]
async fn a_partner_without_manage_all_tokens_sees_only_its_own() {
    let app = TestApp::new().await;
    let plain = app.partner_with(&["oauth.manage", "partners.manage"]).await;
    let (_, child_tok) = app.partner(&plain, "plain_child", None).await;
    let child_token = app.get("/core/v2/oauth/tokens").actor(bearer(&child_tok)).ok().await["items"][0]["token_sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get(&format!("/core/v2/oauth/tokens/{child_token}")).actor(&plain).send().await.status, 404);
    let r = app.get("/core/v2/oauth/tokens").actor(&plain).ok().await;
    assert_eq!(r["count"], 1);
}

#[tokio::test]
async fn updating_a_token_name_and_its_scopes() {
    let app = TestApp::new().await;
    let upd = app.partner_with(&["oauth.manage", "partners.read", "partners.update"]).await;
    let sid =
        app.get("/core/v2/oauth/tokens").actor(&upd).ok().await["items"][0]["token_sid"].as_str().unwrap().to_owned();
    let path = format!("/core/v2/oauth/tokens/{sid}");
    let r = app.patch(&path).actor(&upd).json(json!({"name":"new_test_token"})).ok().await;
    assert_eq!(r["name"], "new_test_token");
    assert_eq!(keys(&r), TOKEN_KEYS);
    // Changing scopes needs oauth.allow_token_scope_update.
    app.patch(&path).actor(&upd).json(json!({"scopes": ["partners.read"]})).send().await.assert_error(403, "cause");
    let upd2 = app.partner_with(&["oauth.manage", "oauth.allow_token_scope_update", "partners.read"]).await;
    let sid2 =
        app.get("/core/v2/oauth/tokens").actor(&upd2).ok().await["items"][0]["token_sid"].as_str().unwrap().to_owned();
    let path2 = format!("/core/v2/oauth/tokens/{sid2}");
    let r = app
        .patch(&path2)
        .actor(&upd2)
        .json(json!({"scopes": ["oauth.manage", "oauth.allow_token_scope_update"]}))
        .ok()
        .await;
    assert_eq!(r["scopes"], json!(["oauth.allow_token_scope_update", "oauth.manage"]));
    app.get("/core/v2/partners").actor(&upd2).send().await.assert_error(403, "cause");
    app.patch(&path2).actor(&upd2).json(json!({"scopes": ["calls.manage"]})).send().await.assert_error(422, "scopes");
    // An expiry in the past ends the token at once.
    let r = app
        .patch(&path)
        .actor(&upd)
        .json(json!({"date_expiration_access_token": "2020-01-01T00:00:00.000Z"}))
        .ok()
        .await;
    assert_eq!(r["date_expiration_access_token"], "2020-01-01T00:00:00.000Z");
    app.get("/core/v2/oauth/whoami").actor(&upd).send().await.assert_error(401, "cause");
    app.patch(&path2)
        .actor(&upd2)
        .json(json!({"date_expiration_access_token": "soon"}))
        .send()
        .await
        .assert_error(422, "date_expiration_access_token");
}

#[tokio::test]
async fn refresh_grants_extend_or_replace_a_token() {
    let app = TestApp::new().await;
    app.partner(&root(), "refresher", None).await;
    let t = app
        .post("/core/v2/oauth/token")
        .form(&password_form("refresher", "refresher-password", "&access_token_expires_in=60"))
        .ok()
        .await;
    let refresh = t["refresh_token"].as_str().unwrap();
    let base =
        format!("grant_type=refresh_token&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&refresh_token={refresh}");
    let r = app.post("/core/v2/oauth/token").form(&format!("{base}&access_token_expires_in=7200")).ok().await;
    assert_eq!(r["access_token"], t["access_token"]);
    assert!(r["date_expiration_access_token"].as_str().unwrap() > t["date_expiration_access_token"].as_str().unwrap());
    let n = app.post("/core/v2/oauth/token").form(&format!("{base}&refresh_token_type=new_token")).ok().await;
    assert_ne!(n["access_token"], t["access_token"]);
    app.get("/core/v2/oauth/whoami").actor(bearer(n["access_token"].as_str().unwrap())).ok().await;
    let bad =
        format!("grant_type=refresh_token&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}&refresh_token=nope");
    app.post("/core/v2/oauth/token").form(&bad).send().await.assert_error(401, "cause");
}

#[tokio::test]
async fn whoami_returns_the_current_partner() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "johnsmith", None).await;
    let me = app.get("/core/v2/oauth/whoami").actor(bearer(&tok)).ok().await;
    assert_eq!(me, p);
    let me = app.get("/core/v2/oauth/whoami?include_fields=login,partner_sid").actor(bearer(&tok)).ok().await;
    assert_eq!(me, json!({"login": "johnsmith", "partner_sid": p["partner_sid"]}));
}

#[tokio::test]
async fn partner_logins_have_their_own_password_and_token_scopes() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "carrierx", None).await;
    let body = json!({"login":"carrierx_partner","password":"myStrongPassword123","token_scopes":["partners.read","partners.update"]});
    let l = app.post("/core/v2/oauth/logins").actor(bearer(&tok)).json(body).ok().await;
    assert_eq!(keys(&l), vec!["login", "login_sid", "partner_sid", "token_scopes"]);
    assert_eq!(l["login"], "carrierx_partner");
    assert_eq!(l["partner_sid"], p["partner_sid"]);
    assert_eq!(l["token_scopes"], json!(["partners.read", "partners.update"]));
    let sid = l["login_sid"].as_str().unwrap();
    let list = app.get("/core/v2/oauth/logins").actor(bearer(&tok)).ok().await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["limit"], 10);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0], l);
    assert_eq!(app.get(&format!("/core/v2/oauth/logins/{sid}")).actor(bearer(&tok)).ok().await, l);

    // The sub-login authenticates, with its token scopes only.
    let sub = basic("carrierx_partner", "myStrongPassword123");
    let me = app.get("/core/v2/oauth/whoami").actor(sub.clone()).ok().await;
    assert_eq!(me["partner_sid"], p["partner_sid"]);
    app.get("/core/v2/partners").actor(sub.clone()).ok().await;
    app.get("/core/v2/oauth/logins").actor(sub.clone()).send().await.assert_error(403, "cause");
    // ... and tokens made with it carry at most those scopes.
    let t = app
        .post("/core/v2/oauth/token")
        .actor(root())
        .form(&password_form("carrierx_partner", "myStrongPassword123", ""))
        .ok()
        .await;
    assert_eq!(t["scopes"], json!(["partners.read", "partners.update"]));
    let r = app
        .post("/core/v2/oauth/token")
        .form(&password_form("carrierx_partner", "myStrongPassword123", ""))
        .send()
        .await;
    assert_eq!(r.status, 403, "a sub-login without oauth scopes cannot mint tokens by itself");

    // Password change: the old one stops at once.
    let r = app
        .patch(&format!("/core/v2/oauth/logins/{sid}"))
        .actor(bearer(&tok))
        .json(json!({"password":"myNewStrongPassword"}))
        .ok()
        .await;
    assert_eq!(r, l);
    app.get("/core/v2/oauth/whoami").actor(sub).send().await.assert_error(401, "cause");
    app.get("/core/v2/oauth/whoami").actor(basic("carrierx_partner", "myNewStrongPassword")).ok().await;

    // Bad logins.
    let r = app
        .post("/core/v2/oauth/logins")
        .actor(bearer(&tok))
        .json(json!({"login":"other_x","password":"p","token_scopes":["nope.read"]}))
        .send()
        .await;
    r.assert_error(422, "login");
    r.assert_error(422, "token_scopes");
    app.post("/core/v2/oauth/logins")
        .actor(bearer(&tok))
        .json(json!({"login":"carrierx_partner","password":"p","token_scopes":[]}))
        .send()
        .await
        .assert_error(422, "login");

    // Another partner does not see it.
    let (_, other) = app.partner(&root(), "outsider", None).await;
    assert_eq!(app.get(&format!("/core/v2/oauth/logins/{sid}")).actor(bearer(&other)).send().await.status, 404);
    assert_eq!(app.delete(&format!("/core/v2/oauth/logins/{sid}")).actor(bearer(&other)).send().await.status, 404);

    assert_eq!(app.delete(&format!("/core/v2/oauth/logins/{sid}")).actor(bearer(&tok)).send().await.status, 204);
    app.get("/core/v2/oauth/whoami")
        .actor(basic("carrierx_partner", "myNewStrongPassword"))
        .send()
        .await
        .assert_error(401, "cause");
    app.get("/core/v2/oauth/whoami")
        .actor(bearer(t["access_token"].as_str().unwrap()))
        .send()
        .await
        .assert_error(401, "cause");
}
