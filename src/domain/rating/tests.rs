use super::*;

fn item(prefix: Option<&str>, price: &str, inc: i32, min: i32) -> RateItem {
    RateItem {
        prefix: prefix.map(str::to_owned),
        price: price.parse().unwrap(),
        billing_increment: inc,
        billing_minimum: min,
    }
}

#[test]
fn the_longest_prefix_wins() {
    let items = vec![
        item(None, "0.01", 60, 60),
        item(Some("1"), "0.005", 6, 6),
        item(Some("1516"), "0.004", 1, 1),
        item(Some("44"), "0.02", 60, 60),
    ];
    assert_eq!(best(&items, "15162065575").unwrap().price.to_string(), "0.004");
    assert_eq!(best(&items, "12125550100").unwrap().price.to_string(), "0.005");
    assert_eq!(best(&items, "442071234567").unwrap().price.to_string(), "0.02");
    assert_eq!(best(&items, "33142000000").unwrap().price.to_string(), "0.01");
    assert!(best(&items[1..2], "44").is_none());
}

#[test]
fn minimums_and_increments() {
    let d = |s: &str| s.parse::<Decimal>().unwrap();
    // 60/60: a 4.25 s call bills a minute.
    assert_eq!(bill(d("4.25015"), &item(None, "0.0005", 60, 60)), (d("60"), d("0.0005")));
    // 6/6: 61 s rounds up to 66 s.
    assert_eq!(bill(d("61"), &item(None, "0.01", 6, 6)), (d("66"), d("0.011")));
    // 30 s minimum, then whole seconds.
    assert_eq!(bill(d("12.2"), &item(None, "0.06", 1, 30)), (d("30"), d("0.03")));
    assert_eq!(bill(d("45.1"), &item(None, "0.06", 1, 30)), (d("46"), d("0.046")));
    // No increment: the exact length above the minimum.
    assert_eq!(bill(d("90.5"), &item(None, "0.6", 0, 60)), (d("90.5"), d("0.905")));
    // Unanswered or empty calls cost nothing.
    assert_eq!(bill(d("0"), &item(None, "1", 60, 60)), (d("0"), d("0")));
}

#[test]
fn the_prefix_index_rates_as_the_items_do() {
    let plans = [
        vec![
            item(Some("1"), "1", 1, 1),
            item(Some("1760"), "2", 1, 1),
            item(Some("17605"), "3", 1, 1),
            item(None, "9", 1, 1),
        ],
        vec![item(Some("44"), "4", 1, 1), item(Some("4420"), "5", 1, 1)],
        vec![item(None, "7", 1, 1)],
        vec![],
    ];
    let numbers = ["17605692222", "17601234567", "12125550100", "442071234567", "447911123456", "33123456789", "1"];
    for items in plans {
        let index = PrefixIndex::new(items.clone());
        for n in numbers {
            assert_eq!(index.best(n), best(&items, n), "{n} in {items:?}");
        }
    }
}
