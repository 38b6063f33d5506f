//! Verification: codes sent by SMS through the messaging path (a number of this server receives
//! them like any message), and e-mail addresses confirmed by a link sent with a template through
//! the mail transport.

use uuid::Uuid;

use super::repo::{self, VerificationRow};
use super::types::{VerificationCode, VerificationEmail, VerificationEmailInput, CODE_TYPES};
use crate::domain::secrets;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::QueryParams;
use crate::http::input::{bad_emails, Maybe, Problems};
use crate::mail::{self, Mail};
use crate::resources::sms::types::SmsMessageInput;
use crate::resources::{did_groups, partners, sms};
use crate::state::AppState;

pub const DEFAULT_TEXT: &str = "Your verification code is";
pub const DEFAULT_CODE_LENGTH: usize = 4;
pub const MAX_CODE_LENGTH: usize = 32;

/// A random code of `length` characters of `kind` (one of [`CODE_TYPES`]).
pub fn code(kind: &str, length: usize) -> String {
    const DIGITS: &[u8] = b"0123456789";
    const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let alphabet: Vec<u8> = match kind {
        "alphabetical" => [LOWER, UPPER].concat(),
        "alphabetical_lower" => LOWER.to_vec(),
        "alphabetical_upper" => UPPER.to_vec(),
        "alphanumeric" => [DIGITS, LOWER, UPPER].concat(),
        "alphanumeric_lower" => [DIGITS, LOWER].concat(),
        "alphanumeric_upper" => [DIGITS, UPPER].concat(),
        _ => DIGITS.to_vec(),
    };
    // Rejection sampling: every character equally likely.
    let limit = 256 - 256 % alphabet.len();
    let mut out = String::with_capacity(length);
    while out.len() < length {
        for b in secrets::random_bytes(length * 2) {
            if (b as usize) < limit && out.len() < length {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// `POST /verification/sms`: a code sent from one of the caller's numbers (query arguments, as
/// the reference's sample sends them).
pub async fn send_code(state: &AppState, caller: &Caller, q: &QueryParams) -> ApiResult<VerificationCode> {
    let mut p = Problems::new();
    let length = match q.get("code_length").filter(|s| !s.is_empty()) {
        None => DEFAULT_CODE_LENGTH,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_CODE_LENGTH).contains(&n) => n,
            _ => {
                p.add("code_length", format!("must be an integer from 1 to {MAX_CODE_LENGTH}"));
                DEFAULT_CODE_LENGTH
            }
        },
    };
    let kind = q.get("code_type").filter(|s| !s.is_empty()).unwrap_or("numeric");
    if !CODE_TYPES.contains(&kind) {
        p.add("code_type", format!("must be one of {}", CODE_TYPES.join(", ")));
    }
    let allow_short_code = match q.get("allow_short_code").filter(|s| !s.is_empty()) {
        None => true,
        Some(v) => crate::domain::parse_bool(v).unwrap_or_else(|| {
            p.add("allow_short_code", "must be true or false");
            true
        }),
    };
    let group = q.get("did_group_sid").filter(|s| !s.is_empty());
    // With `allow_short_code` (the default), a short code of the DID group sends the code.
    let mut short_code = None;
    if let Some(g) = group {
        match Uuid::parse_str(g) {
            Ok(sid) => {
                let visible = did_groups::repo::get(&state.pool, sid).await?.filter(|g| caller.sees(&g.tree_path));
                if visible.is_none() {
                    return Err(ApiError::MissingItem(FieldError::new("did_group_sid", "cannot find did group")));
                }
                if allow_short_code {
                    short_code = crate::resources::short_codes::repo::in_group(&state.pool, sid).await?;
                }
            }
            Err(_) => p.add("did_group_sid", "must be a secure ID"),
        }
    }
    let code = code(kind, length);
    let text =
        format!("{} {code}", q.get("message").map(str::trim_end).filter(|s| !s.is_empty()).unwrap_or(DEFAULT_TEXT));
    let value = |k: &str| q.get(k).map(|v| Maybe::Value(v.to_owned())).unwrap_or_default();
    let (from, from_did) = match short_code {
        Some(c) => (Maybe::Value(c), Maybe::Absent),
        None => (value("from"), value("from_did")),
    };
    let input = SmsMessageInput {
        from,
        from_did,
        to: value("to"),
        to_did: value("to_did"),
        message: Maybe::Value(text),
        ..Default::default()
    };
    let row = sms::ops::send(state, caller, input, p).await?;
    Ok(VerificationCode { code, message_sid: row.message_sid })
}

/// `POST /verification/email`: a verification link mailed to `to_address` (or to the owner
/// e-mail of `partner_sid`, a partner of the caller's tree).
pub async fn send_email(
    state: &AppState,
    caller: &Caller,
    input: VerificationEmailInput,
    mut p: Problems,
) -> ApiResult<VerificationEmail> {
    let partner = match input.partner_sid.value().filter(|s| !s.is_empty()) {
        None => None,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(_) => Some(partners::ops::visible(state, caller, raw).await?),
            Err(_) => {
                p.add("partner_sid", "must be a secure ID");
                None
            }
        },
    };
    let to_address = match (input.to_address.value().filter(|s| !s.trim().is_empty()), &partner) {
        (Some(a), _) => {
            let bad = bad_emails(a);
            if !bad.is_empty() || a.contains(',') {
                p.add("to_address", "must be one e-mail address");
            }
            Some(a.trim().to_owned())
        }
        (None, Some(pt)) => match pt.row.owner_email.clone().filter(|e| !e.is_empty()) {
            Some(e) => Some(e),
            None => {
                p.add("partner_sid", "the partner has no owner_email to verify");
                None
            }
        },
        (None, None) => {
            if input.partner_sid.value().is_none() {
                p.add("to_address", "to_address or partner_sid is required");
            }
            None
        }
    };
    let base_url = input.base_url.value().cloned().unwrap_or_else(|| state.config.verification_base_url.clone());
    if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
        p.add("base_url", "must be an http(s) URL");
    }
    let template = match input.email_template_sid.value().filter(|s| !s.is_empty()) {
        None => repo::template_of_type(&state.pool, "email_address_verification").await?,
        Some(raw) => match Uuid::parse_str(raw) {
            Ok(sid) => {
                let t = repo::get_template(&state.pool, sid).await?;
                if t.is_none() {
                    p.add("email_template_sid", "cannot find email template");
                }
                t
            }
            Err(_) => {
                p.add("email_template_sid", "must be a secure ID");
                None
            }
        },
    };
    p.finish()?;
    let (Some(to_address), Some(template)) = (to_address, template) else {
        return Err(ApiError::internal("checked above"));
    };
    let token = Uuid::new_v4().to_string();
    let fill = |s: &str| s.replace("${base_url}", &base_url).replace("${uuid}", &token);
    let mail = Mail {
        partner_sid: Some(caller.partner_sid()),
        recipients: vec![to_address.clone()],
        subject: template.subject.clone(),
        body_text: fill(&template.text_body),
        body_html: template.html_body.as_deref().map(fill),
        attachment: None,
    };
    let row = VerificationRow {
        partner_sid: partner.map(|p| p.row.partner_sid),
        to_address,
        base_url,
        email_template_sid: template.template_sid,
        status: "sent_email".into(),
    };
    let mut tx = state.pool.begin().await?;
    repo::insert(&mut tx, &secrets::sha256(token.as_bytes()), caller.partner_sid(), &row).await?;
    mail::enqueue(&mut *tx, &mail).await?;
    tx.commit().await?;
    Ok(row.to_wire())
}

/// `GET /verification/email/tokens/{token}`: the address of the link's token is confirmed.
pub async fn verify_token(state: &AppState, token: &str) -> ApiResult<VerificationEmail> {
    repo::verify(&state.pool, &secrets::sha256(token.as_bytes()))
        .await?
        .map(|r| r.to_wire())
        .ok_or_else(|| ApiError::not_found("verification token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_have_their_length_and_alphabet() {
        for kind in CODE_TYPES {
            let c = code(kind, 12);
            assert_eq!(c.len(), 12);
            let ok = match *kind {
                "numeric" => c.bytes().all(|b| b.is_ascii_digit()),
                "alphabetical" => c.bytes().all(|b| b.is_ascii_alphabetic()),
                "alphabetical_lower" => c.bytes().all(|b| b.is_ascii_lowercase()),
                "alphabetical_upper" => c.bytes().all(|b| b.is_ascii_uppercase()),
                "alphanumeric" => c.bytes().all(|b| b.is_ascii_alphanumeric()),
                "alphanumeric_lower" => c.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()),
                _ => c.bytes().all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
            };
            assert!(ok, "{kind}: {c}");
        }
    }
}
