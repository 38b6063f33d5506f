//! Short codes (admin-made, partner-read and updated) and DID classifications.

use serde_json::{json, Value};

use crate::common::*;

const ADMIN: &str = "/core/v2/admin/phonenumber/short_codes";

#[tokio::test]
async fn an_admin_makes_a_short_code_as_the_reference_shows_it() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "shorty", None).await;
    let tok = bearer(&tok);
    let g = app.post("/core/v2/phonenumber/did_groups").actor(tok.clone()).json(json!({"name": "codes"})).ok().await;
    let made = app
        .post(ADMIN)
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "short_code": "26399", "name": "test", "state": "IL",
                     "short_code_sid": "531f65b7-dff7-42b4-b638-597f91da9ccc", "did_group_sid": g["did_group_sid"]}))
        .ok()
        .await;
    // The reference's sample, with this partner and group.
    assert_eq!(
        made,
        json!({"attributes": {}, "callback_url": null, "country_code": "USA", "did_group_sid": g["did_group_sid"],
               "locality": null, "lrn_sid": null, "name": "test", "partner_sid": p["partner_sid"], "short_code": "26399",
               "short_code_sid": "531f65b7-dff7-42b4-b638-597f91da9ccc", "state": "IL", "string_key_1": null,
               "string_key_2": null})
    );
    let path = "/core/v2/phonenumber/short_codes/531f65b7-dff7-42b4-b638-597f91da9ccc";
    assert_eq!(app.get(path).actor(tok.clone()).ok().await, made);
    let related = app.get(&format!("{path}?with_related=true")).actor(tok.clone()).ok().await;
    assert_eq!(related["partner"]["partner_sid"], p["partner_sid"]);
    let list = app.get("/core/v2/phonenumber/short_codes").actor(tok.clone()).ok().await;
    assert_eq!((list["total"].clone(), list["items"][0].clone()), (json!(1), made.clone()));
    // The partner changes what it may; the code, its place and owner stay.
    let u = app
        .patch(path)
        .actor(tok.clone())
        .json(json!({"name": "alerts", "attributes": {"team": "ops"}, "short_code": "11111", "did_group_sid": null}))
        .ok()
        .await;
    assert_eq!(
        (u["name"].clone(), u["attributes"].clone(), u["short_code"].clone()),
        (json!("alerts"), json!({"team": "ops"}), json!("26399"))
    );
    assert_eq!(u["did_group_sid"], Value::Null);
    let r = app
        .patch(path)
        .actor(tok.clone())
        .json(json!({"did_group_sid": new_uuid(), "callback_url": "ftp://x"}))
        .send()
        .await;
    r.assert_error(422, "did_group_sid");
    r.assert_error(422, "callback_url");
    // Partners do not make short codes; another partner does not see this one.
    assert_eq!(app.post(ADMIN).actor(tok.clone()).json(json!({})).send().await.status, 403);
    let (_, stranger) = app.partner(&root(), "stranger", None).await;
    assert_eq!(app.get(path).actor(bearer(&stranger)).send().await.status, 404);
    assert_eq!(app.patch(path).actor(bearer(&stranger)).json(json!({"name": "x"})).send().await.status, 404);
}

#[tokio::test]
async fn short_code_ingestion_is_all_or_none_naming_every_bad_field() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "shorty", None).await;
    let bad = json!([
        {"partner_sid": p["partner_sid"], "short_code": "12345"},
        {"partner_sid": new_uuid(), "short_code": "12a"},
        {"short_code": "12345", "country_code": "us"}
    ]);
    let r = app.post(ADMIN).actor(root()).json(bad).send().await;
    for f in ["[1].partner_sid", "[1].short_code", "[2].partner_sid", "[2].short_code", "[2].country_code"] {
        r.assert_error(422, f);
    }
    assert_eq!(app.get("/core/v2/admin/phonenumber/short_codes").actor(root()).send().await.status, 405);
    let list = app.get("/core/v2/phonenumber/short_codes").actor(root()).ok().await;
    assert_eq!(list["total"], 0, "nothing stored");
    let two = json!([{"partner_sid": p["partner_sid"], "short_code": "12345"}, {"partner_sid": p["partner_sid"], "short_code": "67890"}]);
    let made = app.post(ADMIN).actor(root()).json(two).ok().await;
    assert_eq!(made.as_array().unwrap().len(), 2);
    let again = app
        .post(ADMIN)
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "short_code": "12345"}))
        .send()
        .await;
    again.assert_error(409, "short_code");
}

#[tokio::test]
async fn classifications_are_read_only_reference_data() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "reader", None).await;
    let c = app
        .get("/core/v2/phonenumber/classifications/17f4d954-d635-4cda-912b-c2a2fa3a6860")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(
        c,
        json!({"aging_policy": 86400, "classification_sid": "17f4d954-d635-4cda-912b-c2a2fa3a6860", "name": "Default"})
    );
    let list = app.get("/core/v2/phonenumber/classifications?filter=name+eq+Default").actor(bearer(&tok)).ok().await;
    assert_eq!((list["total"].clone(), list["items"][0].clone()), (json!(1), c));
    assert_eq!(
        app.get(&format!("/core/v2/phonenumber/classifications/{}", new_uuid()))
            .actor(bearer(&tok))
            .send()
            .await
            .status,
        404
    );
    assert_eq!(
        app.delete("/core/v2/phonenumber/classifications/17f4d954-d635-4cda-912b-c2a2fa3a6860")
            .actor(root())
            .send()
            .await
            .status,
        405
    );
}

/// The keys of the reference's LRN prefix sample, in its order.
const LRN_KEYS: &[&str] = &[
    "attributes",
    "callback_url",
    "lrn_prefix_sid",
    "lrn_sid",
    "name",
    "partner_sid",
    "prefix",
    "source_trunk_group_sid",
    "string_key_1",
    "string_key_2",
    "transformations",
    "trunk_group_sid",
];

#[tokio::test]
async fn lrn_prefixes_are_prefixes_on_their_own_routes() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "lrn", None).await;
    let tok = bearer(&tok);
    let x = app.post("/core/v2/phonenumber/lrn_prefixes").actor(tok.clone()).json(json!({"prefix": "1520"})).ok().await;
    assert_eq!(keys(&x), LRN_KEYS);
    assert_eq!(
        (
            x["name"].clone(),
            x["prefix"].clone(),
            x["partner_sid"].clone(),
            x["transformations"].clone(),
            x["attributes"].clone()
        ),
        (json!("N/A"), json!("1520"), p["partner_sid"].clone(), json!([]), json!({}))
    );
    let sid = x["lrn_prefix_sid"].as_str().unwrap().to_owned();
    let path = format!("/core/v2/phonenumber/lrn_prefixes/{sid}");
    assert_eq!(app.get(&path).actor(tok.clone()).ok().await, x);
    let list = app
        .get(&format!("/core/v2/phonenumber/lrn_prefixes?filter=lrn_prefix_sid+eq+{sid}"))
        .actor(tok.clone())
        .ok()
        .await;
    assert_eq!((list["total"].clone(), list["items"][0].clone()), (json!(1), x.clone()));
    // Not a routing prefix: not listed or found there, and calls are not routed by it.
    assert_eq!(app.get("/core/v2/phonenumber/prefixes").actor(tok.clone()).ok().await["total"], 0);
    assert_eq!(app.get(&format!("/core/v2/phonenumber/prefixes/{sid}")).actor(tok.clone()).send().await.status, 404);
    app.post("/core/v2/admin/simulator/calls")
        .actor(root())
        .json(json!({"from": "12125550100", "to": "15205550100"}))
        .send()
        .await
        .assert_error(404, "to");
    let u = app
        .patch(&path)
        .actor(tok.clone())
        .json(json!({"name": "Tucson", "attributes": {"lrn": "5205550000"}}))
        .ok()
        .await;
    assert_eq!((u["name"].clone(), u["prefix"].clone()), (json!("Tucson"), json!("1520")));
    let put = app.put(&path).actor(tok.clone()).json(json!({"name": "Tucson 2"})).ok().await;
    assert_eq!(
        (put["name"].clone(), put["attributes"].clone(), put["prefix"].clone()),
        (json!("Tucson 2"), json!({}), json!("1520"))
    );
    let r = app
        .post("/core/v2/phonenumber/lrn_prefixes")
        .actor(tok.clone())
        .json(json!({"prefix": "x", "prefix_sid": "y"}))
        .send()
        .await;
    r.assert_error(422, "prefix");
    r.assert_error(422, "prefix_sid");
    let (_, stranger) = app.partner(&root(), "stranger", None).await;
    assert_eq!(app.delete(&path).actor(bearer(&stranger)).send().await.status, 404);
    assert_eq!(app.delete(&path).actor(tok.clone()).send().await.status, 204);
    assert_eq!(app.get(&path).actor(tok.clone()).send().await.status, 404);
}

#[tokio::test]
async fn a_short_code_sends_and_receives_messages() {
    let app = TestApp::new().await;
    let _net = app.network();
    let receiver = crate::common::receiver::Receiver::start().await;
    let (p, tok) = app.partner(&root(), "brand", None).await;
    let tok = bearer(&tok);
    app.post(ADMIN)
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "short_code": "26399", "callback_url": receiver.url("/short")}))
        .ok()
        .await;
    let (_, fan) = app.partner(&root(), "fan", None).await;
    let fan = bearer(&fan);
    app.rent_numbers(&fan, &["15162065575"], 31).await;
    // Sent from the short code: priced as a short code's, delivered to the other tenant's number.
    let m = app
        .post("/core/v2/sms/messages")
        .actor(tok.clone())
        .json(json!({"from": "26399", "to": "15162065575", "message": "Your code is 1234"}))
        .ok()
        .await;
    let sid = m["message_sid"].as_str().unwrap().to_owned();
    let delivered = eventually(std::time::Duration::from_secs(20), "the message is delivered", || async {
        let m = app.get(&format!("/core/v2/sms/messages/{sid}")).actor(tok.clone()).ok().await;
        (m["status"] == "delivered").then_some(m)
    })
    .await;
    assert_eq!(delivered["price"], "0.01");
    let got = app.get("/core/v2/sms/messages?filter=direction+eq+inbound").actor(fan.clone()).ok().await;
    assert_eq!(got["items"][0]["from"], "26399");
    // Its callbacks go to the short code's callback_url.
    let calls = receiver.wait_for(1).await;
    assert_eq!(calls[0].path, "/short");
    // A reply from the outside world reaches the short code's partner.
    let inbound = app
        .post("/core/v2/admin/simulator/sms")
        .actor(root())
        .json(json!({"from": "12125550100", "to": "26399", "message": "STOP"}))
        .ok()
        .await;
    assert_eq!(
        (inbound["status"].clone(), inbound["partner_sid"].clone()),
        (json!("received"), p["partner_sid"].clone())
    );
    // Another partner cannot send from it.
    app.post("/core/v2/sms/messages")
        .actor(fan.clone())
        .json(json!({"from": "26399", "to": "15162065575", "message": "x"}))
        .send()
        .await
        .assert_error(404, "from");
}

#[tokio::test]
async fn a_verification_code_goes_from_the_groups_short_code_when_allowed() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "verifier", None).await;
    let tok = bearer(&tok);
    app.rent_numbers(&tok, &["15162065575"], 31).await;
    let g = app.post("/core/v2/phonenumber/did_groups").actor(tok.clone()).json(json!({"name": "codes"})).ok().await;
    app.post(ADMIN)
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "short_code": "26399", "did_group_sid": g["did_group_sid"]}))
        .ok()
        .await;
    let gsid = g["did_group_sid"].as_str().unwrap();
    let sent = app
        .post(&format!("/core/v2/verification/sms?from=15162065575&to=12125550100&did_group_sid={gsid}"))
        .actor(tok.clone())
        .ok()
        .await;
    let m = app
        .get(&format!("/core/v2/sms/messages/{}", sent["message_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .ok()
        .await;
    assert_eq!(m["from"], "26399", "the group's short code");
    let sent = app
        .post(&format!(
            "/core/v2/verification/sms?from=15162065575&to=12125550100&did_group_sid={gsid}&allow_short_code=false"
        ))
        .actor(tok.clone())
        .ok()
        .await;
    let m = app
        .get(&format!("/core/v2/sms/messages/{}", sent["message_sid"].as_str().unwrap()))
        .actor(tok.clone())
        .ok()
        .await;
    assert_eq!(m["from"], "15162065575", "the number given");
}
