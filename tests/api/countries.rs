use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn the_first_country_is_the_reference_sample() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/countries?limit=1").actor(root()).ok().await;
    assert_eq!(
        r,
        json!({
            "count": 1,
            "has_more": true,
            "items": [{
                "capital": "Washington D.C.",
                "common_name": "United States",
                "dialing_prefix": "1",
                "domain": "us",
                "iso_3166_alpha_2": "US",
                "iso_3166_alpha_3": "USA",
                "iso_3166_numeric": 840,
                "mcc": "310,311,312,313,316",
                "official_name": "United States of America",
                "region": "Americas",
                "subregion": "Northern America"
            }],
            "limit": 1,
            "offset": 0,
            "pagination": {"next": "http://api.test/core/v2/countries?limit=1&offset=1"},
            "total": 249
        })
    );
}

#[tokio::test]
async fn the_pagination_sample_sorts_by_name_descending() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/countries?offset=2&limit=2&order=common_name+desc").actor(root()).ok().await;
    assert_eq!(r["count"], 2);
    assert_eq!(r["has_more"], true);
    assert_eq!(r["items"][0]["iso_3166_alpha_3"], "YEM");
    assert_eq!(
        r["items"][0],
        json!({"capital": "Sana'a", "common_name": "Yemen", "dialing_prefix": "967", "domain": "ye", "iso_3166_alpha_2": "YE",
               "iso_3166_alpha_3": "YEM", "iso_3166_numeric": 887, "mcc": "421", "official_name": "Republic of Yemen",
               "region": "Asia", "subregion": "Western Asia"})
    );
    assert_eq!(
        r["items"][1],
        json!({"capital": "El Aaiún", "common_name": "Western Sahara", "dialing_prefix": null, "domain": "eh",
               "iso_3166_alpha_2": "EH", "iso_3166_alpha_3": "ESH", "iso_3166_numeric": 732, "mcc": null,
               "official_name": "Sahrawi Arab Democratic Republic", "region": "Africa", "subregion": "Northern Africa"})
    );
    assert_eq!(r["limit"], 2);
    assert_eq!(r["offset"], 2);
    assert_eq!(
        r["pagination"],
        json!({
            "next": "http://api.test/core/v2/countries?limit=2&order=common_name+desc&offset=4",
            "previous": "http://api.test/core/v2/countries?limit=2&order=common_name+desc&offset=0"
        })
    );
    assert_eq!(r["total"], 249);
}

#[tokio::test]
async fn italy_without_its_common_name() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/countries/ITA?exclude_fields=common_name").actor(root()).ok().await;
    assert_eq!(
        r,
        json!({
            "capital": "Rome",
            "dialing_prefix": "39",
            "domain": "it",
            "iso_3166_alpha_2": "IT",
            "iso_3166_alpha_3": "ITA",
            "iso_3166_numeric": 380,
            "mcc": "222",
            "official_name": "Italian Republic",
            "region": "Europe",
            "subregion": "Southern Europe"
        })
    );
}

#[tokio::test]
async fn an_unknown_country_code_is_not_found() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/countries/XXX").actor(root()).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["message"], "no item error");
    assert_eq!(r.json["errors"][0]["message"], "cannot find country");
}

#[tokio::test]
async fn countries_filter_by_region_and_list_membership() {
    let app = TestApp::new().await;
    let r = app
        .get("/core/v2/countries?filter=region+eq+Europe+and+iso_3166_alpha_2+in+(IT,FR,US)&order=iso_3166_alpha_3")
        .actor(root())
        .ok()
        .await;
    let codes: Vec<&str> =
        r["items"].as_array().unwrap().iter().map(|c| c["iso_3166_alpha_3"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["FRA", "ITA"]);
    assert_eq!(r["total"], 2);
}
