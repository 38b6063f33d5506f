use serde_json::json;

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
