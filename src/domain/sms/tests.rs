use super::*;

#[test]
fn a_gsm7_text_fits_160_characters_in_one_segment_and_153_a_part() {
    assert_eq!(segments(""), 1);
    assert_eq!(segments(&"a".repeat(160)), 1);
    assert_eq!(segments(&"a".repeat(161)), 2);
    assert_eq!(segments(&"a".repeat(306)), 2);
    assert_eq!(segments(&"a".repeat(307)), 3);
    assert_eq!(encoding("Hello @ £5, Ñoño ¿sì? Ça va"), Encoding::Gsm7);
    // Accents the alphabet lacks (í, ú) are not GSM-7.
    assert_eq!(encoding("sí"), Encoding::Ucs2);
}

#[test]
fn extension_characters_take_two_septets_and_are_never_split() {
    assert_eq!(encoding("price: 10€ [x] {y}"), Encoding::Gsm7);
    assert_eq!(segments(&"€".repeat(80)), 1);
    assert_eq!(segments(&"€".repeat(81)), 2);
    // 152 septets, then a two-septet character: it opens the second part.
    let text = format!("{}€{}", "a".repeat(152), "a".repeat(10));
    assert_eq!(segments(&text), 2);
    let text = format!("{}€{}", "a".repeat(152), "a".repeat(152));
    assert_eq!(segments(&text), 3);
}

#[test]
fn any_other_character_makes_the_text_ucs2_at_70_or_67_a_part() {
    assert_eq!(encoding("naïve café"), Encoding::Ucs2);
    assert_eq!(segments(&"ï".repeat(70)), 1);
    assert_eq!(segments(&"ï".repeat(71)), 2);
    assert_eq!(segments(&"ï".repeat(134)), 2);
    assert_eq!(segments(&"ï".repeat(135)), 3);
    // One character outside GSM-7 turns a 100-character text into two UCS-2 parts.
    assert_eq!(segments(&format!("{}ï", "a".repeat(99))), 2);
}

#[test]
fn characters_outside_the_bmp_take_two_units_and_are_never_split() {
    assert_eq!(segments(&"😀".repeat(35)), 1);
    assert_eq!(segments(&"😀".repeat(36)), 2);
    // 66 units then a surrogate pair: it opens the second part.
    assert_eq!(segments(&format!("{}😀{}", "ï".repeat(66), "ï".repeat(60))), 2);
}

#[test]
fn media_or_group_recipients_make_an_mms_of_one_segment() {
    assert_eq!(MessageType::of(false, false), MessageType::Sms);
    assert_eq!(MessageType::of(true, false), MessageType::Mms);
    assert_eq!(MessageType::of(false, true), MessageType::Mms);
    assert_eq!(message_segments(MessageType::Mms, &"a".repeat(1600)), 1);
    assert_eq!(message_segments(MessageType::Sms, &"a".repeat(1600)), 11);
    assert_eq!(MessageType::Mms.as_str(), "mms");
}
