use super::*;

#[test]
fn passwords_verify_only_themselves() {
    let h = hash_password("qwerty123");
    assert!(h.starts_with("$argon2id$"));
    assert!(verify_password("qwerty123", &h));
    assert!(!verify_password("qwerty124", &h));
    assert!(!verify_password("qwerty123", "not a hash"));
}

#[test]
fn constant_time_equality() {
    assert!(ct_eq(b"abc", b"abc"));
    assert!(!ct_eq(b"abc", b"abd"));
    assert!(!ct_eq(b"abc", b"ab"));
    assert_eq!(hex(&[0, 255, 16]), "00ff10");
}
