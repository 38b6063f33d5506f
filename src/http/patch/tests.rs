use super::*;
use serde_json::json;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

const UPD: &[&str] = &["attributes", "name", "transformations"];

#[test]
fn the_four_nested_rules() {
    let cur = obj(json!({"attributes": {"name": "A", "keep": 1}, "name": "n", "sid": "x"}));
    // 1: same key replaced, others kept
    let r = apply(&cur, &obj(json!({"attributes": {"name": "B"}})), UPD, UpdateMode::Patch { nested_replace: false });
    assert_eq!(r["attributes"], json!({"name": "B", "keep": 1}));
    // 2: new key added
    let r = apply(&cur, &obj(json!({"attributes": {"name2": "C"}})), UPD, UpdateMode::Patch { nested_replace: false });
    assert_eq!(r["attributes"], json!({"name": "A", "keep": 1, "name2": "C"}));
    // 3: null removes
    let r = apply(&cur, &obj(json!({"attributes": {"keep": null}})), UPD, UpdateMode::Patch { nested_replace: false });
    assert_eq!(r["attributes"], json!({"name": "A"}));
    // 4: replace
    let r = apply(&cur, &obj(json!({"attributes": {"name3": "D"}})), UPD, UpdateMode::Patch { nested_replace: true });
    assert_eq!(r["attributes"], json!({"name3": "D"}));
    assert_eq!(r["name"], json!("n"));
}

#[test]
fn put_resets_what_is_not_sent_and_ignores_read_only() {
    let cur = obj(json!({"attributes": {"a": 1}, "name": "n", "transformations": [1], "sid": "x"}));
    let r = apply(&cur, &obj(json!({"name": "m", "sid": "y"})), UPD, UpdateMode::Put);
    assert_eq!(Value::Object(r), json!({"attributes": {}, "name": "m", "transformations": []}));
}
