//! Demo data (`CARRIERX_DEMO_DATA`): the inventory, rate plans and calls, and the demo tenant.

use carrierx_core::demo::tenant;
use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn the_demo_inventory_rates_and_calls_load_once() {
    let app = TestApp::new().await;
    let added = carrierx_core::demo::load(&app.state).await.unwrap();
    assert!(added >= 3000, "{added}");
    assert_eq!(carrierx_core::demo::load(&app.state).await.unwrap(), 0, "only once");
    let ny = app.get("/core/v2/phonenumber/available_dids?filter=state+eq+NY&limit=1").actor(root()).ok().await;
    assert_eq!(ny["items"][0]["country_code"], "USA");
    let states: std::collections::BTreeSet<String> = {
        let r = app
            .get(
                "/core/v2/phonenumber/available_dids?filter=country_code+eq+USA+and+phonenumber+like+%25000&limit=1000",
            )
            .actor(root())
            .ok()
            .await;
        r["items"].as_array().unwrap().iter().filter_map(|d| d["state"].as_str().map(str::to_owned)).collect()
    };
    assert!(states.len() >= 4, "{states:?}");
    for c in ["GBR", "ITA", "DEU", "FRA"] {
        let r = app
            .get(&format!("/core/v2/phonenumber/available_dids?filter=country_code+eq+{c}&limit=1"))
            .actor(root())
            .ok()
            .await;
        assert_eq!(r["count"], 1, "{c}");
    }
    // Default plans for every rate route, and rated call records of the root partner.
    for route in [
        "inbound/pstn",
        "outbound/pstn",
        "inbound/voip/conference",
        "outbound/voip/voicemail",
        "inbound/voip/third_party",
    ] {
        let r = app.get(&format!("/core/v2/calls/rates/{route}")).actor(root()).ok().await;
        assert_eq!(r["active"], "yes", "{route}");
    }
    let r = app.get("/core/v2/phonenumber/rates").actor(root()).ok().await;
    assert_eq!(r["rates_plan"]["name"], "demo_did_rental");
    assert_eq!((r["items"][0]["price_1"].clone(), r["items"][0]["quantity_1"].clone()), (json!("0.5"), json!(100)));
    let cdrs = app.get("/core/v2/calls/call_drs?limit=1000").actor(root()).ok().await;
    // Its own 500 and the 62 of its sub-partner, the demo tenant.
    assert_eq!(cdrs["count"], 562);
    assert!(cdrs["items"].as_array().unwrap().iter().all(|c| c["price"].is_string()));
}

#[tokio::test]
async fn the_demo_tenant_has_something_of_every_resource() {
    let app = TestApp::new().await;
    carrierx_core::demo::load(&app.state).await.unwrap();
    app.run_batch().await;
    let demo = || basic(tenant::LOGIN, tenant::PASSWORD);
    let me = app.get("/core/v2/oauth/whoami").actor(demo()).ok().await;
    assert_eq!(me["name"], "Demo Co");
    assert_eq!(me["status"], "active");
    let total = |v: &Value| v["total"].as_i64().unwrap_or(-1);
    let list = |path: &'static str| {
        let app = &app;
        async move { app.get(&format!("/core/v2/{path}")).actor(demo()).ok().await }
    };

    let endpoints = list("endpoints").await;
    let kinds: Vec<&str> = endpoints["items"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["system_gateway", "third_party", "conference"]);
    let pbx = &endpoints["items"][1];
    assert_eq!(pbx["addresses"][0]["ip"], "203.0.113.10");

    let rules = list("accesscontrol/rules").await;
    assert_eq!(total(&rules), 1);
    let groups = app.get("/core/v2/trunk_groups?with_trunks=true").actor(demo()).ok().await;
    assert_eq!(total(&groups), 2);
    let tg = &groups["items"][0];
    assert_eq!(tg["trunks"][0]["endpoint_sid"], pbx["endpoint_sid"]);
    assert_eq!(tg["acls"][0]["access_control_rules"][0], rules["items"][0]["rule_sid"]);
    let bridge = &groups["items"][1];
    assert_eq!(bridge["trunks"][0]["endpoint_sid"], endpoints["items"][2]["endpoint_sid"]);

    // Four numbers rented one by one, two by the batch task: the West coast number on the
    // bridge's group, the others on the office's.
    let dids = list("phonenumber/dids").await;
    assert_eq!(total(&dids), 6);
    for d in dids["items"].as_array().unwrap() {
        let want = if d["name"] == "West coast" { &bridge["trunk_group_sid"] } else { &tg["trunk_group_sid"] };
        assert_eq!(&d["trunk_group_sid"], want, "{d}");
    }
    let groups = list("phonenumber/did_groups").await;
    let in_group =
        dids["items"].as_array().unwrap().iter().filter(|d| d["did_group_sid"] == groups["items"][0]["did_group_sid"]);
    assert_eq!(in_group.count(), 2);
    assert_eq!(list("phonenumber/prefixes").await["items"][0]["prefix"], "1516206");
    let links = list("shortener/links").await;
    assert_eq!(links["items"][0]["short_name"], "demo");
    let r = app
        .get("/demo")
        .header("host", links["items"][0]["url"].as_str().unwrap().split('/').nth(2).unwrap())
        .send()
        .await;
    assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (302, "https://www.carrierx.com"));
    let files = list("storage/files").await;
    assert_eq!((files["total"].clone(), files["items"][0]["name"].clone()), (json!(1), json!("greeting.txt")));
    let public = app.get(&format!("/f/{}", files["items"][0]["file_sid"].as_str().unwrap())).send().await;
    assert!(public.text().starts_with("Hello, you have reached Demo Co"));
    assert_eq!(list("push/devices").await["total"], 1);
    let codes = list("phonenumber/short_codes").await;
    assert_eq!(codes["items"][0]["short_code"], "26399");
    assert_eq!(codes["items"][0]["did_group_sid"], groups["items"][0]["did_group_sid"]);
    let tasks = list("batch/tasks?order=date_created").await;
    let statuses: Vec<&str> =
        tasks["items"].as_array().unwrap().iter().map(|t| t["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["completed", "pending_review"]);
    assert_eq!(tasks["items"][0]["success"], 2);

    // Rated calls on its numbers; the period so far invoiced and paid by card; an open invoice.
    let cdrs = list("calls/call_drs").await;
    assert_eq!(cdrs["count"], 62, "60 ingested, 2 through the simulated network");
    // The call to the bridge: a conference record, and a callback owed to the application.
    let conf = list("app/conference/calls").await;
    assert_eq!(conf["count"], 1);
    assert_eq!(conf["items"][0]["endpoint_sid"], endpoints["items"][2]["endpoint_sid"]);
    assert!(cdrs["items"].as_array().unwrap().iter().all(|c| c["price"].is_string() && c["rate"].is_string()));
    let invoices = list("invoices?order=date_created").await;
    assert_eq!(total(&invoices), 2);
    let issued = &invoices["items"][0];
    assert_eq!(issued["status"], "complete");
    assert_eq!(issued["pay_items"][0]["type"], "credit_card");
    let kinds: std::collections::BTreeSet<&str> =
        issued["invoice_items"].as_array().unwrap().iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert!(kinds.contains("did") && kinds.contains("toll"), "{kinds:?}");
    assert_eq!(invoices["items"][1]["status"], "open");

    // Messaging: a callback URL, a conversation with another tenant, delivered both ways by the
    // simulated network, and a week of records.
    assert_eq!(me["callbacks"]["sms"], tenant::CALLBACK_URL);
    let main_line = dids["items"][0]["phonenumber"].clone();
    let _net = app.network();
    let convo = eventually(std::time::Duration::from_secs(20), "the conversation is delivered", || async {
        let l = app
            .get("/core/v2/sms/messages?filter=status+ne+received+and+user_data+ne+history")
            .actor(demo())
            .ok()
            .await;
        let inbound = app
            .get("/core/v2/sms/messages?filter=direction+eq+inbound+and+status+eq+received")
            .actor(demo())
            .ok()
            .await;
        let sent = l["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["message"] == "Hi! Are we still on for Thursday?")
            .cloned();
        let reply = inbound["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["message"] == "Yes, 10am at your office 👍")
            .cloned();
        match (sent, reply) {
            (Some(s), Some(r)) if s["status"] == "delivered" => Some((s, r)),
            _ => None,
        }
    })
    .await;
    assert_eq!(convo.0["from"], main_line);
    assert_eq!(convo.1["to"], main_line);
    let friend = basic(tenant::FRIEND_LOGIN, tenant::FRIEND_PASSWORD);
    let theirs = app.get("/core/v2/sms/messages?filter=direction+eq+inbound").actor(friend).ok().await;
    assert_eq!(theirs["items"][0]["message"], "Hi! Are we still on for Thursday?");
    let drs = list("sms/message_drs").await;
    assert!(drs["count"].as_i64().unwrap() >= 26, "{}", drs["count"]);
    assert!(drs["items"].as_array().unwrap().iter().all(|d| d["price"].is_string()));

    // The loader's token is gone; a second load makes nothing new.
    let tokens = app.get("/core/v2/oauth/tokens?limit=1000").actor(root()).ok().await;
    assert!(tokens["items"].as_array().unwrap().iter().all(|t| t["name"] != "demo data loader"), "{tokens}");
    assert_eq!(carrierx_core::demo::load(&app.state).await.unwrap(), 0);
    assert!(!tenant::load(&app.state).await.unwrap());
    assert_eq!(total(&list("phonenumber/dids").await), 6);
}

#[tokio::test]
async fn a_reset_brings_the_demo_data_back() {
    let app = TestApp::with_config(|c| {
        c.allow_reset = true;
        c.demo_data = true;
    })
    .await;
    carrierx_core::demo::load(&app.state).await.unwrap();
    let demo = || basic(tenant::LOGIN, tenant::PASSWORD);
    let first = app.get("/core/v2/oauth/whoami").actor(demo()).ok().await;
    let r = app.post("/core/v2/admin/reset").actor(root()).send().await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    // A new demo tenant (a new partner), with its numbers rented anew from the new inventory.
    let again = app.get("/core/v2/oauth/whoami").actor(demo()).ok().await;
    assert_eq!(again["name"], "Demo Co");
    assert_ne!(again["partner_sid"], first["partner_sid"]);
    assert_eq!(app.get("/core/v2/phonenumber/dids").actor(demo()).ok().await["total"], 4);
    // The root partner, the demo tenant and the one it texts with.
    let partners = app.get("/core/v2/partners").actor(root()).ok().await;
    assert_eq!(partners["total"], 3, "{partners}");
}

/// The demo's rate plans replace the built-in reference plans of their routes, never a default an
/// admin assigned.
#[tokio::test]
async fn demo_plans_replace_the_reference_plans_but_not_an_admins() {
    let app = TestApp::new().await;
    let plan = app
        .post("/core/v2/admin/calls/rates_plans")
        .actor(root())
        .json(json!({"name": "house_out", "items": [{"price": "0.002"}]}))
        .ok()
        .await;
    app.post(&format!("/core/v2/admin/calls/rates_plans/{}/assignments", plan["rates_plan_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"direction": "outbound", "type": "pstn"}))
        .ok()
        .await;
    carrierx_core::demo::load(&app.state).await.unwrap();
    let name = |route: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/core/v2/calls/rates/{route}")).actor(root()).ok().await["rates_plan"]["name"].clone()
        }
    };
    assert_eq!(name("outbound/pstn").await, "house_out");
    assert_eq!(name("inbound/pstn").await, "demo_inbound_pstn");
    assert_eq!(name("inbound/voip/conference").await, "demo_inbound_voip_conference");
}
