use serde_json::{json, Value};

use crate::common::*;

const ENDPOINT_KEYS: &[&str] = &[
    "addresses",
    "attributes",
    "capacity",
    "endpoint_sid",
    "name",
    "out_sip_password",
    "out_sip_username",
    "partner_sid",
    "properties",
    "transformations",
    "type",
    "voip_token",
];

#[tokio::test]
async fn a_conference_endpoint_gets_generated_properties() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "confer", None).await;
    let e = app
        .post("/core/v2/endpoints")
        .actor(bearer(&tok))
        .json(json!({"name":"my_conf", "type":"conference"}))
        .ok()
        .await;
    assert_eq!(keys(&e), ENDPOINT_KEYS);
    assert_eq!(e["addresses"], json!([]));
    assert_eq!(e["attributes"], json!({}));
    assert_eq!(e["capacity"], 0);
    assert_eq!(e["name"], "my_conf");
    assert_eq!(e["out_sip_password"], Value::Null);
    assert_eq!(e["out_sip_username"], Value::Null);
    assert_eq!(e["partner_sid"], p["partner_sid"]);
    assert_eq!(e["transformations"], json!([]));
    assert_eq!(e["type"], "conference");
    assert_eq!(e["voip_token"], Value::Null);
    let props = &e["properties"];
    assert_eq!(keys(props), vec!["account_sid", "api_url", "container_sid", "login", "password"]);
    assert_eq!(props["api_url"], "https://api.carrierx.com/conference/v1");
    assert_eq!(props["account_sid"].as_str().unwrap().len(), 32);
    assert!(props["login"].as_str().unwrap().starts_with("confer_conference_"));
    assert_eq!(props["password"].as_str().unwrap().len(), 12);
    // The reference's result-filtering sample: only the conference endpoint, the whole envelope.
    app.post("/core/v2/endpoints")
        .actor(bearer(&tok))
        .json(json!({"name":"other", "type":"third_party", "addresses": [{"ip": "10.1.2.3"}]}))
        .ok()
        .await;
    let r = app.get("/core/v2/endpoints?filter=type+eq+conference").actor(bearer(&tok)).ok().await;
    assert_eq!(
        r,
        json!({"count": 1, "has_more": false, "items": [e], "limit": 10, "offset": 0, "pagination": {}, "total": 1})
    );
    // And its field-filtering sample: every key but properties, the System Gateway's too.
    let r = app.get("/core/v2/endpoints?exclude_fields=properties").actor(bearer(&tok)).ok().await;
    assert_eq!(r["total"], 3);
    let without: Vec<&str> = ENDPOINT_KEYS.iter().copied().filter(|k| *k != "properties").collect();
    for item in r["items"].as_array().unwrap() {
        assert_eq!(keys(item), without);
    }
}

#[tokio::test]
async fn a_third_party_endpoint_gets_address_defaults_and_a_token() {
    let app = TestApp::new().await;
    let e = app
        .post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"name":"my_third_party","addresses": [{"ip": "1.1.2.13", "port": "5060"}], "type":"third_party"}))
        .ok()
        .await;
    assert_eq!(
        e["addresses"],
        json!([{"direction": "any", "dst_port": 5060, "ip": "1.1.2.13", "location_sid": null, "port": 5060, "priority": 0,
                "sip_password": null, "sip_username": null, "srtp": false, "transport": "udp"}])
    );
    assert_eq!(e["properties"], json!({}));
    assert!(uuid::Uuid::parse_str(e["voip_token"].as_str().unwrap()).is_ok());
    // The reference's list sample: filter on a nested field.
    let r = app.get("/core/v2/endpoints?filter=addresses.ip+eq+%221.1.2.13%22").actor(root()).ok().await;
    assert_eq!(r["count"], 1);
    assert_eq!(r["items"][0], e);
    let r = app.get("/core/v2/endpoints?filter=type+eq+conference").actor(root()).ok().await;
    assert_eq!(r["count"], 0);
    // Get by SID, field filtering, with_related.
    let sid = e["endpoint_sid"].as_str().unwrap();
    assert_eq!(app.get(&format!("/core/v2/endpoints/{sid}")).actor(root()).ok().await, e);
    let r = app.get("/core/v2/endpoints?exclude_fields=properties&filter=type+eq+third_party").actor(root()).ok().await;
    assert!(r["items"][0].get("properties").is_none());
    let r = app.get(&format!("/core/v2/endpoints/{sid}?with_related=true")).actor(root()).ok().await;
    assert_eq!(r["partner"]["login"], "root");
    // PATCH the name (the reference's update sample).
    let r = app
        .patch(&format!("/core/v2/endpoints/{sid}"))
        .actor(root())
        .json(json!({"name":"my_third_party_ep"}))
        .ok()
        .await;
    assert_eq!(r["name"], "my_third_party_ep");
    assert_eq!(r["addresses"], e["addresses"]);
    // DELETE
    let r = app.delete(&format!("/core/v2/endpoints/{sid}")).actor(root()).send().await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&format!("/core/v2/endpoints/{sid}")).actor(root()).send().await.status, 404);
}

#[tokio::test]
async fn bad_addresses_are_named() {
    let app = TestApp::new().await;
    let r = app.post("/core/v2/endpoints").actor(root()).json(json!({"type":"third_party"})).send().await;
    r.assert_error(422, "addresses");
    let r = app
        .post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"type":"third_party","addresses":[
            {"ip":"not an ip!", "dst_port": 5070, "transport": "sctp", "direction": "up"},
            {"ip":"sip.example.com", "srtp": true},
            {"port": 0}
        ]}))
        .send()
        .await;
    for f in [
        "addresses[0].ip",
        "addresses[0].dst_port",
        "addresses[0].transport",
        "addresses[0].direction",
        "addresses[1].srtp",
        "addresses[2].ip",
        "addresses[2].port",
    ] {
        r.assert_error(422, f);
    }
    let ok = app
        .post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"type":"third_party","addresses":[{"ip":"sip.example.com", "srtp": true, "transport": "tls", "dst_port": 5069}]}))
        .ok()
        .await;
    assert_eq!(ok["addresses"][0]["transport"], "tls");
    app.post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"type":"wormhole"}))
        .send()
        .await
        .assert_error(422, "type");
    app.post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"type":"system_gateway"}))
        .send()
        .await
        .assert_error(422, "type");
    app.post("/core/v2/endpoints").actor(root()).json(json!({"name":"x"})).send().await.assert_error(422, "type");
    let r = app
        .post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"type":"conference","properties":{"login":"mine","colour":"red"}}))
        .send()
        .await;
    r.assert_error(422, "properties.login");
    r.assert_error(422, "properties.colour");
}

#[tokio::test]
async fn hosted_endpoints_change_only_name_and_capacity() {
    let app = TestApp::new().await;
    let e = app.post("/core/v2/endpoints").actor(root()).json(json!({"name":"flex", "type":"flexml"})).ok().await;
    let path = format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap());
    let r = app.patch(&path).actor(root()).json(json!({"name":"flex2", "capacity": 10})).ok().await;
    assert_eq!(r["name"], "flex2");
    assert_eq!(r["capacity"], 10);
    assert_eq!(r["properties"], e["properties"]);
    let r = app.patch(&path).actor(root()).json(json!({"attributes": {"a": 1}, "transformations": []})).send().await;
    r.assert_error(422, "attributes");
    // Sending the object back unchanged (as a PUT of the whole object does) is fine.
    let mut whole = app.get(&path).actor(root()).ok().await;
    whole["name"] = json!("flex3");
    let r = app.put(&path).actor(root()).json(whole).ok().await;
    assert_eq!(r["name"], "flex3");
    // Voicemail properties change.
    let v = app.post("/core/v2/endpoints").actor(root()).json(json!({"type":"voicemail"})).ok().await;
    assert_eq!(v["properties"]["callback_method"], "POST");
    assert_eq!(v["name"], "N/A");
    let vpath = format!("/core/v2/endpoints/{}", v["endpoint_sid"].as_str().unwrap());
    let r = app
        .patch(&vpath)
        .actor(root())
        .json(json!({"properties": {"callback_url": "https://example.com/vm", "max_duration": 120}}))
        .ok()
        .await;
    assert_eq!(r["properties"]["callback_url"], "https://example.com/vm");
    assert_eq!(r["properties"]["callback_method"], "POST");
    app.patch(&vpath)
        .actor(root())
        .json(json!({"properties": {"callback_method": "PUT"}}))
        .send()
        .await
        .assert_error(422, "properties.callback_method");
}

#[tokio::test]
async fn every_partner_has_a_system_gateway_that_cannot_change() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "gated", None).await;
    let r = app.get("/core/v2/endpoints?filter=type+eq+system_gateway").actor(bearer(&tok)).ok().await;
    assert_eq!(r["count"], 1);
    let sg = &r["items"][0];
    assert_eq!(sg["name"], "System Gateway");
    assert_eq!(sg["partner_sid"], p["partner_sid"]);
    let root_filter =
        format!("/core/v2/endpoints?filter=type+eq+system_gateway+and+partner_sid+eq+{}", app.root_sid().await);
    let root_sg = app.get(&root_filter).actor(root()).ok().await;
    assert_eq!(root_sg["count"], 1, "the bootstrap root partner has one too");
    let path = format!("/core/v2/endpoints/{}", sg["endpoint_sid"].as_str().unwrap());
    app.patch(&path).actor(bearer(&tok)).json(json!({"name":"mine"})).send().await.assert_error(422, "type");
    app.put(&path).actor(root()).json(json!({})).send().await.assert_error(422, "type");
    app.delete(&path).actor(bearer(&tok)).send().await.assert_error(422, "type");
    app.delete(&path).actor(root()).send().await.assert_error(422, "type");
}

#[tokio::test]
async fn system_gateway_addresses_come_from_the_settings() {
    let app =
        TestApp::with_config(|c| c.system_gateway_addresses = vec!["203.0.113.10".into(), "203.0.113.11".into()]).await;
    let (_, tok) = app.partner(&root(), "gw", None).await;
    let r = app.get("/core/v2/endpoints?filter=type+eq+system_gateway").actor(bearer(&tok)).ok().await;
    let ips: Vec<&str> =
        r["items"][0]["addresses"].as_array().unwrap().iter().map(|a| a["ip"].as_str().unwrap()).collect();
    assert_eq!(ips, vec!["203.0.113.10", "203.0.113.11"]);
}

#[tokio::test]
async fn endpoints_follow_the_partner_tree() {
    let app = TestApp::new().await;
    let (a, a_tok) = app.partner(&root(), "ep_a", None).await;
    let (_, b_tok) = app.partner(&root(), "ep_b", None).await;
    let (child, _) = app.partner(&bearer(&a_tok), "ep_a_child", None).await;
    let e = app.post("/core/v2/endpoints").actor(bearer(&a_tok)).json(json!({"type":"mediator"})).ok().await;
    let path = format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap());
    assert_eq!(app.get(&path).actor(bearer(&b_tok)).send().await.status, 404);
    assert_eq!(app.patch(&path).actor(bearer(&b_tok)).json(json!({"name":"x"})).send().await.status, 404);
    assert_eq!(app.delete(&path).actor(bearer(&b_tok)).send().await.status, 404);
    let r = app.get("/core/v2/endpoints").actor(bearer(&b_tok)).ok().await;
    assert_eq!(r["count"], 1, "only its own System Gateway");
    // A parent creates an endpoint for its sub-partner; not for a stranger.
    let c = app
        .post("/core/v2/endpoints")
        .actor(bearer(&a_tok))
        .json(json!({"type":"third_party","partner_sid": child["partner_sid"],"addresses":[{"ip":"10.0.0.1"}]}))
        .ok()
        .await;
    assert_eq!(c["partner_sid"], child["partner_sid"]);
    let r = app
        .post("/core/v2/endpoints")
        .actor(bearer(&b_tok))
        .json(json!({"type":"mediator","partner_sid": a["partner_sid"]}))
        .send()
        .await;
    r.assert_error(422, "partner_sid");
}

#[tokio::test]
async fn endpoint_transformations_are_validated() {
    let app = TestApp::new().await;
    let t = json!([{"action":"rewrite_to","direction":"any","operands":["^([2-9]\\d{9})$","1\\1"]},
                   {"action":"reject","operands":["busy"]}]);
    let e = app
        .post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"type":"third_party","addresses":[{"ip":"10.0.0.1"}],"transformations": t}))
        .ok()
        .await;
    assert_eq!(e["transformations"][1], json!({"action":"reject","direction":"any","operands":["busy"]}));
    let r = app
        .patch(&format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"transformations":[{"action":"rewrite_from","operands":["([","x"]},{"action":"fly"}]}))
        .send()
        .await;
    r.assert_error(422, "transformations[0].operands[0]");
    r.assert_error(422, "transformations[1].action");
}
