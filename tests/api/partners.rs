use serde_json::{json, Value};

use crate::common::*;

const PARTNER_KEYS: &[&str] = &[
    "acls",
    "address1",
    "address2",
    "attributes",
    "available_scopes",
    "balance",
    "billing_email",
    "callbacks",
    "charge_at",
    "city",
    "company_name",
    "compliance_email",
    "country_code",
    "daily_spending_limit",
    "daily_spent_amount",
    "date_created",
    "display_id",
    "login",
    "name",
    "owner_email",
    "owner_email_pending",
    "parent_assigned_acls",
    "parent_sid",
    "partner_sid",
    "payment_type",
    "phonenumber",
    "prepay_amount",
    "spending_limit",
    "state",
    "status",
    "tech_email",
    "transformations",
    "zip",
];

fn sample_body() -> Value {
    json!({"login":"john", "password":"sample_password", "name":"John Smith", "company_name": "ABC", "parent_sid":"",
           "country_code":"USA", "zip":"90804", "owner_email": "johnsmith@carriex.com", "payment_type": "postpay",
           "phonenumber": "180045012323", "charge_at": 20, "prepay_amount": "100"})
}

async fn verification_link(app: &TestApp, email: &str) -> String {
    let mails = app.get(&format!("/core/v2/admin/mails?filter=recipients+eq+%22{email}%22")).actor(root()).ok().await;
    let body = mails["items"][0]["body_text"].as_str().expect("a verification mail").to_owned();
    let start = body.find("http://").expect("a link");
    body[start..].split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn creating_the_reference_sample_partner_waits_for_email_verification() {
    let app = TestApp::with_config(|c| c.email_verification = carrierx_core::config::EmailVerification::Required).await;
    let root_sid = app.root_sid().await;
    let p = app.post("/core/v2/partners").actor(root()).json(sample_body()).ok().await;
    assert_eq!(keys(&p), PARTNER_KEYS);
    assert_eq!(p["acls"], json!([]));
    assert_eq!(p["address1"], Value::Null);
    assert_eq!(p["attributes"], json!({}));
    assert_eq!(p["balance"], "5");
    assert_eq!(p["billing_email"], Value::Null);
    assert_eq!(p["charge_at"], Value::Null, "postpay ignores charge_at");
    assert_eq!(p["prepay_amount"], Value::Null, "postpay ignores prepay_amount");
    assert_eq!(p["company_name"], "ABC");
    assert_eq!(p["country_code"], "USA");
    assert_eq!(p["daily_spending_limit"], "500");
    assert_eq!(p["daily_spent_amount"], "0");
    assert!(p["display_id"].as_str().unwrap().starts_with("CX") && p["display_id"].as_str().unwrap().len() == 10);
    assert_eq!(p["login"], "john");
    assert_eq!(p["name"], "John Smith");
    assert_eq!(p["owner_email"], Value::Null, "hidden until verified");
    assert_eq!(p["owner_email_pending"], "johnsmith@carriex.com");
    assert_eq!(p["parent_sid"], root_sid.as_str(), "the creator becomes the parent");
    assert_eq!(p["payment_type"], "postpay");
    assert_eq!(p["phonenumber"], "180045012323");
    assert_eq!(p["spending_limit"], "100");
    assert_eq!(p["status"], "unverified");
    assert_eq!(p["transformations"], json!([]));
    assert_eq!(p["zip"], "90804");
    assert!(p.get("password").is_none());
    assert!(p["date_created"].as_str().unwrap().ends_with('Z'));
    let sid = p["partner_sid"].as_str().unwrap();

    // Missing from the list until verified; readable by SID.
    let list = app.get("/core/v2/partners?filter=login+eq+john").actor(root()).ok().await;
    assert_eq!(list["total"], 0);
    let got = app.get(&format!("/core/v2/partners/{sid}")).actor(root()).ok().await;
    assert_eq!(got["owner_email"], Value::Null);

    // The unverified partner cannot use the API yet.
    app.get("/core/v2/oauth/whoami").actor(basic("john", "sample_password")).send().await.assert_error(401, "cause");

    // Following the mailed link verifies the address and activates the partner.
    let link = verification_link(&app, "johnsmith@carriex.com").await;
    let path = link.trim_start_matches("http://api.test");
    let v = app.get(path).ok().await;
    assert_eq!(v["email"], "johnsmith@carriex.com");
    let got = app.get(&format!("/core/v2/partners/{sid}")).actor(root()).ok().await;
    assert_eq!(got["owner_email"], "johnsmith@carriex.com");
    assert_eq!(got["owner_email_pending"], Value::Null);
    assert_eq!(got["status"], "active");
    let list = app.get("/core/v2/partners?filter=login+eq+john").actor(root()).ok().await;
    assert_eq!(list["total"], 1);
    app.get("/core/v2/oauth/whoami").actor(basic("john", "sample_password")).ok().await;
    // A link works once.
    assert_eq!(app.get(path).send().await.status, 404);
}

#[tokio::test]
async fn get_partners_returns_the_list_envelope() {
    let app = TestApp::new().await;
    app.post("/core/v2/partners").actor(root()).json(json!({"login": "example", "password": "pw", "name": "John Smith",
        "company_name": "FreeConferenceCall", "billing_email": "example@example.com", "owner_email": "example@example.com",
        "tech_email": "example@example.com", "payment_type": "prepay", "charge_at": "20", "prepay_amount": 100,
        "country_code": "USA", "zip": "90804", "phonenumber": "8448440707"})).ok().await;
    let r = app.get("/core/v2/partners?filter=login+eq+example").actor(root()).ok().await;
    assert_eq!(keys(&r), vec!["count", "has_more", "items", "limit", "offset", "pagination", "total"]);
    assert_eq!(r["count"], 1);
    assert_eq!(r["has_more"], false);
    assert_eq!(r["pagination"], json!({}));
    assert_eq!(r["total"], 1);
    let p = &r["items"][0];
    assert_eq!(keys(p), PARTNER_KEYS);
    assert_eq!(p["billing_email"], "example@example.com");
    assert_eq!(p["charge_at"], "20");
    assert_eq!(p["prepay_amount"], "100");
    assert_eq!(p["payment_type"], "prepay");
    assert_eq!(p["status"], "active");
    assert_eq!(p["tech_email"], "example@example.com");
}

#[tokio::test]
async fn patch_changes_only_what_is_sent() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "example", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let r = app
        .patch(&format!("/core/v2/partners/{sid}"))
        .actor(root())
        .json(json!({"address1":"4300 E Pacific Coast Hwy"}))
        .ok()
        .await;
    assert_eq!(r["address1"], "4300 E Pacific Coast Hwy");
    assert_eq!(r["name"], "example");
    assert_eq!(keys(&r), PARTNER_KEYS);
    let again = app.get(&format!("/core/v2/partners/{sid}")).actor(root()).ok().await;
    assert_eq!(again, r);
}

#[tokio::test]
async fn nested_objects_follow_the_four_patch_rules() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "nested", None).await;
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    let r = app.patch(&path).actor(root()).json(json!({"attributes":{"name":"New Partner Name"}})).ok().await;
    assert_eq!(r["attributes"], json!({"name": "New Partner Name"}));
    let r = app.patch(&path).actor(root()).json(json!({"attributes":{"name2":"New Partner Name 2"}})).ok().await;
    assert_eq!(r["attributes"], json!({"name": "New Partner Name", "name2": "New Partner Name 2"}));
    let r = app.patch(&path).actor(root()).json(json!({"attributes":{"name":"Renamed"}})).ok().await;
    assert_eq!(r["attributes"], json!({"name": "Renamed", "name2": "New Partner Name 2"}));
    let r = app.patch(&path).actor(root()).json(json!({"attributes":{"name2":null}})).ok().await;
    assert_eq!(r["attributes"], json!({"name": "Renamed"}));
    let r = app
        .patch(&format!("{path}?nested_objects=replace"))
        .actor(root())
        .json(json!({"attributes":{"name3":"New Partner Name 3"}}))
        .ok()
        .await;
    assert_eq!(r["attributes"], json!({"name3": "New Partner Name 3"}));
    app.patch(&format!("{path}?nested_objects=merge"))
        .actor(root())
        .json(json!({}))
        .send()
        .await
        .assert_error(400, "nested_objects");
}

#[tokio::test]
async fn put_replaces_the_object_and_ignores_read_only_fields() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "putme", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let path = format!("/core/v2/partners/{sid}");
    app.patch(&path).actor(root()).json(json!({"city": "Long Beach", "attributes": {"a": 1}})).ok().await;
    let r = app
        .put(&path)
        .actor(root())
        .json(json!({"name": "Put", "balance": "1000", "partner_sid": new_uuid(), "display_id": "CX00000000", "login": "other"}))
        .ok()
        .await;
    assert_eq!(r["name"], "Put");
    assert_eq!(r["city"], Value::Null, "PUT resets what is not sent");
    assert_eq!(r["attributes"], json!({}));
    assert_eq!(r["balance"], p["balance"], "balance is read only");
    assert_eq!(r["partner_sid"], sid);
    assert_eq!(r["display_id"], p["display_id"]);
    assert_eq!(r["login"], "putme", "login is set at creation only");
}

#[tokio::test]
async fn bad_partner_bodies_name_every_bad_field() {
    let app = TestApp::new().await;
    let r = app
        .post("/core/v2/partners")
        .actor(root())
        .json(json!({"login": 5, "name": ["x"], "colour": "red", "password": "x"}))
        .send()
        .await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json["message"], "object validation error");
    for f in ["login", "name", "colour"] {
        r.assert_error(422, f);
    }
    let r = app.post("/core/v2/partners").actor(root()).json(json!({})).send().await;
    r.assert_error(422, "login");
    r.assert_error(422, "password");
    let r = app
        .post("/core/v2/partners")
        .actor(root())
        .json(json!({"login": "ok", "password": "pw", "payment_type": "barter", "country_code": "ZZZ", "owner_email": "nope",
                     "charge_at": "-1", "callbacks": {"fax": "http://x"}, "parent_sid": new_uuid()}))
        .send()
        .await;
    for f in ["payment_type", "country_code", "owner_email", "charge_at", "callbacks.fax", "parent_sid"] {
        r.assert_error(422, f);
    }
    // Nothing was written.
    let list = app.get("/core/v2/partners?filter=login+eq+ok").actor(root()).ok().await;
    assert_eq!(list["total"], 0);
}

#[tokio::test]
async fn a_login_is_unique() {
    let app = TestApp::new().await;
    app.partner(&root(), "taken", None).await;
    let r = app.post("/core/v2/partners").actor(root()).json(json!({"login": "taken", "password": "pw"})).send().await;
    r.assert_error(422, "login");
    assert_eq!(r.json["errors"][0]["message"], "this login already exists");
    let r = app.post("/core/v2/partners").actor(root()).json(json!({"login": "root", "password": "pw"})).send().await;
    r.assert_error(422, "login");
}

#[tokio::test]
async fn a_partner_sees_its_subtree_only() {
    let app = TestApp::new().await;
    let (a, a_tok) = app.partner(&root(), "alpha", None).await;
    let (b, _) = app.partner(&root(), "beta", None).await;
    let (a1, a1_tok) = app.partner(&bearer(&a_tok), "alpha_child", None).await;
    assert_eq!(a1["parent_sid"], a["partner_sid"]);
    let a_sid = a["partner_sid"].as_str().unwrap();
    let b_sid = b["partner_sid"].as_str().unwrap();
    let a1_sid = a1["partner_sid"].as_str().unwrap();
    // alpha sees itself and its child
    let list = app.get("/core/v2/partners").actor(bearer(&a_tok)).ok().await;
    let mut sids: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|p| p["partner_sid"].as_str().unwrap()).collect();
    sids.sort();
    let mut want = vec![a_sid, a1_sid];
    want.sort();
    assert_eq!(sids, want);
    app.get(&format!("/core/v2/partners/{a1_sid}")).actor(bearer(&a_tok)).ok().await;
    // ... but not its sibling or its parent: 404, not 403.
    for target in [b_sid.to_owned(), app.root_sid().await] {
        let r = app.get(&format!("/core/v2/partners/{target}")).actor(bearer(&a_tok)).send().await;
        assert_eq!(r.status, 404);
        assert_eq!(r.json["errors"][0]["message"], "cannot find partner");
        assert_eq!(
            app.patch(&format!("/core/v2/partners/{target}"))
                .actor(bearer(&a_tok))
                .json(json!({"name": "x"}))
                .send()
                .await
                .status,
            404
        );
        assert_eq!(app.delete(&format!("/core/v2/partners/{target}")).actor(bearer(&a_tok)).send().await.status, 404);
        assert_eq!(
            app.get(&format!("/core/v2/partners/{target}/billing_method")).actor(bearer(&a_tok)).send().await.status,
            404
        );
    }
    // The child does not see its parent.
    assert_eq!(app.get(&format!("/core/v2/partners/{a_sid}")).actor(bearer(&a1_tok)).send().await.status, 404);
    // parent_sid must be in the caller's tree.
    let r = app
        .post("/core/v2/partners")
        .actor(bearer(&a_tok))
        .json(json!({"login": "x1", "password": "p", "parent_sid": b_sid}))
        .send()
        .await;
    r.assert_error(422, "parent_sid");
    let r = app
        .post("/core/v2/partners")
        .actor(bearer(&a_tok))
        .json(json!({"login": "x2", "password": "p", "parent_sid": a1_sid}))
        .ok()
        .await;
    assert_eq!(r["parent_sid"], a1_sid);
}

#[tokio::test]
async fn a_sub_partner_gets_its_parents_scopes_without_admin_ones() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "scoped", None).await;
    let scopes: Vec<&str> = p["available_scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(scopes.contains(&"partners.manage"));
    assert!(!scopes.iter().any(|s| s.starts_with("admin.")));
    // available_scopes is read-only outside the admin routes.
    let r = app
        .post("/core/v2/partners")
        .actor(bearer(&tok))
        .json(json!({"login": "sub", "password": "p", "available_scopes": ["admin.manage"]}))
        .ok()
        .await;
    assert!(!r["available_scopes"].as_array().unwrap().iter().any(|s| s == "admin.manage"));
    let sid = r["partner_sid"].as_str().unwrap();
    let r = app
        .patch(&format!("/core/v2/partners/{sid}"))
        .actor(bearer(&tok))
        .json(json!({"available_scopes": ["partners.read"]}))
        .ok()
        .await;
    assert!(r["available_scopes"].as_array().unwrap().len() > 1);
    // The admin route sets them, and shows the admin-only attributes.
    let r = app
        .patch(&format!("/core/v2/admin/partners/{sid}"))
        .actor(root())
        .json(json!({"available_scopes": ["partners.read", "oauth.read"]}))
        .ok()
        .await;
    assert_eq!(r["available_scopes"], json!(["oauth.read", "partners.read"]));
    assert!(r["id"].is_i64());
    assert_eq!(r["system_attributes"], json!({}));
    let r = app
        .patch(&format!("/core/v2/admin/partners/{sid}"))
        .actor(root())
        .json(json!({"available_scopes": ["partners.fly"]}))
        .send()
        .await;
    r.assert_error(422, "available_scopes");
}

#[tokio::test]
async fn acls_belong_to_the_partner_and_parent_assigned_acls_to_its_parent() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "acl", None).await;
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    let rule = app
        .post("/core/v2/accesscontrol/rules")
        .actor(root())
        .json(json!({"field":"to", "quantifier":"any", "entries": ["1800"], "operation":"prefix"}))
        .ok()
        .await;
    let acl = json!([{"access_control_rules": [rule["rule_sid"]], "direction": "outbound", "sms_action_false": null,
                      "sms_action_true": "reject", "voice_action_false": null, "voice_action_true": "reject403"}]);
    let r = app.patch(&path).actor(root()).json(json!({"parent_assigned_acls": acl})).ok().await;
    assert_eq!(r["parent_assigned_acls"], acl);
    app.patch(&path).actor(root()).json(json!({"acls": acl})).send().await.assert_error(422, "acls");
    app.patch(&path)
        .actor(bearer(&tok))
        .json(json!({"parent_assigned_acls": []}))
        .send()
        .await
        .assert_error(422, "parent_assigned_acls");
    let r = app.patch(&path).actor(bearer(&tok)).json(json!({"acls": acl})).ok().await;
    assert_eq!(r["acls"], acl);
    // Sending the whole object back unchanged is fine.
    let full = app.get(&path).actor(bearer(&tok)).ok().await;
    app.put(&path).actor(bearer(&tok)).json(full).ok().await;
    let bad = json!([{"access_control_rules": ["nope"], "direction": "sideways", "voice_action_true": "drop"}]);
    let r = app.patch(&path).actor(bearer(&tok)).json(json!({"acls": bad})).send().await;
    r.assert_error(422, "acls[0].direction");
    r.assert_error(422, "acls[0].voice_action_true");
    r.assert_error(422, "acls[0].access_control_rules[0]");
    // A rule the partner cannot see (not its own or an ancestor's) is refused.
    let r = app
        .patch(&path)
        .actor(bearer(&tok))
        .json(json!({"acls": [{"access_control_rules": [new_uuid()], "voice_action_true": "reject403"}]}))
        .send()
        .await;
    r.assert_error(422, "acls[0].access_control_rules[0]");
}

#[tokio::test]
async fn deleting_a_partner_needs_its_sub_partners_gone_first() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "parent", None).await;
    let (c, c_tok) = app.partner(&bearer(&tok), "child", None).await;
    let p_sid = p["partner_sid"].as_str().unwrap();
    let c_sid = c["partner_sid"].as_str().unwrap();
    app.delete(&format!("/core/v2/partners/{p_sid}")).actor(root()).send().await.assert_error(409, "partner_sid");
    app.delete(&format!("/core/v2/partners/{p_sid}")).actor(bearer(&tok)).send().await.assert_error(422, "partner_sid");
    let r = app.delete(&format!("/core/v2/partners/{c_sid}")).actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 204);
    assert!(r.bytes.is_empty());
    assert_eq!(app.get(&format!("/core/v2/partners/{c_sid}")).actor(root()).send().await.status, 404);
    assert_eq!(app.get("/core/v2/oauth/whoami").actor(bearer(&c_tok)).send().await.status, 401);
    assert_eq!(app.delete(&format!("/core/v2/partners/{p_sid}")).actor(root()).send().await.status, 204);
    // The login is free again.
    app.post("/core/v2/partners").actor(root()).json(json!({"login": "child", "password": "p"})).ok().await;
}

#[tokio::test]
async fn an_email_change_waits_for_verification_when_required() {
    let app = TestApp::with_config(|c| c.email_verification = carrierx_core::config::EmailVerification::Required).await;
    let p = app.post("/core/v2/partners").actor(root()).json(json!({"login": "mailer", "password": "p"})).ok().await;
    assert_eq!(p["status"], "active", "nothing to verify");
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    let r = app
        .patch(&path)
        .actor(root())
        .json(json!({"owner_email": "new@example.com", "compliance_email": "a@b.com, c@d.com"}))
        .ok()
        .await;
    assert_eq!(r["owner_email"], Value::Null);
    assert_eq!(r["owner_email_pending"], "new@example.com");
    assert_eq!(r["compliance_email"], "a@b.com, c@d.com");
    let link = verification_link(&app, "new@example.com").await;
    app.get(link.trim_start_matches("http://api.test")).ok().await;
    let r = app.get(&path).actor(root()).ok().await;
    assert_eq!(r["owner_email"], "new@example.com");
    assert_eq!(r["owner_email_pending"], Value::Null);
}

#[tokio::test]
async fn a_password_change_takes_effect_at_once_for_basic_auth() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "changer", None).await;
    let old = basic("changer", "changer-password");
    app.get("/core/v2/oauth/whoami").actor(old.clone()).ok().await;
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"password": "s3cret!"}))
        .ok()
        .await;
    app.get("/core/v2/oauth/whoami").actor(old).send().await.assert_error(401, "cause");
    app.get("/core/v2/oauth/whoami").actor(basic("changer", "s3cret!")).ok().await;
}

#[tokio::test]
async fn a_partner_cannot_lock_itself_out() {
    let app = TestApp::new().await;
    let sid = app.root_sid().await;
    let path = format!("/core/v2/admin/partners/{sid}");
    // A PUT without available_scopes would empty them: refused for the caller itself.
    app.put(&path).actor(root()).json(json!({"name": "Root"})).send().await.assert_error(422, "available_scopes");
    app.patch(&path)
        .actor(root())
        .json(json!({"available_scopes": []}))
        .send()
        .await
        .assert_error(422, "available_scopes");
    app.patch(&path).actor(root()).json(json!({"status": "canceled"})).send().await.assert_error(422, "status");
    let me = app.get("/core/v2/oauth/whoami").actor(root()).ok().await;
    assert!(me["available_scopes"].as_array().unwrap().len() > 100);
    assert_eq!(me["status"], "active");
    // Its children's scopes are still the admin's to set.
    let (child, _) = app.partner(&root(), "scoped_child", None).await;
    let c = app
        .patch(&format!("/core/v2/admin/partners/{}", child["partner_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"available_scopes": ["partners.read"]}))
        .ok()
        .await;
    assert_eq!(c["available_scopes"], json!(["partners.read"]));
}
