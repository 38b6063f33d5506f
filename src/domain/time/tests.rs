use super::*;

#[test]
fn wire_form_has_milliseconds_and_z() {
    let t = parse_instant("2019-01-18T15:35:03.5Z").unwrap();
    assert_eq!(Timestamp(t).wire(), "2019-01-18T15:35:03.500Z");
}

#[test]
fn every_client_form_is_an_instant() {
    let utc = parse_instant("2024-10-30T05:00:00Z").unwrap();
    for s in [
        "2024-10-30T05:00:00",
        "2024-10-30T05:00:00Z",
        "2024-10-30T05:00:00+00:00",
        "2024-10-30T00:00:00-05:00",
        "2024-10-30T05:00:00.000Z",
        "2024-10-30 05:00:00",
        "2024-10-30T00:00:00-0500",
    ] {
        assert_eq!(parse_instant(s), Some(utc), "{s}");
    }
    assert_eq!(parse_instant("2024-10-30"), parse_instant("2024-10-30T00:00:00Z"));
    assert_eq!(parse_instant("yesterday"), None);
    assert_eq!(parse_instant("2024-13-40"), None);
}
