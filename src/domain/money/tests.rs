use super::*;

#[test]
fn wire_form_has_no_trailing_zeros() {
    assert_eq!(Money("5.00".parse().unwrap()).wire(), "5");
    assert_eq!(Money("0.600".parse().unwrap()).wire(), "0.6");
    assert_eq!(Money("0.005".parse().unwrap()).wire(), "0.005");
    assert_eq!(Money("-0.00".parse().unwrap()).wire(), "0");
    assert_eq!(Money("351.52".parse().unwrap()).wire(), "351.52");
}

#[test]
fn reads_numbers_and_strings() {
    assert_eq!(Money::from_json(&serde_json::json!(20)).unwrap().wire(), "20");
    assert_eq!(Money::from_json(&serde_json::json!("100")).unwrap().wire(), "100");
    assert_eq!(Money::from_json(&serde_json::json!(0.1)).unwrap().wire(), "0.1");
    assert!(Money::from_json(&serde_json::json!("ten")).is_none());
    assert!(Money::from_json(&serde_json::json!(true)).is_none());
}
