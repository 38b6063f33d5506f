use serde_json::{json, Value};

use crate::common::*;

fn visa() -> Value {
    json!({"type":"visa", "cc_number":"4012888818888", "cc_expiration":"022019", "cc_cid":"318", "first_name":"John",
           "last_name":"Smith", "address1":"4300 E Pacific Coast Hwy", "address2":"Suite 1", "city":"Los Angeles", "state":"CA",
           "zip":"90804", "country_code":"USA", "phone":"15162065574"})
}

#[tokio::test]
async fn registering_the_reference_card_keeps_its_last_four_digits() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "payer", None).await;
    let path = format!("/core/v2/partners/{}/billing_method", p["partner_sid"].as_str().unwrap());
    let bm = app.post(&path).actor(bearer(&tok)).json(visa()).ok().await;
    assert_eq!(
        bm,
        json!({"address1":"4300 E Pacific Coast Hwy", "address2":"Suite 1", "cc_expiration":"022019", "cc_number":"8888",
               "city":"Los Angeles", "country_code":"USA", "ec_account_number": null, "ec_routing_number": null,
               "first_name":"John", "last_name":"Smith", "phone":"15162065574", "state":"CA", "type":"visa", "zip": "90804"})
    );
    assert!(!String::from_utf8_lossy(&serde_json::to_vec(&bm).unwrap()).contains("318"), "the CID is never returned");
    assert_eq!(app.get(&path).actor(bearer(&tok)).ok().await, bm);
    assert_eq!(app.get(&format!("/core/v2/admin{}", path.trim_start_matches("/core/v2"))).actor(root()).ok().await, bm);
    let only = app.get(&format!("{path}?include_fields=type,cc_number")).actor(bearer(&tok)).ok().await;
    assert_eq!(only, json!({"cc_number": "8888", "type": "visa"}));
    // One per partner: registering again replaces it.
    let mut mc = visa();
    mc["type"] = json!("master_card");
    mc["cc_number"] = json!("5555 5555 5555 4444");
    let bm2 = app.post(&path).actor(bearer(&tok)).json(mc).ok().await;
    assert_eq!(bm2["cc_number"], "4444");
    assert_eq!(app.delete(&path).actor(bearer(&tok)).send().await.status, 204);
    let r = app.get(&path).actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(app.delete(&path).actor(bearer(&tok)).send().await.status, 404);
}

#[tokio::test]
async fn required_fields_depend_on_the_type() {
    let app = TestApp::new().await;
    let sid = app.root_sid().await;
    let path = format!("/core/v2/partners/{sid}/billing_method");
    let r = app.post(&path).actor(root()).json(json!({"type": "visa"})).send().await;
    for f in ["cc_number", "cc_expiration", "cc_cid", "first_name", "last_name", "phone", "zip", "country_code"] {
        r.assert_error(422, f);
    }
    let r = app.post(&path).actor(root()).json(json!({"type": "wire", "first_name": "a", "last_name": "b", "phone": "1", "zip": "1", "country_code": "USA"})).send().await;
    r.assert_error(422, "address1");
    r.assert_error(422, "city");
    let mut bad = visa();
    bad["cc_number"] = json!("4012888818889");
    bad["cc_expiration"] = json!("132019");
    bad["type"] = json!("visa");
    let r = app.post(&path).actor(root()).json(bad).send().await;
    r.assert_error(422, "cc_number");
    r.assert_error(422, "cc_expiration");
    let r = app.post(&path).actor(root()).json(json!({"type": "bitcoin"})).send().await;
    r.assert_error(422, "type");
    let echeck = json!({"type": "electronic_check", "first_name": "a", "last_name": "b", "phone": "1", "zip": "1", "country_code": "USA",
                        "address1": "x", "city": "y", "ec_account_number": "000123456789", "ec_routing_number": "011000015"});
    let bm = app.post(&path).actor(root()).json(echeck).ok().await;
    assert_eq!(bm["ec_account_number"], "6789");
    assert_eq!(bm["cc_number"], Value::Null);
}

#[tokio::test]
async fn another_partners_billing_method_is_not_found() {
    let app = TestApp::new().await;
    let (a, a_tok) = app.partner(&root(), "payer_a", None).await;
    let (_, b_tok) = app.partner(&root(), "payer_b", None).await;
    let path = format!("/core/v2/partners/{}/billing_method", a["partner_sid"].as_str().unwrap());
    app.post(&path).actor(bearer(&a_tok)).json(visa()).ok().await;
    assert_eq!(app.get(&path).actor(bearer(&b_tok)).send().await.status, 404);
    assert_eq!(app.post(&path).actor(bearer(&b_tok)).json(visa()).send().await.status, 404);
    assert_eq!(app.delete(&path).actor(bearer(&b_tok)).send().await.status, 404);
    // The parent sees it.
    app.get(&path).actor(root()).ok().await;
}
