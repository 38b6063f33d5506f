//! The rating section: the reference's four samples, from an assigned plan and from the reference
//! plans every partner has; bad parameters named at once; a partner outside the tree not found.

use serde_json::{json, Value};

use crate::common::*;

async fn assign(app: &TestApp, partner: &str, kind: &str, sub_type: Option<&str>, price: &str, inc: i64) {
    let plan = app
        .post("/core/v2/admin/calls/rates_plans")
        .actor(root())
        .json(json!({"name": format!("{kind}_{price}"), "items": [
            {"prefix": "1760", "price": price, "billing_increment": inc, "billing_minimum": inc},
            {"price": "9"}]}))
        .ok()
        .await;
    let path = format!("/core/v2/admin/calls/rates_plans/{}/assignments", plan["rates_plan_sid"].as_str().unwrap());
    let mut body = json!({"partner_sid": partner, "direction": "outbound", "type": kind});
    if let Some(s) = sub_type {
        body["sub_type"] = json!(s);
    }
    app.post(&path).actor(root()).json(body).ok().await;
}

#[tokio::test]
async fn the_reference_samples_from_the_partners_plans() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "rated_lookups", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    assign(&app, sid, "pstn", None, "0.014", 60).await;
    assign(&app, sid, "voip", Some("conference"), "0.014", 60).await;
    assign(&app, sid, "sms", Some("toll"), "0.01", 0).await;
    assign(&app, sid, "mms", Some("toll"), "0.07", 0).await;

    let r = app
        .get("/core/v2/rating/calls/pstn?direction=outbound&duration=10&to=17605692222")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(r, json!({"direction": "outbound", "duration_billing": "60", "price": "0.01400", "rate": "0.01400"}));
    let r = app
        .get("/core/v2/rating/calls/voip/conference?direction=outbound&duration=10&to=17605692222")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(r, json!({"direction": "outbound", "duration_billing": "60", "price": "0.01400", "rate": "0.01400"}));
    let r = app
        .get("/core/v2/rating/sms/toll?direction=outbound&message_segments=1&to=17605692222")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(r, json!({"direction": "outbound", "price": "0.01000", "rate": "0.01000", "segments": "1"}));
    let r = app.get("/core/v2/rating/mms/toll?direction=outbound&to=17605692222").actor(bearer(&tok)).ok().await;
    assert_eq!(r, json!({"direction": "outbound", "price": "0.07000", "rate": "0.07000", "segments": "1"}));

    // Longer calls and more segments; another number takes the catch-all item.
    let r = app
        .get("/core/v2/rating/calls/pstn?direction=outbound&duration=61&to=%2B17605692222")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!((r["duration_billing"].as_str(), r["price"].as_str()), (Some("120"), Some("0.02800")));
    let r = app
        .get("/core/v2/rating/sms/toll?direction=outbound&message_segments=3&to=17605692222")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!((r["price"].as_str(), r["segments"].as_str()), (Some("0.03000"), Some("3")));
    let r = app
        .get("/core/v2/rating/calls/pstn?direction=outbound&duration=60&to=442071234567")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(r["rate"], "9.00000");
}

#[tokio::test]
async fn a_new_partner_is_priced_by_the_reference_plans() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "fresh_rating", None).await;
    let get = |path: &str| app.get(path).actor(bearer(&tok)).ok();
    // The reference's SMS and MMS samples are the reference plans' prices.
    assert_eq!(
        get("/core/v2/rating/sms/toll?direction=outbound&message_segments=1&to=17605692222").await,
        json!({"direction": "outbound", "price": "0.01000", "rate": "0.01000", "segments": "1"})
    );
    assert_eq!(
        get("/core/v2/rating/mms/toll?direction=outbound&to=17605692222").await,
        json!({"direction": "outbound", "price": "0.07000", "rate": "0.07000", "segments": "1"})
    );
    // US calls out: 0.01 a minute in 6 s increments; VoIP is free; every sub-type has a price.
    let r = get("/core/v2/rating/calls/pstn?direction=outbound&duration=10&to=17605692222").await;
    assert_eq!(r, json!({"direction": "outbound", "duration_billing": "12", "price": "0.00200", "rate": "0.01000"}));
    for sub in ["conference_v2", "peering_receiver", "peering_sender", "voicemail"] {
        let r = get(&format!("/core/v2/rating/calls/voip/{sub}?direction=inbound&duration=30&to=15162065575")).await;
        assert_eq!(r["price"], "0.00000", "{sub}");
    }
    for sub in ["short_code", "toll", "toll_free"] {
        let r = get(&format!("/core/v2/rating/sms/{sub}?direction=inbound&to=15162065575")).await;
        assert_eq!(r["rate"], "0.00500", "{sub}");
    }
}

#[tokio::test]
async fn bad_parameters_are_named_at_once_and_strangers_are_not_found() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "rating_errors", None).await;
    let (stranger, _) = app.partner(&root(), "rating_stranger", None).await;
    let r = app.get("/core/v2/rating/calls/pstn").actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json["message"], "invalid request parameter");
    let named: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(named, vec!["direction", "to", "duration"]);
    let r = app
        .get("/core/v2/rating/sms/toll?direction=sideways&to=1&message_segments=0&partner_sid=nope")
        .actor(bearer(&tok))
        .send()
        .await;
    let named: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(named, vec!["direction", "message_segments", "partner_sid"]);
    // Unknown sub-types, and a partner outside the caller's tree: not found.
    let r = app.get("/core/v2/rating/sms/carrier_pigeon?direction=outbound&to=1").actor(bearer(&tok)).send().await;
    assert_eq!(
        (r.status.as_u16(), r.json["errors"][0]["message"].clone()),
        (404, Value::from("cannot find sub_type carrier_pigeon"))
    );
    let path = format!(
        "/core/v2/rating/calls/pstn?direction=outbound&duration=1&to=1&partner_sid={}",
        stranger["partner_sid"].as_str().unwrap()
    );
    assert_eq!(app.get(&path).actor(bearer(&tok)).send().await.status, 404);
    // Its parent may price it.
    assert_eq!(app.get(&path).actor(root()).send().await.status, 200);
}
