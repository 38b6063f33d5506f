//! SMS and MMS: the type a message takes and the segments its text is billed as, by the real
//! encoding rules. A text in the GSM 03.38 alphabet (7-bit) fits 160 characters in one segment and
//! 153 a part when split (its extension characters `^{}\[~]|€` and form feed take two); any other
//! character makes the whole text UCS-2: 70 UTF-16 units in one segment, 67 a part (a character
//! outside the Basic Multilingual Plane takes two). A character is never split across parts. An
//! MMS is one segment whatever its text.

/// How a text is carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Gsm7,
    Ucs2,
}

/// The type of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    Sms,
    Mms,
}

impl MessageType {
    /// A message with media or group recipients goes out as MMS, any other as SMS.
    pub fn of(has_media: bool, has_group_recipients: bool) -> MessageType {
        if has_media || has_group_recipients {
            MessageType::Mms
        } else {
            MessageType::Sms
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Sms => "sms",
            MessageType::Mms => "mms",
        }
    }
}

/// The GSM 03.38 default alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// Its extension table (an escape and a septet: two each).
const GSM7_EXTENSION: &str = "^{}\\[~]|€\u{c}";

/// The septets a character takes in GSM-7, `None` when the alphabet lacks it.
fn gsm7_cost(c: char) -> Option<u32> {
    if GSM7_BASIC.contains(c) {
        Some(1)
    } else if GSM7_EXTENSION.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The encoding `text` needs.
pub fn encoding(text: &str) -> Encoding {
    if text.chars().all(|c| gsm7_cost(c).is_some()) {
        Encoding::Gsm7
    } else {
        Encoding::Ucs2
    }
}

/// The segments an SMS with `text` is sent (and billed) as; an empty text is one.
pub fn segments(text: &str) -> u32 {
    let (cost, single, part): (fn(char) -> u32, u32, u32) = match encoding(text) {
        Encoding::Gsm7 => (|c| gsm7_cost(c).unwrap_or(2), 160, 153),
        Encoding::Ucs2 => (|c| c.len_utf16() as u32, 70, 67),
    };
    let total: u32 = text.chars().map(cost).sum();
    if total <= single {
        return 1;
    }
    // Parts fill in order; a character that does not fit in what is left of a part opens the next.
    let (mut parts, mut used) = (1, 0);
    for c in text.chars() {
        let n = cost(c);
        if used + n > part {
            parts += 1;
            used = 0;
        }
        used += n;
    }
    parts
}

/// The segments of a message: an MMS is one.
pub fn message_segments(kind: MessageType, text: &str) -> u32 {
    match kind {
        MessageType::Mms => 1,
        MessageType::Sms => segments(text),
    }
}

#[cfg(test)]
mod tests;
