//! Verification: codes by SMS through the messaging path, e-mail links, templates.

use std::time::Duration;

use serde_json::{json, Value};

use crate::common::*;

#[tokio::test]
async fn a_code_is_sent_by_sms_and_received_by_a_number_of_this_server() {
    let app = TestApp::new().await;
    let (_, a) = app.partner(&root(), "verify_sender", None).await;
    let (_, b) = app.partner(&root(), "verify_user", None).await;
    let (a, b) = (bearer(&a), bearer(&b));
    app.rent_numbers(&a, &["15162065574"], 31).await;
    app.rent_numbers(&b, &["18057224756"], 31).await;
    let _net = app.network();
    // The reference's sample call: query arguments, no body.
    let r = app
        .post("/core/v2/verification/sms?from=15162065574&to=18057224756&message=Your+verification+code+is+")
        .actor(a.clone())
        .send()
        .await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(keys(&r.json), vec!["code", "message_sid"]);
    let code = r.json["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 4);
    assert!(code.bytes().all(|c| c.is_ascii_digit()));
    let sent = app
        .get(&format!("/core/v2/sms/messages/{}", r.json["message_sid"].as_str().unwrap()))
        .actor(a.clone())
        .ok()
        .await;
    assert_eq!(sent["message"], format!("Your verification code is {code}"));
    assert_eq!(sent["direction"], "outbound");
    // The user's number received it.
    let got = eventually(Duration::from_secs(20), "the code arrives", || async {
        let l = app.get("/core/v2/sms/messages").actor(b.clone()).ok().await;
        (l["count"] == 1).then(|| l["items"][0].clone())
    })
    .await;
    assert_eq!(got["message"], format!("Your verification code is {code}"));
    // Lengths and types.
    let r = app
        .post("/core/v2/verification/sms?from=15162065574&to=18057224756&code_length=8&code_type=alphabetical_upper")
        .actor(a.clone())
        .ok()
        .await;
    let code = r["code"].as_str().unwrap();
    assert!(code.len() == 8 && code.bytes().all(|c| c.is_ascii_uppercase()), "{code}");
    let r = app
        .post("/core/v2/verification/sms?from=15162065574&code_length=0&code_type=emoji&allow_short_code=maybe")
        .actor(a.clone())
        .send()
        .await;
    assert_eq!(r.status, 422);
    let mut fields: Vec<&str> =
        r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, vec!["allow_short_code", "code_length", "code_type", "to"]);
    app.post("/core/v2/verification/sms?from=15160000000&to=18057224756")
        .actor(a.clone())
        .send()
        .await
        .assert_error(404, "from");
    let other = app.partner_with(&["verification.read"]).await;
    app.post("/core/v2/verification/sms?from=15162065574&to=18057224756")
        .actor(other)
        .send()
        .await
        .assert_error(403, "cause");
}

#[tokio::test]
async fn an_email_address_is_verified_by_the_link_in_its_mail() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "verify_mail", None).await;
    let tok = bearer(&tok);
    let v = app
        .post("/core/v2/verification/email")
        .actor(tok.clone())
        .json(json!({"to_address": "jsmith@example.com"}))
        .ok()
        .await;
    assert_eq!(
        v,
        json!({"base_url": "https://www.carrierx.com/confirmed", "email_template_sid": "3e9e8c56-e1ee-4dcf-9e2b-abbd101139ba",
               "partner_sid": null, "status": "sent_email", "to_address": "jsmith@example.com"})
    );
    let mails = app.get("/core/v2/admin/mails?filter=recipients+eq+%22jsmith@example.com%22").actor(root()).ok().await;
    let text = mails["items"][0]["body_text"].as_str().unwrap().to_owned();
    let token = text.split("?token=").nth(1).unwrap().split_whitespace().next().unwrap().to_owned();
    assert!(text.contains("https://www.carrierx.com/confirmed?token="), "{text}");
    let verified = app.get(&format!("/core/v2/verification/email/tokens/{token}")).actor(tok.clone()).ok().await;
    assert_eq!(verified["status"], "verified");
    assert_eq!(verified["to_address"], "jsmith@example.com");
    assert_eq!(app.get("/core/v2/verification/email/tokens/not-a-token").actor(tok.clone()).send().await.status, 404);
    // By partner: its owner e-mail, and a base URL of the application's.
    let psid = p["partner_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/partners/{psid}"))
        .actor(tok.clone())
        .json(json!({"owner_email": "owner@example.com"}))
        .ok()
        .await;
    let v = app
        .post("/core/v2/verification/email")
        .actor(tok.clone())
        .json(json!({"partner_sid": psid, "base_url": "http://localhost:3000/confirm"}))
        .ok()
        .await;
    assert_eq!(v["to_address"], "owner@example.com");
    assert_eq!(v["partner_sid"], psid);
    // Bad input named; a stranger's partner is not found.
    let r = app
        .post("/core/v2/verification/email")
        .actor(tok.clone())
        .json(json!({"base_url": "mailto:x", "email_template_sid": "3e9e8c56-0000-4dcf-9e2b-abbd101139ba"}))
        .send()
        .await;
    assert_eq!(r.status, 422);
    let mut fields: Vec<&str> =
        r.json["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort();
    assert_eq!(fields, vec!["base_url", "email_template_sid", "to_address"]);
    let (stranger, _) = app.partner(&root(), "verify_stranger", None).await;
    let r = app
        .post("/core/v2/verification/email")
        .actor(tok.clone())
        .json(json!({"partner_sid": stranger["partner_sid"]}))
        .send()
        .await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn the_system_templates_are_listed_as_the_reference_shows() {
    let app = TestApp::new().await;
    let reader = app.partner_with(&["verification.read"]).await;
    let list =
        app.get("/core/v2/verification/email/templates?exclude_fields=html_body").actor(reader.clone()).ok().await;
    assert_eq!(list["limit"], 1000);
    assert_eq!(list["total"], 7);
    let first = &list["items"][0];
    assert_eq!(
        keys(first),
        vec![
            "bcc_addresses",
            "cc_addresses",
            "from_address",
            "name",
            "subject",
            "template_sid",
            "text_body",
            "to_addresses",
            "type"
        ]
    );
    assert_eq!(first["name"], "Email Verification template");
    assert_eq!(first["template_sid"], "3e9e8c56-e1ee-4dcf-9e2b-abbd101139ba");
    assert_eq!(first["type"], "email_address_verification");
    assert_eq!(first["from_address"], "noreply@carrierx.com");
    assert!(first["text_body"].as_str().unwrap().contains("${base_url}?token=${uuid}"));
    let second = &list["items"][1];
    assert_eq!(second["name"], "Forgot Partner Password template");
    assert_eq!(second["template_sid"], "465eb46b-05a7-4251-b89c-e99f2b81509b");
    let one = app
        .get("/core/v2/verification/email/templates/465eb46b-05a7-4251-b89c-e99f2b81509b?exclude_fields=html_body")
        .actor(reader.clone())
        .ok()
        .await;
    assert_eq!(&one, second);
    let types: Vec<Value> = list["items"].as_array().unwrap().iter().map(|t| t["type"].clone()).collect();
    assert_eq!(types.len(), 7);
    let r = app
        .get("/core/v2/verification/email/templates/00000000-0000-0000-0000-000000000000")
        .actor(reader)
        .send()
        .await;
    assert_eq!(r.status, 404);
}
