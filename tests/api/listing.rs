use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::common::*;

async fn all_countries(app: &TestApp) -> Vec<Value> {
    app.get("/core/v2/countries?limit=1000").actor(root()).ok().await["items"].as_array().unwrap().clone()
}

fn codes(items: &[Value]) -> BTreeSet<String> {
    items.iter().map(|c| c["iso_3166_alpha_3"].as_str().unwrap().to_owned()).collect()
}

async fn filtered(app: &TestApp, filter: &str) -> BTreeSet<String> {
    let enc: String = filter
        .chars()
        .map(|c| match c {
            ' ' => "+".to_string(),
            '"' => "%22".into(),
            '%' => "%25".into(),
            '+' => "%2B".into(),
            c => c.to_string(),
        })
        .collect();
    let r = app.get(&format!("/core/v2/countries?limit=1000&filter={enc}")).actor(root()).ok().await;
    assert_eq!(r["total"].as_u64().unwrap() as usize, r["count"].as_u64().unwrap() as usize, "{filter}");
    codes(r["items"].as_array().unwrap())
}

#[tokio::test]
async fn every_filter_operator_matches_a_local_computation() {
    let app = TestApp::new().await;
    let all = all_countries(&app).await;
    assert_eq!(all.len(), 249);
    let pick = |f: &dyn Fn(&Value) -> bool| codes(&all.iter().filter(|c| f(c)).cloned().collect::<Vec<_>>());
    let num = |c: &Value| c["iso_3166_numeric"].as_i64().unwrap();
    let name = |c: &Value| c["common_name"].as_str().unwrap().to_owned();

    assert_eq!(filtered(&app, "region eq Europe").await, pick(&|c| c["region"] == "Europe"));
    assert_eq!(filtered(&app, "region ne Europe").await, pick(&|c| c["region"] != "Europe"));
    assert_eq!(filtered(&app, "iso_3166_numeric gt 800").await, pick(&|c| num(c) > 800));
    assert_eq!(filtered(&app, "iso_3166_numeric ge 840").await, pick(&|c| num(c) >= 840));
    assert_eq!(filtered(&app, "iso_3166_numeric lt 20").await, pick(&|c| num(c) < 20));
    assert_eq!(filtered(&app, "iso_3166_numeric le 8").await, pick(&|c| num(c) <= 8));
    assert_eq!(filtered(&app, "common_name like \"United%\"").await, pick(&|c| name(c).starts_with("United")));
    assert_eq!(filtered(&app, "common_name like united%").await, BTreeSet::new(), "like is case sensitive");
    assert_eq!(
        filtered(&app, "common_name ilike united%").await,
        pick(&|c| name(c).to_lowercase().starts_with("united"))
    );
    assert_eq!(filtered(&app, "common_name ilike '%LAND'").await, pick(&|c| name(c).to_lowercase().ends_with("land")));
    assert_eq!(
        filtered(&app, "iso_3166_alpha_2 in (US, IT, 'FR')").await,
        ["FRA", "ITA", "USA"].iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(
        filtered(&app, "subregion notin (\"Western Europe\", Caribbean)").await,
        pick(&|c| !(c["subregion"] == "Western Europe" || c["subregion"] == "Caribbean"))
    );
    assert_eq!(filtered(&app, "iso_3166_numeric bit 6").await, pick(&|c| num(c) & 6 == 6));
    assert_eq!(filtered(&app, "mcc eq null").await, pick(&|c| c["mcc"].is_null()));
    assert_eq!(
        filtered(&app, "mcc ne null and region eq Africa").await,
        pick(&|c| !c["mcc"].is_null() && c["region"] == "Africa")
    );
    assert_eq!(
        filtered(&app, "region eq \"Americas\" and iso_3166_numeric gt 500 and common_name like \"%a%\"").await,
        pick(&|c| c["region"] == "Americas" && num(c) > 500 && name(c).contains('a'))
    );
}

#[tokio::test]
async fn order_ascending_descending_and_shuffled() {
    let app = TestApp::new().await;
    let asc = app.get("/core/v2/countries?order=iso_3166_numeric&limit=5").actor(root()).ok().await;
    let nums: Vec<i64> =
        asc["items"].as_array().unwrap().iter().map(|c| c["iso_3166_numeric"].as_i64().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] <= w[1]));
    let desc = app.get("/core/v2/countries?order=iso_3166_numeric+desc&limit=5").actor(root()).ok().await;
    let nums: Vec<i64> =
        desc["items"].as_array().unwrap().iter().map(|c| c["iso_3166_numeric"].as_i64().unwrap()).collect();
    assert!(nums.windows(2).all(|w| w[0] >= w[1]));
    assert_eq!(desc["items"][0]["iso_3166_alpha_3"], "ZMB");
    let explicit = app.get("/core/v2/countries?order=iso_3166_numeric+asc&limit=5").actor(root()).ok().await;
    assert_eq!(explicit["items"], asc["items"]);
    let shuffled = app.get("/core/v2/countries?order=shuffle&limit=249").actor(root()).ok().await;
    assert_eq!(codes(shuffled["items"].as_array().unwrap()).len(), 249);
    assert_eq!(shuffled["total"], 249);
}

#[tokio::test]
async fn following_next_links_reaches_every_item_once() {
    let app = TestApp::new().await;
    let mut url = "/core/v2/countries?limit=40&order=common_name&filter=region+ne+Oceania".to_owned();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let r = app.get(&url).actor(root()).ok().await;
        pages += 1;
        seen.extend(r["items"].as_array().unwrap().iter().map(|c| c["common_name"].as_str().unwrap().to_owned()));
        match r["pagination"]["next"].as_str() {
            Some(next) => {
                assert!(next.starts_with("http://api.test/core/v2/countries?"));
                assert!(
                    next.contains("filter=region+ne+Oceania")
                        && next.contains("order=common_name")
                        && next.contains("limit=40")
                );
                url = next.trim_start_matches("http://api.test").to_owned();
            }
            None => {
                assert_eq!(r["has_more"], false);
                break;
            }
        }
    }
    let total = app.get("/core/v2/countries?filter=region+ne+Oceania&limit=1").actor(root()).ok().await["total"]
        .as_u64()
        .unwrap();
    assert_eq!(seen.len() as u64, total);
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), seen.len(), "no item twice");
    assert_eq!(pages, (total as usize).div_ceil(40));
    // Past the end: no items, the total still counted.
    let r = app.get("/core/v2/countries?offset=5000").actor(root()).ok().await;
    assert_eq!(r["count"], 0);
    assert_eq!(r["total"], 249);
    assert_eq!(r["has_more"], false);
    assert!(r["pagination"]["previous"].is_string());
}

#[tokio::test]
async fn pagination_links_use_the_public_url_or_forwarded_host() {
    let app = TestApp::with_config(|c| c.public_url = "https://api.example.com/core/v2".into()).await;
    let r = app.get("/core/v2/countries?limit=1").actor(root()).ok().await;
    assert_eq!(r["pagination"]["next"], "https://api.example.com/core/v2/countries?limit=1&offset=1");
    let app = TestApp::new().await;
    let r = app
        .get("/core/v2/countries?limit=1")
        .actor(root())
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "carrierx.internal:8443")
        .ok()
        .await;
    assert_eq!(r["pagination"]["next"], "https://carrierx.internal:8443/core/v2/countries?limit=1&offset=1");
}

#[tokio::test]
async fn field_filtering_on_lists_and_objects() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/countries?limit=2&include_fields=iso_3166_alpha_3,mcc").actor(root()).ok().await;
    assert_eq!(r["items"][0], json!({"iso_3166_alpha_3": "USA", "mcc": "310,311,312,313,316"}));
    let r = app.get("/core/v2/countries?limit=1&includeFields=iso_3166_alpha_3").actor(root()).ok().await;
    assert_eq!(r["items"][0], json!({"iso_3166_alpha_3": "USA"}));
    let r = app
        .get("/core/v2/countries?limit=1&exclude_fields=capital,domain,mcc,region,subregion,official_name")
        .actor(root())
        .ok()
        .await;
    assert_eq!(
        keys(&r["items"][0]),
        vec!["common_name", "dialing_prefix", "iso_3166_alpha_2", "iso_3166_alpha_3", "iso_3166_numeric"]
    );
    let r = app.get("/core/v2/countries/USA?excludeFields=mcc").actor(root()).ok().await;
    assert!(r.get("mcc").is_none() && r.get("capital").is_some());
    let (p, _) = app.partner(&root(), "projected", None).await;
    app.patch(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"attributes": {"a": 1, "b": 2}}))
        .ok()
        .await;
    let r = app
        .get(&format!("/core/v2/partners/{}?include_fields=attributes.b,login", p["partner_sid"].as_str().unwrap()))
        .actor(root())
        .ok()
        .await;
    assert_eq!(r, json!({"attributes": {"b": 2}, "login": "projected"}));
}

#[tokio::test]
async fn bad_list_parameters_are_400_naming_the_parameter() {
    let app = TestApp::new().await;
    let cases = [
        ("limit=1001", "limit"),
        ("limit=-1", "limit"),
        ("limit=ten", "limit"),
        ("offset=-5", "offset"),
        ("offset=x", "offset"),
        ("order=colour", "order"),
        ("order=common_name+sideways", "order"),
        ("filter=colour+eq+red", "filter"),
        ("filter=common_name+eq", "filter"),
        ("filter=common_name+eq+a+or+region+eq+b", "filter"),
        ("filter=common_name+resembles+a", "filter"),
        ("filter=iso_3166_numeric+gt+many", "filter"),
        ("filter=common_name+eq+%22open", "filter"),
        ("filter=common_name.first+eq+x", "filter"),
        ("after=6bace9c5-3eef-4f75-8f48-fb98e04408be", "after"),
    ];
    for (q, field) in cases {
        let r = app.get(&format!("/core/v2/countries?{q}")).actor(root()).send().await;
        r.assert_error(400, field);
    }
    app.get("/core/v2/oauth/tokens?with_related=maybe").actor(root()).send().await.assert_error(400, "with_related");
    // limit=0 is allowed: the count only.
    let r = app.get("/core/v2/countries?limit=0").actor(root()).ok().await;
    assert_eq!(r["count"], 0);
    assert_eq!(r["total"], 249);
    assert_eq!(r["has_more"], true);
}

#[tokio::test]
async fn dot_paths_typed_values_and_lists_of_scopes() {
    let app = TestApp::new().await;
    let (a, _) = app.partner(&root(), "dot_a", Some(&["partners.read", "oauth.read"])).await;
    let (b, _) = app.partner(&root(), "dot_b", None).await;
    let a_path = format!("/core/v2/partners/{}", a["partner_sid"].as_str().unwrap());
    let b_path = format!("/core/v2/partners/{}", b["partner_sid"].as_str().unwrap());
    app.patch(&a_path)
        .actor(root())
        .json(json!({"attributes": {"tier": "gold", "seats": 10}, "parent_assigned_acls": [
        {"access_control_rules": [], "direction": "outbound", "voice_action_true": "reject403"}]}))
        .ok()
        .await;
    app.patch(&b_path).actor(root()).json(json!({"attributes": {"tier": "silver", "seats": 3}})).ok().await;
    let logins = |r: &Value| -> Vec<String> {
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["login"].as_str().unwrap().to_owned())
            .filter(|l| l != "root")
            .collect()
    };
    let get = |f: &str| app.get(&format!("/core/v2/partners?filter={f}")).actor(root()).ok();
    assert_eq!(logins(&get("attributes.tier+eq+gold").await), vec!["dot_a"]);
    assert_eq!(logins(&get("attributes.seats+gt+5").await), vec!["dot_a"]);
    assert_eq!(logins(&get("attributes.seats+eq+3").await), vec!["dot_b"]);
    assert_eq!(logins(&get("attributes.tier+ilike+SIL%25").await), vec!["dot_b"]);
    assert_eq!(logins(&get("attributes.tier+in+(gold,silver)").await), vec!["dot_a", "dot_b"]);
    assert_eq!(logins(&get("parent_assigned_acls.direction+eq+outbound").await), vec!["dot_a"]);
    assert_eq!(logins(&get("parent_assigned_acls.voice_action_true+eq+reject403").await), vec!["dot_a"]);
    assert_eq!(logins(&get("available_scopes+eq+oauth.read+and+login+like+dot%25").await), vec!["dot_a", "dot_b"]);
    assert_eq!(logins(&get("available_scopes+eq+calls.manage+and+login+like+dot%25").await), vec!["dot_b"]);
    assert_eq!(logins(&get("balance+ge+4.5+and+login+like+dot%25").await), vec!["dot_a", "dot_b"]);
    assert_eq!(logins(&get("balance+gt+5").await), Vec::<String>::new());
    assert_eq!(logins(&get(&format!("partner_sid+eq+{}", a["partner_sid"].as_str().unwrap())).await), vec!["dot_a"]);
    assert_eq!(logins(&get("partner_sid+eq+not-a-uuid").await), Vec::<String>::new());
    // Timestamps in every form clients send compare as instants.
    for ts in [
        "2020-01-01",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00:00Z",
        "2020-01-01T00:00:00%2B00:00",
        "2019-12-31T19:00:00-05:00",
        "%222020-01-01%22",
    ] {
        assert_eq!(
            logins(&get(&format!("date_created+ge+{ts}+and+login+like+dot%25")).await),
            vec!["dot_a", "dot_b"],
            "{ts}"
        );
        assert_eq!(logins(&get(&format!("date_created+lt+{ts}")).await), Vec::<String>::new(), "{ts}");
    }
    app.get("/core/v2/partners?filter=date_created+gt+yesterday")
        .actor(root())
        .send()
        .await
        .assert_error(400, "filter");
    app.get("/core/v2/partners?filter=attributes+eq+x").actor(root()).send().await.assert_error(400, "filter");
    app.get("/core/v2/partners?order=attributes").actor(root()).send().await.assert_error(400, "order");
}

#[tokio::test]
async fn hostile_filter_values_are_answered_never_a_500() {
    let app = TestApp::new().await;
    app.partner(&root(), "hostile", None).await;
    let ok_cases = [
        "common_name+like+abc%5C",
        "common_name+ilike+%22%25%5C%25%22",
        "common_name+eq+%22'%3B+drop+table+countries%3B+--%22",
        "common_name+in+()",
        "mcc+like+%5C",
    ];
    for f in ok_cases {
        let r = app.get(&format!("/core/v2/countries?filter={f}")).actor(root()).send().await;
        assert_eq!(r.status, 200, "{f}: {}", r.text());
    }
    for f in [
        "attributes.x+like+%22%5C%22",
        "attributes.x%22y+eq+1",
        "attributes.x+eq+%22a%5C%22b%22",
        "attributes.x+gt+1e999",
        "balance+gt+99999999999999999999999999999999999999",
        "date_created+gt+9999-12-31T23:59:59Z",
    ] {
        let r = app.get(&format!("/core/v2/partners?filter={f}")).actor(root()).send().await;
        assert!(r.status == 200 || r.status == 400, "{f}: {} {}", r.status, r.text());
    }
    for f in ["iso_3166_numeric+gt+99999999999999999999", "iso_3166_numeric+bit+x"] {
        app.get(&format!("/core/v2/countries?filter={f}")).actor(root()).send().await.assert_error(400, "filter");
    }
    let total = app.get("/core/v2/countries?limit=1").actor(root()).ok().await["total"].clone();
    assert_eq!(total, 249, "the table is still there");
}
