use super::*;
use crate::db::listing::filter::parse;

const FIELDS: &[Field] = &[
    Field::new("name", "t.name", FieldType::Text),
    Field::new("n", "t.n", FieldType::Int),
    Field::new("when", "t.ts", FieldType::Timestamp),
    Field::new("attributes", "t.attributes", FieldType::Json),
    Field::new("scopes", "t.scopes", FieldType::TextArray),
    Field::new("ok", "t.ok", FieldType::Bool),
];

fn sql(filter: &str) -> Result<String, String> {
    let mut qb = QueryBuilder::<Postgres>::new("WHERE true");
    push_conditions(&mut qb, FIELDS, &parse(filter).unwrap())?;
    Ok(qb.sql().to_owned())
}

#[test]
fn values_are_always_bound() {
    let s = sql("name eq \"x'; drop table t; --\" and n gt 5").unwrap();
    assert_eq!(s, "WHERE true AND t.name = $1 AND t.n > $2");
    assert_eq!(sql("name in (a, b)").unwrap(), "WHERE true AND COALESCE(t.name = ANY($1::text[]), false)");
    assert_eq!(sql("n bit 4").unwrap(), "WHERE true AND (t.n & $1) = $2");
    assert!(sql("attributes.name eq x").unwrap().contains("jsonb_path_exists(t.attributes, $1::jsonpath, $2::jsonb)"));
}

#[test]
fn unknown_fields_and_bad_values_are_refused() {
    assert!(sql("nope eq 1").unwrap_err().contains("unknown field 'nope'"));
    assert!(sql("name.x eq 1").unwrap_err().contains("unknown field"));
    assert!(sql("n eq five").unwrap_err().contains("integer"));
    assert!(sql("when gt tomorrow").unwrap_err().contains("date"));
    assert!(sql("ok gt true").is_err());
    assert!(sql("name bit 1").is_err());
}

#[test]
fn like_patterns_become_anchored_regexes() {
    assert_eq!(like_to_regex("1516%"), "^1516.*$");
    assert_eq!(like_to_regex("a_b.c"), "^a.b\\.c$");
    assert_eq!(jp_string("a\"b\\"), "\"a\\\"b\\\\\"");
}
