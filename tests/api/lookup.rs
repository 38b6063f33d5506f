use serde_json::{json, Value};

use crate::common::*;

/// The reference's sample: a ported New York number with every detail asked for.
#[tokio::test]
async fn the_reference_lookup_sample() {
    let app = TestApp::new().await;
    let r = app
        .post("/core/v2/admin/lookup/lrns")
        .actor(root())
        .json(json!({"phonenumber": "15162065319", "lrn": "6466531111"}))
        .ok()
        .await;
    assert_eq!(r, json!({"lrn": "6466531111", "phonenumber": "15162065319"}));
    let r = app.get("/core/v2/lookup/dids/15162065319?cnam=true&lrn=true&carrier=true").actor(root()).ok().await;
    assert_eq!(
        r,
        json!({"country_code": "USA",
               "details": {"carrier": {"mcc": null, "mnc": null, "name": null, "type": null},
                           "cnam": {"name": "", "type": null}, "lrn": "6466531111"},
               "e164_format": "+15162065319", "in_country_format": "(516) 206-5319",
               "international_format": "+1 516-206-5319", "phonenumber": "15162065319", "state": "NY"})
    );
    // Nothing asked: every detail null. Field filtering applies.
    let r = app.get("/core/v2/lookup/dids/+1%20516%20206%205319").actor(root()).ok().await;
    assert_eq!(r["details"], json!({"carrier": null, "cnam": null, "lrn": null}));
    let r = app.get("/core/v2/lookup/dids/15162065319?include_fields=phonenumber,state").actor(root()).ok().await;
    assert_eq!(r, json!({"phonenumber": "15162065319", "state": "NY"}));
}

#[tokio::test]
async fn each_detail_needs_its_own_scope() {
    let app = TestApp::new().await;
    let all = "/core/v2/lookup/dids/15162065319?cnam=true&lrn=true&carrier=true";
    let none = app.partner_with(&["partners.read"]).await;
    app.get(all).actor(none).send().await.assert_error(403, "cause");
    let basic = app.partner_with(&["lookup.dids.read"]).await;
    let r = app.get(all).actor(basic).ok().await;
    assert_eq!(r["details"], json!({"carrier": null, "cnam": null, "lrn": null}));
    assert_eq!(r["state"], "NY");
    let lrn = app.partner_with(&["lookup.dids.read", "lookup.dids.allow_lrn"]).await;
    let r = app.get(all).actor(lrn).ok().await;
    assert_eq!(r["details"], json!({"carrier": null, "cnam": null, "lrn": "5162065319"}), "its own number: not ported");
    let cc = app.partner_with(&["lookup.dids.read", "lookup.dids.allow_carrier", "lookup.dids.allow_cnam"]).await;
    let r = app.get(all).actor(cc).ok().await;
    assert!(r["details"]["carrier"].is_object() && r["details"]["cnam"].is_object());
    assert_eq!(r["details"]["lrn"], Value::Null);
}

#[tokio::test]
async fn numbers_of_other_countries_and_the_hints() {
    let app = TestApp::new().await;
    let get = |path: String| {
        let app = &app;
        async move { app.get(&path).actor(root()).ok().await }
    };
    let uk = get("/core/v2/lookup/dids/447400123456?carrier=true&guess=e164".into()).await;
    assert_eq!(uk["country_code"], "GBR");
    assert_eq!(uk["e164_format"], "+447400123456");
    assert_eq!(uk["in_country_format"], "07400 123456");
    assert_eq!(uk["details"]["carrier"], json!({"mcc": null, "mnc": null, "name": "Three", "type": "mobile"}));
    assert_eq!(uk["state"], Value::Null);
    let it = get("/core/v2/lookup/dids/393312345678?carrier=true".into()).await;
    assert_eq!(it["country_code"], "ITA");
    assert_eq!(it["details"]["carrier"]["name"], "TIM");
    // A national number with the country's alpha-3 code.
    let rome = get("/core/v2/lookup/dids/0612345678?country_code=ITA".into()).await;
    assert_eq!((rome["phonenumber"].clone(), rome["country_code"].clone()), (json!("390612345678"), json!("ITA")));
    let london = get("/core/v2/lookup/dids/020%207123%204567?carrier=true&country_code=GBR".into()).await;
    assert_eq!(london["e164_format"], "+442071234567");
    assert_eq!(london["details"]["carrier"], json!({"mcc": null, "mnc": null, "name": null, "type": "landline"}));
    let de = get("/core/v2/lookup/dids/+4930123456?carrier=true".into()).await;
    assert_eq!(
        (de["country_code"].clone(), de["details"]["carrier"]["type"].clone()),
        (json!("DEU"), json!("landline"))
    );
    // Ten digits are North American unless told otherwise.
    let ny = get("/core/v2/lookup/dids/5162065319".into()).await;
    assert_eq!(ny["phonenumber"], "15162065319");
    let tf = get("/core/v2/lookup/dids/18005550199?carrier=true".into()).await;
    assert_eq!(tf["details"]["carrier"]["type"], "unknown", "toll-free: neither landline nor mobile");
}

#[tokio::test]
async fn bad_numbers_and_arguments() {
    let app = TestApp::new().await;
    for bad in ["abc", "1516abc5319", "1234567890123456789"] {
        let r = app.get(&format!("/core/v2/lookup/dids/{bad}")).actor(root()).send().await;
        assert_eq!(r.status, 404, "{bad}: {}", r.text());
        assert_eq!(r.json["message"], "no item error");
    }
    app.get("/core/v2/lookup/dids/19995550100").actor(root()).send().await.assert_error(400, "phonenumber");
    app.get("/core/v2/lookup/dids/15162065319?guess=mars").actor(root()).send().await.assert_error(400, "guess");
    app.get("/core/v2/lookup/dids/15162065319?country_code=XYZ")
        .actor(root())
        .send()
        .await
        .assert_error(400, "country_code");
    app.get("/core/v2/lookup/dids/15162065319?cnam_ttl=-1").actor(root()).send().await.assert_error(400, "cnam_ttl");
    app.get("/core/v2/lookup/dids/15162065319?carrier=maybe").actor(root()).send().await.assert_error(400, "carrier");
}

#[tokio::test]
async fn caller_names_and_the_admin_tables() {
    let app = TestApp::new().await;
    let r = app
        .post("/core/v2/admin/lookup/cnams")
        .actor(root())
        .json(json!([{"phonenumber": "+1 516 206 5319", "name": "ACME CORP", "type": "business"},
                     {"phonenumber": "447400123456", "name": "J SMITH"}]))
        .ok()
        .await;
    assert_eq!(r[0], json!({"name": "ACME CORP", "phonenumber": "15162065319", "type": "business"}));
    let r = app.get("/core/v2/lookup/dids/15162065319?cnam=true&cnam_ttl=60").actor(root()).ok().await;
    assert_eq!(r["details"]["cnam"], json!({"name": "ACME CORP", "type": "business"}));
    // A change is seen at once (answers are never older than the TTL asked).
    app.post("/core/v2/admin/lookup/cnams")
        .actor(root())
        .json(json!({"phonenumber": "15162065319", "name": "ACME INC"}))
        .ok()
        .await;
    let r = app.get("/core/v2/lookup/dids/15162065319?cnam=true&cnam_ttl=60").actor(root()).ok().await;
    assert_eq!(r["details"]["cnam"], json!({"name": "ACME INC", "type": null}));
    let list = app.get("/core/v2/admin/lookup/cnams?filter=name+like+%22J%25%22").actor(root()).ok().await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["phonenumber"], "447400123456");
    // Bad records are named, nothing is written.
    let r = app
        .post("/core/v2/admin/lookup/lrns")
        .actor(root())
        .json(json!([{"phonenumber": "15162065320", "lrn": "x"}, {"lrn": "6466531111"}, {"phonenumber": "15162065320", "lrn": "1"}]))
        .send()
        .await;
    for f in ["[0].lrn", "[1].phonenumber", "[2].phonenumber"] {
        r.assert_error(422, f);
    }
    assert_eq!(app.get("/core/v2/admin/lookup/lrns").actor(root()).ok().await["total"], 0);
    app.post("/core/v2/admin/lookup/cnams")
        .actor(root())
        .json(json!({"phonenumber": "15162065321", "name": "A NAME LONGER THAN FIFTEEN"}))
        .send()
        .await
        .assert_error(422, "name");
    // Deleting a record: the number answers without it.
    let r = app.delete("/core/v2/admin/lookup/cnams/15162065319").actor(root()).send().await;
    assert_eq!(r.status, 204);
    let r = app.get("/core/v2/lookup/dids/15162065319?cnam=true").actor(root()).ok().await;
    assert_eq!(r["details"]["cnam"], json!({"name": "", "type": null}));
    assert_eq!(app.delete("/core/v2/admin/lookup/cnams/15162065319").actor(root()).send().await.status, 404);
    // Admin routes need admin scopes.
    let (_, plain) = app.partner(&root(), "plain", None).await;
    app.get("/core/v2/admin/lookup/lrns").actor(bearer(&plain)).send().await.assert_error(403, "cause");
}

/// The shipped data set's own answer for an address (the oracle the API must agree with).
fn dataset(ip: &str) -> carrierx_core::domain::geoip::Place {
    let cfg = test_config();
    let files = carrierx_core::domain::geoip::locate(&cfg.geoip_db, &cfg.data_dir).files().unwrap();
    let db = carrierx_core::domain::geoip::GeoIp::open(&files).unwrap();
    db.lookup(ip.parse().unwrap()).unwrap().unwrap()
}

#[tokio::test]
async fn the_reference_ip_samples() {
    let app = TestApp::new().await;
    // 8.8.8.8: the IP2Location sample, value for value.
    for path in ["/core/v2/lookup/ip_addresses/8.8.8.8", "/core/v2/lookup/lookup/ip_addresses/8.8.8.8"] {
        let r = app.get(path).actor(root()).ok().await;
        assert_eq!(keys(&r), ["city", "common_name", "iso_3166_alpha_2", "iso_3166_alpha_3", "region", "state"]);
        assert_eq!(
            r,
            json!({"city": "Mountain View", "common_name": "United States", "iso_3166_alpha_2": "US",
                   "iso_3166_alpha_3": "USA", "region": null, "state": "CA"})
        );
        let d = dataset("8.8.8.8");
        assert_eq!((d.city.as_deref(), d.subdivision.as_deref()), (Some("Mountain View"), Some("California")));
    }
    // 2.6.26.2: the country sample's shape, with the data set's answer.
    let r = app.get("/core/v2/countries/ip/2.6.26.2").actor(root()).ok().await;
    assert_eq!(keys(&r), ["city", "common_name", "iso_3166_alpha_2", "region", "state"]);
    let d = dataset("2.6.26.2");
    assert_eq!(r["iso_3166_alpha_2"], "FR");
    assert_eq!(r["common_name"], "France");
    assert_eq!(r["city"], json!(d.city));
    assert_eq!(r["region"], json!(d.subdivision));
    assert!(r["region"].is_string());
    assert_eq!(r["state"], Value::Null);
    // IPv6, and an IPv4-mapped IPv6 address.
    let v6 = app.get("/core/v2/lookup/ip_addresses/2001:4860:4860::8888").actor(root()).ok().await;
    let d6 = dataset("2001:4860:4860::8888");
    assert_eq!(v6["iso_3166_alpha_2"], d6.country.as_str());
    assert_eq!(v6["city"], json!(d6.city));
    let mapped = app.get("/core/v2/lookup/ip_addresses/::ffff:8.8.8.8").actor(root()).ok().await;
    assert_eq!(mapped["iso_3166_alpha_2"], "US");
    // Field filtering.
    let some = app.get("/core/v2/countries/ip/8.8.8.8?include_fields=iso_3166_alpha_2,state").actor(root()).ok().await;
    assert_eq!(some, json!({"iso_3166_alpha_2": "US", "state": "CA"}));
}

#[tokio::test]
async fn private_reserved_and_malformed_addresses() {
    let app = TestApp::new().await;
    for ip in [
        "10.0.0.1",
        "127.0.0.1",
        "192.168.1.20",
        "169.254.10.10",
        "100.64.1.1",
        "::1",
        "fe80::1",
        "fd00::5",
        "2001:db8::1",
        "224.0.0.1",
    ] {
        for base in ["/core/v2/lookup/ip_addresses", "/core/v2/countries/ip"] {
            let r = app.get(&format!("{base}/{ip}")).actor(root()).send().await;
            assert_eq!(r.status.as_u16(), 404, "{base}/{ip}: {}", r.text());
            assert_eq!(r.json["message"], "no item error");
        }
    }
    for ip in ["999.1.1.1", "1.2.3", "example.com", "1.2.3.4.5", "gggg::1"] {
        app.get(&format!("/core/v2/lookup/ip_addresses/{ip}"))
            .actor(root())
            .send()
            .await
            .assert_error(400, "ip_address");
        app.get(&format!("/core/v2/countries/ip/{ip}")).actor(root()).send().await.assert_error(400, "ip_address");
    }
    // Scopes: the lookup read scope; the countries scopes for the country route.
    let no_lookup = app.partner_with(&["countries.read"]).await;
    assert_eq!(app.get("/core/v2/lookup/ip_addresses/8.8.8.8").actor(&no_lookup).send().await.status, 403);
    app.get("/core/v2/countries/ip/8.8.8.8").actor(no_lookup).ok().await;
}

#[tokio::test]
async fn without_a_database_ip_lookups_say_so() {
    let app = TestApp::with_config(|c| c.geoip_db = vec!["/nonexistent/city.mmdb".into()]).await;
    let r = app.get("/core/v2/lookup/ip_addresses/8.8.8.8").actor(root()).send().await;
    assert_eq!(r.status.as_u16(), 503, "{}", r.text());
    assert!(r.json["errors"][0]["message"].as_str().unwrap().contains("geolocation database"), "{}", r.text());
    // Bad input is still the client's.
    app.get("/core/v2/lookup/ip_addresses/nope").actor(root()).send().await.assert_error(400, "ip_address");
}

/// The real binary, started in a directory that is not the source tree, finds the IP
/// geolocation data (beside the binary or in the tree it was built from) and serves the
/// explorer's assets from its own bytes.
#[tokio::test]
async fn a_server_started_elsewhere_finds_its_geolocation_data_and_explorer() {
    let app = TestApp::new().await;
    let elsewhere = std::env::temp_dir().join(format!("carrierx-elsewhere-{}", std::process::id()));
    std::fs::create_dir_all(&elsewhere).unwrap();
    let server = Server::start_in(&app, &elsewhere, &[]);
    server.ready().await;
    let auth = format!("Bearer {ROOT_TOKEN}");
    let (status, body) = server
        .request("GET", "/core/v2/lookup/ip_addresses/8.8.8.8", &[("Authorization", &auth)])
        .await
        .expect("an answer");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Mountain View"), "{body}");
    let (status, css) = server.request("GET", "/core/v2/docs/swagger-ui.css", &[]).await.expect("an answer");
    assert_eq!(status, 200);
    assert!(css.contains(".swagger-ui"), "Swagger UI's style sheet");
    drop(server);
    let _ = std::fs::remove_dir_all(&elsewhere);
}
