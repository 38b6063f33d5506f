use super::*;

#[test]
fn environment_overrides_the_file() {
    let cfg = Config::from_sources(EMBEDDED_DEFAULTS, |k| match k {
        "CARRIERX_BIND" => Some("0.0.0.0:9000".into()),
        "CARRIERX_DEMO_DATA" => Some("true".into()),
        "CARRIERX_EMAIL_VERIFICATION" => Some("auto".into()),
        "CARRIERX_PARTNER_DEFAULTS_BALANCE" => Some("0".into()),
        "CARRIERX_SYSTEM_GATEWAY_ADDRESSES" => Some("10.0.0.1, 10.0.0.2".into()),
        "DATABASE_URL" => Some("postgres://x@y/z".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(cfg.bind, "0.0.0.0:9000");
    assert!(cfg.demo_data);
    assert_eq!(cfg.email_verification, EmailVerification::Auto);
    assert_eq!(cfg.partner_defaults.balance, Decimal::ZERO);
    assert_eq!(cfg.system_gateway_addresses, vec!["10.0.0.1", "10.0.0.2"]);
    assert_eq!(cfg.database_url(), Some("postgres://x@y/z"));
    assert!(!format!("{cfg:?}").contains("postgres://x@y/z"));
}

#[test]
fn bad_values_are_refused() {
    assert!(Config::from_sources(EMBEDDED_DEFAULTS, |k| (k == "CARRIERX_DEMO_DATA").then(|| "maybe".into())).is_err());
    assert!(Config::from_sources(EMBEDDED_DEFAULTS, |k| (k == "CARRIERX_EMAIL_VERIFICATION").then(|| "never".into()))
        .is_err());
}
