use serde_json::{json, Value};

use crate::common::*;

fn sample_rule() -> Value {
    json!({"field":"to", "quantifier":"any", "entries": ["1800","1615"], "operation":"prefix"})
}

#[tokio::test]
async fn creating_reading_and_updating_a_rule() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "acr", None).await;
    let r = app.post("/core/v2/accesscontrol/rules").actor(bearer(&tok)).json(sample_rule()).ok().await;
    let sid = r["rule_sid"].as_str().unwrap().to_owned();
    assert_eq!(
        r,
        json!({"entries": ["1800", "1615"], "field": "to", "name": "N/A", "operation": "prefix", "quantifier": "any",
               "read_only": false, "rule_sid": sid})
    );
    let path = format!("/core/v2/accesscontrol/rules/{sid}");
    assert_eq!(app.get(&path).actor(bearer(&tok)).ok().await, r);
    let u = app.patch(&path).actor(bearer(&tok)).json(json!({"operation":"exact"})).ok().await;
    assert_eq!(u["operation"], "exact");
    assert_eq!(u["entries"], json!(["1800", "1615"]));
    let list = app.get("/core/v2/accesscontrol/rules?offset=0&limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["rule_sid"], sid.as_str());
    let r = app
        .put(&path)
        .actor(bearer(&tok))
        .json(json!({"field":"called","quantifier":"none","entries":["1900"],"operation":"prefix","name":"no 900"}))
        .ok()
        .await;
    assert_eq!(r["name"], "no 900");
    assert_eq!(app.delete(&path).actor(bearer(&tok)).send().await.status, 204);
    assert_eq!(app.get(&path).actor(bearer(&tok)).send().await.status, 404);
}

#[tokio::test]
async fn bad_rules_name_every_field() {
    let app = TestApp::new().await;
    let r = app.post("/core/v2/accesscontrol/rules").actor(root()).json(json!({})).send().await;
    for f in ["entries", "field", "operation", "quantifier"] {
        r.assert_error(422, f);
    }
    let r = app
        .post("/core/v2/accesscontrol/rules")
        .actor(root())
        .json(json!({"field":"subject", "quantifier":"most", "entries": ["^1800", "([0-9"], "operation":"regexp"}))
        .send()
        .await;
    r.assert_error(422, "field");
    r.assert_error(422, "quantifier");
    r.assert_error(422, "entries[1]");
    let r = app
        .post("/core/v2/accesscontrol/rules")
        .actor(root())
        .json(json!({"field":"to","quantifier":"any","entries":[],"operation":"guess"}))
        .send()
        .await;
    r.assert_error(422, "entries");
    r.assert_error(422, "operation");
    // SMS fields, legacy names included.
    for f in ["from", "to", "message", "from_did", "to_did", "calling", "called"] {
        app.post("/core/v2/accesscontrol/rules")
            .actor(root())
            .json(json!({"field": f, "quantifier":"any","entries":["x"],"operation":"exact"}))
            .ok()
            .await;
    }
}

#[tokio::test]
async fn a_partner_sees_its_parents_rules_read_only_and_not_its_childrens() {
    let app = TestApp::new().await;
    let (_, parent) = app.partner(&root(), "acl_parent", None).await;
    let (_, child) = app.partner(&bearer(&parent), "acl_child", None).await;
    let pr = app.post("/core/v2/accesscontrol/rules").actor(bearer(&parent)).json(sample_rule()).ok().await;
    let cr = app.post("/core/v2/accesscontrol/rules").actor(bearer(&child)).json(sample_rule()).ok().await;
    let list = app.get("/core/v2/accesscontrol/rules").actor(bearer(&child)).ok().await;
    assert_eq!(list["total"], 2);
    let theirs = list["items"].as_array().unwrap().iter().find(|r| r["rule_sid"] == pr["rule_sid"]).unwrap();
    assert_eq!(theirs["read_only"], true);
    let mine = list["items"].as_array().unwrap().iter().find(|r| r["rule_sid"] == cr["rule_sid"]).unwrap();
    assert_eq!(mine["read_only"], false);
    let ppath = format!("/core/v2/accesscontrol/rules/{}", pr["rule_sid"].as_str().unwrap());
    assert_eq!(app.get(&ppath).actor(bearer(&child)).ok().await["read_only"], true);
    app.patch(&ppath).actor(bearer(&child)).json(json!({"name":"mine now"})).send().await.assert_error(403, "cause");
    app.delete(&ppath).actor(bearer(&child)).send().await.assert_error(403, "cause");
    // The parent does not see the child's rules.
    let list = app.get("/core/v2/accesscontrol/rules").actor(bearer(&parent)).ok().await;
    assert_eq!(list["total"], 1);
    let cpath = format!("/core/v2/accesscontrol/rules/{}", cr["rule_sid"].as_str().unwrap());
    assert_eq!(app.get(&cpath).actor(bearer(&parent)).send().await.status, 404);
    assert_eq!(app.delete(&cpath).actor(bearer(&parent)).send().await.status, 404);
    // A rule in use cannot be deleted.
    let csid =
        app.get("/core/v2/oauth/whoami").actor(bearer(&child)).ok().await["partner_sid"].as_str().unwrap().to_owned();
    app.patch(&format!("/core/v2/partners/{csid}"))
        .actor(bearer(&parent))
        .json(json!({"parent_assigned_acls": [{"access_control_rules": [pr["rule_sid"]], "direction": "outbound", "voice_action_true": "reject403"}]}))
        .ok()
        .await;
    app.delete(&ppath).actor(bearer(&parent)).send().await.assert_error(409, "rule_sid");
}

#[tokio::test]
async fn effective_acls_from_the_top_of_the_tree_down_to_the_trunk() {
    let app = TestApp::new().await;
    let (_, reseller) = app.partner(&root(), "eff_reseller", None).await;
    let (customer, cust_tok) = app.partner(&bearer(&reseller), "eff_customer", None).await;
    let rule = |tok: String| {
        let app = &app;
        async move {
            app.post("/core/v2/accesscontrol/rules").actor(bearer(&tok)).json(sample_rule()).ok().await["rule_sid"]
                .clone()
        }
    };
    let root_rule =
        app.post("/core/v2/accesscontrol/rules").actor(root()).json(sample_rule()).ok().await["rule_sid"].clone();
    let reseller_rule = rule(reseller.clone()).await;
    let customer_rule = rule(cust_tok.clone()).await;
    let acl = |r: &Value, dir: &str, voice: Option<&str>, sms: Option<&str>| {
        json!({"access_control_rules": [r], "direction": dir, "voice_action_true": voice, "sms_action_true": sms,
               "voice_action_false": null, "sms_action_false": null})
    };
    let root_sid = app.root_sid().await;
    app.patch(&format!("/core/v2/partners/{root_sid}"))
        .actor(root())
        .json(json!({"acls": [acl(&root_rule, "outbound", Some("reject503"), None)]}))
        .ok()
        .await;
    let rsid = app.get("/core/v2/oauth/whoami").actor(bearer(&reseller)).ok().await["partner_sid"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(&format!("/core/v2/partners/{rsid}"))
        .actor(bearer(&reseller))
        .json(json!({"acls": [acl(&reseller_rule, "any", None, Some("reject"))]}))
        .ok()
        .await;
    let csid = customer["partner_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/partners/{csid}"))
        .actor(bearer(&reseller))
        .json(json!({"parent_assigned_acls": [acl(&reseller_rule, "inbound", Some("reject403"), Some("accept"))]}))
        .ok()
        .await;
    let g = app
        .post("/core/v2/trunk_groups?with_trunks=true")
        .actor(bearer(&cust_tok))
        .json(json!({"acls": [acl(&customer_rule, "any", Some("accept"), None)], "trunks": [{"acls": [acl(&customer_rule, "outbound", Some("reject403"), None)]}]}))
        .ok()
        .await;
    let tg = g["trunk_group_sid"].as_str().unwrap();
    let trunk = g["trunks"][0]["trunk_sid"].as_str().unwrap();

    let r = app
        .get(&format!("/core/v2/accesscontrol/effective_acl/calls?trunk_sid={trunk}"))
        .actor(bearer(&cust_tok))
        .ok()
        .await;
    assert_eq!(keys(&r), vec!["count", "has_more", "items", "limit", "offset", "pagination", "total"]);
    let layers: Vec<u64> = r["items"].as_array().unwrap().iter().map(|l| l["layer"].as_u64().unwrap()).collect();
    assert_eq!(
        layers,
        vec![1, 3, 4, 5],
        "root, the customer (parent-assigned), its trunk group and trunk; the reseller's ACL is SMS only"
    );
    assert_eq!(r["items"][0]["effective_acls"][0]["voice_action_true"], "reject503");
    assert_eq!(r["items"][1]["effective_acls"][0]["voice_action_true"], "reject403");
    assert_eq!(keys(&r["items"][0]), vec!["effective_acls", "layer"]);
    assert_eq!(
        keys(&r["items"][0]["effective_acls"][0]),
        vec![
            "access_control_rules",
            "direction",
            "sms_action_false",
            "sms_action_true",
            "voice_action_false",
            "voice_action_true"
        ]
    );
    // direction=inbound: only ACLs for inbound or any.
    let r = app
        .get(&format!("/core/v2/accesscontrol/effective_acl/calls?trunk_group_sid={tg}&direction=inbound"))
        .actor(bearer(&cust_tok))
        .ok()
        .await;
    let layers: Vec<u64> = r["items"].as_array().unwrap().iter().map(|l| l["layer"].as_u64().unwrap()).collect();
    assert_eq!(layers, vec![3, 4]);
    // SMS: the partner layers, SMS actions only.
    let r = app.get("/core/v2/accesscontrol/effective_acl/sms").actor(bearer(&cust_tok)).ok().await;
    let layers: Vec<u64> = r["items"].as_array().unwrap().iter().map(|l| l["layer"].as_u64().unwrap()).collect();
    assert_eq!(layers, vec![2, 3]);
    assert_eq!(r["items"][0]["effective_acls"][0]["sms_action_true"], "reject");
    // The reseller asks for its customer; a stranger cannot.
    let r = app
        .get(&format!("/core/v2/accesscontrol/effective_acl/sms?partner_sid={csid}"))
        .actor(bearer(&reseller))
        .ok()
        .await;
    assert_eq!(r["total"], 2);
    let (_, stranger) = app.partner(&root(), "eff_stranger", None).await;
    assert_eq!(
        app.get(&format!("/core/v2/accesscontrol/effective_acl/sms?partner_sid={csid}"))
            .actor(bearer(&stranger))
            .send()
            .await
            .status,
        404
    );
    assert_eq!(
        app.get(&format!("/core/v2/accesscontrol/effective_acl/calls?trunk_group_sid={tg}"))
            .actor(bearer(&stranger))
            .send()
            .await
            .status,
        404
    );
    app.get("/core/v2/accesscontrol/effective_acl/calls?direction=sideways")
        .actor(bearer(&cust_tok))
        .send()
        .await
        .assert_error(400, "direction");
    // Trunk-level ACLs carry voice only.
    let r = app
        .patch(&format!("/core/v2/trunk_groups/{tg}"))
        .actor(bearer(&cust_tok))
        .json(json!({"acls": [acl(&customer_rule, "any", None, Some("reject"))]}))
        .send()
        .await;
    r.assert_error(422, "acls[0].sms_action_true");
}

/// The seed's `GET /accesscontrol/rules?offset=0&limit=1`: a parent's rule first, read-only,
/// and a `next` link that keeps `limit`.
#[tokio::test]
async fn the_rules_page_sample() {
    let app = TestApp::new().await;
    let (_, parent) = app.partner(&root(), "acl_pager", None).await;
    let (_, child) = app.partner(&bearer(&parent), "acl_paged", None).await;
    let first = app
        .post("/core/v2/accesscontrol/rules")
        .actor(bearer(&parent))
        .json(
            json!({"entries": ["18007"], "field": "called", "name": "1st", "operation": "prefix", "quantifier": "any"}),
        )
        .ok()
        .await;
    app.post("/core/v2/accesscontrol/rules").actor(bearer(&parent)).json(sample_rule()).ok().await;
    app.post("/core/v2/accesscontrol/rules").actor(bearer(&child)).json(sample_rule()).ok().await;
    let r = app.get("/core/v2/accesscontrol/rules?offset=0&limit=1").actor(bearer(&child)).ok().await;
    assert_eq!(
        r,
        json!({"count": 1, "has_more": true,
               "items": [{"entries": ["18007"], "field": "called", "name": "1st", "operation": "prefix", "quantifier": "any",
                          "read_only": true, "rule_sid": first["rule_sid"]}],
               "limit": 1, "offset": 0,
               "pagination": {"next": "http://api.test/core/v2/accesscontrol/rules?limit=1&offset=1"}, "total": 3})
    );
    let last = app.get("/core/v2/accesscontrol/rules?offset=2&limit=1").actor(bearer(&child)).ok().await;
    assert_eq!(last["has_more"], false);
    assert_eq!(last["items"][0]["read_only"], false);
    assert_eq!(last["pagination"], json!({"previous": "http://api.test/core/v2/accesscontrol/rules?limit=1&offset=1"}));
}

/// The seed's `GET /accesscontrol/effective_acl/calls` without arguments: the partner layers only.
#[tokio::test]
async fn effective_acls_of_the_partner_alone() {
    let app = TestApp::new().await;
    let (_, parent) = app.partner(&root(), "eff_parent", None).await;
    let (child, ctok) = app.partner(&bearer(&parent), "eff_child", None).await;
    let a = app.post("/core/v2/accesscontrol/rules").actor(bearer(&parent)).json(sample_rule()).ok().await;
    let b = app
        .post("/core/v2/accesscontrol/rules")
        .actor(bearer(&parent))
        .json(json!({"entries": ["1900"], "field": "called", "operation": "prefix", "quantifier": "none"}))
        .ok()
        .await;
    let acl = json!({"access_control_rules": [a["rule_sid"], b["rule_sid"]], "direction": "outbound",
                     "sms_action_false": null, "sms_action_true": null, "voice_action_false": null, "voice_action_true": "reject503"});
    app.patch(&format!("/core/v2/partners/{}", child["partner_sid"].as_str().unwrap()))
        .actor(bearer(&parent))
        .json(json!({"parent_assigned_acls": [acl]}))
        .ok()
        .await;
    let r = app.get("/core/v2/accesscontrol/effective_acl/calls").actor(bearer(&ctok)).ok().await;
    assert_eq!(r["count"], 1);
    assert_eq!(r["has_more"], false);
    // One layer a partner from the top: the root (1), eff_parent (2), eff_child (3); empty ones left out.
    assert_eq!(r["items"], json!([{"effective_acls": [acl], "layer": 3}]));
}
