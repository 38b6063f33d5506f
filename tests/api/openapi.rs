use std::collections::BTreeSet;

use serde_json::Value;

use crate::common::*;

/// Every `$ref` in the document, to check that each names a schema of the document.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().unwrap_or_default().to_owned());
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_is_the_route_table() {
    let app = TestApp::new().await;
    let r = app.get("/core/v2/openapi.json").send().await;
    assert_eq!(r.status.as_u16(), 200, "served without credentials");
    let doc = r.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], "/core/v2");
    // The router's routes and the document's operations are the same set.
    let table: BTreeSet<(String, String)> = carrierx_core::route_table(app.state.clone())
        .iter()
        .map(|r| (r.method.as_str().to_ascii_lowercase(), r.path.clone()))
        .collect();
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method.as_str()) {
                ops.insert((method.clone(), path.clone()));
            }
        }
    }
    assert_eq!(table, ops);
    // Every reference resolves; both security schemes are there.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("{r}"));
        assert!(schemas.contains_key(name), "{r} is not in components.schemas");
    }
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    assert_eq!(doc["components"]["securitySchemes"]["basic"]["scheme"], "basic");
    // An operation carries its path parameters, scopes and bodies.
    let rent = &doc["paths"]["/phonenumber/dids"]["post"];
    assert_eq!(rent["security"][0]["bearer"], serde_json::json!(["phonenumber.manage", "phonenumber.create"]));
    assert_eq!(rent["responses"]["200"]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Did");
    let get = &doc["paths"]["/phonenumber/dids/{did_sid}"]["get"];
    assert_eq!(get["parameters"][0]["name"], "did_sid");
    assert_eq!(get["parameters"][0]["in"], "path");
    // Query parameters and bodies follow what each handler reads.
    let names = |op: &Value, place: &str| -> Vec<String> {
        op["parameters"].as_array().map_or(vec![], |ps| {
            ps.iter().filter(|p| p["in"] == place).map(|p| p["name"].as_str().unwrap().to_owned()).collect()
        })
    };
    let dids = &doc["paths"]["/phonenumber/dids"]["get"];
    assert_eq!(
        names(dids, "query"),
        [
            "limit",
            "offset",
            "after",
            "before",
            "order",
            "filter",
            "include_fields",
            "exclude_fields",
            "with_related",
            "trunk_group_sid"
        ]
    );
    assert!(dids["requestBody"].is_null());
    assert_eq!(names(rent, "query"), ["filter", "include_fields", "exclude_fields"], "renting picks by filter");
    assert_eq!(names(get, "query"), ["include_fields", "exclude_fields", "with_related"]);
    // Arguments a route declares of its own, required ones marked so.
    let rating = &doc["paths"]["/rating/calls/pstn"]["get"];
    assert_eq!(
        names(rating, "query"),
        ["include_fields", "exclude_fields", "direction", "to", "partner_sid", "duration"]
    );
    let required: Vec<&str> = rating["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["required"] == true && p["in"] == "query")
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(required, ["direction", "to", "duration"]);
    let coverage = doc["paths"]["/phonenumber/coverage"]["get"]["parameters"].as_array().unwrap();
    assert!(coverage.iter().any(|p| p["name"] == "group_by" && p["required"] == true));
    let patch = &doc["paths"]["/phonenumber/dids/{did_sid}"]["patch"];
    assert_eq!(names(patch, "query"), ["nested_objects"]);
    assert!(patch["requestBody"]["content"]["application/json"].is_object());
    assert!(doc["paths"]["/phonenumber/dids/{did_sid}"]["put"]["parameters"][1].is_null(), "PUT: no nested_objects");
    // Bodies are the input types the handlers parse: the fields a client sets, nothing read-only.
    let body_ref = |op: &Value| op["requestBody"]["content"]["application/json"]["schema"]["$ref"].clone();
    assert_eq!(body_ref(patch), "#/components/schemas/DidInput");
    assert_eq!(body_ref(rent), "#/components/schemas/DidInput", "a collection's POST takes its objects' input");
    let input: Vec<&String> = schemas["DidInput"]["properties"].as_object().unwrap().keys().collect();
    assert!(input.contains(&&"trunk_group_sid".to_owned()) && input.contains(&&"phonenumber".to_owned()));
    assert!(!input.contains(&&"did_sid".to_owned()) && !input.contains(&&"partner_sid".to_owned()), "{input:?}");
    assert_eq!(schemas["DidInput"]["properties"]["did_group_sid"], schemas["Did"]["properties"]["did_group_sid"]);
    let token = &doc["paths"]["/oauth/token"]["post"]["requestBody"]["content"];
    assert!(token["application/x-www-form-urlencoded"].is_object() && token["application/json"].is_null(), "{token}");
    let close = &doc["paths"]["/admin/partners/{partner_sid}/close_billing_period"]["post"];
    assert!(close["requestBody"].is_null() && close["responses"]["415"].is_null(), "no body read");
    let list = &doc["paths"]["/invoices"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(list["properties"]["items"]["items"]["$ref"], "#/components/schemas/Invoice");
    let admin = &doc["paths"]["/admin/batch/tasks"]["post"]["security"][0]["bearer"];
    assert!(admin.as_array().unwrap().contains(&serde_json::json!("admin.create")), "{admin}");
    assert!(doc["paths"]["/openapi.json"]["get"]["security"].is_null(), "the document is public");
    // Every operation that reads a body says what it takes, and every 2xx answer but 204 says
    // what it carries: each route declares both where it is registered.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["post", "put", "patch"].contains(&method.as_str()) && !op["requestBody"].is_null() {
                let content = op["requestBody"]["content"].as_object().unwrap();
                assert!(!content.is_empty(), "{method} {path}: a body without content");
                for (media, c) in content {
                    assert!(c["schema"].is_object(), "{method} {path}: {media} has no schema");
                }
                if let Some(json) = content.get("application/json") {
                    assert!(
                        json["schema"]["$ref"].is_string() || json["schema"]["oneOf"].is_array(),
                        "{method} {path}: a JSON body is an input type: {json}"
                    );
                }
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('2') && status != "204" {
                    let content = response["content"].as_object();
                    assert!(content.is_some_and(|c| !c.is_empty()), "{method} {path}: {status} without content");
                    for (media, c) in content.unwrap() {
                        assert!(c["schema"].is_object(), "{method} {path}: {status} {media} has no schema");
                    }
                }
            }
        }
    }
    // Bodies that were borrowed from the object answered are their own input types now.
    assert_eq!(
        body_ref(&doc["paths"]["/partners/{partner_sid}/billing_method"]["post"]),
        "#/components/schemas/BillingMethodInput"
    );
    assert_eq!(body_ref(&doc["paths"]["/admin/calls/rates_plans"]["post"]), "#/components/schemas/PlanInput");
    let ingest = &doc["paths"]["/admin/dids"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(ingest["oneOf"][0]["$ref"], "#/components/schemas/InventoryInput", "one object or an array");
    assert_eq!(ingest["oneOf"][1]["items"]["$ref"], "#/components/schemas/InventoryInput");
    assert!(doc["paths"]["/oauth/revoke"]["post"]["responses"]["204"].is_object(), "revoking answers 204");
    let csv = &doc["paths"]["/calls/rates/inbound/pstn/csv"]["get"]["responses"]["200"]["content"];
    assert!(csv["text/csv"].is_object() && csv["application/json"].is_null(), "{csv}");
    assert_eq!(doc["paths"]["/countries/ip/{ip_address}"]["get"]["tags"][0], "lookup", "tags are declared");
    assert_eq!(doc["paths"]["/admin/dids"]["get"]["tags"][0], "dids (admin)");
    // The wire types' fields are described: a DID has its attributes.
    let did = &schemas["Did"]["properties"];
    for f in ["did_sid", "phonenumber", "price", "trunk_group_sid", "transformations"] {
        assert!(did.get(f).is_some(), "Did.{f}");
    }
}

/// Checks `value` against the 200 response schema of an operation of the document.
fn conforms(doc: &Value, method: &str, path: &str, value: &Value) {
    let op = &doc["paths"][path][method];
    let ok = op["responses"]["200"]["content"]["application/json"]["schema"].clone();
    assert!(!ok.is_null(), "{method} {path} has a 200 JSON schema");
    let mut root = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"].clone(),
    });
    for (k, v) in ok.as_object().unwrap() {
        root[k] = v.clone();
    }
    let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(
        errors.is_empty(),
        "{method} {path}: the response does not match the document:\n{}\n{value}",
        errors.join("\n")
    );
}

#[tokio::test]
async fn responses_match_the_document() {
    let app = TestApp::new().await;
    let doc = app.get("/core/v2/openapi.json").send().await.json;
    let (p, tok) = app.partner(&root(), "documented", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    conforms(
        &doc,
        "get",
        "/partners/{partner_sid}",
        &app.get(&format!("/core/v2/partners/{sid}")).actor(root()).ok().await,
    );
    conforms(&doc, "get", "/partners", &app.get("/core/v2/partners").actor(root()).ok().await);
    conforms(&doc, "get", "/oauth/whoami", &app.get("/core/v2/oauth/whoami").actor(bearer(&tok)).ok().await);
    conforms(&doc, "get", "/oauth/tokens", &app.get("/core/v2/oauth/tokens").actor(bearer(&tok)).ok().await);
    conforms(&doc, "get", "/countries/{country_code}", &app.get("/core/v2/countries/USA").actor(root()).ok().await);
    conforms(&doc, "get", "/countries", &app.get("/core/v2/countries?limit=5").actor(root()).ok().await);
    app.post("/core/v2/admin/dids").actor(root()).json(serde_json::json!([{"phonenumber": "15162065319"}])).ok().await;
    let did = app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(serde_json::json!({})).ok().await;
    conforms(&doc, "post", "/phonenumber/dids", &did);
    conforms(&doc, "get", "/phonenumber/dids", &app.get("/core/v2/phonenumber/dids").actor(bearer(&tok)).ok().await);
    let ep = app
        .post("/core/v2/endpoints")
        .actor(bearer(&tok))
        .json(serde_json::json!({"name": "pbx", "type": "third_party", "addresses": [{"ip": "10.1.2.3"}]}))
        .ok()
        .await;
    conforms(&doc, "post", "/endpoints", &ep);
    let tg = app.post("/core/v2/trunk_groups").actor(bearer(&tok)).json(serde_json::json!({})).ok().await;
    conforms(&doc, "post", "/trunk_groups", &tg);
    let rule = app
        .post("/core/v2/accesscontrol/rules")
        .actor(bearer(&tok))
        .json(
            serde_json::json!({"field": "to", "quantifier": "any", "entries": ["1800", "1615"], "operation": "prefix"}),
        )
        .ok()
        .await;
    conforms(&doc, "post", "/accesscontrol/rules", &rule);
    let task = app
        .post("/core/v2/batch/tasks")
        .actor(bearer(&tok))
        .json(serde_json::json!({"method": "PATCH", "type": "phonenumber", "field": "phonenumber", "review": true,
                                 "entries": [did["phonenumber"]], "data": {"trunk_group_sid": tg["trunk_group_sid"]}}))
        .ok()
        .await;
    conforms(&doc, "post", "/batch/tasks", &task);
    app.run_batch().await;
    let path = format!("/core/v2/batch/tasks/{}", task["task_sid"].as_str().unwrap());
    conforms(&doc, "get", "/batch/tasks/{task_sid}", &app.get(&path).actor(bearer(&tok)).ok().await);
    conforms(
        &doc,
        "get",
        "/batch/tasks/{task_sid}/review_items",
        &app.get(&format!("{path}/review_items")).actor(bearer(&tok)).ok().await,
    );
    conforms(&doc, "get", "/invoices", &app.get("/core/v2/invoices").actor(bearer(&tok)).ok().await);
    let issued = app.post(&format!("/core/v2/admin/partners/{sid}/close_billing_period")).actor(root()).ok().await;
    conforms(&doc, "get", "/invoices/{invoice_sid}", &issued);
    conforms(
        &doc,
        "get",
        "/lookup/dids/{phonenumber}",
        &app.get("/core/v2/lookup/dids/15162065319?carrier=true&cnam=true&lrn=true").actor(root()).ok().await,
    );
    conforms(
        &doc,
        "get",
        "/lookup/ip_addresses/{ip_address}",
        &app.get("/core/v2/lookup/ip_addresses/8.8.8.8").actor(root()).ok().await,
    );
    conforms(
        &doc,
        "get",
        "/countries/ip/{ip_address}",
        &app.get("/core/v2/countries/ip/2.6.26.2").actor(root()).ok().await,
    );
    conforms(&doc, "get", "/calls/call_drs", &app.get("/core/v2/calls/call_drs").actor(root()).ok().await);
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_only() {
    let app = TestApp::new().await;
    for _ in 0..2 {
        app.get("/core/v2/countries/USA").actor(root()).ok().await;
    }
    app.get("/core/v2/countries/ZZQ").actor(root()).send().await;
    app.get("/nowhere/xyzzy-user-input").send().await;
    let r = app.get("/metrics").send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text();
    let count = |needle: &str| -> f64 {
        text.lines()
            .find(|l| l.starts_with(needle))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{needle} in\n{text}"))
    };
    assert!(
        count(r#"http_requests_total{method="GET",route="/core/v2/countries/{country_code}",status="200"}"#) >= 2.0
    );
    assert!(
        count(r#"http_requests_total{method="GET",route="/core/v2/countries/{country_code}",status="404"}"#) >= 1.0
    );
    assert!(count(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#) >= 1.0);
    assert!(text.contains("http_request_duration_seconds_bucket{"), "{text}");
    assert!(!text.contains("ZZQ") && !text.contains("xyzzy"), "no label from user input");
    assert!(count(r#"db_pool_connections{state="idle"}"#) >= 0.0);
    assert!(count(r#"batch_tasks{status="queued"}"#) >= 0.0);
}

#[tokio::test]
async fn reset_returns_the_database_to_its_bootstrap_state() {
    let disabled = TestApp::new().await;
    assert_eq!(disabled.post("/core/v2/admin/reset").actor(root()).send().await.status, 403);

    let app = TestApp::with_config(|c| c.allow_reset = true).await;
    let fresh = |path: &'static str| {
        let app = &app;
        async move { app.get(path).actor(root()).ok().await }
    };
    let before_partners = fresh("/core/v2/partners").await["total"].clone();
    let before_endpoints = fresh("/core/v2/endpoints").await["total"].clone();
    // Some of everything.
    let (p, tok) = app.partner(&root(), "ephemeral", None).await;
    app.post("/core/v2/admin/dids").actor(root()).json(serde_json::json!([{"phonenumber": "15162065319"}])).ok().await;
    app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(serde_json::json!({})).ok().await;
    app.post("/core/v2/trunk_groups").actor(root()).json(serde_json::json!({})).ok().await;
    app.post("/core/v2/batch/tasks")
        .actor(root())
        .json(serde_json::json!({"method": "POST", "type": "prefix", "data": [{"prefix": "999"}]}))
        .ok()
        .await;
    app.post(&format!("/core/v2/admin/partners/{}/close_billing_period", app.root_sid().await))
        .actor(root())
        .ok()
        .await;
    app.patch(&format!("/core/v2/partners/{}", app.root_sid().await))
        .actor(root())
        .json(serde_json::json!({"name": "renamed"}))
        .ok()
        .await;

    // An admin's own default plan replaces a reference plan...
    let plan = app
        .post("/core/v2/admin/calls/rates_plans")
        .actor(root())
        .json(serde_json::json!({"name": "house_in", "items": [{"price": "0.001"}]}))
        .ok()
        .await;
    app.post(&format!("/core/v2/admin/calls/rates_plans/{}/assignments", plan["rates_plan_sid"].as_str().unwrap()))
        .actor(root())
        .json(serde_json::json!({"direction": "inbound", "type": "pstn"}))
        .ok()
        .await;
    assert_eq!(fresh("/core/v2/calls/rates/inbound/pstn").await["rates_plan"]["name"], "house_in");

    let r = app.post("/core/v2/admin/reset").actor(root()).send().await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    // ...until a reset, which seeds the reference plans again.
    let rates = fresh("/core/v2/calls/rates/inbound/pstn").await;
    assert_eq!(rates["rates_plan"]["name"], "carrierx_core_pstn_inbound");
    assert_eq!(fresh("/core/v2/phonenumber/rates").await["rates_plan"]["name"], "carrierx_core_did_rental");
    // The configured root credentials still work; everything else is gone.
    assert_eq!(fresh("/core/v2/oauth/whoami").await["name"], "Root");
    app.get("/core/v2/oauth/whoami").actor(basic("root", ROOT_PASSWORD)).ok().await;
    assert_eq!(app.get("/core/v2/oauth/whoami").actor(bearer(&tok)).send().await.status, 401);
    assert_eq!(fresh("/core/v2/partners").await["total"], before_partners);
    assert_eq!(fresh("/core/v2/endpoints").await["total"], before_endpoints, "the System Gateway is back");
    assert_eq!(fresh("/core/v2/phonenumber/available_dids").await["count"], 0);
    assert_eq!(fresh("/core/v2/trunk_groups").await["total"], 0);
    assert_eq!(fresh("/core/v2/batch/tasks").await["total"], 0);
    let invoices = fresh("/core/v2/invoices").await;
    assert_eq!(invoices["total"], 1);
    assert_eq!(
        (invoices["items"][0]["display_id"].clone(), invoices["items"][0]["status"].clone()),
        (serde_json::json!("001"), serde_json::json!("open"))
    );
    let gone = app.get(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap())).actor(root()).send().await;
    assert_eq!(gone.status, 404);
    // And it can be used again at once.
    app.partner(&root(), "ephemeral", None).await;
}

#[tokio::test]
async fn the_api_explorer_renders_offline_in_a_browser() {
    let app = TestApp::new().await;
    let page = app.get("/core/v2/docs").send().await;
    assert_eq!(page.status.as_u16(), 200);
    assert!(page.text().contains("/core/v2/openapi.json"));
    let css = app.get("/core/v2/docs/swagger-ui.css").send().await;
    assert_eq!((css.status.as_u16(), css.headers["content-type"].to_str().unwrap()), (200, "text/css; charset=utf-8"));
    assert_eq!(app.get("/core/v2/docs/..%2F..%2FCargo.toml").send().await.status, 404);
    // A real browser on a real server: the page lists the operations, with no internet.
    let server = Server::start(&app, &[]);
    server.ready().await;
    let url = format!("http://127.0.0.1:{}/core/v2/docs", server.port);
    let shot = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("explorer.png");
    let chromium = |extra: &[String]| {
        let mut args: Vec<String> = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.extend_from_slice(&["--window-size=1280,1600".into(), "--virtual-time-budget=15000".into()]);
        args.extend_from_slice(extra);
        args.push(url.clone());
        std::process::Command::new("chromium")
            .args(&args)
            .output()
            .expect("chromium (apt-get install chromium) runs headless")
    };
    let dom = String::from_utf8_lossy(&chromium(&["--dump-dom".into()]).stdout).into_owned();
    let listed = dom.matches("opblock-summary-path\"").count();
    // Swagger UI renders the first sections at once and the rest as the page scrolls.
    assert!(listed >= 20, "the explorer lists the operations ({listed} found)");
    assert!(dom.contains("data-path=\"/accesscontrol/rules\""), "the first section is listed");
    assert!(dom.contains("carrierx-core: CarrierX Core API v2"), "the document's title is shown");
    let out = chromium(&[format!("--screenshot={}", shot.display())]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "a screenshot was taken");
}
