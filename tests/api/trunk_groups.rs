use serde_json::{json, Value};

use crate::common::*;

const GROUP_KEYS: &[&str] = &[
    "acls",
    "external_handlers",
    "hard_failure_codes",
    "hard_failure_cooldown",
    "hard_failure_interval",
    "hard_failure_last_resort",
    "hard_failure_threshold",
    "name",
    "partner_sid",
    "routing_data",
    "routing_type",
    "sip_options_locations",
    "sip_options_threshold",
    "soft_failure_codes",
    "transformations",
    "trunk_group_sid",
];

const TRUNK_KEYS: &[&str] = &[
    "acls",
    "allow_forward",
    "allow_transfer",
    "asn_mode",
    "call_type",
    "codec",
    "endpoint_sid",
    "in_capacity",
    "in_identity_format",
    "in_identity_mode",
    "in_rfc_4694_mode",
    "location_sid",
    "name",
    "out_capacity",
    "out_identity_mode",
    "out_rfc_4694_mode",
    "priority",
    "relay_sip_headers",
    "transformations",
    "trunk_sid",
    "weight",
];

#[tokio::test]
async fn a_trunk_group_created_with_its_trunks() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "tg", None).await;
    let g = app
        .post("/core/v2/trunk_groups?with_trunks=true")
        .actor(bearer(&tok))
        .json(json!({"name":"New Trunk Group","trunks":[{"name":"Trunk1","endpoint_sid":""}]}))
        .ok()
        .await;
    let mut want: Vec<&str> = GROUP_KEYS.to_vec();
    want.push("trunks");
    assert_eq!(keys(&g), want);
    assert_eq!(g["name"], "New Trunk Group");
    assert_eq!(g["partner_sid"], p["partner_sid"]);
    assert_eq!(g["hard_failure_codes"], "408;");
    assert_eq!(g["hard_failure_cooldown"], 120);
    assert_eq!(g["hard_failure_interval"], 60);
    assert_eq!(g["hard_failure_last_resort"], "first");
    assert_eq!(g["hard_failure_threshold"], 3);
    assert_eq!(g["routing_data"], Value::Null);
    assert_eq!(g["routing_type"], "failover");
    assert_eq!(g["sip_options_locations"], json!([]));
    assert_eq!(g["sip_options_threshold"], 3);
    assert_eq!(g["soft_failure_codes"], "408;");
    let t = &g["trunks"][0];
    assert_eq!(keys(t), TRUNK_KEYS);
    assert_eq!(t["name"], "Trunk1");
    assert_eq!(t["endpoint_sid"], Value::Null);
    assert_eq!(t["allow_forward"], "disabled");
    assert_eq!(t["allow_transfer"], false);
    assert_eq!(t["asn_mode"], "disable");
    assert_eq!(t["call_type"], "regular");
    assert_eq!(t["in_rfc_4694_mode"], "cut_all");
    assert_eq!(t["in_identity_mode"], "passthrough");
    // The list with and without trunks, and the next link keeping with_trunks.
    app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    let r = app.get("/core/v2/trunk_groups?with_trunks=true&limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(r["total"], 2);
    assert_eq!(r["items"][0]["trunks"][0]["name"], "Trunk1");
    assert_eq!(r["pagination"]["next"], "http://api.test/core/v2/trunk_groups?with_trunks=true&limit=1&offset=1");
    let r = app.get("/core/v2/trunk_groups?limit=1&offset=1").actor(bearer(&tok)).ok().await;
    assert!(r["items"][0].get("trunks").is_none());
    assert_eq!(r["items"][0]["name"], "N/A");
    let r = app.get("/core/v2/trunk_groups?with_related=true&limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(r["items"][0]["partner"]["login"], "tg");
}

#[tokio::test]
async fn trunks_inside_a_group() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "trunker", None).await;
    let g = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({"name":"g"})).ok().await;
    let gpath = format!("/core/v2/trunk_groups/{}", g["trunk_group_sid"].as_str().unwrap());
    let t = app.post(&format!("{gpath}/trunks")).actor(bearer(&tok)).json(json!({})).ok().await;
    assert_eq!(keys(&t), TRUNK_KEYS);
    assert_eq!(t["name"], "N/A");
    let e = app
        .post("/core/v2/endpoints")
        .actor(bearer(&tok))
        .json(json!({"type":"third_party","addresses":[{"ip":"10.1.1.1"}]}))
        .ok()
        .await;
    let tpath = format!("{gpath}/trunks/{}", t["trunk_sid"].as_str().unwrap());
    let r = app
        .patch(&tpath)
        .actor(bearer(&tok))
        .json(json!({"name":"trunk01", "endpoint_sid": e["endpoint_sid"], "allow_forward": "reroute", "relay_sip_headers": ["X-Foo"]}))
        .ok()
        .await;
    assert_eq!(r["name"], "trunk01");
    assert_eq!(r["endpoint_sid"], e["endpoint_sid"]);
    assert_eq!(r["allow_forward"], "reroute");
    assert_eq!(app.get(&tpath).actor(bearer(&tok)).ok().await, r);
    let list = app.get(&format!("{gpath}/trunks")).actor(bearer(&tok)).ok().await;
    assert_eq!(list["count"], 1);
    // An endpoint used by a trunk cannot be deleted.
    let r = app
        .delete(&format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .send()
        .await;
    r.assert_error(409, "endpoint_sid");
    // Bad values are named.
    let r = app
        .patch(&tpath)
        .actor(bearer(&tok))
        .json(json!({"allow_forward":"sideways","asn_mode":"x","in_capacity":-1,"endpoint_sid":"nope","acls":[{"sms_action_true":"reject"}]}))
        .send()
        .await;
    for f in ["allow_forward", "asn_mode", "in_capacity", "endpoint_sid", "acls[0].sms_action_true"] {
        r.assert_error(422, f);
    }
    // Another partner's endpoint cannot be used.
    let (_, other) = app.partner(&root(), "other_tr", None).await;
    let oe = app.post("/core/v2/endpoints").actor(bearer(&other)).json(json!({"type":"mediator"})).ok().await;
    app.patch(&tpath)
        .actor(bearer(&tok))
        .json(json!({"endpoint_sid": oe["endpoint_sid"]}))
        .send()
        .await
        .assert_error(422, "endpoint_sid");
    // PUT resets to the defaults.
    let r = app.put(&tpath).actor(bearer(&tok)).json(json!({"name":"only"})).ok().await;
    assert_eq!(r["allow_forward"], "disabled");
    assert_eq!(r["endpoint_sid"], Value::Null);
    assert_eq!(app.delete(&tpath).actor(bearer(&tok)).send().await.status, 204);
    assert_eq!(app.get(&tpath).actor(bearer(&tok)).send().await.status, 404);
    // Deleting the group takes its trunks.
    app.post(&format!("{gpath}/trunks")).actor(bearer(&tok)).json(json!({})).ok().await;
    assert_eq!(app.delete(&gpath).actor(bearer(&tok)).send().await.status, 204);
    assert_eq!(app.get(&gpath).actor(bearer(&tok)).send().await.status, 404);
}

#[tokio::test]
async fn updating_a_trunk_group() {
    let app = TestApp::new().await;
    let g = app.post("/core/v2/trunk_groups").actor(root()).json(json!({"name":"New Trunk Group"})).ok().await;
    let path = format!("/core/v2/trunk_groups/{}", g["trunk_group_sid"].as_str().unwrap());
    let r = app
        .patch(&path)
        .actor(root())
        .json(json!({"name":"Renamed","hard_failure_codes":"408;503;","hard_failure_last_resort":"reject503"}))
        .ok()
        .await;
    assert_eq!(keys(&r), GROUP_KEYS);
    assert_eq!(r["name"], "Renamed");
    assert_eq!(r["hard_failure_codes"], "408;503;");
    assert_eq!(r["hard_failure_last_resort"], "reject503");
    let r = app
        .patch(&path)
        .actor(root())
        .json(json!({"hard_failure_codes":"busy","hard_failure_last_resort":"pray","hard_failure_threshold":0,"routing_type":"random",
                     "acls":[{"direction":"inbound","voice_action_true":"reject403","sms_action_false":"accept"}]}))
        .send()
        .await;
    for f in [
        "hard_failure_codes",
        "hard_failure_last_resort",
        "hard_failure_threshold",
        "routing_type",
        "acls[0].sms_action_false",
    ] {
        r.assert_error(422, f);
    }
    let r = app.put(&path).actor(root()).json(json!({"name":"Put"})).ok().await;
    assert_eq!(r["hard_failure_codes"], "408;");
    assert_eq!(r["hard_failure_last_resort"], "first");
}

#[tokio::test]
async fn trunk_scopes_are_needed_for_trunks() {
    let app = TestApp::new().await;
    let groups_only = app.partner_with(&["trunk_groups.manage"]).await;
    app.post("/core/v2/trunk_groups").actor(&groups_only).json(json!({"name":"g"})).ok().await;
    let r = app.post("/core/v2/trunk_groups").actor(&groups_only).json(json!({"trunks":[{}]})).send().await;
    r.assert_error(403, "cause");
    app.get("/core/v2/trunk_groups?with_trunks=true").actor(&groups_only).send().await.assert_error(403, "cause");
    let g = app.get("/core/v2/trunk_groups").actor(&groups_only).ok().await;
    let sid = g["items"][0]["trunk_group_sid"].as_str().unwrap();
    app.post(&format!("/core/v2/trunk_groups/{sid}/trunks"))
        .actor(&groups_only)
        .json(json!({}))
        .send()
        .await
        .assert_error(403, "cause");
}

#[tokio::test]
async fn trunk_groups_follow_the_partner_tree() {
    let app = TestApp::new().await;
    let (_, a) = app.partner(&root(), "tg_a", None).await;
    let (_, b) = app.partner(&root(), "tg_b", None).await;
    let g =
        app.post("/core/v2/trunk_groups?with_trunks=true").actor(bearer(&a)).json(json!({"trunks":[{}]})).ok().await;
    let path = format!("/core/v2/trunk_groups/{}", g["trunk_group_sid"].as_str().unwrap());
    let tpath = format!("{path}/trunks/{}", g["trunks"][0]["trunk_sid"].as_str().unwrap());
    for r in [
        app.get(&path).actor(bearer(&b)).send().await,
        app.patch(&path).actor(bearer(&b)).json(json!({})).send().await,
        app.delete(&path).actor(bearer(&b)).send().await,
        app.get(&format!("{path}/trunks")).actor(bearer(&b)).send().await,
        app.get(&tpath).actor(bearer(&b)).send().await,
        app.post(&format!("{path}/trunks")).actor(bearer(&b)).json(json!({})).send().await,
    ] {
        assert_eq!(r.status, 404, "{}", r.text());
    }
    assert_eq!(app.get("/core/v2/trunk_groups").actor(bearer(&b)).ok().await["total"], 0);
    // Nested trunk errors name their place.
    let r = app
        .post("/core/v2/trunk_groups")
        .actor(bearer(&a))
        .json(json!({"trunks":[{"weight":-1},{"colour":"red"}]}))
        .send()
        .await;
    r.assert_error(422, "trunks[0].weight");
    r.assert_error(422, "trunks[1].colour");
}
