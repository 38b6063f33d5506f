use super::*;
use crate::domain::transformations::NoServices;

fn rewrite_to(pattern: &str, to: &str, direction: &str) -> Transformation {
    Transformation {
        action: "rewrite_to".into(),
        direction: direction.into(),
        operands: vec![pattern.into(), to.into()],
    }
}

fn call(direction: &str, from: &str, to: &str) -> Call {
    Call { from: from.into(), to: to.into(), direction: direction.into(), ..Default::default() }
}

#[test]
fn hops_transform_in_order_each_seeing_the_numbers_the_last_left() {
    let did = [rewrite_to("^1(\\d{10})$", "+1\\1", "inbound")];
    let partner = [rewrite_to("^\\+", "", "any")];
    let group = [rewrite_to("^1555", "1666", "inbound"), rewrite_to("^1666", "1777", "outbound")];
    let trunk: [Transformation; 0] = [];
    let endpoint = [rewrite_to("^1777", "1888", "inbound")];
    let sid = |n: u128| Uuid::from_u128(n);
    let hops = [
        Hop { object: "did", sid: sid(1), layers: vec![], transformations: &did },
        Hop { object: "partner", sid: sid(2), layers: vec![], transformations: &partner },
        Hop { object: "trunk_group", sid: sid(3), layers: vec![], transformations: &group },
        Hop { object: "trunk", sid: sid(4), layers: vec![], transformations: &trunk },
        Hop { object: "endpoint", sid: sid(5), layers: vec![], transformations: &endpoint },
    ];
    let mut c = call("inbound", "12125550100", "15552340000");
    let mut steps = Vec::new();
    assert_eq!(walk(&mut c, &hops, &HashMap::new(), &NoServices, &mut steps), None);
    // The outbound-only transformation of the group is skipped: four steps, in hop order.
    let seen: Vec<(&str, &str, &str)> = steps
        .iter()
        .map(|s| (s.object.as_str(), s.before.as_ref().unwrap().to.as_str(), s.after.as_ref().unwrap().to.as_str()))
        .collect();
    assert_eq!(
        seen,
        vec![
            ("did", "15552340000", "+15552340000"),
            ("partner", "+15552340000", "15552340000"),
            ("trunk_group", "15552340000", "16662340000"),
            ("endpoint", "16662340000", "16662340000"),
        ]
    );
    assert_eq!(c.to, "16662340000");
    assert_eq!(steps[2].index, Some(0));
}

#[test]
fn the_first_rejection_ends_the_walk() {
    let rule = Rule {
        sid: Uuid::from_u128(9),
        field: "calling".into(),
        operation: "prefix".into(),
        quantifier: "any".into(),
        entries: vec!["1212".into()],
    };
    let rules: HashMap<Uuid, Rule> = [(rule.sid, rule.clone())].into();
    let block = Acl {
        rules: vec![rule.sid],
        direction: "inbound".into(),
        voice_action_true: Some("reject503".into()),
        ..Default::default()
    };
    let allow =
        Acl { rules: vec![], direction: "any".into(), voice_action_false: Some("accept".into()), ..Default::default() };
    let after = [rewrite_to("^1", "9", "any")];
    let hops = [
        Hop {
            object: "partner",
            sid: Uuid::from_u128(1),
            layers: vec![(1, vec![allow]), (2, vec![])],
            transformations: &[],
        },
        Hop { object: "trunk_group", sid: Uuid::from_u128(2), layers: vec![(3, vec![block])], transformations: &after },
    ];
    let mut steps = Vec::new();
    let mut c = call("inbound", "12125550100", "15552340000");
    let r = walk(&mut c, &hops, &rules, &NoServices, &mut steps).expect("rejected");
    assert_eq!(r.sip_code, 503);
    let results: Vec<(&str, Option<u32>, &str)> =
        steps.iter().map(|s| (s.step.as_str(), s.layer, s.result.as_str())).collect();
    assert_eq!(results, vec![("acl", Some(1), "accept"), ("acl", Some(2), "none"), ("acl", Some(3), "reject503")]);
    assert_eq!(steps[2].rule_sid, Some(rule.sid));
    assert_eq!(c.to, "15552340000", "nothing after the rejection applies");
    // Another caller passes the same path, transformed.
    let mut steps = Vec::new();
    let mut c = call("inbound", "13105550100", "15552340000");
    assert_eq!(walk(&mut c, &hops, &rules, &NoServices, &mut steps), None);
    assert_eq!(c.to, "95552340000");
}

#[test]
fn a_reject_transformation_gives_its_sip_code() {
    let t = [Transformation { action: "reject".into(), direction: "any".into(), operands: vec!["busy-here".into()] }];
    let hops = [Hop { object: "endpoint", sid: Uuid::from_u128(5), layers: vec![], transformations: &t }];
    let mut steps = Vec::new();
    let r = walk(&mut call("outbound", "1", "2"), &hops, &HashMap::new(), &NoServices, &mut steps).unwrap();
    assert_eq!(r.sip_code, 486);
    assert_eq!(steps.len(), 1);
    assert_eq!(acl_code("reject403"), 403);
    assert_eq!(acl_code("reject503"), 503);
}
