//! A fresh server (no demo data) answers a partner just created what the real service answers:
//! every documented GET that the reference shows answering 200 for such a partner does, the
//! rate lists included (every partner has rates).

use axum::http::Method;
use carrierx_core::http::auth::AuthMode;

use carrierx_core::resources::rates::types as rates;

use crate::common::*;

/// The concrete paths of a route a new partner can read with nothing of its own yet: path
/// arguments it knows (itself, a country, a VoIP sub-type, a number or an address to look up);
/// `None` for routes that name an object the partner does not have.
fn readable_paths(path: &str, partner_sid: &str) -> Option<Vec<String>> {
    let mut paths = vec![String::new()];
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}')? + start;
        let values: Vec<&str> = match &rest[start + 1..end] {
            "partner_sid" => vec![partner_sid],
            "country_code" => vec!["USA"],
            "sub_type" if path.starts_with("/rating/sms") || path.starts_with("/rating/mms") => {
                rates::MESSAGE_SUB_TYPES.to_vec()
            }
            "sub_type" if path.starts_with("/rating/") => rates::RATED_VOIP_SUB_TYPES.to_vec(),
            "sub_type" => rates::VOIP_SUB_TYPES.to_vec(),
            "phonenumber" => vec!["15162065319"],
            "ip_address" => vec!["8.8.8.8"],
            _ => return None,
        };
        let prefix = &rest[..start];
        paths = paths.iter().flat_map(|p| values.iter().map(move |v| format!("{p}{prefix}{v}"))).collect();
        rest = &rest[end + 1..];
    }
    Some(paths.into_iter().map(|p| format!("/core/v2{p}{rest}")).collect())
}

#[tokio::test]
async fn a_new_partner_on_a_fresh_server_reads_every_documented_get() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "fresh_partner", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let table = carrierx_core::route_table(app.state.clone());
    let mut read = Vec::new();
    for route in table.iter().filter(|r| r.method == Method::GET && !r.auth.admin) {
        // The explorer's files and e-mail verification links are not partner reads.
        if route.auth.mode == AuthMode::Public && route.path != "/openapi.json" {
            continue;
        }
        // A billing method exists once the partner registers one (until then: 404 `cannot find
        // billing method`, as tests/api/billing_method.rs asserts).
        if route.path.ends_with("/billing_method") {
            continue;
        }
        let Some(paths) = readable_paths(&route.path, sid) else { continue };
        for mut path in paths {
            // The documented query a route needs.
            if path.ends_with("/phonenumber/coverage") {
                path.push_str("?group_by=state");
            } else if path.starts_with("/core/v2/rating/calls/") {
                path.push_str("?direction=outbound&duration=10&to=17605692222");
            } else if path.starts_with("/core/v2/rating/") {
                path.push_str("?direction=outbound&to=17605692222");
            }
            let r = app.get(&path).actor(bearer(&tok)).send().await;
            assert_eq!(r.status, 200, "GET {path} of a new partner on a fresh server: {}", r.text());
            read.push(path);
        }
    }
    // The rate lists of every kind, and their CSV twins, are among them.
    for path in [
        "/core/v2/calls/rates/inbound/pstn",
        "/core/v2/calls/rates/outbound/pstn/csv",
        "/core/v2/calls/rates/inbound/voip/conference",
        "/core/v2/calls/rates/outbound/voip/voicemail/csv",
        "/core/v2/phonenumber/rates",
        "/core/v2/dids/rates",
        "/core/v2/partners",
        "/core/v2/oauth/whoami",
    ] {
        assert!(read.iter().any(|p| p == path), "{path} was not read");
    }
    let r = app.get(&format!("/core/v2/partners/{sid}/billing_method")).actor(bearer(&tok)).send().await;
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(r.json["errors"][0]["message"], "cannot find billing method");
    let r = app.get("/core/v2/calls/rates/inbound/pstn?limit=1").actor(bearer(&tok)).ok().await;
    assert_eq!(r["rates_plan"]["name"], "carrierx_core_pstn_inbound");
    assert_eq!(r["active"], "yes");
    // The reference's sample item: anywhere, 0.005 a minute in whole minutes.
    assert_eq!(
        r["items"][0],
        serde_json::json!({"billing_increment": "60", "billing_minimum": "60", "country_code": null,
                           "country_name": null, "prefix": null, "price": "0.005"})
    );
}
