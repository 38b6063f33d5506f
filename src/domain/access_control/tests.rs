use super::*;

fn rule(field: &str, op: &str, q: &str, entries: &[&str]) -> Rule {
    Rule {
        sid: Uuid::new_v4(),
        field: field.into(),
        operation: op.into(),
        quantifier: q.into(),
        entries: entries.iter().map(|s| s.to_string()).collect(),
    }
}

fn call(dir: &str, from: &str, to: &str) -> Event {
    Event { direction: dir.into(), from: from.into(), to: to.into(), message: String::new() }
}

#[test]
fn operations_and_quantifiers_truth_table() {
    let e = call("outbound", "15162065575", "18005551234");
    let cases = [
        ("to", "prefix", "any", vec!["1800", "1615"], true),
        ("to", "prefix", "any", vec!["1615"], false),
        ("to", "prefix", "all", vec!["1800", "18005"], true),
        ("to", "prefix", "all", vec!["1800", "1615"], false),
        ("to", "prefix", "none", vec!["1615", "1900"], true),
        ("to", "prefix", "none", vec!["1800"], false),
        ("called", "exact", "any", vec!["18005551234"], true),
        ("called", "exact", "any", vec!["1800555123"], false),
        ("calling", "exact", "any", vec!["15162065575"], true),
        ("from", "regexp", "any", vec!["^1516"], true),
        ("from", "regexp", "any", vec!["^1212"], false),
        ("from", "regexp", "all", vec!["^1516", "5575$"], true),
        ("from", "regexp", "none", vec!["^1212"], true),
        ("to", "exact", "all", vec![], false),
    ];
    for (field, op, q, entries, want) in cases {
        assert_eq!(rule_matches(&rule(field, op, q, &entries), &e), want, "{field} {op} {q} {entries:?}");
    }
    let sms =
        Event { direction: "inbound".into(), from: "1".into(), to: "2".into(), message: "win a prize now".into() };
    assert!(rule_matches(&rule("message", "regexp", "any", &["(?i)PRIZE"]), &sms));
    assert!(rule_matches(&rule("from_did", "exact", "any", &["1"]), &sms));
    assert!(rule_matches(&rule("to_did", "exact", "any", &["2"]), &sms));
}

#[test]
fn layers_top_down_and_the_first_reject_decides() {
    let block_800 = rule("to", "prefix", "any", &["1800"]);
    let only_516 = rule("from", "prefix", "none", &["1516"]);
    let rules: HashMap<Uuid, Rule> = [block_800.clone(), only_516.clone()].into_iter().map(|r| (r.sid, r)).collect();
    let parent = Acl {
        rules: vec![block_800.sid],
        direction: "outbound".into(),
        voice_action_true: Some("reject403".into()),
        ..Acl::default()
    };
    let child = Acl {
        rules: vec![only_516.sid],
        direction: "any".into(),
        voice_action_true: Some("reject503".into()),
        voice_action_false: Some("accept".into()),
        ..Acl::default()
    };
    let layers = vec![(1, vec![parent.clone()]), (2, vec![child.clone()])];
    let d = evaluate(&layers, &rules, Kind::Voice, &call("outbound", "15162065575", "18005551234"));
    assert_eq!(d, Decision { action: "reject403".into(), acl: Some((1, 0)), rule: Some(block_800.sid) });
    let d = evaluate(&layers, &rules, Kind::Voice, &call("outbound", "15162065575", "12125551234"));
    assert_eq!(d.action, "accept");
    assert_eq!(d.acl, Some((2, 0)));
    let d = evaluate(&layers, &rules, Kind::Voice, &call("outbound", "13125551234", "12125551234"));
    assert_eq!(d, Decision { action: "reject503".into(), acl: Some((2, 0)), rule: Some(only_516.sid) });
    // Direction: the parent's outbound ACL does not apply inbound.
    let d = evaluate(&layers, &rules, Kind::Voice, &call("inbound", "15162065575", "18005551234"));
    assert_eq!(d.action, "accept");
    // Voice actions say nothing about SMS.
    let d = evaluate(&layers, &rules, Kind::Sms, &call("outbound", "13125551234", "18005551234"));
    assert_eq!(d, Decision { action: "accept".into(), acl: None, rule: None });
    let sms_acl = Acl {
        rules: vec![block_800.sid],
        direction: "any".into(),
        sms_action_true: Some("reject".into()),
        ..Acl::default()
    };
    let d = evaluate(&[(1, vec![sms_acl])], &rules, Kind::Sms, &call("inbound", "1", "18001"));
    assert_eq!(d.action, "reject");
    // No layers: accepted.
    assert_eq!(evaluate(&[], &rules, Kind::Voice, &call("inbound", "1", "2")).action, "accept");
}
