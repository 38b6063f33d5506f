use serde_json::{json, Value};

use crate::common::*;

const CDR_KEYS: &[&str] = &[
    "cic",
    "cic_original",
    "cic_transformed",
    "date_insert",
    "date_start",
    "date_stop",
    "date_talk",
    "direction",
    "disconnect_originator",
    "diversion_dst",
    "diversion_src",
    "dr_sid",
    "duration",
    "duration_billing",
    "endpoint_sid_dst",
    "endpoint_sid_src",
    "identity",
    "ip_dst",
    "ip_src",
    "number_billing",
    "number_dst",
    "number_dst_original",
    "number_dst_transformed",
    "number_external",
    "number_src",
    "number_src_original",
    "number_src_transformed",
    "partner_sid",
    "price",
    "rate",
    "sipcallid_dst",
    "sipcallid_src",
    "sipcause",
    "stir_attest",
    "stir_identity",
    "stir_orig_id",
    "stir_signing_entity",
    "stir_verstat",
    "trunk_group_sid_dst",
    "trunk_group_sid_src",
    "trunk_sid_dst",
    "trunk_sid_src",
    "type",
    "user_data",
    "version",
];

fn sample(partner: &str) -> Value {
    json!({
        "cic": null, "cic_original": null, "cic_transformed": null,
        "date_insert": "2019-01-18T15:35:03.000Z", "date_start": "2019-01-18T15:32:15.589Z", "date_stop": "2019-01-18T15:32:19.839Z",
        "date_talk": "2019-01-18T15:32:16.535Z", "direction": "inbound", "disconnect_originator": "DST",
        "diversion_dst": "+15162065451", "diversion_src": "+15162065451", "dr_sid": "c02a73b2-8401-459a-af7e-f4cc3eee7854",
        "duration": "4.25015", "duration_billing": "60", "endpoint_sid_dst": "1ce5a6da-7d72-448a-ab81-897fe24b8f02",
        "endpoint_sid_src": "7fc3e7ea-a0df-4de1-836f-50318ed66466", "identity": null, "ip_dst": "10.222.2.197:5060",
        "ip_src": "162.251.180.18", "number_billing": "15162065451", "number_dst": "15162065451", "number_dst_original": null,
        "number_dst_transformed": null, "number_external": "15012678830", "number_src": "+15012678830",
        "number_src_original": null, "number_src_transformed": null, "partner_sid": partner, "price": "0.0025", "rate": "0.0005",
        "sipcallid_dst": "11b5b29c3486cac52a7d5baa52c937c9@12.7.193.174", "sipcallid_src": "428ac5df4582bea66501f7d45199a18d@162.251.180.24",
        "sipcause": "200", "stir_attest": "A", "stir_identity": "false", "stir_orig_id": "+15012678830", "stir_signing_entity": "carrierX",
        "stir_verstat": null, "trunk_group_sid_dst": "cf7db13f-5c63-4c62-a447-fe3008cd72ef", "trunk_group_sid_src": null,
        "trunk_sid_dst": "7098d9f8-c8f2-400f-a31a-61ef7755985c", "trunk_sid_src": null, "type": "telecom",
        "user_data": {"identity": "eyJ0eXAiOiJwYXNzcG9ydCIsImFsZyI6I...alg=ES256;ppt=shaken"}, "version": 2
    })
}

#[tokio::test]
async fn the_reference_record_comes_back_as_ingested() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "caller", None).await;
    let rec = sample(p["partner_sid"].as_str().unwrap());
    let saved = app.post("/core/v2/admin/calls/call_drs").actor(root()).json(rec.clone()).ok().await;
    assert_eq!(keys(&saved), CDR_KEYS);
    assert_eq!(saved, rec);
    let got = app.get("/core/v2/calls/call_drs/c02a73b2-8401-459a-af7e-f4cc3eee7854").actor(bearer(&tok)).ok().await;
    assert_eq!(got, rec);
    let list = app.get("/core/v2/calls/call_drs").actor(bearer(&tok)).ok().await;
    assert_eq!(list["total"], Value::Null);
    assert_eq!(list["limit"], 1000, "record lists default to 1,000 a page");
    assert_eq!(list["items"][0], rec);
    // Another partner does not see it.
    let (_, other) = app.partner(&root(), "other_caller", None).await;
    let r = app.get("/core/v2/calls/call_drs/c02a73b2-8401-459a-af7e-f4cc3eee7854").actor(bearer(&other)).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["errors"][0]["message"], "cannot find item by SID");
    assert_eq!(app.get("/core/v2/calls/call_drs").actor(bearer(&other)).ok().await["count"], 0);
    // The same dr_sid twice is a conflict.
    app.post("/core/v2/admin/calls/call_drs").actor(root()).json(rec.clone()).send().await.assert_error(409, "dr_sid");
    // In a batch, the taken record is named by its secure ID, and nothing of the batch is added.
    let mut fresh = rec.clone();
    fresh["dr_sid"] = json!("6c1a0a8e-3d0b-4a55-9f4e-2b7f8c9d0e11");
    let r = app.post("/core/v2/admin/calls/call_drs").actor(root()).json(json!([fresh, rec])).send().await;
    r.assert_error(409, "dr_sid");
    assert_eq!(r.json["errors"].as_array().unwrap().len(), 1, "{}", r.json);
    assert_eq!(r.json["errors"][0]["reference_sid"], "c02a73b2-8401-459a-af7e-f4cc3eee7854");
    let r = app.get("/core/v2/calls/call_drs/6c1a0a8e-3d0b-4a55-9f4e-2b7f8c9d0e11").actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 404);
}

async fn make_plan(app: &TestApp, body: Value, assign: Value) -> Value {
    let plan = app.post("/core/v2/admin/calls/rates_plans").actor(root()).json(body).ok().await;
    let path = format!("/core/v2/admin/calls/rates_plans/{}/assignments", plan["rates_plan_sid"].as_str().unwrap());
    app.post(&path).actor(root()).json(assign).ok().await;
    plan
}

#[tokio::test]
async fn records_are_rated_from_the_partners_plan() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "rated", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    make_plan(
        &app,
        json!({"name": "retail_voice_out", "items": [
            {"price": "0.01", "billing_increment": 60, "billing_minimum": 60},
            {"prefix": "1", "price": "0.006", "billing_increment": 6, "billing_minimum": 6},
            {"prefix": "1516", "price": "0.0048", "billing_increment": 1, "billing_minimum": 30}]}),
        json!({"partner_sid": sid, "direction": "outbound", "type": "pstn"}),
    )
    .await;
    let recs = json!([
        {"partner_sid": sid, "direction": "outbound", "type": "telecom", "number_dst": "+15162065575",
         "date_start": "2024-10-30T10:00:00Z", "date_stop": "2024-10-30T10:00:12.500Z"},
        {"partner_sid": sid, "direction": "outbound", "number_dst": "12125550100",
         "date_start": "2024-10-30T11:00:00Z", "date_stop": "2024-10-30T11:01:01Z"},
        {"partner_sid": sid, "direction": "outbound", "number_external": "442071234567", "duration": 59,
         "date_stop": "2024-10-30T12:00:00Z"},
        {"partner_sid": sid, "direction": "inbound", "number_src": "15162065575",
         "date_start": "2024-10-30T13:00:00Z", "date_stop": "2024-10-30T13:00:30Z"}
    ]);
    let r = app.post("/core/v2/admin/calls/call_drs").actor(root()).json(recs).ok().await;
    let by_stop = |s: &str| {
        r.as_array().unwrap().iter().find(|c| c["date_stop"].as_str().unwrap().starts_with(s)).unwrap().clone()
    };
    // 1516: 30 s minimum then whole seconds, 0.0048 a minute.
    let a = by_stop("2024-10-30T10");
    assert_eq!(
        (a["duration"].as_str(), a["duration_billing"].as_str(), a["rate"].as_str(), a["price"].as_str()),
        (Some("12.5"), Some("30"), Some("0.0048"), Some("0.0024"))
    );
    // 1: 6 s increments: 61 s bills 66 s.
    let b = by_stop("2024-10-30T11");
    assert_eq!(
        (b["duration"].as_str(), b["duration_billing"].as_str(), b["price"].as_str()),
        (Some("61"), Some("66"), Some("0.0066"))
    );
    // No prefix matches: the catch-all item, a minute.
    let c = by_stop("2024-10-30T12");
    assert_eq!(
        (c["duration_billing"].as_str(), c["rate"].as_str(), c["price"].as_str()),
        (Some("60"), Some("0.01"), Some("0.01"))
    );
    assert!(c["date_insert"].is_string() && uuid::Uuid::parse_str(c["dr_sid"].as_str().unwrap()).is_ok());
    // No inbound plan of its own: the reference plan every partner has (0.005 a minute, whole
    // minutes) rates it.
    let d = by_stop("2024-10-30T13");
    assert_eq!(
        (d["rate"].as_str(), d["price"].as_str(), d["duration_billing"].as_str()),
        (Some("0.005"), Some("0.005"), Some("60"))
    );
    assert_eq!(d["duration"], "30");
    // A default plan rates partners without their own.
    make_plan(
        &app,
        json!({"name": "default_in", "items": [{"price": "0.002"}]}),
        json!({"partner_sid": null, "direction": "inbound", "type": "pstn"}),
    )
    .await;
    let e = app
        .post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(
            json!({"partner_sid": sid, "direction": "inbound", "duration": "61", "date_stop": "2024-10-30T14:00:00Z"}),
        )
        .ok()
        .await;
    assert_eq!((e["duration_billing"].as_str(), e["price"].as_str()), (Some("120"), Some("0.004")));
    let list = app.get("/core/v2/calls/call_drs?filter=price+gt+0.005").actor(bearer(&tok)).ok().await;
    let prices: Vec<&str> = list["items"].as_array().unwrap().iter().map(|c| c["price"].as_str().unwrap()).collect();
    assert_eq!(prices, vec!["0.0066", "0.01"]);
    // Text attributes and `direction` are in the filter allow-list; unknown fields are a 400.
    let list = app
        .get("/core/v2/calls/call_drs?filter=number_dst+like+%22%2B1516%25%22+and+direction+eq+outbound")
        .actor(bearer(&tok))
        .ok()
        .await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["items"][0]["number_dst"], "+15162065575");
    let list = app.get("/core/v2/calls/call_drs?filter=number_external+eq+442071234567").actor(bearer(&tok)).ok().await;
    assert_eq!(list["count"], 1);
    app.get("/core/v2/calls/call_drs?filter=secret+eq+1").actor(bearer(&tok)).send().await.assert_error(400, "filter");
}

#[tokio::test]
async fn bad_records_name_their_index_and_field_and_nothing_is_inserted() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "bad_cdr", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let r = app
        .post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!([
            {"partner_sid": sid, "date_stop": "2024-10-30T10:00:00Z"},
            {"partner_sid": sid, "date_stop": "yesterday", "direction": "sideways"},
            {"date_stop": "2024-10-30T10:00:00Z", "colour": "red"},
            {"partner_sid": new_uuid(), "date_stop": "2024-10-30T10:00:00Z", "date_start": "2024-10-30T11:00:00Z"}
        ]))
        .send()
        .await;
    for f in ["[1].date_stop", "[1].direction", "[2].colour", "[3].date_start"] {
        r.assert_error(422, f);
    }
    assert_eq!(app.get("/core/v2/calls/call_drs").actor(bearer(&tok)).ok().await["count"], 0);
    let r = app
        .post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!([{"partner_sid": new_uuid(), "date_stop": "2024-10-30T10:00:00Z"}]))
        .send()
        .await;
    r.assert_error(422, "[0].partner_sid");
}

async fn ingest_series(app: &TestApp, partner: &str, n: usize) -> Vec<String> {
    // Records one minute apart, with two sharing each date_stop (ties broken by dr_sid).
    let recs: Vec<Value> = (0..n)
        .map(|i| json!({"partner_sid": partner, "direction": "outbound", "date_stop": format!("2024-10-30T10:{:02}:00Z", i / 2)}))
        .collect();
    let saved = app.post("/core/v2/admin/calls/call_drs").actor(root()).json(json!(recs)).ok().await;
    let mut all: Vec<(String, String)> = saved
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["date_stop"].as_str().unwrap().to_owned(), c["dr_sid"].as_str().unwrap().to_owned()))
        .collect();
    all.sort();
    all.into_iter().map(|(_, s)| s).collect()
}

async fn walk(app: &TestApp, actor: &Actor, mut url: String, back: bool) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        let r = app.get(&url).actor(actor.clone()).ok().await;
        assert_eq!(r["total"], Value::Null);
        let page: Vec<String> =
            r["items"].as_array().unwrap().iter().map(|c| c["dr_sid"].as_str().unwrap().to_owned()).collect();
        if back {
            let mut p = page;
            p.extend(seen);
            seen = p;
        } else {
            seen.extend(page);
        }
        let key = if back { "previous" } else { "next" };
        match r["pagination"][key].as_str() {
            Some(link) => url = link.trim_start_matches("http://api.test").to_owned(),
            None => return seen,
        }
    }
}

#[tokio::test]
async fn after_and_before_pages_walk_every_record_exactly_once() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "walker", None).await;
    let order = ingest_series(&app, p["partner_sid"].as_str().unwrap(), 25).await;
    let who = bearer(&tok);
    // Offset-free from the start, following next (links page by after=).
    let seen = walk(&app, &who, "/core/v2/calls/call_drs?limit=7".into(), false).await;
    assert_eq!(seen, order);
    // From a record on, with after=.
    let seen = walk(&app, &who, format!("/core/v2/calls/call_drs?after={}&limit=4", order[5]), false).await;
    assert_eq!(seen, order[6..].to_vec());
    // Backwards with before=.
    let seen = walk(&app, &who, format!("/core/v2/calls/call_drs?before={}&limit=4", order[20]), true).await;
    assert_eq!(seen, order[..20].to_vec());
    // The link format of the reference: before=<first>&limit=N&offset=0.
    let r = app.get(&format!("/core/v2/calls/call_drs?after={}&limit=1", order[3])).actor(who.clone()).ok().await;
    assert_eq!(r["items"][0]["dr_sid"], order[4].as_str());
    assert_eq!(
        r["pagination"]["previous"],
        format!("http://api.test/core/v2/calls/call_drs?before={}&limit=1&offset=0", order[4])
    );
    assert_eq!(
        r["pagination"]["next"],
        format!("http://api.test/core/v2/calls/call_drs?after={}&limit=1&offset=0", order[4])
    );
    // The reference's before= sample: the record just before, and a previous link that goes on back.
    let r = app.get(&format!("/core/v2/calls/call_drs?before={}&limit=1", order[10])).actor(who.clone()).ok().await;
    assert_eq!(r["items"][0]["dr_sid"], order[9].as_str());
    assert_eq!((r["count"].clone(), r["has_more"].clone()), (json!(1), json!(true)));
    assert_eq!((r["limit"].clone(), r["offset"].clone(), r["total"].clone()), (json!(1), json!(0), Value::Null));
    assert_eq!(
        r["pagination"]["previous"],
        format!("http://api.test/core/v2/calls/call_drs?before={}&limit=1&offset=0", order[9])
    );
    // after= with an order other than the list's is refused.
    app.get(&format!("/core/v2/calls/call_drs?after={}&order=date_stop+desc", order[0]))
        .actor(who.clone())
        .send()
        .await
        .assert_error(400, "order");
    // Offset paging still works.
    let r = app.get("/core/v2/calls/call_drs?offset=20&limit=10").actor(who).ok().await;
    assert_eq!(r["count"], 5);
}

#[tokio::test]
async fn a_date_range_download_like_the_cdr_tools() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "downloader", None).await;
    let order = ingest_series(&app, p["partner_sid"].as_str().unwrap(), 40).await;
    // 10:05 to 10:15 (exclusive): records 10..29.
    for (begin, end) in
        [("2024-10-30T10:05:00", "2024-10-30T10:15:00"), ("2024-10-30T05:05:00-05:00", "2024-10-30T10:15:00%2B00:00")]
    {
        let url = format!(
            "/core/v2/calls/call_drs?filter=date_stop+ge+{begin}+and+date_stop+lt+{end}&order=date_stop+asc&limit=6"
        );
        let seen = walk(&app, &bearer(&tok), url, false).await;
        assert_eq!(seen, order[10..30].to_vec(), "{begin}");
    }
}

#[tokio::test]
async fn descendants_records_need_calls_read_descendant() {
    let app = TestApp::new().await;
    let parent = app.partner_with(&["calls.read", "partners.manage", "oauth.manage"]).await;
    let (child, child_tok) = app.partner(&parent, "cdr_child", None).await;
    let saved = app
        .post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!({"partner_sid": child["partner_sid"], "date_stop": "2024-10-30T10:00:00Z"}))
        .ok()
        .await;
    let path = format!("/core/v2/calls/call_drs/{}", saved["dr_sid"].as_str().unwrap());
    assert_eq!(app.get(&path).actor(bearer(&child_tok)).ok().await["dr_sid"], saved["dr_sid"]);
    assert_eq!(app.get(&path).actor(&parent).send().await.status, 404);
    assert_eq!(app.get("/core/v2/calls/call_drs").actor(parent).ok().await["count"], 0);
    let reader = app.partner_with(&["calls.read", "calls.read_descendant", "partners.manage", "oauth.manage"]).await;
    let (grandchild, _) = app.partner(&reader, "cdr_grandchild", None).await;
    let saved = app
        .post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!({"partner_sid": grandchild["partner_sid"], "date_stop": "2024-10-30T10:00:00Z"}))
        .ok()
        .await;
    assert_eq!(
        app.get(&format!("/core/v2/calls/call_drs/{}", saved["dr_sid"].as_str().unwrap())).actor(&reader).ok().await
            ["dr_sid"],
        saved["dr_sid"]
    );
    assert_eq!(app.get("/core/v2/calls/call_drs").actor(reader).ok().await["count"], 1);
}

#[tokio::test]
async fn rate_lists_and_their_csv() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "rates_reader", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let plan = make_plan(
        &app,
        json!({"name": "retail_voice_in_rates-2019-07-05", "effective_date": "2019-08-23",
               "items": [{"price": "0.005"}, {"prefix": "1516", "country_code": "USA", "price": "0.004", "billing_increment": 6, "billing_minimum": 6},
                         {"prefix": "44", "country_code": "GBR", "price": "0.02"}]}),
        json!({"partner_sid": sid, "direction": "inbound", "type": "pstn"}),
    )
    .await;
    assert_eq!(plan["items_count"], 3);
    let r = app.get("/core/v2/calls/rates/inbound/pstn?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(
        r,
        json!({"active": "yes", "count": 1, "effective_date": "2019-08-23T00:00:00.000Z", "has_more": true,
               "items": [{"billing_increment": "60", "billing_minimum": "60", "country_code": null, "country_name": null, "prefix": null, "price": "0.005"}],
               "limit": 1, "offset": 0, "pagination": null, "partner_sid": sid,
               "rates_plan": {"name": "retail_voice_in_rates-2019-07-05", "rates_plan_sid": plan["rates_plan_sid"]}, "total": 3})
    );
    let r = app.get("/core/v2/calls/rates/inbound/pstn?filter=country_code+eq+GBR").actor(bearer(&tok)).ok().await;
    assert_eq!(r["items"][0]["country_name"], "United Kingdom");
    let csv =
        app.get("/core/v2/calls/rates/inbound/pstn/csv?exclude_fields=country_name").actor(bearer(&tok)).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let text = csv.text();
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    assert_eq!(rows[0], vec!["billing_increment", "billing_minimum", "country_code", "prefix", "price"]);
    assert_eq!(rows[2], vec!["6", "6", "USA", "1516", "0.004"]);
    assert_eq!(rows.len(), 4);
    // No outbound plan of its own: the reference plan (the US at 0.01 a minute in 6 s increments
    // first, as the reference's sample); an unknown sub_type is not found.
    let r = app.get("/core/v2/calls/rates/outbound/pstn?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(r["rates_plan"]["name"], "carrierx_core_pstn_outbound");
    assert_eq!(
        r["items"][0],
        json!({"billing_increment": "6", "billing_minimum": "6", "country_code": "USA",
               "country_name": "United States", "prefix": "1", "price": "0.01"})
    );
    assert_eq!(app.get("/core/v2/calls/rates/inbound/voip/karaoke").actor(bearer(&tok)).send().await.status, 404);
    make_plan(
        &app,
        json!({"name": "conf", "items": [{"price": "0.001"}]}),
        json!({"direction": "outbound", "type": "voip", "sub_type": "conference"}),
    )
    .await;
    let r = app.get("/core/v2/calls/rates/outbound/voip/conference").actor(bearer(&tok)).ok().await;
    assert_eq!(r["rates_plan"]["name"], "conf");
    let csv = app.get("/core/v2/calls/rates/outbound/voip/conference/csv").actor(bearer(&tok)).send().await;
    assert_eq!(csv.text().lines().count(), 2);
}

/// The seed's rate-list samples: inbound VoIP conference (a default plan), outbound PSTN with
/// `limit=1`, and their CSV downloads. `limit` is the default page size of 10 (README decision 8).
#[tokio::test]
async fn the_rate_list_samples() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "rates_samples", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let conf = make_plan(
        &app,
        json!({"name": "voip_conference_in_zero_rate.txt", "effective_date": "2018-08-29", "items": [{"price": "0"}]}),
        json!({"direction": "inbound", "type": "voip", "sub_type": "conference"}),
    )
    .await;
    let r = app.get("/core/v2/calls/rates/inbound/voip/conference").actor(bearer(&tok)).ok().await;
    assert_eq!(
        r,
        json!({"active": "yes", "count": 1, "effective_date": "2018-08-29T00:00:00.000Z", "has_more": false,
               "items": [{"billing_increment": "60", "billing_minimum": "60", "country_code": null, "country_name": null, "prefix": null, "price": "0"}],
               "limit": 10, "offset": 0, "pagination": null, "partner_sid": sid,
               "rates_plan": {"name": "voip_conference_in_zero_rate.txt", "rates_plan_sid": conf["rates_plan_sid"]}, "total": 1})
    );
    let csv = app.get("/core/v2/calls/rates/inbound/voip/conference/csv").actor(bearer(&tok)).send().await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(csv.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let text = csv.text();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows, vec!["billing_increment,billing_minimum,country_code,country_name,prefix,price", "60,60,,,,0"]);

    let out = make_plan(
        &app,
        json!({"name": "retail_voice_out-2019-08-16", "effective_date": "2019-08-23",
               "items": [{"prefix": "1207991", "country_code": "USA", "price": "0.01", "billing_increment": 6, "billing_minimum": 6},
                         {"prefix": "1207992", "country_code": "USA", "price": "0.011", "billing_increment": 6, "billing_minimum": 6},
                         {"prefix": "39", "country_code": "ITA", "price": "0.03"}]}),
        json!({"partner_sid": sid, "direction": "outbound", "type": "pstn"}),
    )
    .await;
    let r = app.get("/core/v2/calls/rates/outbound/pstn?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(
        r,
        json!({"active": "yes", "count": 1, "effective_date": "2019-08-23T00:00:00.000Z", "has_more": true,
               "items": [{"billing_increment": "6", "billing_minimum": "6", "country_code": "USA", "country_name": "United States", "prefix": "1207991", "price": "0.01"}],
               "limit": 1, "offset": 0, "pagination": null, "partner_sid": sid,
               "rates_plan": {"name": "retail_voice_out-2019-08-16", "rates_plan_sid": out["rates_plan_sid"]}, "total": 3})
    );
    let csv = app.get("/core/v2/calls/rates/outbound/pstn/csv").actor(bearer(&tok)).send().await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 4, "a header and every item, not a page");
    assert_eq!(rows[1], "6,6,USA,United States,1207991,0.01");
    assert_eq!(rows[3], "60,60,ITA,Italy,39,0.03");
}

/// The seed's `GET /phonenumber/rates?limit=1`: a DID rental plan of seven tiers; the deprecated
/// `/dids/rates` answers the same; an item without tiers is one tier from 0.
#[tokio::test]
async fn the_did_rental_rates_sample() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "did_rates", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let class = "3306c614-772b-4477-8f29-714676c6d52c";
    let tiers: Vec<Value> = [(0, "0.15"), (3, "0.12"), (5, "0.1"), (6, "0.07"), (8, "0.05"), (9, "0.02"), (11, "0.01")]
        .iter()
        .map(|(q, p)| json!({"quantity": q, "price": p}))
        .collect();
    let plan = make_plan(
        &app,
        json!({"name": "did_retail-2017-08-03.txt", "effective_date": "2017-08-03",
               "items": [{"classification_sid": class, "tiers": tiers}, {"prefix": "44", "country_code": "GBR", "price": "1.5"}]}),
        json!({"partner_sid": sid, "type": "did"}),
    )
    .await;
    let r = app.get("/core/v2/phonenumber/rates?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(
        r,
        json!({"active": "yes", "count": 1, "effective_date": "2017-08-03T00:00:00.000Z", "has_more": true,
               "items": [{"classification_sid": class, "country_code": null, "country_name": null, "prefix": null,
                          "price_0": "0.15", "price_1": "0.12", "price_2": "0.1", "price_3": "0.07", "price_4": "0.05", "price_5": "0.02", "price_6": "0.01",
                          "quantity_0": 0, "quantity_1": 3, "quantity_2": 5, "quantity_3": 6, "quantity_4": 8, "quantity_5": 9, "quantity_6": 11}],
               "limit": 1, "offset": 0, "pagination": {"next": "http://api.test/core/v2/phonenumber/rates?limit=1&offset=1"},
               "partner_sid": sid,
               "rates_plan": {"name": "did_retail-2017-08-03.txt", "rates_plan_sid": plan["rates_plan_sid"]}, "total": 2})
    );
    let r = app.get("/core/v2/dids/rates?filter=country_code+eq+GBR").actor(bearer(&tok)).ok().await;
    assert_eq!(r["pagination"], json!({}));
    assert_eq!(r["items"][0]["country_name"], "United Kingdom");
    assert_eq!((r["items"][0]["price_0"].clone(), r["items"][0]["quantity_0"].clone()), (json!("1.5"), json!(0)));
    assert_eq!((r["items"][0]["price_1"].clone(), r["items"][0]["quantity_6"].clone()), (Value::Null, Value::Null));
    // Another partner without a plan of its own reads the reference plan; bad tiers are named.
    let (_, other) = app.partner(&root(), "no_did_rates", None).await;
    let r = app.get("/core/v2/phonenumber/rates").actor(bearer(&other)).ok().await;
    assert_eq!(r["rates_plan"]["name"], "carrierx_core_did_rental");
    assert_eq!((r["items"][0]["prefix"].clone(), r["items"][0]["price_0"].clone()), (json!("1"), json!("1")));
    let r = app
        .post("/core/v2/admin/calls/rates_plans")
        .actor(root())
        .json(json!({"name": "bad", "items": [{"classification_sid": "nope", "tiers": [{"quantity": 2, "price": "1"}, {"quantity": 1, "price": "-1"}]}]}))
        .send()
        .await;
    for f in [
        "items[0].classification_sid",
        "items[0].tiers[0].quantity",
        "items[0].tiers[1].quantity",
        "items[0].tiers[1].price",
    ] {
        r.assert_error(422, f);
    }
    let r = app
        .post(&format!("/core/v2/admin/calls/rates_plans/{}/assignments", plan["rates_plan_sid"].as_str().unwrap()))
        .actor(root())
        .json(json!({"type": "did", "direction": "inbound"}))
        .send()
        .await;
    r.assert_error(422, "direction");
}

/// The records of a partner's tree, whichever way the tree is read (named partners for a small
/// tree, each record checked for a large one, the partner alone for a leaf): every record of the
/// tree once, in order, page after page, filtered by date as the download tools do.
#[tokio::test]
async fn a_trees_records_are_read_whole_and_in_order_whatever_its_size() {
    let app = TestApp::new().await;
    let scopes = ["calls.read", "calls.read_descendant", "partners.manage", "oauth.manage"];
    let small = app.partner_with(&scopes).await;
    let large = app.partner_with(&scopes).await;
    // A small tree is read in branches merged in the page's order; a tree larger than
    // `MERGED_TREE` (32) in the order of the records' date, each checked against the tree.
    let mut partners: Vec<(&str, String)> = Vec::new();
    for i in 0..3 {
        let (c, _) = app.partner(&small, &format!("small_{i}"), None).await;
        partners.push(("small", c["partner_sid"].as_str().unwrap().to_owned()));
    }
    for i in 0..33 {
        let (c, _) = app.partner(&large, &format!("large_{i}"), None).await;
        partners.push(("large", c["partner_sid"].as_str().unwrap().to_owned()));
    }
    for i in 0..8 {
        let (c, _) = app.partner(&root(), &format!("outside_{i}"), None).await;
        partners.push(("outside", c["partner_sid"].as_str().unwrap().to_owned()));
    }
    // 4 records a partner, their times interleaved across partners.
    let mut records = Vec::new();
    for (i, (_, p)) in partners.iter().enumerate() {
        for k in 0..4 {
            let minute = (k * 17 + i * 3) % 60;
            records.push(json!({"partner_sid": p, "date_stop": format!("2024-10-30T10:{minute:02}:00Z")}));
        }
    }
    let saved = app.post("/core/v2/admin/calls/call_drs").actor(root()).json(json!(records)).ok().await;
    let saved = saved.as_array().unwrap();
    let key = |r: &Value| (r["date_stop"].as_str().unwrap().to_owned(), r["dr_sid"].as_str().unwrap().to_owned());
    let local = |u: &str| u.trim_start_matches("http://localhost").to_owned();
    let filter = "filter=date_stop+ge+2024-10-30T10:10:00Z+and+date_stop+lt+2024-10-30T10:50:00Z";
    for (tree, reader) in [("small", &small), ("large", &large)] {
        let mine: Vec<&str> = partners.iter().filter(|(t, _)| *t == tree).map(|(_, p)| p.as_str()).collect();
        let mut want: Vec<(String, String)> = saved
            .iter()
            .filter(|r| mine.contains(&r["partner_sid"].as_str().unwrap()))
            .map(key)
            .filter(|(stop, _)| stop.as_str() >= "2024-10-30T10:10" && stop.as_str() < "2024-10-30T10:50")
            .collect();
        want.sort();
        assert!(want.len() > 5, "the {tree} tree has records on several pages");
        // Forward, following `next`.
        let mut url = Some(format!("/core/v2/calls/call_drs?{filter}&order=date_stop+asc&limit=4"));
        let (mut got, mut last) = (Vec::new(), None);
        while let Some(u) = url {
            let page = app.get(&u).actor(reader.clone()).ok().await;
            got.extend(page["items"].as_array().unwrap().iter().map(key));
            url = page["pagination"]["next"].as_str().map(local);
            last = Some(u);
        }
        assert_eq!(got, want, "the {tree} tree's records, page by page");
        // Backward from the last page, following `previous`.
        let page = app.get(&last.unwrap()).actor(reader.clone()).ok().await;
        let mut back: Vec<Vec<(String, String)>> = vec![page["items"].as_array().unwrap().iter().map(key).collect()];
        let mut url = page["pagination"]["previous"].as_str().map(local);
        while let Some(u) = url {
            let page = app.get(&u).actor(reader.clone()).ok().await;
            back.push(page["items"].as_array().unwrap().iter().map(key).collect());
            url = page["pagination"]["previous"].as_str().map(local);
        }
        let back: Vec<(String, String)> = back.into_iter().rev().flatten().collect();
        assert_eq!(back, want, "the {tree} tree's records, from the end");
        // Newest first, by offset.
        let mut newest = Vec::new();
        for offset in (0..want.len()).step_by(5) {
            let page = app
                .get(&format!("/core/v2/calls/call_drs?{filter}&order=date_stop+desc&limit=5&offset={offset}"))
                .actor(reader.clone())
                .ok()
                .await;
            newest.extend(page["items"].as_array().unwrap().iter().map(key));
        }
        let mut desc = want.clone();
        desc.reverse();
        assert_eq!(newest, desc, "the {tree} tree's records, newest first by offset");
    }
}
