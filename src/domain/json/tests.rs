use super::*;
use serde_json::json;

#[test]
fn keys_are_alphabetical_at_every_depth() {
    let v = json!({"operands": [], "action": "x", "direction": {"b": 1, "a": [{"z": 1, "y": 2}]}});
    let s = serde_json::to_string(&sorted(&v)).unwrap();
    assert_eq!(s, r#"{"action":"x","direction":{"a":[{"y":2,"z":1}],"b":1},"operands":[]}"#);
}
