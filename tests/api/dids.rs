use serde_json::{json, Value};

use crate::common::*;

const DID_KEYS: &[&str] = &[
    "attributes",
    "callback_url",
    "capabilities",
    "country_code",
    "did_group_sid",
    "did_sid",
    "in_country_format",
    "international_format",
    "locality",
    "lrn_sid",
    "name",
    "partner_sid",
    "phonenumber",
    "price",
    "state",
    "string_key_1",
    "string_key_2",
    "transformations",
    "trunk_group_sid",
];

async fn stock(app: &TestApp, numbers: &[(&str, &str)]) -> Value {
    let items: Vec<Value> =
        numbers.iter().map(|(n, st)| json!({"phonenumber": n, "state": st, "locality": "NEW YORK"})).collect();
    app.post("/core/v2/admin/dids").actor(root()).json(json!(items)).ok().await
}

#[tokio::test]
async fn the_inventory_is_filled_by_the_admin_route() {
    let app = TestApp::new().await;
    let one = app
        .post("/core/v2/admin/dids")
        .actor(root())
        .json(json!({"phonenumber": "+1 516 206 5575", "state": "NY", "locality": "NEW YORK"}))
        .ok()
        .await;
    assert_eq!(one["phonenumber"], "15162065575");
    assert_eq!(one["in_country_format"], "(516) 206-5575");
    assert_eq!(one["international_format"], "+1 516-206-5575");
    assert_eq!(one["country_code"], "USA");
    assert_eq!(one["capabilities"], 7);
    assert_eq!(one["price"], "0.6");
    assert_eq!(one["status"], "available");
    assert_eq!(one["partner_sid"], Value::Null);
    let many = app
        .post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "390612345678", "capabilities": 4, "price": "1.25"}, {"phonenumber": "+442071234567"}]))
        .ok()
        .await;
    assert_eq!(many[0]["country_code"], "ITA");
    assert_eq!(many[0]["international_format"], "+39 06 1234 5678");
    assert_eq!(many[0]["price"], "1.25");
    assert_eq!(many[1]["country_code"], "GBR");
    assert_eq!(many[1]["in_country_format"], "020 7123 4567");
    assert_eq!(many[1]["state"], Value::Null);
    // State and locality of North American numbers come from libphonenumber's geocoding data.
    let derived = app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "15162225575"})).ok().await;
    assert_eq!(derived["state"], "NY");
    assert_eq!(derived["locality"], "GARDEN CITY");
    let ca = app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "14165550123"})).ok().await;
    assert_eq!(ca["country_code"], "CAN");
    assert_eq!(ca["state"], "ON");
    // An existing number is a 409 naming it; nothing of the batch is added.
    let r = app
        .post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "15162065000"}, {"phonenumber": "15162065575"}]))
        .send()
        .await;
    r.assert_error(409, "[1].phonenumber");
    assert_eq!(r.json["errors"][0]["reference_sid"], one["did_sid"]);
    let r = app.get("/core/v2/phonenumber/available_dids?filter=phonenumber+eq+15162065000").actor(root()).ok().await;
    assert_eq!(r["count"], 0);
    // Every number taken is named at once, each with its own secure ID.
    let r = app
        .post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "15162225575"}, {"phonenumber": "15162065000"}, {"phonenumber": "15162065575"}]))
        .send()
        .await;
    r.assert_error(409, "[0].phonenumber");
    r.assert_error(409, "[2].phonenumber");
    assert_eq!(r.json["errors"].as_array().unwrap().len(), 2, "{}", r.json);
    assert_eq!(r.json["errors"][0]["reference_sid"], derived["did_sid"]);
    assert_eq!(r.json["errors"][1]["reference_sid"], one["did_sid"]);
    // One object sent: its field is named without an index.
    let r = app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "15162225575"})).send().await;
    r.assert_error(409, "phonenumber");
    assert_eq!(r.json["errors"][0]["reference_sid"], derived["did_sid"]);
    let r = app
        .post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "abc"}, {"capabilities": 99}, {"phonenumber": "15162065001", "colour": 1}]))
        .send()
        .await;
    for f in ["[0].phonenumber", "[1].phonenumber", "[1].capabilities", "[2].colour"] {
        r.assert_error(422, f);
    }
    // Partners cannot fill the inventory.
    let (_, tok) = app.partner(&root(), "not_admin", None).await;
    app.post("/core/v2/admin/dids")
        .actor(bearer(&tok))
        .json(json!({"phonenumber": "15162065002"}))
        .send()
        .await
        .assert_error(403, "cause");
}

/// Numbers are written with `COPY` and answered from what was written: each answer is exactly the
/// number read back, every attribute (admin ones too) and defaults included.
#[tokio::test]
async fn each_number_added_is_answered_as_it_is_read_back() {
    let app = TestApp::new().await;
    let sid = "8ba4c0a8-3c2a-4b7e-9a4c-6c3b7d2d6f10";
    let added = app
        .post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([
            {"phonenumber": "15162065575"},
            {"phonenumber": "13125550100", "state": "il", "locality": "tab\there \\ back\\slash\nnew line",
             "capabilities": 31, "price": "1.2500", "country_code": "usa", "classification_sid": sid,
             "provider_sid": sid, "lrn_sid": sid, "ocn": "6664"},
            {"phonenumber": "442071234567", "price": "0"}
        ]))
        .ok()
        .await;
    let added = added.as_array().unwrap();
    assert_eq!(added.len(), 3);
    assert_eq!(added[1]["locality"], "tab\there \\ back\\slash\nnew line");
    assert_eq!(added[1]["state"], "IL");
    assert_eq!(added[1]["country_code"], "USA");
    assert_eq!(added[1]["price"], "1.25");
    assert_eq!(added[1]["ocn"], "6664");
    assert_eq!(added[1]["lrn_sid"], sid);
    // Keys in the order sent.
    assert!(added[0]["id"].as_i64() < added[1]["id"].as_i64() && added[1]["id"].as_i64() < added[2]["id"].as_i64());
    for d in added {
        let back = app.get(&format!("/core/v2/admin/dids/{}", d["did_sid"].as_str().unwrap())).actor(root()).ok().await;
        assert_eq!(&back, d);
        assert_eq!(d["name"], "N/A");
        assert_eq!(d["status"], "available");
        assert_eq!(d["type"], "phonenumber_did");
        assert_eq!(d["attributes"], json!({}));
        assert_eq!(d["transformations"], json!([]));
        assert_eq!(d["external_keys"], json!({}));
    }
    // The same through the partner's view of the inventory.
    let listed =
        app.get("/core/v2/phonenumber/available_dids?filter=phonenumber+eq+13125550100").actor(root()).ok().await;
    let one = app
        .get(&format!("/core/v2/phonenumber/available_dids/{}", added[1]["did_sid"].as_str().unwrap()))
        .actor(root())
        .ok()
        .await;
    assert_eq!(listed["items"][0], one);
    assert_eq!(one["locality"], added[1]["locality"]);
}

/// A batch large enough that its numbers go to the database in several slices while the rest are
/// still checked: a problem or a taken number near its end still leaves nothing added.
#[tokio::test]
async fn a_large_batch_is_written_as_it_is_checked_all_or_none() {
    let app = TestApp::new().await;
    const LISTED: &str = "/core/v2/admin/dids?filter=phonenumber+like+%221312%25%22&limit=1";
    let batch = |from: usize| -> Vec<Value> {
        (from..from + 6000)
            .map(|i| json!({"phonenumber": format!("1312{:07}", 2_000_000 + i), "locality": "x".repeat(40)}))
            .collect()
    };
    // The last number is not a number: 422 naming it, nothing added.
    let mut bad = batch(0);
    bad[5999] = json!({"phonenumber": "abc"});
    app.post("/core/v2/admin/dids").actor(root()).json(json!(bad)).send().await.assert_error(422, "[5999].phonenumber");
    assert_eq!(app.get(LISTED).actor(root()).ok().await["total"], 0);
    // One number already there, near the end: 409 naming it, nothing else added.
    let taken = app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "13122005990"})).ok().await;
    let r = app.post("/core/v2/admin/dids").actor(root()).json(json!(batch(0))).send().await;
    r.assert_error(409, "[5990].phonenumber");
    assert_eq!(r.json["errors"][0]["reference_sid"], taken["did_sid"]);
    assert_eq!(r.json["errors"].as_array().unwrap().len(), 1, "{}", r.json);
    assert_eq!(app.get(LISTED).actor(root()).ok().await["total"], 1);
    // All new: every number added and answered in order.
    let added = app.post("/core/v2/admin/dids").actor(root()).json(json!(batch(6000))).ok().await;
    let added = added.as_array().unwrap();
    assert_eq!(added.len(), 6000);
    assert_eq!(added[0]["phonenumber"], "13122006000");
    assert_eq!(added[5999]["phonenumber"], "13122011999");
    assert_eq!(app.get(LISTED).actor(root()).ok().await["total"], 6001);
    let last =
        app.get(&format!("/core/v2/admin/dids/{}", added[5999]["did_sid"].as_str().unwrap())).actor(root()).ok().await;
    assert_eq!(&last, &added[5999]);
    // One number already there at the very start: PostgreSQL refuses the first row while the rest
    // of the batch is still being sent; still a 409 naming it, and nothing else added.
    let first = app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "13122020000"})).ok().await;
    let r = app.post("/core/v2/admin/dids").actor(root()).json(json!(batch(20_000))).send().await;
    r.assert_error(409, "[0].phonenumber");
    assert_eq!(r.json["errors"][0]["reference_sid"], first["did_sid"]);
    assert_eq!(r.json["errors"].as_array().unwrap().len(), 1, "{}", r.json);
    assert_eq!(app.get(LISTED).actor(root()).ok().await["total"], 6002);
}

#[tokio::test]
async fn browsing_the_inventory() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065573", "NY"), ("15162065574", "NY"), ("13125550100", "IL"), ("15162075000", "NY")]).await;
    app.post("/core/v2/admin/dids")
        .actor(root())
        .json(json!({"phonenumber": "13125550101", "state": "IL", "capabilities": 3}))
        .ok()
        .await;
    let r = app.get("/core/v2/phonenumber/available_dids?limit=1").actor(root()).ok().await;
    assert_eq!(r["total"], Value::Null);
    assert_eq!(r["has_more"], true);
    assert_eq!(r["pagination"]["next"], "http://api.test/core/v2/phonenumber/available_dids?limit=1&offset=1");
    let item = &r["items"][0];
    assert_eq!(item["phonenumber"], "13125550100", "ordered by number");
    assert_eq!(item["status"], "available");
    assert_eq!(item["partner_sid"], Value::Null);
    let numbers = |r: &Value| -> Vec<String> {
        r["items"].as_array().unwrap().iter().map(|d| d["phonenumber"].as_str().unwrap().to_owned()).collect()
    };
    let r =
        app.get("/core/v2/phonenumber/available_dids?filter=phonenumber+like+%221516%25%22").actor(root()).ok().await;
    assert_eq!(numbers(&r), vec!["15162065573", "15162065574", "15162075000"]);
    let r = app
        .get("/core/v2/dids/inventory?filter=state+eq+NY+and+phonenumber+like+151620655%25")
        .actor(root())
        .ok()
        .await;
    assert_eq!(numbers(&r), vec!["15162065573", "15162065574"]);
    let r = app.get("/core/v2/phonenumber/available_dids?filter=capabilities+bit+4").actor(root()).ok().await;
    assert_eq!(r["count"], 4);
    let sid = item["did_sid"].as_str().unwrap();
    let one = app.get(&format!("/core/v2/phonenumber/available_dids/{sid}")).actor(root()).ok().await;
    assert_eq!(&one, item);
    let browser = app.partner_with(&["phonenumber.read"]).await;
    app.get("/core/v2/phonenumber/available_dids").actor(browser).ok().await;
}

#[tokio::test]
async fn renting_the_reference_sample_number() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065575", "NY")]).await;
    let (p, tok) = app.partner(&root(), "renter", None).await;
    let d = app
        .post("/core/v2/phonenumber/dids")
        .actor(bearer(&tok))
        .json(json!({"phonenumber":"15162065575", "callback_url":null}))
        .ok()
        .await;
    assert_eq!(keys(&d), DID_KEYS);
    assert_eq!(d["attributes"], json!({}));
    assert_eq!(d["callback_url"], Value::Null);
    assert_eq!(d["capabilities"], 7);
    assert_eq!(d["country_code"], "USA");
    assert_eq!(d["in_country_format"], "(516) 206-5575");
    assert_eq!(d["international_format"], "+1 516-206-5575");
    assert_eq!(d["locality"], "NEW YORK");
    assert_eq!(d["name"], "N/A");
    assert_eq!(d["partner_sid"], p["partner_sid"]);
    assert_eq!(d["price"], "0.6");
    assert_eq!(d["state"], "NY");
    assert_eq!(d["transformations"], json!([]));
    // It left the inventory; renting it again is a 409 naming it.
    let r = app.get("/core/v2/phonenumber/available_dids").actor(bearer(&tok)).ok().await;
    assert_eq!(r["count"], 0);
    let r = app
        .post("/core/v2/phonenumber/dids")
        .actor(bearer(&tok))
        .json(json!({"phonenumber":"15162065575"}))
        .send()
        .await;
    r.assert_error(409, "phonenumber");
    let r = app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({})).send().await;
    r.assert_error(409, "phonenumber");
    // Listed and read back.
    let list = app.get("/core/v2/phonenumber/dids").actor(bearer(&tok)).ok().await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0], d);
    let path = format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap());
    assert_eq!(app.get(&path).actor(bearer(&tok)).ok().await, d);
    let r = app.get(&format!("{path}?with_related=true")).actor(bearer(&tok)).ok().await;
    assert_eq!(r["partner"]["login"], "renter");
    // The admin route shows the admin-only attributes.
    let r = app.get(&format!("/core/v2/admin/dids/{}", d["did_sid"].as_str().unwrap())).actor(root()).ok().await;
    assert_eq!(r["status"], "assigned");
    assert_eq!(r["type"], "phonenumber_did");
}

/// Two large batches with the same numbers in opposite orders, each written as it is checked:
/// they may wait on each other (PostgreSQL then gives one up), but one wins whole and the other
/// is refused whole with a 409, never a 500 and never half of each.
#[tokio::test]
async fn two_large_batches_with_the_same_numbers_in_opposite_orders_one_wins_whole() {
    let app = TestApp::new().await;
    for round in 0..2 {
        let forward: Vec<Value> =
            (0..4000).map(|i| json!({"phonenumber": format!("1415{round}{:06}", 200_000 + i)})).collect();
        let backward: Vec<Value> = forward.iter().rev().cloned().collect();
        let (ra, rb) = tokio::join!(
            app.post("/core/v2/admin/dids").actor(root()).json(json!(forward)).send(),
            app.post("/core/v2/admin/dids").actor(root()).json(json!(backward)).send()
        );
        let mut statuses = vec![ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 409], "round {round}: {} / {}", ra.json, rb.json);
        let won = if ra.status.as_u16() == 200 { &ra } else { &rb };
        assert_eq!(won.json.as_array().unwrap().len(), 4000);
        let total = app
            .get(&format!("/core/v2/admin/dids?filter=phonenumber+like+%221415{round}%25%22&limit=1"))
            .actor(root())
            .ok()
            .await;
        assert_eq!(total["total"], 4000, "round {round}");
    }
}

#[tokio::test]
async fn an_empty_body_takes_the_first_available_number_and_filter_picks_one() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065580", "NY"), ("13125550100", "IL"), ("13125550200", "IL")]).await;
    let (_, tok) = app.partner(&root(), "picker", None).await;
    let d = app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({})).ok().await;
    assert_eq!(d["phonenumber"], "13125550100");
    let d = app.post("/core/v2/phonenumber/dids?filter=state+eq+NY").actor(bearer(&tok)).raw("", None).ok().await;
    assert_eq!(d["phonenumber"], "15162065580");
    let r = app.post("/core/v2/phonenumber/dids?filter=state+eq+NY").actor(bearer(&tok)).json(json!({})).send().await;
    r.assert_error(409, "phonenumber");
    app.post("/core/v2/phonenumber/dids?filter=colour+eq+red")
        .actor(bearer(&tok))
        .json(json!({}))
        .send()
        .await
        .assert_error(400, "filter");
}

#[tokio::test]
async fn two_batches_adding_the_same_numbers_at_once_one_wins_whole() {
    let app = TestApp::new().await;
    for round in 0..3 {
        let first: Vec<Value> = (0..50).map(|i| json!({"phonenumber": format!("1312555{round}{i:03}")})).collect();
        let second: Vec<Value> = (25..75).map(|i| json!({"phonenumber": format!("1312555{round}{i:03}")})).collect();
        let (ra, rb) = tokio::join!(
            app.post("/core/v2/admin/dids").actor(root()).json(json!(first)).send(),
            app.post("/core/v2/admin/dids").actor(root()).json(json!(second)).send()
        );
        let mut statuses = vec![ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 409], "round {round}");
        // The refused batch names the 25 numbers both had (its [0] to [24] or [25] to [49]), and
        // adds none of its others.
        let refused = if ra.status.as_u16() == 409 { &ra } else { &rb };
        assert_eq!(refused.json["errors"].as_array().unwrap().len(), 25, "{}", refused.json);
        let page = app
            .get(&format!(
                "/core/v2/phonenumber/available_dids?filter=phonenumber+like+%221312555{round}%25%22&limit=100"
            ))
            .actor(root())
            .ok()
            .await;
        assert_eq!(page["count"], 50, "round {round}");
    }
}

#[tokio::test]
async fn two_partners_renting_one_number_at_once_one_wins() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065590", "NY")]).await;
    let (_, a) = app.partner(&root(), "racer_a", None).await;
    let (_, b) = app.partner(&root(), "racer_b", None).await;
    for round in 0..3 {
        let number = format!("1516206560{round}");
        stock(&app, &[(number.as_str(), "NY")]).await;
        let body = json!({"phonenumber": number});
        let (ra, rb) = tokio::join!(
            app.post("/core/v2/phonenumber/dids").actor(bearer(&a)).json(body.clone()).send(),
            app.post("/core/v2/phonenumber/dids").actor(bearer(&b)).json(body.clone()).send()
        );
        let mut statuses = vec![ra.status.as_u16(), rb.status.as_u16()];
        statuses.sort();
        assert_eq!(statuses, vec![200, 409], "round {round}");
    }
    // Many first-available rents at once never share a number.
    let items: Vec<Value> = (0..10).map(|i| json!({"phonenumber": format!("1212555{:04}", i)})).collect();
    app.post("/core/v2/admin/dids").actor(root()).json(json!(items)).ok().await;
    let futures: Vec<_> = (0..10)
        .map(|i| {
            let who = if i % 2 == 0 { &a } else { &b };
            app.post("/core/v2/phonenumber/dids?filter=phonenumber+like+1212555%25")
                .actor(bearer(who))
                .json(json!({}))
                .send()
        })
        .collect();
    let results = futures_util::future::join_all(futures).await;
    let mut got: Vec<String> = results
        .iter()
        .filter(|r| r.status == 200)
        .map(|r| r.json["phonenumber"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(got.len(), 10, "every rent found a number");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 10, "no number rented twice");
}

#[tokio::test]
async fn the_bulk_rent_flow_of_the_ordering_script_with_basic_auth() {
    let app = TestApp::new().await;
    let items: Vec<Value> =
        (0..12).map(|i| json!({"phonenumber": format!("151620656{:02}", i), "state": "NY"})).collect();
    app.post("/core/v2/admin/dids").actor(root()).json(json!(items)).ok().await;
    app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "13125550199"})).ok().await;
    app.partner(&root(), "bulk", None).await;
    let who = basic("bulk", "bulk-password");
    let mut rented = Vec::new();
    let mut url = "/core/v2/phonenumber/available_dids?filter=phonenumber+like+%221516%25%22&limit=5".to_owned();
    loop {
        let page = app.get(&url).actor(who.clone()).ok().await;
        for d in page["items"].as_array().unwrap() {
            let r = app
                .post("/core/v2/phonenumber/dids")
                .actor(who.clone())
                .json(json!({"phonenumber": d["phonenumber"]}))
                .ok()
                .await;
            rented.push(r["phonenumber"].as_str().unwrap().to_owned());
        }
        match page["pagination"]["next"].as_str() {
            Some(next) => url = next.trim_start_matches("http://api.test").to_owned(),
            None => break,
        }
    }
    // The list shrinks while it is read: offset paging skips some, never fails.
    assert!(rented.len() >= 5 && rented.len() <= 12, "{}", rented.len());
    let mine = app.get("/core/v2/phonenumber/dids?limit=100").actor(who).ok().await;
    assert_eq!(mine["total"].as_u64().unwrap() as usize, rented.len());
}

#[tokio::test]
async fn updating_a_did_follows_the_patch_rules() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065574", "NY")]).await;
    let (_, tok) = app.partner(&root(), "updater", None).await;
    let d = app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({"name": "line"})).ok().await;
    assert_eq!(d["name"], "line");
    let path = format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap());
    let r = app.patch(&path).actor(bearer(&tok)).json(json!({"attributes":{"name":"main line"}})).ok().await;
    assert_eq!(r["attributes"], json!({"name": "main line"}));
    let r =
        app.patch(&path).actor(bearer(&tok)).json(json!({"attributes":{"floor":"2"}, "string_key_1": "k1"})).ok().await;
    assert_eq!(r["attributes"], json!({"floor": "2", "name": "main line"}));
    assert_eq!(r["string_key_1"], "k1");
    let r = app
        .patch(&format!("{path}?nested_objects=replace"))
        .actor(bearer(&tok))
        .json(json!({"attributes":{"x":"y"}}))
        .ok()
        .await;
    assert_eq!(r["attributes"], json!({"x": "y"}));
    // Read-only attributes are ignored; groups must be the partner's.
    let r = app
        .patch(&path)
        .actor(bearer(&tok))
        .json(json!({"phonenumber": "19999999999", "price": "0", "state": "CA"}))
        .ok()
        .await;
    assert_eq!(r["phonenumber"], "15162065574");
    assert_eq!(r["price"], "0.6");
    let g = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    let dg = app.post("/core/v2/phonenumber/did_groups").actor(bearer(&tok)).json(json!({"name":"sales"})).ok().await;
    let r = app
        .patch(&path)
        .actor(bearer(&tok))
        .json(json!({"trunk_group_sid": g["trunk_group_sid"], "did_group_sid": dg["did_group_sid"]}))
        .ok()
        .await;
    assert_eq!(r["trunk_group_sid"], g["trunk_group_sid"]);
    assert_eq!(r["did_group_sid"], dg["did_group_sid"]);
    let by_tg = app
        .get(&format!("/core/v2/phonenumber/dids?trunk_group_sid={}", g["trunk_group_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(by_tg["total"], 1);
    let (_, other) = app.partner(&root(), "other_upd", None).await;
    let og = app.post("/core/v2/trunk_groups").actor(bearer(&other)).json(json!({})).ok().await;
    app.patch(&path)
        .actor(bearer(&tok))
        .json(json!({"trunk_group_sid": og["trunk_group_sid"]}))
        .send()
        .await
        .assert_error(422, "trunk_group_sid");
    let r = app
        .patch(&path)
        .actor(bearer(&tok))
        .json(json!({"transformations": [{"action": "reject", "operands": ["nope"]}], "callback_url": "ftp://x"}))
        .send()
        .await;
    r.assert_error(422, "transformations[0].operands[0]");
    r.assert_error(422, "callback_url");
    // A trunk group that numbers use cannot be deleted (409); once they move, it can.
    let gpath = format!("/core/v2/trunk_groups/{}", g["trunk_group_sid"].as_str().unwrap());
    app.delete(&gpath).actor(bearer(&tok)).send().await.assert_error(409, "trunk_group_sid");
    app.patch(&path).actor(bearer(&tok)).json(json!({"trunk_group_sid": null})).ok().await;
    assert_eq!(app.delete(&gpath).actor(bearer(&tok)).send().await.status, 204);
    // Deleting the DID group takes the number out of it.
    assert_eq!(
        app.delete(&format!("/core/v2/phonenumber/did_groups/{}", dg["did_group_sid"].as_str().unwrap()))
            .actor(bearer(&tok))
            .send()
            .await
            .status,
        204
    );
    assert_eq!(app.get(&path).actor(bearer(&tok)).ok().await["did_group_sid"], Value::Null);
    // Another partner sees nothing of it.
    for r in [
        app.get(&path).actor(bearer(&other)).send().await,
        app.patch(&path).actor(bearer(&other)).json(json!({})).send().await,
        app.delete(&path).actor(bearer(&other)).send().await,
    ] {
        assert_eq!(r.status, 404);
    }
}

#[tokio::test]
async fn a_released_number_ages_before_it_can_be_rented_again() {
    let app = TestApp::with_config(|c| c.did_aging_seconds = 0).await;
    stock(&app, &[("15162065575", "NY")]).await;
    let (_, tok) = app.partner(&root(), "releaser", None).await;
    let d = app
        .post("/core/v2/phonenumber/dids")
        .actor(bearer(&tok))
        .json(json!({"name": "mine", "attributes": {"a": 1}}))
        .ok()
        .await;
    let path = format!("/core/v2/phonenumber/dids/{}", d["did_sid"].as_str().unwrap());
    let r = app.delete(&path).actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 204);
    assert_eq!(app.get(&path).actor(bearer(&tok)).send().await.status, 404);
    assert_eq!(app.get("/core/v2/phonenumber/dids").actor(bearer(&tok)).ok().await["total"], 0);
    let admin = app.get(&format!("/core/v2/admin/dids/{}", d["did_sid"].as_str().unwrap())).actor(root()).ok().await;
    assert_eq!(admin["status"], "aging");
    assert_eq!(admin["name"], "N/A", "its settings are cleared");
    assert_eq!(app.get("/core/v2/phonenumber/available_dids").actor(bearer(&tok)).ok().await["count"], 0);
    app.post("/core/v2/phonenumber/dids")
        .actor(bearer(&tok))
        .json(json!({"phonenumber": "15162065575"}))
        .send()
        .await
        .assert_error(409, "phonenumber");
    // The aging job returns it to the inventory once its period has passed.
    let returned = carrierx_core::resources::dids::repo::return_aged(&app.state.pool).await.unwrap();
    assert_eq!(returned, 1);
    let again = app
        .post("/core/v2/phonenumber/dids")
        .actor(bearer(&tok))
        .json(json!({"phonenumber": "15162065575"}))
        .ok()
        .await;
    assert_eq!(again["did_sid"], d["did_sid"]);
    assert_eq!(again["attributes"], json!({}));
}

#[tokio::test]
async fn did_groups_crud() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "grouper", None).await;
    let g = app.post("/core/v2/phonenumber/did_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    assert_eq!(keys(&g), vec!["callback_url", "did_group_sid", "name", "partner_sid"]);
    assert_eq!(g["name"], "N/A");
    assert_eq!(g["callback_url"], Value::Null);
    assert_eq!(g["partner_sid"], p["partner_sid"]);
    let path = format!("/core/v2/phonenumber/did_groups/{}", g["did_group_sid"].as_str().unwrap());
    let r = app
        .patch(&path)
        .actor(bearer(&tok))
        .json(json!({"name": "sales", "callback_url": "https://example.com/sms"}))
        .ok()
        .await;
    assert_eq!(r["name"], "sales");
    assert_eq!(r["callback_url"], "https://example.com/sms");
    let list = app.get("/core/v2/phonenumber/did_groups?with_related=true").actor(bearer(&tok)).ok().await;
    assert_eq!(list["items"][0]["partner"]["login"], "grouper");
    let (_, other) = app.partner(&root(), "grouper_b", None).await;
    assert_eq!(app.get(&path).actor(bearer(&other)).send().await.status, 404);
    assert_eq!(app.delete(&path).actor(bearer(&tok)).send().await.status, 204);
    assert_eq!(app.get(&path).actor(bearer(&tok)).send().await.status, 404);
}

#[tokio::test]
async fn routing_prefixes() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "prefixer", None).await;
    let x = app.post("/core/v2/phonenumber/prefixes").actor(bearer(&tok)).json(json!({"prefix": "51625"})).ok().await;
    assert_eq!(
        keys(&x),
        vec![
            "attributes",
            "callback_url",
            "lrn_sid",
            "name",
            "partner_sid",
            "prefix",
            "prefix_sid",
            "source_trunk_group_sid",
            "string_key_1",
            "string_key_2",
            "transformations",
            "trunk_group_sid"
        ]
    );
    assert_eq!(x["name"], "N/A");
    assert_eq!(x["partner_sid"], p["partner_sid"]);
    assert_eq!(x["attributes"], json!({}));
    app.post("/core/v2/phonenumber/prefixes")
        .actor(bearer(&tok))
        .json(json!({}))
        .send()
        .await
        .assert_error(422, "prefix");
    app.post("/core/v2/phonenumber/prefixes")
        .actor(bearer(&tok))
        .json(json!({"prefix": "51x"}))
        .send()
        .await
        .assert_error(422, "prefix");
    let path = format!("/core/v2/phonenumber/prefixes/{}", x["prefix_sid"].as_str().unwrap());
    let g = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(json!({})).ok().await;
    let r = app
        .patch(&path)
        .actor(bearer(&tok))
        .json(json!({"attributes": {"a": "1"}, "trunk_group_sid": g["trunk_group_sid"]}))
        .ok()
        .await;
    assert_eq!(r["trunk_group_sid"], g["trunk_group_sid"]);
    let r = app.patch(&path).actor(bearer(&tok)).json(json!({"attributes": {"b": "2"}})).ok().await;
    assert_eq!(r["attributes"], json!({"a": "1", "b": "2"}));
    assert_eq!(r["prefix"], "51625");
    app.delete(&format!("/core/v2/trunk_groups/{}", g["trunk_group_sid"].as_str().unwrap()))
        .actor(bearer(&tok))
        .send()
        .await
        .assert_error(409, "trunk_group_sid");
    let (_, other) = app.partner(&root(), "prefixer_b", None).await;
    assert_eq!(app.get(&path).actor(bearer(&other)).send().await.status, 404);
    let og = app.post("/core/v2/trunk_groups").actor(bearer(&other)).json(json!({})).ok().await;
    app.patch(&path)
        .actor(bearer(&tok))
        .json(json!({"source_trunk_group_sid": og["trunk_group_sid"]}))
        .send()
        .await
        .assert_error(422, "source_trunk_group_sid");
    let list = app.get("/core/v2/phonenumber/prefixes?filter=prefix+like+516%25").actor(bearer(&tok)).ok().await;
    assert_eq!(list["total"], 1);
    let r = app.put(&path).actor(bearer(&tok)).json(json!({"name": "only"})).ok().await;
    assert_eq!(r["prefix"], "51625");
    assert_eq!(r["trunk_group_sid"], Value::Null);
    assert_eq!(app.delete(&path).actor(bearer(&tok)).send().await.status, 204);
    assert_eq!(app.get(&path).actor(bearer(&tok)).send().await.status, 404);
}

#[tokio::test]
async fn coverage_counts_the_inventory_by_key() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065573", "NY"), ("15162065574", "NY"), ("13125550100", "IL"), ("12125550100", "NY")]).await;
    app.post("/core/v2/admin/dids")
        .actor(root())
        .json(json!({"phonenumber": "13125550101", "state": "IL", "capabilities": 3}))
        .ok()
        .await;
    app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "442071234567"})).ok().await;
    let r = app.get("/core/v2/phonenumber/coverage?limit=1&group_by=state").actor(root()).ok().await;
    assert_eq!(r["items"], json!([{"count": 2, "key": "IL"}]));
    assert_eq!(r["has_more"], true);
    assert_eq!(r["total"], 3, "IL, NY and the numbers without a state");
    assert_eq!(r["pagination"]["next"], "http://api.test/core/v2/phonenumber/coverage?limit=1&group_by=state&offset=1");
    let r = app.get("/core/v2/phonenumber/coverage?group_by=npa&filter=state+eq+NY").actor(root()).ok().await;
    assert_eq!(r["items"], json!([{"count": 1, "key": "212"}, {"count": 2, "key": "516"}]));
    let r = app
        .get("/core/v2/phonenumber/coverage?group_by=state&filter=capabilities+bit+4&order=count+desc")
        .actor(root())
        .ok()
        .await;
    assert_eq!(r["items"][0], json!({"count": 3, "key": "NY"}));
    let r = app.get("/core/v2/phonenumber/coverage?group_by=country_code").actor(root()).ok().await;
    assert_eq!(r["items"], json!([{"count": 1, "key": "GBR"}, {"count": 5, "key": "USA"}]));
    app.get("/core/v2/phonenumber/coverage").actor(root()).send().await.assert_error(400, "group_by");
    app.get("/core/v2/phonenumber/coverage?group_by=planet").actor(root()).send().await.assert_error(400, "group_by");
}

/// The seed's `GET /phonenumber/dids` page: one rented number of two, `has_more` and a `next` link.
#[tokio::test]
async fn the_rented_numbers_page_sample() {
    let app = TestApp::new().await;
    stock(&app, &[("15162065574", "NY"), ("15162065575", "NY")]).await;
    let (p, tok) = app.partner(&root(), "two_numbers", None).await;
    let a = app
        .post("/core/v2/phonenumber/dids")
        .actor(bearer(&tok))
        .json(json!({"phonenumber": "15162065574"}))
        .ok()
        .await;
    app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({"phonenumber": "15162065575"})).ok().await;
    let r = app.get("/core/v2/phonenumber/dids?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(r["count"], 1);
    assert_eq!(r["has_more"], true);
    assert_eq!(r["limit"], 1);
    assert_eq!(r["offset"], 0);
    assert_eq!(r["total"], 2);
    assert_eq!(r["pagination"], json!({"next": "http://api.test/core/v2/phonenumber/dids?limit=1&offset=1"}));
    assert_eq!(r["items"][0], a);
    assert_eq!(keys(&r["items"][0]), DID_KEYS);
    assert_eq!(r["items"][0]["partner_sid"], p["partner_sid"]);
    assert_eq!(r["items"][0]["in_country_format"], "(516) 206-5574");
    assert_eq!(r["items"][0]["locality"], "NEW YORK");
}
