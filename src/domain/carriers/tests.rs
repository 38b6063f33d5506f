use super::*;

#[test]
fn the_longest_prefix_names_the_carrier() {
    assert_eq!(carrier_of("447400123456"), Some("Three"));
    assert_eq!(carrier_of("393312345678"), Some("TIM"));
    assert_eq!(carrier_of("15162065319"), None, "no North American carrier data");
    assert_eq!(carrier_of(""), None);
    assert_eq!(carrier_of("44x"), None);
}
