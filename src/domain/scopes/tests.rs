use super::*;

#[test]
fn wire_names_round_trip() {
    for s in Scope::ALL {
        assert_eq!(Scope::parse(s.as_str()), Some(*s));
    }
    assert_eq!(Scope::parse("partners.billing_method.read"), Some(Scope::PartnersBillingMethodRead));
    assert_eq!(Scope::parse("partners.nope"), None);
}

#[test]
fn manage_grants_the_four_verbs_only() {
    let set: ScopeSet = [Scope::PartnersManage].into_iter().collect();
    assert!(set.grants(Scope::PartnersRead));
    assert!(set.grants(Scope::PartnersDelete));
    assert!(!set.grants(Scope::PartnersBillingMethodRead));
    assert!(!set.grants(Scope::OauthRead));
    let tg: ScopeSet = [Scope::TrunkGroupsManage].into_iter().collect();
    assert!(!tg.grants(Scope::TrunkGroupsTrunksRead));
    let calls: ScopeSet = [Scope::CallsManage].into_iter().collect();
    assert!(!calls.grants(Scope::CallsReadDescendant));
}

#[test]
fn parse_all_reports_unknown_scopes() {
    assert_eq!(ScopeSet::parse_all(&["oauth.read", "x.y"]).unwrap_err(), vec!["x.y".to_string()]);
    let s = ScopeSet::parse_all(&["oauth.read", "admin.read"]).unwrap();
    assert!(s.has_admin());
    assert!(!s.without_admin().has_admin());
    assert_eq!(s.to_strings(), vec!["admin.read", "oauth.read"]);
}
