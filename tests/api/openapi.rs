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
    let list = &doc["paths"]["/invoices"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(list["properties"]["items"]["items"]["$ref"], "#/components/schemas/Invoice");
    let admin = &doc["paths"]["/admin/batch/tasks"]["post"]["security"][0]["bearer"];
    assert!(admin.as_array().unwrap().contains(&serde_json::json!("admin.create")), "{admin}");
    assert!(doc["paths"]["/openapi.json"]["get"]["security"].is_null(), "the document is public");
    // The wire types' fields are described: a DID has its attributes.
    let did = &schemas["Did"]["properties"];
    for f in ["did_sid", "phonenumber", "price", "trunk_group_sid", "transformations"] {
        assert!(did.get(f).is_some(), "Did.{f}");
    }
}
