use super::*;
use proptest::prelude::*;

fn one(path: &str, op: Op, text: &str, quoted: bool) -> Condition {
    Condition {
        path: path.split('.').map(str::to_owned).collect(),
        op,
        value: Operand::One(Literal { text: text.into(), quoted }),
    }
}

#[test]
fn the_reference_examples() {
    assert_eq!(parse("type eq conference").unwrap(), vec![one("type", Op::Eq, "conference", false)]);
    assert_eq!(
        parse("state eq \"NY\" and phonenumber like \"%555%\"").unwrap(),
        vec![one("state", Op::Eq, "NY", true), one("phonenumber", Op::Like, "%555%", true)]
    );
    assert_eq!(parse("addresses.ip eq \"1.1.2.13\"").unwrap(), vec![one("addresses.ip", Op::Eq, "1.1.2.13", true)]);
    assert_eq!(parse("name eq 'filter value name'").unwrap(), vec![one("name", Op::Eq, "filter value name", true)]);
    assert_eq!(parse("capabilities bit 4").unwrap(), vec![one("capabilities", Op::Bit, "4", false)]);
    let c = parse("status in (active, \"suspended\")").unwrap();
    assert_eq!(
        c[0].value,
        Operand::List(vec![
            Literal { text: "active".into(), quoted: false },
            Literal { text: "suspended".into(), quoted: true }
        ])
    );
    assert_eq!(parse("status notin (active)").unwrap()[0].op, Op::Notin);
    assert_eq!(parse("name ILIKE AccOUnt%").unwrap(), vec![one("name", Op::Ilike, "AccOUnt%", false)]);
    assert!(parse("").unwrap().is_empty());
}

#[test]
fn an_unencoded_plus_in_an_offset_is_restored() {
    let c = parse("date_stop ge 2024-10-30T00:00:00 05:00 and date_stop lt 2024-10-31").unwrap();
    assert_eq!(c[0], one("date_stop", Op::Ge, "2024-10-30T00:00:00+05:00", false));
    assert_eq!(c[1], one("date_stop", Op::Lt, "2024-10-31", false));
}

#[test]
fn malformed_filters_say_why() {
    for bad in [
        "name",
        "name eq",
        "name foo bar",
        "name eq a or b eq c",
        "name eq a and",
        "name eq \"open",
        "status in (a, b",
        ".x eq 1",
        "a eq 1 b eq 2",
        "1name eq 2",
    ] {
        assert!(parse(bad).is_err(), "{bad}");
    }
}

fn literal_strategy() -> impl Strategy<Value = Literal> {
    prop_oneof![
        "[A-Za-z0-9_%:.@-]{1,12}"
            .prop_filter("bare words that read as keywords", |s| !s.eq_ignore_ascii_case("and"))
            .prop_map(|text| Literal { text, quoted: false }),
        "[ -~]{0,12}".prop_map(|text| Literal { text, quoted: true }),
    ]
}

fn condition_strategy() -> impl Strategy<Value = Condition> {
    (
        proptest::collection::vec("[a-z_][a-z0-9_]{0,8}", 1..3),
        proptest::sample::select(Op::ALL.to_vec()),
        prop_oneof![
            literal_strategy().prop_map(Operand::One),
            proptest::collection::vec(literal_strategy(), 1..4).prop_map(Operand::List),
        ],
    )
        .prop_map(|(path, op, value)| Condition { path, op, value })
}

proptest! {
    #[test]
    fn printed_conditions_parse_back(conds in proptest::collection::vec(condition_strategy(), 1..4)) {
        let text = conds.iter().map(|c| c.to_string()).collect::<Vec<_>>().join(" and ");
        prop_assert_eq!(parse(&text).unwrap(), conds);
    }

    #[test]
    fn any_input_parses_or_errs_without_panic(s in "\\PC{0,40}") {
        let _ = parse(&s);
    }
}
