use super::*;
use serde_json::json;

fn q(pairs: &[(&str, &str)]) -> QueryParams {
    QueryParams(pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect())
}

#[test]
fn include_and_exclude() {
    let obj = json!({"a": 1, "b": 2, "c": {"x": 1, "y": 2}});
    let mut v = obj.clone();
    Projection::from_query(&q(&[("exclude_fields", "b,c.x")])).apply(&mut v);
    assert_eq!(v, json!({"a": 1, "c": {"y": 2}}));
    let mut v = obj.clone();
    Projection::from_query(&q(&[("includeFields", "c.y, a")])).apply(&mut v);
    assert_eq!(v, json!({"a": 1, "c": {"y": 2}}));
    let mut v = obj.clone();
    Projection::from_query(&q(&[])).apply(&mut v);
    assert_eq!(v, obj);
}
