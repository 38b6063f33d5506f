use serde_json::json;
use sqlx::Connection;

use crate::common::*;

#[tokio::test]
async fn a_body_that_is_not_json_gets_the_reference_400() {
    let app = TestApp::new().await;
    let r =
        app.post("/core/v2/partners").actor(root()).raw("{\"login\": \"x\",", Some("application/json")).send().await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json,
        json!({"body": {"message": "cannot parse json. Check json for validity", "errors": null}, "status": 400})
    );
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_415() {
    let app = TestApp::new().await;
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let r =
            app.post("/core/v2/partners").actor(root()).raw("{\"login\": \"x\", \"password\": \"y\"}", ct).send().await;
        r.assert_error(415, "Content-Type");
        assert_eq!(r.json["message"], "unsupported media type");
    }
    let list = app.get("/core/v2/partners?filter=login+eq+x").actor(root()).ok().await;
    assert_eq!(list["total"], 0, "nothing was written");
}

#[tokio::test]
async fn a_huge_body_is_refused() {
    let app = TestApp::new().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let r = app.post("/core/v2/partners").actor(root()).raw(&big, Some("application/json")).send().await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json["message"], "payload too large");
}

#[tokio::test]
async fn a_body_that_is_not_an_object_is_named() {
    let app = TestApp::new().await;
    for body in [json!([1, 2]), json!("text"), json!(5)] {
        app.post("/core/v2/partners").actor(root()).json(body).send().await.assert_error(422, "body");
    }
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_in_the_api_format() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/nothing/here").actor(root()).send().await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json["message"], "no item error");
    let r = app.delete("/core/v2/countries").actor(root()).send().await;
    assert_eq!(r.status, 405);
    assert_eq!(r.json["message"], "method not allowed");
    assert!(r.headers.contains_key("allow"));
}

#[tokio::test]
async fn a_malformed_secure_id_is_not_found() {
    let app = TestApp::new().await;
    for path in ["/core/v2/partners/not-a-sid", "/core/v2/oauth/tokens/123", "/core/v2/oauth/logins/%20"] {
        let r = app.get(path).actor(root()).send().await;
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.json["message"], "no item error");
    }
}

#[tokio::test]
async fn wrong_types_are_named_never_a_500() {
    let app = TestApp::new().await;
    let (p, _) = app.partner(&root(), "typed", None).await;
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    let cases = [
        (json!({"attributes": "flat"}), "attributes"),
        (json!({"callbacks": []}), "callbacks"),
        (json!({"acls": {"a": 1}}), "acls"),
        (json!({"transformations": "none"}), "transformations"),
        (json!({"zip": 90804}), "zip"),
        (json!({"acls": [{"direction": 5}]}), "acls[0].direction"),
        (json!({"nonsense": true}), "nonsense"),
    ];
    for (body, field) in cases {
        app.patch(&path).actor(root()).json(body).send().await.assert_error(422, field);
    }
}

/// The reference's response conventions: JSON bodies say `application/json`, a 204 has no body.
#[tokio::test]
async fn json_responses_say_so_and_no_content_is_empty() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/countries/USA").actor(root()).send().await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let r = app.get("/core/v2/partners/not-a-sid").actor(root()).send().await;
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let e = app
        .post("/core/v2/endpoints")
        .actor(root())
        .json(json!({"name": "gone", "type": "third_party", "addresses": [{"ip": "10.9.8.7"}]}))
        .ok()
        .await;
    let r =
        app.delete(&format!("/core/v2/endpoints/{}", e["endpoint_sid"].as_str().unwrap())).actor(root()).send().await;
    assert_eq!(r.status, 204);
    assert_eq!(r.text(), "");
    assert!(r.headers.get("content-type").is_none());
}

/// The fields named by a 422, sorted.
fn named(r: &Resp) -> Vec<String> {
    assert_eq!(r.status.as_u16(), 422, "{}", r.text());
    let mut fields: Vec<String> =
        r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    fields.sort();
    fields
}

#[tokio::test]
async fn wrong_types_and_wrong_values_are_named_in_one_answer() {
    let app = TestApp::new().await;
    let r = app
        .post("/core/v2/partners")
        .actor(root())
        .json(json!({"login": "barter", "password": "barter-password", "payment_type": "barter", "attributes": [1, 2]}))
        .send()
        .await;
    assert_eq!(named(&r), ["attributes", "payment_type"], "{}", r.text());
    assert_eq!(r.json["message"], "object validation error");
    let bad =
        |f: &str| r.json["errors"].as_array().unwrap().iter().find(|e| e["field"] == f).unwrap()["message"].clone();
    assert!(bad("attributes").as_str().unwrap().starts_with("invalid type"), "{}", r.text());
    assert_eq!(bad("payment_type"), "must be prepay or postpay");
    let list = app.get("/core/v2/partners?filter=login+eq+barter").actor(root()).ok().await;
    assert_eq!(list["total"], 0, "nothing was written");
}

#[tokio::test]
async fn a_string_transformations_is_named_with_every_other_bad_field() {
    let app = TestApp::new().await;
    let body = json!({
        "login": "shaped",
        "password": "shaped-password",
        "transformations": "none",
        "zip": 90804,
        "payment_type": "barter",
        "callbacks": [],
    });
    let r = app.post("/core/v2/partners").actor(root()).json(body).send().await;
    assert_eq!(named(&r), ["callbacks", "payment_type", "transformations", "zip"], "{}", r.text());
    // The same through PATCH, where the rules run on the merged object.
    let (p, _) = app.partner(&root(), "reshaped", None).await;
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    let body = json!({"transformations": "none", "attributes": "flat", "owner_email": "nope"});
    let r = app.patch(&path).actor(root()).json(body).send().await;
    assert_eq!(named(&r), ["attributes", "owner_email", "transformations"], "{}", r.text());
    // A create of another resource: a required field of the wrong type is named once.
    let r = app.post("/core/v2/endpoints").actor(root()).json(json!({"type": 5, "capacity": "x"})).send().await;
    assert_eq!(named(&r), ["capacity", "type"], "{}", r.text());
}

#[tokio::test]
async fn an_ingestion_batch_names_type_and_rule_errors_together() {
    let app = TestApp::new().await;
    let body = json!([{"phonenumber": "15162065319", "capabilities": 99, "price": {"x": 1}}]);
    let r = app.post("/core/v2/admin/dids").actor(root()).json(body).send().await;
    assert_eq!(named(&r), ["[0].capabilities", "[0].price"], "{}", r.text());
}

#[tokio::test]
async fn an_empty_json_body_is_malformed_json() {
    let app = TestApp::new().await;
    for body in ["", "   ", " \n\t "] {
        let r = app.post("/core/v2/partners").actor(root()).raw(body, Some("application/json")).send().await;
        assert_eq!(r.status, 400, "{body:?}: {}", r.text());
        assert_eq!(
            r.json,
            json!({"body": {"message": "cannot parse json. Check json for validity", "errors": null}, "status": 400})
        );
    }
    let (p, _) = app.partner(&root(), "emptied", None).await;
    let path = format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap());
    let r = app.patch(&path).actor(root()).raw("", Some("application/json; charset=utf-8")).send().await;
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json["body"]["message"], "cannot parse json. Check json for validity");
}

#[tokio::test]
async fn a_post_without_a_body_or_content_type_reads_as_an_empty_object() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "bodiless", None).await;
    app.post("/core/v2/admin/dids").actor(root()).json(json!([{"phonenumber": "15162065319"}])).ok().await;
    // Renting the first available number, as clients do, without a body.
    let did = app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).send().await;
    assert_eq!(did.status, 200, "{}", did.text());
    assert_eq!(did.json["phonenumber"], "15162065319");
    // A body-less create still gets its rules' answer, not a parse error.
    app.post("/core/v2/endpoints").actor(bearer(&tok)).send().await.assert_error(422, "type");
}

/// PostgreSQL ending the server's connections (a restart, an administrator): a request that meets a
/// dead connection answers 503, never 500, and the pool replaces the connection by itself.
#[tokio::test]
async fn connections_the_database_ended_cost_at_most_a_503() {
    let app = TestApp::new().await;
    // Every pooled connection used just now (none idle long enough to be pinged when taken).
    let warm: Vec<_> = (0..8).map(|_| app.get("/core/v2/partners?limit=1").actor(root()).send()).collect();
    for r in futures_util::future::join_all(warm).await {
        assert_eq!(r.status, 200);
    }
    let mut admin = sqlx::PgConnection::connect_with(&app.options).await.unwrap();
    let ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid()) t",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(ended > 0, "the server's connections were ended");
    let mut answers = Vec::new();
    for _ in 0..12 {
        let r = app.get("/core/v2/partners?limit=1").actor(root()).send().await;
        if r.status == 503 {
            assert_eq!(r.json["errors"][0]["message"], "database unavailable", "{}", r.json);
        }
        answers.push(r.status.as_u16());
    }
    assert!(answers.iter().all(|s| *s == 200 || *s == 503), "only 200s and 503s: {answers:?}");
    assert_eq!(answers.last(), Some(&200), "the pool has replaced its connections: {answers:?}");
}
