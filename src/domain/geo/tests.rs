use super::*;

#[test]
fn exchanges_and_area_codes() {
    assert_eq!(nanp_place("15162225575"), Some(Place { state: "NY".into(), locality: Some("GARDEN CITY".into()) }));
    assert_eq!(nanp_place("15162065575").map(|p| p.state), Some("NY".into()));
    assert_eq!(nanp_place("14165550123").map(|p| p.state), Some("ON".into()));
    assert_eq!(nanp_place("442071234567"), None);
    assert!(exchanges_of("1516").iter().all(|e| e.len() == 7 && e.starts_with("1516")));
}
