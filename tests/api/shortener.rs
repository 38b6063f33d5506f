//! The link shortener: domains, links, and the redirect service answering the short URLs.

use serde_json::{json, Value};

use crate::common::receiver::Receiver;
use crate::common::*;

/// The keys of the reference's link sample, in its order.
const LINK_KEYS: &[&str] = &[
    "date_accessed",
    "date_created",
    "destination_url",
    "domain_sid",
    "hits",
    "link_sid",
    "maximum_ttl",
    "mode",
    "partner_sid",
    "short_name",
    "url",
];

async fn domain(app: &TestApp, who: &Actor, body: Value) -> Value {
    app.post("/core/v2/shortener/domains").actor(who.clone()).json(body).ok().await
}

async fn link(app: &TestApp, who: &Actor, body: Value) -> Value {
    app.post("/core/v2/shortener/links").actor(who.clone()).json(body).ok().await
}

/// A GET of a short URL by its host, as a browser sends it.
async fn visit(app: &TestApp, host: &str, path: &str) -> Resp {
    app.get(path).header("host", host).send().await
}

#[tokio::test]
async fn a_domain_as_the_reference_shows_it() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "shortener", None).await;
    let tok = bearer(&tok);
    let d = domain(&app, &tok, json!({"domain_name": "newdomain.com"})).await;
    assert_eq!(
        d,
        json!({"domain_name": "newdomain.com", "domain_sid": d["domain_sid"], "expired_mode": "redirect_temporary",
               "expired_page": null, "expired_status_code": null, "minimum_length": 6,
               "not_found_mode": "redirect_temporary", "not_found_page": null, "not_found_status_code": null,
               "partner_sid": p["partner_sid"], "scope": "children", "secure": "disabled", "suffix_pattern": null})
    );
    let path = format!("/core/v2/shortener/domains/{}", d["domain_sid"].as_str().unwrap());
    assert_eq!(app.get(&path).actor(tok.clone()).ok().await, d);
    let list = app.get("/core/v2/shortener/domains").actor(tok.clone()).ok().await;
    assert_eq!((list["total"].clone(), list["items"][0].clone()), (json!(1), d.clone()));
    let u = app
        .patch(&path)
        .actor(tok.clone())
        .json(json!({"minimum_length": 8, "not_found_page": "https://example.com/404"}))
        .ok()
        .await;
    assert_eq!((u["minimum_length"].clone(), u["domain_name"].clone()), (json!(8), json!("newdomain.com")));
    // Every bad field named; a name taken; the privileges.
    let r = app
        .post("/core/v2/shortener/domains")
        .actor(tok.clone())
        .json(
            json!({"expired_mode": "teleport", "expired_status_code": 302, "suffix_pattern": "(", "minimum_length": 0}),
        )
        .send()
        .await;
    for f in ["domain_name", "expired_mode", "expired_status_code", "suffix_pattern", "minimum_length"] {
        r.assert_error(422, f);
    }
    app.post("/core/v2/shortener/domains")
        .actor(tok.clone())
        .json(json!({"domain_name": "NewDomain.com"}))
        .send()
        .await
        .assert_error(422, "domain_name");
    let plain = app.partner_with(&["shortener.manage"]).await;
    let r = app
        .post("/core/v2/shortener/domains")
        .actor(plain.clone())
        .json(json!({"domain_name": "a.test", "not_found_mode": "proxy_pass"}))
        .send()
        .await;
    assert_eq!(r.status, 403);
    let r = app
        .post("/core/v2/shortener/domains")
        .actor(plain.clone())
        .json(json!({"domain_name": "a.test", "secure": "required"}))
        .send()
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(domain(&app, &tok, json!({"domain_name": "s.test", "secure": "required"})).await["secure"], "required");
    let (_, stranger) = app.partner(&root(), "stranger", None).await;
    assert_eq!(app.get(&path).actor(bearer(&stranger)).send().await.status, 404);
}

#[tokio::test]
async fn links_are_made_reused_and_answered() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "linker", None).await;
    let tok = bearer(&tok);
    let d = domain(&app, &tok, json!({"domain_name": "newdomain.com"})).await;
    let l = link(
        &app,
        &tok,
        json!({"destination_url": "http://destinationurl.com", "domain_sid": d["domain_sid"], "maximum_ttl": "-1"}),
    )
    .await;
    assert_eq!(keys(&l), LINK_KEYS);
    let short = l["short_name"].as_str().unwrap().to_owned();
    assert_eq!(short.len(), 6);
    assert!(short.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(l["url"], format!("http://newdomain.com/{short}"));
    assert_eq!(
        (l["hits"].clone(), l["maximum_ttl"].clone(), l["mode"].clone()),
        (json!(0), json!(-1), json!("redirect_temporary"))
    );
    assert_eq!((l["partner_sid"].clone(), l["date_accessed"].clone()), (p["partner_sid"].clone(), Value::Null));
    // reuse=true answers the same link; without it, a new one.
    let body = json!({"destination_url": "http://destinationurl.com", "domain_sid": d["domain_sid"]});
    let again = app.post("/core/v2/shortener/links?reuse=true").actor(tok.clone()).json(body.clone()).ok().await;
    assert_eq!(again["link_sid"], l["link_sid"]);
    let other = link(&app, &tok, body.clone()).await;
    assert_ne!(other["link_sid"], l["link_sid"]);
    // The short URL, by host and by path: a temporary redirect, hits counted.
    let r = visit(&app, "newdomain.com", &format!("/{short}")).await;
    assert_eq!(r.status, 302);
    assert_eq!(r.headers["location"], "http://destinationurl.com");
    let r = app.get(&format!("/s/newdomain.com/{short}")).send().await;
    assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (302, "http://destinationurl.com"));
    carrierx_core::resources::shortener::redirect::flush_hits(&app.state).await.unwrap();
    let lpath = format!("/core/v2/shortener/links/{}", l["link_sid"].as_str().unwrap());
    let seen = app.get(&lpath).actor(tok.clone()).ok().await;
    assert_eq!(seen["hits"], 2);
    assert!(seen["date_accessed"].is_string());
    // A permanent redirect once changed (every instance reads the change).
    let u = app
        .patch(&lpath)
        .actor(tok.clone())
        .json(json!({"mode": "redirect_permanent", "destination_url": "https://example.com/x"}))
        .ok()
        .await;
    assert_eq!(u["short_name"], short.as_str());
    let r = visit(&app, "newdomain.com", &format!("/{short}")).await;
    assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (301, "https://example.com/x"));
    // A chosen name, taken; a bad body names every bad field.
    let named = link(
        &app,
        &tok,
        json!({"destination_url": "https://example.com/a", "domain_sid": d["domain_sid"], "short_name": "promo"}),
    )
    .await;
    assert_eq!(named["url"], "http://newdomain.com/promo");
    app.post("/core/v2/shortener/links")
        .actor(tok.clone())
        .json(json!({"destination_url": "https://example.com/b", "domain_sid": d["domain_sid"], "short_name": "promo"}))
        .send()
        .await
        .assert_error(409, "short_name");
    let r = app
        .post("/core/v2/shortener/links")
        .actor(tok.clone())
        .json(json!({"destination_url": "ftp://x", "maximum_ttl": "soon", "mode": "x", "short_name": "a b"}))
        .send()
        .await;
    for f in ["destination_url", "domain_sid", "maximum_ttl", "mode", "short_name"] {
        r.assert_error(422, f);
    }
    let list = app.get("/core/v2/shortener/links").actor(tok.clone()).ok().await;
    assert_eq!(
        (list["count"].clone(), list["total"].clone(), list["limit"].clone()),
        (json!(3), Value::Null, json!(1000))
    );
    // A child partner makes links on its parent's domain; a stranger cannot.
    let (_, child) = app.partner(&tok, "linker-child", None).await;
    let c =
        link(&app, &bearer(&child), json!({"destination_url": "https://child.example", "domain_sid": d["domain_sid"]}))
            .await;
    assert_eq!(visit(&app, "newdomain.com", &format!("/{}", c["short_name"].as_str().unwrap())).await.status, 302);
    let (_, stranger) = app.partner(&root(), "link-stranger", None).await;
    app.post("/core/v2/shortener/links")
        .actor(bearer(&stranger))
        .json(json!({"destination_url": "https://x.example", "domain_sid": d["domain_sid"]}))
        .send()
        .await
        .assert_error(422, "domain_sid");
    // Deleting the domain removes its links and its short URLs.
    let dpath = format!("/core/v2/shortener/domains/{}", d["domain_sid"].as_str().unwrap());
    assert_eq!(app.delete(&dpath).actor(tok.clone()).send().await.status, 204);
    assert_eq!(app.get(&lpath).actor(tok.clone()).send().await.status, 404);
    assert_eq!(visit(&app, "newdomain.com", &format!("/{short}")).await.status, 404);
}

#[tokio::test]
async fn expired_and_unknown_links_follow_the_domain() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "expiry", None).await;
    let tok = bearer(&tok);
    let d = domain(
        &app,
        &tok,
        json!({"domain_name": "go.test", "expired_page": "https://example.com/expired", "not_found_mode": "proxy_pass",
               "not_found_page": "<h1>No such link</h1>", "not_found_status_code": 404, "suffix_pattern": "\\.(mp3|mp4)$"}),
    )
    .await;
    let gone = link(
        &app,
        &tok,
        json!({"destination_url": "https://example.com/a", "domain_sid": d["domain_sid"], "maximum_ttl": 0}),
    )
    .await;
    let r = visit(&app, "go.test", &format!("/{}", gone["short_name"].as_str().unwrap())).await;
    assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (302, "https://example.com/expired"));
    let r = visit(&app, "go.test", "/nothing").await;
    assert_eq!((r.status.as_u16(), r.text()), (404, "<h1>No such link</h1>".to_owned()));
    // A suffix the domain accepts stays on the destination.
    let audio = link(
        &app,
        &tok,
        json!({"destination_url": "https://cdn.example/track", "domain_sid": d["domain_sid"], "short_name": "song"}),
    )
    .await;
    let r = visit(&app, "go.test", "/song.mp3").await;
    assert_eq!((r.status.as_u16(), r.headers["location"].to_str().unwrap()), (302, "https://cdn.example/track.mp3"));
    assert_eq!(audio["url"], "http://go.test/song");
    // Other hosts are not the shortener's: the API's 404.
    let r = visit(&app, "api.test", "/song").await;
    assert_eq!((r.status.as_u16(), r.json["message"].clone()), (404, json!("no item error")));
}

#[tokio::test]
async fn proxy_pass_answers_with_the_destination_itself() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "proxier", None).await;
    let tok = bearer(&tok);
    let receiver = Receiver::answering(&[203]).await;
    let d = domain(&app, &tok, json!({"domain_name": "p.test"})).await;
    let l = link(
        &app,
        &tok,
        json!({"destination_url": receiver.url("/landing"), "domain_sid": d["domain_sid"], "mode": "proxy_pass"}),
    )
    .await;
    let r = visit(&app, "p.test", &format!("/{}", l["short_name"].as_str().unwrap())).await;
    assert_eq!(r.status, 203, "the destination's own answer");
    assert_eq!(receiver.received()[0].path, "/landing");
    // The privilege is needed to make one.
    let plain = app.partner_with(&["shortener.manage"]).await;
    let d2 = domain(&app, &plain, json!({"domain_name": "q.test"})).await;
    let r = app
        .post("/core/v2/shortener/links")
        .actor(plain.clone())
        .json(json!({"destination_url": "https://example.com", "domain_sid": d2["domain_sid"], "mode": "proxy_pass"}))
        .send()
        .await;
    assert_eq!(r.status, 403);
}
