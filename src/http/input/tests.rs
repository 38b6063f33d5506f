use super::*;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sample {
    #[serde(default)]
    name: Maybe<String>,
    #[serde(default)]
    count: Maybe<i64>,
    #[serde(default)]
    #[allow(dead_code)]
    sid: Ignored,
}

#[test]
fn every_bad_field_is_named() {
    let m = json!({"name": 5, "count": "x", "other": 1, "sid": "whatever"});
    let Err(ApiError::Validation(errors)) = parse_object::<Sample>(m.as_object().unwrap()) else { panic!() };
    let mut fields: Vec<_> = errors.iter().map(|e| e.field.clone().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, vec!["count", "name", "other"]);
}

#[test]
fn null_absent_and_value_differ() {
    let s: Sample = parse_object(json!({"name": null, "count": 3}).as_object().unwrap()).unwrap();
    assert_eq!(s.name, Maybe::Null);
    assert_eq!(s.count, Maybe::Value(3));
    let s: Sample = parse_object(json!({}).as_object().unwrap()).unwrap();
    assert!(s.name.is_absent());
}

#[test]
fn emails() {
    assert!(is_email("john.doe@mail.com"));
    assert!(!is_email("john.doe@mail"));
    assert!(!is_email("john doe@mail.com"));
    assert_eq!(bad_emails("a@b.co, nope"), vec!["nope"]);
}

#[test]
fn a_lenient_parse_names_bad_fields_and_reads_them_as_absent() {
    let m = json!({"name": "kept", "count": "x", "other": 1});
    let mut p = Problems::new();
    let s: Sample = parse_into(m.as_object().unwrap(), &mut p).unwrap();
    assert_eq!(s.name, Maybe::Value("kept".into()));
    assert!(s.count.is_absent(), "a field of the wrong type reads as absent");
    let mut fields: Vec<_> = p.0.iter().map(|e| e.field.clone().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, vec!["count", "other"]);
    // The rules that run next do not name a field twice.
    p.required("count", &s.count);
    p.add("name", "too short");
    assert_eq!(p.0.len(), 3);
    assert!(p.0.iter().any(|e| e.field.as_deref() == Some("count") && e.message.starts_with("invalid type")));
}
