//! Calls on the simulated network: routing through DIDs, prefixes, trunk groups and trunks, every
//! ACL layer, transformations in order, records rated and charged, conference records.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::receiver::Receiver;
use crate::common::*;

const SIM: &str = "/core/v2/admin/simulator/calls";

/// A partner with a rented number routed to a trunk group of `trunks` (each `{name, ...}` gets a
/// third-party endpoint of its own unless it names one).
struct Setup {
    psid: String,
    tok: Actor,
    group: Value,
    trunks: Vec<Value>,
    number: &'static str,
}

async fn endpoint(app: &TestApp, tok: &Actor, body: Value) -> Value {
    app.post("/core/v2/endpoints").actor(tok.clone()).json(body).ok().await
}

async fn setup(app: &TestApp, login: &str, group: Value, trunks: Vec<Value>) -> Setup {
    let (p, tok) = app.partner(&root(), login, None).await;
    let tok = bearer(&tok);
    let mut with_endpoints = Vec::new();
    for (i, mut t) in trunks.into_iter().enumerate() {
        if t.get("endpoint_sid").is_none() {
            let e = endpoint(
                app,
                &tok,
                json!({"name": format!("pbx{i}"), "type": "third_party", "addresses": [{"ip": format!("10.0.0.{}", i + 1)}]}),
            )
            .await;
            t["endpoint_sid"] = e["endpoint_sid"].clone();
        }
        with_endpoints.push(t);
    }
    let mut body = group;
    body["trunks"] = json!(with_endpoints);
    let g = app.post("/core/v2/trunk_groups?with_trunks=true").actor(tok.clone()).json(body).ok().await;
    let number = "15162065575";
    let d = app.rent_numbers(&tok, &[number], 31).await.remove(0);
    app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"trunk_group_sid": g["trunk_group_sid"]}))
        .ok()
        .await;
    Setup {
        psid: p["partner_sid"].as_str().unwrap().into(),
        tok,
        trunks: g["trunks"].as_array().unwrap().clone(),
        group: g,
        number,
    }
}

async fn call(app: &TestApp, body: Value) -> Value {
    app.post(SIM).actor(root()).json(body).ok().await
}

fn steps_of<'a>(t: &'a Value, step: &str) -> Vec<&'a Value> {
    t["steps"].as_array().unwrap().iter().filter(|s| s["step"] == step).collect()
}

fn rewrite_to(pattern: &str, to: &str) -> Value {
    json!({"action": "rewrite_to", "direction": "inbound", "operands": [pattern, to]})
}

#[tokio::test]
async fn an_inbound_call_walks_number_partner_group_trunk_endpoint_in_order() {
    let app = TestApp::new().await;
    let _net = app.network();
    let s = setup(
        &app,
        "walker",
        json!({"name": "main", "transformations": [rewrite_to("^1(\\d+)$", "2\\1")]}),
        vec![json!({"name": "t1", "transformations": [rewrite_to("^2(\\d+)$", "3\\1")]})],
    )
    .await;
    let did = app.get("/core/v2/phonenumber/dids").actor(s.tok.clone()).ok().await["items"][0].clone();
    let dpath = format!("/core/v2/phonenumber/dids/{}", did["did_sid"].as_str().unwrap());
    // Each object rewrites the number the one before it left: DID, partner, group, trunk, endpoint.
    app.patch(&dpath)
        .actor(s.tok.clone())
        .json(json!({"transformations": [rewrite_to("^(\\d+)$", "+\\1")]}))
        .ok()
        .await;
    app.patch(&format!("/core/v2/partners/{}", s.psid))
        .actor(s.tok.clone())
        .json(json!({"transformations": [rewrite_to("^\\+(\\d+)$", "\\1")]}))
        .ok()
        .await;
    let esid = s.trunks[0]["endpoint_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/endpoints/{esid}"))
        .actor(s.tok.clone())
        .json(json!({"transformations": [rewrite_to("^3(\\d+)$", "4\\1")]}))
        .ok()
        .await;
    let start = balance(&app.get(&format!("/core/v2/partners/{}", s.psid)).actor(s.tok.clone()).ok().await);
    let t = call(&app, json!({"from": "+12125550100", "to": s.number, "duration": 30})).await;
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(t["sip_code"], 200);
    assert_eq!(t["direction"], "inbound");
    assert_eq!(t["from"], "12125550100");
    assert_eq!(t["to"], s.number);
    assert_eq!(t["to_transformed"], "45162065575");
    assert_eq!(t["partner_sid"], s.psid.as_str());
    assert_eq!(t["did_sid"], did["did_sid"]);
    assert_eq!(t["trunk_group_sid"], s.group["trunk_group_sid"]);
    assert_eq!(t["trunk_sid"], s.trunks[0]["trunk_sid"]);
    assert_eq!(t["endpoint_sid"], esid);
    let tr: Vec<(String, String, String)> = steps_of(&t, "transformation")
        .iter()
        .map(|s| {
            (
                s["object"].as_str().unwrap().to_owned(),
                s["before"]["to"].as_str().unwrap().to_owned(),
                s["after"]["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let want = [
        ("did", "15162065575", "+15162065575"),
        ("partner", "+15162065575", "15162065575"),
        ("trunk_group", "15162065575", "25162065575"),
        ("trunk", "25162065575", "35162065575"),
        ("endpoint", "35162065575", "45162065575"),
    ];
    assert_eq!(tr, want.map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned())).to_vec());
    let route = steps_of(&t, "route");
    assert_eq!(route.len(), 1);
    assert_eq!(route[0]["result"], "chosen");
    // The record: transformed numbers, rated by the default inbound plan (0.005 a minute).
    let dr =
        app.get(&format!("/core/v2/calls/call_drs/{}", t["dr_sid"].as_str().unwrap())).actor(s.tok.clone()).ok().await;
    assert_eq!(dr["direction"], "inbound");
    assert_eq!(dr["type"], "telecom");
    assert_eq!(dr["number_dst"], "45162065575");
    assert_eq!(dr["number_dst_original"], s.number);
    assert_eq!(dr["number_dst_transformed"], "45162065575");
    assert_eq!(dr["number_src"], "12125550100");
    assert_eq!(dr["number_src_original"], Value::Null);
    assert_eq!(dr["number_billing"], s.number);
    assert_eq!(dr["number_external"], "12125550100");
    assert_eq!(dr["duration"], "30");
    assert_eq!(dr["duration_billing"], "60");
    assert_eq!(dr["rate"], "0.005");
    assert_eq!(dr["price"], "0.005");
    assert_eq!(t["price"], "0.005");
    assert_eq!(dr["trunk_group_sid_dst"], s.group["trunk_group_sid"]);
    assert_eq!(dr["trunk_sid_dst"], s.trunks[0]["trunk_sid"]);
    assert_eq!(dr["endpoint_sid_dst"], esid);
    assert!(dr["endpoint_sid_src"].is_string(), "the partner's system gateway: {dr}");
    assert_eq!(dr["date_stop"], t["date_stop"]);
    // Charged once: the balance and the open invoice's inbound toll line.
    let line = eventually(Duration::from_secs(20), "an inbound toll line", || async {
        let inv = app.get("/core/v2/invoices").actor(s.tok.clone()).ok().await;
        inv["items"][0]["invoice_items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["type"] == "toll" && i["direction"] == "inbound")
            .cloned()
    })
    .await;
    assert_eq!(line["amount"], "0.005");
    assert_eq!(line["usage"], 60);
    let partner = app.get(&format!("/core/v2/partners/{}", s.psid)).actor(s.tok.clone()).ok().await;
    assert_eq!(balance(&partner), start - 0.005);
}

fn balance(p: &Value) -> f64 {
    p["balance"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn failover_skips_trunks_that_cannot_take_the_call_and_capacity_holds() {
    let app = TestApp::new().await;
    let s = setup(
        &app,
        "failover",
        json!({"name": "fo", "hard_failure_last_resort": "reject502"}),
        vec![
            json!({"name": "no-endpoint", "priority": 0, "endpoint_sid": null}),
            json!({"name": "small", "priority": 1, "in_capacity": 1}),
            json!({"name": "backup", "priority": 2}),
        ],
    )
    .await;
    // The backup's endpoint takes one call at a time.
    let backup_ep = s.trunks[2]["endpoint_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/endpoints/{backup_ep}")).actor(s.tok.clone()).json(json!({"capacity": 1})).ok().await;
    let first = call(&app, json!({"from": "12125550100", "to": s.number})).await;
    assert_eq!(first["trunk_sid"], s.trunks[1]["trunk_sid"], "{first}");
    let skipped = steps_of(&first, "route");
    assert_eq!(skipped[0]["result"], "skipped");
    assert!(skipped[0]["detail"].as_str().unwrap().contains("no endpoint"));
    // The small trunk is full while the first call lasts: the next goes to the backup.
    let second = call(&app, json!({"from": "12125550101", "to": s.number})).await;
    assert_eq!(second["trunk_sid"], s.trunks[2]["trunk_sid"], "{second}");
    assert!(steps_of(&second, "route")[1]["detail"]
        .as_str()
        .unwrap()
        .contains("in_capacity 1 with 1 calls in progress"));
    // Everything full: the group's last resort answers, nothing is written or charged.
    let third = call(&app, json!({"from": "12125550102", "to": s.number})).await;
    assert_eq!(third["status"], "failed", "{third}");
    assert_eq!(third["sip_code"], 502);
    assert_eq!(third["dr_sid"], Value::Null);
    assert!(steps_of(&third, "route")[2]["detail"].as_str().unwrap().contains("endpoint 'pbx2'"));
    let drs = app.get("/core/v2/calls/call_drs").actor(s.tok.clone()).ok().await;
    assert_eq!(drs["count"], 2);
}

#[tokio::test]
async fn concurrent_calls_never_overrun_a_trunks_capacity() {
    let app = TestApp::new().await;
    let s = setup(&app, "busy", json!({"name": "one"}), vec![json!({"name": "five", "in_capacity": 5})]).await;
    let app = &app;
    let calls = (0..20).map(|i| {
        let body = json!({"from": format!("1212555{i:04}"), "to": s.number, "duration": 600});
        async move { app.post(SIM).actor(root()).json(body).ok().await }
    });
    let traces = futures_util::future::join_all(calls).await;
    let completed = traces.iter().filter(|t| t["status"] == "completed").count();
    assert_eq!(completed, 5, "exactly the trunk's capacity connects");
    assert!(traces
        .iter()
        .filter(|t| t["status"] != "completed")
        .all(|t| t["status"] == "failed" && t["sip_code"] == 503));
    let drs = app.get("/core/v2/calls/call_drs").actor(s.tok.clone()).ok().await;
    assert_eq!(drs["count"], 5);
}

#[tokio::test]
async fn round_robin_takes_turns_and_weighted_never_starts_with_weight_zero() {
    let app = TestApp::new().await;
    let s = setup(
        &app,
        "rr",
        json!({"name": "rr", "routing_type": "round_robin"}),
        vec![json!({"name": "a"}), json!({"name": "b"}), json!({"name": "c"})],
    )
    .await;
    let mut seen = Vec::new();
    for i in 0..6 {
        let t = call(&app, json!({"from": format!("121255501{i:02}"), "to": s.number})).await;
        seen.push(t["trunk_sid"].as_str().unwrap().to_owned());
    }
    let sids: Vec<String> = s.trunks.iter().map(|t| t["trunk_sid"].as_str().unwrap().to_owned()).collect();
    assert_eq!(seen, [&sids[..], &sids[..]].concat(), "each trunk in turn");
    // Weighted: within the lowest priority by weight; weight 0 only when the others cannot.
    let gsid = s.group["trunk_group_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/trunk_groups/{gsid}"))
        .actor(s.tok.clone())
        .json(json!({"routing_type": "weighted"}))
        .ok()
        .await;
    for (i, (priority, weight)) in [(0, 0), (0, 5), (1, 100)].iter().enumerate() {
        app.patch(&format!("/core/v2/trunk_groups/{gsid}/trunks/{}", sids[i]))
            .actor(s.tok.clone())
            .json(json!({"priority": priority, "weight": weight}))
            .ok()
            .await;
    }
    for i in 0..10 {
        let t = call(&app, json!({"from": format!("131055501{i:02}"), "to": s.number})).await;
        assert_eq!(t["trunk_sid"], sids[1].as_str(), "the weighed trunk of the first priority");
    }
}

/// An ACL rejecting calls from 1212 with `action`.
fn blocking(rule: &Value, action: &str) -> Value {
    json!([{"access_control_rules": [rule["rule_sid"]], "direction": "inbound", "voice_action_true": action}])
}

#[tokio::test]
async fn every_acl_layer_decides_in_order_and_a_rejected_call_costs_nothing() {
    let app = TestApp::new().await;
    let (reseller_p, reseller) = app.partner(&root(), "acl-reseller", None).await;
    let reseller = bearer(&reseller);
    let rsid = reseller_p["partner_sid"].as_str().unwrap().to_owned();
    let (customer_p, customer) = app.partner(&reseller, "acl-customer", None).await;
    let customer = bearer(&customer);
    let csid = customer_p["partner_sid"].as_str().unwrap().to_owned();
    let ep =
        endpoint(&app, &customer, json!({"name": "pbx", "type": "third_party", "addresses": [{"ip": "10.9.9.9"}]}))
            .await;
    let g = app
        .post("/core/v2/trunk_groups?with_trunks=true")
        .actor(customer.clone())
        .json(json!({"name": "g", "trunks": [{"name": "t", "endpoint_sid": ep["endpoint_sid"]}]}))
        .ok()
        .await;
    let gsid = g["trunk_group_sid"].as_str().unwrap().to_owned();
    let tsid = g["trunks"][0]["trunk_sid"].as_str().unwrap().to_owned();
    let d = app.rent_numbers(&customer, &["15162065580"], 31).await.remove(0);
    app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
        .actor(customer.clone())
        .json(json!({"trunk_group_sid": gsid}))
        .ok()
        .await;
    let rule_of = |who: Actor| {
        let app = &app;
        async move {
            app.post("/core/v2/accesscontrol/rules")
                .actor(who)
                .json(json!({"field": "calling", "operation": "prefix", "quantifier": "any", "entries": ["1212"]}))
                .ok()
                .await
        }
    };
    let reseller_rule = rule_of(reseller.clone()).await;
    let customer_rule = rule_of(customer.clone()).await;
    let offer = json!({"from": "12125550100", "to": "15162065580"});
    // Accepted with no ACL anywhere; each layer listed with no decision.
    let t = call(&app, offer.clone()).await;
    assert_eq!(t["status"], "completed");
    let layers: Vec<(u64, &str)> =
        steps_of(&t, "acl").iter().map(|s| (s["layer"].as_u64().unwrap(), s["result"].as_str().unwrap())).collect();
    assert_eq!(layers, vec![(1, "none"), (2, "none"), (3, "none"), (4, "none"), (5, "none")]);
    let cases: Vec<(String, Value, &str, u64, u64)> = vec![
        // The reseller's own ACL (layer 2), then the ACL it assigns its customer (layer 3).
        (
            format!("/core/v2/partners/{rsid}"),
            json!({"acls": blocking(&reseller_rule, "reject503")}),
            "reject503",
            503,
            2,
        ),
        (
            format!("/core/v2/partners/{csid}"),
            json!({"parent_assigned_acls": blocking(&reseller_rule, "reject403")}),
            "reject403",
            403,
            3,
        ),
        (
            format!("/core/v2/partners/{csid}"),
            json!({"acls": blocking(&customer_rule, "reject503")}),
            "reject503",
            503,
            3,
        ),
        (
            format!("/core/v2/trunk_groups/{gsid}"),
            json!({"acls": blocking(&customer_rule, "reject403")}),
            "reject403",
            403,
            4,
        ),
        (
            format!("/core/v2/trunk_groups/{gsid}/trunks/{tsid}"),
            json!({"acls": blocking(&customer_rule, "reject503")}),
            "reject503",
            503,
            5,
        ),
    ];
    let clear = |path: &str, body: &Value| {
        let key = body.as_object().unwrap().keys().next().unwrap().clone();
        (path.to_owned(), json!({ key: [] }))
    };
    for (path, body, action, code, layer) in cases {
        let who =
            if path.contains(&rsid) || body.get("parent_assigned_acls").is_some() { &reseller } else { &customer };
        app.patch(&path).actor(who.clone()).json(body.clone()).ok().await;
        let t = call(&app, offer.clone()).await;
        assert_eq!(t["status"], "rejected", "{path}: {t}");
        assert_eq!(t["sip_code"], code);
        assert_eq!(t["dr_sid"], Value::Null);
        let last = steps_of(&t, "acl").last().cloned().unwrap().clone();
        assert_eq!(last["result"], action);
        assert_eq!(last["layer"], layer, "{path}: {t}");
        // Another caller still gets through.
        let other = call(&app, json!({"from": "13105550100", "to": "15162065580"})).await;
        assert_eq!(other["status"], "completed", "{path}: {other}");
        let (p, b) = clear(&path, &body);
        app.patch(&p).actor(who.clone()).json(b).ok().await;
    }
    // Only the accepted calls were recorded: the first and one per layer.
    let drs = app.get("/core/v2/calls/call_drs").actor(customer.clone()).ok().await;
    assert_eq!(drs["count"], 6);
    assert!(drs["items"].as_array().unwrap().iter().all(|r| r["number_src"] != "12125550100" || r == &drs["items"][0]));
}

#[tokio::test]
async fn a_routing_prefix_takes_calls_no_number_answers() {
    let app = TestApp::new().await;
    let s = setup(&app, "prefixed", json!({"name": "p"}), vec![json!({"name": "t"})]).await;
    let x = app
        .post("/core/v2/phonenumber/prefixes")
        .actor(s.tok.clone())
        .json(json!({"prefix": "1999", "trunk_group_sid": s.group["trunk_group_sid"]}))
        .send()
        .await;
    assert_eq!(x.status, 200, "{}", x.text());
    let t = call(&app, json!({"from": "12125550100", "to": "19995550123"})).await;
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(t["prefix_sid"], x.json["prefix_sid"]);
    assert_eq!(t["did_sid"], Value::Null);
    assert_eq!(steps_of(&t, "match")[0]["object"], "prefix");
    // A number nobody rents and no prefix starts: 404 naming `to`.
    app.post(SIM)
        .actor(root())
        .json(json!({"from": "12125550100", "to": "18885550123"}))
        .send()
        .await
        .assert_error(404, "to");
}

#[tokio::test]
async fn outbound_calls_leave_a_trunk_group_as_the_partners_spending() {
    let app = TestApp::new().await;
    let s = setup(
        &app,
        "caller",
        json!({"name": "out", "transformations": [{"action": "rewrite_to", "direction": "outbound", "operands": ["^(\\d{10})$", "1\\1"]}]}),
        vec![json!({"name": "t", "out_capacity": 3})],
    )
    .await;
    let gsid = s.group["trunk_group_sid"].clone();
    let start = balance(&app.get(&format!("/core/v2/partners/{}", s.psid)).actor(s.tok.clone()).ok().await);
    let t = call(
        &app,
        json!({"direction": "outbound", "trunk_group_sid": gsid, "from": s.number, "to": "2125550100", "duration": 61}),
    )
    .await;
    assert_eq!(t["status"], "completed", "{t}");
    assert_eq!(t["to_transformed"], "12125550100");
    let objects: Vec<&str> = t["steps"].as_array().unwrap().iter().map(|s| s["object"].as_str().unwrap()).collect();
    let order: Vec<&str> = objects.iter().copied().fold(Vec::new(), |mut v, o| {
        if v.last() != Some(&o) {
            v.push(o);
        }
        v
    });
    // The route, then the trunk's ACLs, the group's ACLs and transformation, the partners' ACLs
    // (the endpoint and the calling number have neither: no step of theirs).
    assert_eq!(order, ["trunk", "trunk_group", "partner"], "{t}");
    let dr =
        app.get(&format!("/core/v2/calls/call_drs/{}", t["dr_sid"].as_str().unwrap())).actor(s.tok.clone()).ok().await;
    assert_eq!(dr["direction"], "outbound");
    assert_eq!(dr["trunk_group_sid_src"], gsid);
    assert_eq!(dr["trunk_sid_src"], s.trunks[0]["trunk_sid"]);
    assert_eq!(dr["endpoint_sid_src"], s.trunks[0]["endpoint_sid"]);
    assert_eq!(dr["number_billing"], s.number);
    assert_eq!(dr["number_external"], "12125550100");
    // 0.01 a minute in 6 s increments: 66 s billed.
    assert_eq!(dr["duration_billing"], "66");
    assert_eq!(dr["price"], "0.011");
    let partner = app.get(&format!("/core/v2/partners/{}", s.psid)).actor(s.tok.clone()).ok().await;
    assert_eq!(balance(&partner), start - 0.011, "taken at once");
    // A prepaid partner without the balance cannot place it; nothing is written.
    app.set_balance(&s.psid, "0.001", "prepay").await;
    let r = app
        .post(SIM)
        .actor(root())
        .json(json!({"direction": "outbound", "trunk_group_sid": gsid, "from": s.number, "to": "12125550100"}))
        .send()
        .await;
    r.assert_error(402, "balance");
    app.set_balance(&s.psid, "100", "prepay").await;
    app.patch(&format!("/core/v2/admin/partners/{}", s.psid))
        .actor(root())
        .json(json!({"daily_spending_limit": "0.02"}))
        .ok()
        .await;
    let r = app
        .post(SIM)
        .actor(root())
        .json(json!({"direction": "outbound", "trunk_group_sid": gsid, "from": s.number, "to": "12125550100", "duration": 600}))
        .send()
        .await;
    r.assert_error(402, "daily_spending_limit");
    let drs = app.get("/core/v2/calls/call_drs").actor(s.tok.clone()).ok().await;
    assert_eq!(drs["count"], 1);
}

#[tokio::test]
async fn bad_calls_name_every_bad_field() {
    let app = TestApp::new().await;
    let r = app.post(SIM).actor(root()).json(json!({"duration": -5, "direction": "outbound"})).send().await;
    for field in ["from", "to", "duration", "trunk_group_sid"] {
        r.assert_error(422, field);
    }
    let r = app.post(SIM).actor(root()).json(json!({"from": "x", "to": "12", "direction": "sideways"})).send().await;
    for field in ["from", "to", "direction"] {
        r.assert_error(422, field);
    }
    let r =
        app.post(SIM).actor(root()).json(json!({"from": "12125550100", "to": "12125550101", "color": 1})).send().await;
    assert_eq!(r.status, 422, "{}", r.text());
    let r = app
        .post(SIM)
        .actor(root())
        .json(
            json!({"direction": "outbound", "trunk_group_sid": new_uuid(), "from": "12125550100", "to": "12125550101"}),
        )
        .send()
        .await;
    r.assert_error(404, "trunk_group_sid");
    // Partners cannot offer calls: the simulator is the admins'.
    let (_, tok) = app.partner(&root(), "not-admin", None).await;
    let r = app.post(SIM).actor(bearer(&tok)).json(json!({"from": "12125550100", "to": "12125550101"})).send().await;
    assert_eq!(r.status, 403);
}

/// The keys of the reference's conference call record sample, in its order.
const CONFERENCE_KEYS: &[&str] = &[
    "address_dst",
    "address_src",
    "audio_key",
    "bridge",
    "call_sid",
    "custom_call_type",
    "custom_name",
    "date_disconnected",
    "date_insert",
    "date_join",
    "date_start",
    "date_stop",
    "direction",
    "disconnect_cause",
    "disconnect_originator",
    "disconnect_reason",
    "duration",
    "duration_meeting",
    "endpoint_sid",
    "meeting_room_sid",
    "meeting_sid",
    "node",
    "number_dst",
    "number_src",
    "partner_sid",
    "role",
    "user_agent",
];

#[tokio::test]
async fn a_call_to_a_conference_endpoint_writes_its_conference_record_and_calls_back() {
    let app = TestApp::new().await;
    let _net = app.network();
    let receiver = Receiver::start().await;
    let (p, tok) = app.partner(&root(), "confs", None).await;
    let tok = bearer(&tok);
    let psid = p["partner_sid"].as_str().unwrap().to_owned();
    app.patch(&format!("/core/v2/partners/{psid}"))
        .actor(tok.clone())
        .json(json!({"callbacks": {"app_conference_call": receiver.url("/conference")}}))
        .ok()
        .await;
    let conf = endpoint(&app, &tok, json!({"name": "room", "type": "conference"})).await;
    let g = app
        .post("/core/v2/trunk_groups?with_trunks=true")
        .actor(tok.clone())
        .json(json!({"name": "c", "trunks": [{"name": "t", "endpoint_sid": conf["endpoint_sid"]}]}))
        .ok()
        .await;
    let d = app.rent_numbers(&tok, &["15162065590"], 31).await.remove(0);
    app.patch(&format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .json(json!({"trunk_group_sid": g["trunk_group_sid"]}))
        .ok()
        .await;
    let t = call(&app, json!({"from": "+17605692222", "to": "15162065590", "duration": 50})).await;
    assert_eq!(t["status"], "completed", "{t}");
    let sid = t["conference_call_sid"].as_str().expect("a conference record").to_owned();
    let rec = app.get(&format!("/core/v2/app/conference/calls/{sid}")).actor(tok.clone()).ok().await;
    assert_eq!(keys(&rec), CONFERENCE_KEYS);
    assert_eq!(rec["endpoint_sid"], conf["endpoint_sid"]);
    assert_eq!(rec["number_src"], "17605692222");
    assert_eq!(rec["duration"], "50");
    assert_eq!(rec["direction"], "inbound");
    let list = app.get("/core/v2/app/conference/calls").actor(tok.clone()).ok().await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["total"], Value::Null);
    assert_eq!(list["limit"], 10);
    // The partner's app_conference_call URL is called with the record.
    let got = receiver.wait_for(1).await;
    assert_eq!(got[0].path, "/conference");
    assert_eq!(got[0].body["call_sid"], sid.as_str());
    let cb =
        app.get(&format!("/core/v2/admin/simulator/callbacks?filter=object_sid+eq+{sid}")).actor(root()).ok().await;
    assert_eq!(cb["items"][0]["event"], "app_conference_call");
}

#[tokio::test]
async fn conference_records_are_ingested_and_read_like_call_records() {
    let app = TestApp::new().await;
    let (reseller_p, reseller) = app.partner(&root(), "conf-reseller", None).await;
    let (child_p, child) = app.partner(&bearer(&reseller), "conf-child", None).await;
    // The reference's sample, ingested as it is shown.
    let sample = json!({
        "address_dst": "\"15162065515\" <sip:15162065515@11.22.33.44>",
        "address_src": "<sip:+17605692222@12.34.56.78",
        "audio_key": null,
        "bridge": "conference-bridge",
        "call_sid": "69057c3e-bb90-4ed3-9c53-000000001142",
        "custom_call_type": null,
        "custom_name": null,
        "date_disconnected": "2024-12-14T10:04:04.000Z",
        "date_insert": "2024-12-14T11:01:03.195Z",
        "date_join": "2024-12-14T10:03:30.000Z",
        "date_start": "2024-12-14T10:03:14.000Z",
        "date_stop": "2024-12-14T10:04:04.000Z",
        "direction": "inbound",
        "disconnect_cause": 16,
        "disconnect_originator": "src",
        "disconnect_reason": "Normal",
        "duration": "50",
        "duration_meeting": "34",
        "endpoint_sid": "e3ddc435-7b07-4f3a-98d5-4fe9be107652",
        "meeting_room_sid": "f752b4a5-b821-4322-a26f-db5cfbf014ab",
        "meeting_sid": "69057c3e-bb90-4ed3-9c53-000000000392",
        "node": "11.22.33.44",
        "number_dst": "15162065515",
        "number_src": "+17605692222",
        "partner_sid": child_p["partner_sid"],
        "role": "host",
        "user_agent": "CX-IVS-SBC"
    });
    let saved = app.post("/core/v2/admin/app/conference/calls").actor(root()).json(sample.clone()).ok().await;
    assert_eq!(saved, sample, "the record answers as the reference's sample shows it");
    let more: Vec<Value> = (0..5)
        .map(|i| json!({"partner_sid": child_p["partner_sid"], "date_stop": format!("2024-12-15T10:0{i}:00.000Z"), "date_start": format!("2024-12-15T10:0{i}:00.000Z")}))
        .collect();
    let r = app.post("/core/v2/admin/app/conference/calls").actor(root()).json(json!(more)).ok().await;
    assert_eq!(r.as_array().unwrap().len(), 5);
    assert_eq!(r[0]["duration"], "0");
    // A record stored already is named by its secure ID (409), and nothing of the batch is added;
    // one secure ID twice in a batch is named too (422, as for call records).
    let fresh = json!({"partner_sid": child_p["partner_sid"], "date_stop": "2024-12-15T11:00:00.000Z",
                       "call_sid": "69057c3e-bb90-4ed3-9c53-000000009999"});
    let r = app.post("/core/v2/admin/app/conference/calls").actor(root()).json(json!([fresh, sample])).send().await;
    r.assert_error(409, "call_sid");
    assert_eq!(r.json["errors"][0]["reference_sid"], sample["call_sid"]);
    let r = app.post("/core/v2/admin/app/conference/calls").actor(root()).json(json!([fresh, fresh])).send().await;
    r.assert_error(422, "call_sid");
    let gone = app.get("/core/v2/app/conference/calls/69057c3e-bb90-4ed3-9c53-000000009999").actor(root()).send().await;
    assert_eq!(gone.status, 404);
    // All or none, every bad field named.
    let bad = json!([{"partner_sid": child_p["partner_sid"], "date_stop": "2024-12-15T10:00:00Z"}, {"date_stop": "nope", "role": "boss"}]);
    let r = app.post("/core/v2/admin/app/conference/calls").actor(root()).json(bad).send().await;
    for f in ["[1].partner_sid", "[1].date_stop", "[1].role"] {
        r.assert_error(422, f);
    }
    // Keyset pages in date_stop order, as CarrierX's downloader reads them.
    let child = bearer(&child);
    let page = app.get("/core/v2/app/conference/calls?limit=2&order=date_stop+asc").actor(child.clone()).ok().await;
    assert_eq!(page["items"][0]["call_sid"], sample["call_sid"]);
    let after = page["items"][1]["call_sid"].as_str().unwrap();
    let next = app.get(&format!("/core/v2/app/conference/calls?limit=2&after={after}")).actor(child.clone()).ok().await;
    assert_eq!(next["items"][0]["date_stop"], "2024-12-15T10:01:00.000Z");
    // The parent reads them with app.read_descendant only; strangers never.
    let _ = reseller;
    let path = "/core/v2/app/conference/calls/69057c3e-bb90-4ed3-9c53-000000001142";
    let rsid = reseller_p["partner_sid"].as_str().unwrap();
    let own_only = app.token_for(&root(), rsid, Some("app.read")).await;
    assert_eq!(app.get(path).actor(bearer(&own_only)).send().await.status, 404);
    assert_eq!(app.get("/core/v2/app/conference/calls").actor(bearer(&own_only)).ok().await["count"], 0);
    let reader = app.token_for(&root(), rsid, Some("app.read app.read_descendant")).await;
    assert_eq!(app.get(path).actor(bearer(&reader)).ok().await["call_sid"], sample["call_sid"]);
    let all = app.get("/core/v2/app/conference/calls").actor(bearer(&reader)).ok().await;
    assert_eq!(all["count"], 6);
    let (_, stranger) = app.partner(&root(), "conf-stranger", None).await;
    assert_eq!(app.get(path).actor(bearer(&stranger)).send().await.status, 404);
}
