use super::*;

#[test]
fn us_numbers_come_out_as_the_reference_shows() {
    let a = analyze("15162065575").unwrap();
    assert_eq!(a.national, "(516) 206-5575");
    assert_eq!(a.international, "+1 516-206-5575");
    assert_eq!(a.region.as_deref(), Some("US"));
    assert_eq!(analyze("+1 (516) 206-5575").unwrap().digits, "15162065575");
}

#[test]
fn other_countries() {
    let it = analyze("390612345678").unwrap();
    assert_eq!(it.region.as_deref(), Some("IT"));
    assert_eq!(it.international, "+39 06 1234 5678");
    let gb = analyze("+442071234567").unwrap();
    assert_eq!(gb.region.as_deref(), Some("GB"));
    assert_eq!(gb.national, "020 7123 4567");
    assert_eq!(analyze("+1 416 555 0123").unwrap().region.as_deref(), Some("CA"));
}

#[test]
fn not_numbers() {
    assert!(analyze("12").is_none());
    assert!(analyze("1-800-FLOWERS").is_none());
    assert!(analyze("1234567890123456789").is_none());
}

#[test]
fn line_types_from_libphonenumber() {
    assert_eq!(line_type("4930123456"), Some("landline"));
    assert_eq!(line_type("442071234567"), Some("landline"));
    assert_eq!(line_type("447400123456"), Some("mobile"));
    assert_eq!(line_type("15162065319"), None, "North America cannot tell fixed from mobile");
    assert_eq!(line_type("18005550199"), Some("unknown"), "toll-free");
    assert_eq!(e164_in("020 7123 4567", "GB").as_deref(), Some("442071234567"));
    assert_eq!(e164_in("0612345678", "IT").as_deref(), Some("390612345678"));
    assert_eq!(e164_in("12", "ZZ"), None);
}

#[test]
fn north_american_blocks_remembered_answer_as_libphonenumber_does() {
    // Area codes of several regions (US, Canada, the Caribbean, toll-free, a non-geographic one,
    // unassigned ones), exchanges valid and invalid: every number, first or remembered, is
    // analyzed as libphonenumber analyzes it.
    let npas = ["516", "212", "416", "604", "876", "809", "800", "888", "500", "900", "211", "999", "310", "787"];
    let exchanges = ["206", "555", "000", "100", "911", "958", "234"];
    for npa in npas {
        for nxx in exchanges {
            for line in ["0000", "0101", "5575", "9999", "1234"] {
                for form in [format!("1{npa}{nxx}{line}"), format!("+1 ({npa}) {nxx}-{line}")] {
                    assert_eq!(analyze_nanp_cached(&form), analyze(&form), "{form}");
                }
            }
        }
    }
    // Anything else goes to libphonenumber.
    for other in ["390612345678", "447400123456", "1516206557", "15162065575x"] {
        assert_eq!(analyze_nanp_cached(other), analyze(other), "{other}");
    }
}
