#[test]
fn luhn() {
    assert!(super::luhn("4012888818888"));
    assert!(super::luhn("4111111111111111"));
    assert!(!super::luhn("4111111111111112"));
    assert!(!super::luhn("41x1"));
}
