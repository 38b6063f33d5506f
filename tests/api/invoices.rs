use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::common::*;

const INVOICE_KEYS: &[&str] = &[
    "amount",
    "amount_due",
    "amount_tax",
    "balance_forward",
    "balance_previous",
    "date_billing_period_end",
    "date_billing_period_start",
    "date_charge_expected",
    "date_charged",
    "date_created",
    "date_issued",
    "display_id",
    "invoice_items",
    "invoice_sid",
    "paid",
    "partner_sid",
    "pay_items",
    "status",
    "tax_items",
];

fn visa() -> Value {
    json!({"type":"visa", "cc_number":"4012888818888", "cc_expiration":"022030", "cc_cid":"318", "first_name":"John",
           "last_name":"Smith", "address1":"4300 E Pacific Coast Hwy", "city":"Los Angeles", "state":"CA",
           "zip":"90804", "country_code":"USA", "phone":"15162065574"})
}

fn check() -> Value {
    json!({"type":"check", "first_name":"John", "last_name":"Smith", "address1":"4300 E Pacific Coast Hwy",
           "city":"Los Angeles", "state":"CA", "zip":"90804", "country_code":"USA", "phone":"15162065574"})
}

async fn open_invoice(app: &TestApp, tok: &str) -> Value {
    let list = app.get("/core/v2/invoices?filter=status+eq+open").actor(bearer(tok)).ok().await;
    assert_eq!(list["total"], 1, "{list}");
    list["items"][0].clone()
}

async fn balance(app: &TestApp, partner: &Value) -> String {
    let p =
        app.get(&format!("/core/v2/partners/{}", partner["partner_sid"].as_str().unwrap())).actor(root()).ok().await;
    p["balance"].as_str().unwrap().to_owned()
}

/// Two numbers rented (0.6 and 1.25 a month) and three rated calls: 1.85 of rentals, 10.004
/// inbound, 3.333 outbound, all in the USA.
async fn usage(app: &TestApp, login: &str) -> (Value, String) {
    app.post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "15162065001"}, {"phonenumber": "15162065002", "price": "1.25"}]))
        .ok()
        .await;
    let (p, tok) = app.partner(&root(), login, None).await;
    for n in ["15162065001", "15162065002"] {
        app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({"phonenumber": n})).ok().await;
    }
    let sid = p["partner_sid"].as_str().unwrap();
    let cdr = |direction: &str, price: &str, seconds: &str, src: &str, dst: &str| {
        json!({"partner_sid": sid, "date_stop": "2026-11-20T10:00:00Z", "direction": direction, "price": price,
               "rate": "0.01", "duration_billing": seconds, "number_src": src, "number_dst": dst})
    };
    app.post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!([
            cdr("inbound", "6", "600", "12125550100", "15162065001"),
            cdr("inbound", "4.004", "400", "13125550100", "15162065002"),
            cdr("outbound", "3.333", "333", "15162065001", "14155550100"),
        ]))
        .ok()
        .await;
    (p, tok)
}

#[tokio::test]
async fn a_new_partner_has_its_open_invoice_in_the_sample_shape() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "invoiced", None).await;
    let list = app.get("/core/v2/invoices").actor(bearer(&tok)).ok().await;
    assert_eq!(keys(&list), ["count", "has_more", "items", "limit", "offset", "pagination", "total"]);
    assert_eq!(list["total"], 1);
    let inv = &list["items"][0];
    assert_eq!(keys(inv), INVOICE_KEYS);
    assert_eq!(inv["status"], "open");
    assert_eq!(inv["display_id"], "001");
    assert_eq!(inv["paid"], false);
    assert_eq!(inv["partner_sid"], p["partner_sid"]);
    for k in ["amount", "amount_due", "amount_tax"] {
        assert_eq!(inv[k], "0", "{k}");
    }
    // The partner's balance (5 by default) is its credit.
    assert_eq!((inv["balance_previous"].clone(), inv["balance_forward"].clone()), (json!("-5"), json!("-5")));
    assert_eq!((inv["date_charged"].clone(), inv["date_issued"].clone()), (Value::Null, Value::Null));
    assert_eq!(
        (inv["invoice_items"].clone(), inv["pay_items"].clone(), inv["tax_items"].clone()),
        (json!([]), json!([]), json!([]))
    );
    // A month from the day the partner was created, the end inclusive to the second.
    let created = p["date_created"].as_str().unwrap();
    let start = inv["date_billing_period_start"].as_str().unwrap();
    assert_eq!(start, format!("{}T00:00:00.000Z", &created[..10]));
    let end = chrono::DateTime::parse_from_rfc3339(inv["date_billing_period_end"].as_str().unwrap()).unwrap();
    let start_t = chrono::DateTime::parse_from_rfc3339(start).unwrap();
    assert_eq!(end, start_t + chrono::Months::new(1) - chrono::TimeDelta::seconds(1));
    assert_eq!(inv["date_charge_expected"], inv["date_billing_period_end"]);

    // Both paths, by SID, with related partner and field filtering.
    let path = format!("/core/v2/invoices/{}", inv["invoice_sid"].as_str().unwrap());
    let one = app.get(&path).actor(bearer(&tok)).ok().await;
    assert_eq!(&one, inv);
    let billing = app.get(&path.replace("/invoices/", "/billing/invoices/")).actor(bearer(&tok)).ok().await;
    assert_eq!(&billing, inv);
    assert_eq!(app.get("/core/v2/billing/invoices").actor(bearer(&tok)).ok().await, list);
    let related = app.get(&format!("{path}?with_related=true")).actor(bearer(&tok)).ok().await;
    assert_eq!(related["partner"]["partner_sid"], p["partner_sid"]);
    let some = app.get(&format!("{path}?include_fields=display_id,status")).actor(bearer(&tok)).ok().await;
    assert_eq!(some, json!({"display_id": "001", "status": "open"}));
    app.get("/core/v2/invoices?filter=colour+eq+1").actor(bearer(&tok)).send().await.assert_error(400, "filter");
    let bad = app.get("/core/v2/invoices/not-a-sid").actor(bearer(&tok)).send().await;
    assert!(bad.status.is_client_error(), "{}", bad.text());
}

#[tokio::test]
async fn rentals_and_rated_calls_accrue_on_the_open_invoice() {
    let app = TestApp::new().await;
    let (p, tok) = usage(&app, "accruer").await;
    // A toll-free number dialed: its own line.
    app.post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!({"partner_sid": p["partner_sid"], "date_stop": "2026-11-20T11:00:00Z", "direction": "outbound",
                     "price": "0.02", "rate": "0.01", "duration_billing": "120", "number_src": "15162065001",
                     "number_dst": "18005550100"}))
        .ok()
        .await;
    let inv = open_invoice(&app, &tok).await;
    let items = inv["invoice_items"].as_array().unwrap();
    let lines: Vec<(String, Value, Value, i64, String)> = items
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["direction"].clone(),
                i["country_code"].clone(),
                i["usage"].as_i64().unwrap(),
                i["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("did".into(), Value::Null, json!("USA"), 2, "1.85".into()),
            ("toll".into(), json!("inbound"), json!("USA"), 1000, "10.004".into()),
            ("toll".into(), json!("outbound"), json!("USA"), 333, "3.333".into()),
            ("toll_free".into(), json!("outbound"), json!("USA"), 120, "0.02".into()),
        ]
    );
    assert_eq!(
        keys(&items[0]),
        [
            "amount",
            "country_code",
            "date_billing_period_end",
            "date_billing_period_start",
            "direction",
            "type",
            "usage"
        ]
    );
    assert_eq!(items[0]["date_billing_period_start"], inv["date_billing_period_start"]);
    assert_eq!(inv["amount"], "15.207");
    assert_eq!(inv["balance_forward"], "10.207");
    // The balance moved with every charge, and so did today's spending.
    assert_eq!(balance(&app, &p).await, "-10.207");
    let partner =
        app.get(&format!("/core/v2/partners/{}", p["partner_sid"].as_str().unwrap())).actor(root()).ok().await;
    assert_eq!(partner["daily_spent_amount"], "15.207");
}

#[tokio::test]
async fn a_card_pays_the_issued_invoice_and_the_next_one_opens_with_the_rentals() {
    let app = TestApp::new().await;
    let (p, tok) = usage(&app, "cardholder").await;
    let sid = p["partner_sid"].as_str().unwrap();
    app.post(&format!("/core/v2/partners/{sid}/billing_method")).actor(bearer(&tok)).json(visa()).ok().await;
    let issued = app.post(&format!("/core/v2/admin/partners/{sid}/close_billing_period")).actor(root()).ok().await;
    assert_eq!(keys(&issued), INVOICE_KEYS);
    assert_eq!(issued["status"], "complete");
    assert_eq!(issued["paid"], true);
    // Lines rounded to the cent; 34.6 % federal USF on 15.18: 5.25.
    let amounts: Vec<&str> =
        issued["invoice_items"].as_array().unwrap().iter().map(|i| i["amount"].as_str().unwrap()).collect();
    assert_eq!(amounts, ["1.85", "10", "3.33"]);
    assert_eq!(issued["amount"], "15.18");
    assert_eq!(
        issued["tax_items"],
        json!([{"amount": "5.25", "jurisdiction": "federal", "type": "fed_universal_service_fund"}])
    );
    assert_eq!(issued["amount_tax"], "5.25");
    // Owed: -5 + 15.18 + 5.25 = 15.43, charged to the card.
    let pay = &issued["pay_items"][0];
    assert_eq!(
        keys(pay),
        ["amount", "billing_method", "check_number", "date_charged", "pay_item_sid", "status", "type"]
    );
    assert_eq!(
        (pay["amount"].clone(), pay["type"].clone(), pay["status"].clone()),
        (json!("15.43"), json!("credit_card"), json!("complete"))
    );
    assert_eq!(pay["billing_method"]["cc_number_last4"], "8888");
    assert!(pay["billing_method"].get("cc_number").is_none());
    assert_eq!((issued["amount_due"].clone(), issued["balance_forward"].clone()), (json!("0"), json!("0")));
    assert!(issued["date_issued"].is_string() && issued["date_charged"].is_string());
    // The next invoice: 002, the balance carried, this month's rentals on it.
    let next = open_invoice(&app, &tok).await;
    assert_eq!(next["display_id"], "002");
    assert_eq!(next["balance_previous"], "0");
    assert_eq!(next["invoice_items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (next["invoice_items"][0]["type"].clone(), next["invoice_items"][0]["usage"].clone()),
        (json!("did"), json!(2))
    );
    assert_eq!(next["amount"], "1.85");
    let end = chrono::DateTime::parse_from_rfc3339(issued["date_billing_period_end"].as_str().unwrap()).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339(next["date_billing_period_start"].as_str().unwrap()).unwrap();
    assert_eq!(start - end, chrono::TimeDelta::seconds(1));
    // Balance: the payment settled everything but the new month's rentals.
    assert_eq!(balance(&app, &p).await, "-1.85");
    let all = app.get("/core/v2/invoices?order=display_id").actor(bearer(&tok)).ok().await;
    assert_eq!(all["total"], 2);
    let issued_list = app.get("/core/v2/invoices?filter=paid+eq+true").actor(bearer(&tok)).ok().await;
    assert_eq!(issued_list["items"][0]["invoice_sid"], issued["invoice_sid"]);
}

#[tokio::test]
async fn a_check_leaves_the_invoice_pending_and_no_method_declines_it() {
    let app = TestApp::new().await;
    let (p, tok) = usage(&app, "checkwriter").await;
    let sid = p["partner_sid"].as_str().unwrap();
    app.post(&format!("/core/v2/partners/{sid}/billing_method")).actor(bearer(&tok)).json(check()).ok().await;
    let issued = app.post(&format!("/core/v2/admin/partners/{sid}/close_billing_period")).actor(root()).ok().await;
    assert_eq!((issued["status"].clone(), issued["paid"].clone()), (json!("pending"), json!(false)));
    assert_eq!((issued["amount_due"].clone(), issued["balance_forward"].clone()), (json!("15.43"), json!("15.43")));
    assert_eq!(issued["pay_items"], json!([]));
    assert_eq!(issued["date_charged"], Value::Null);
    let next = open_invoice(&app, &tok).await;
    assert_eq!(next["balance_previous"], "15.43");
    assert_eq!(next["balance_forward"], "17.28");
    assert_eq!(balance(&app, &p).await, "-17.28");

    // No billing method: declined.
    app.post("/core/v2/admin/dids").actor(root()).json(json!({"phonenumber": "15162065003"})).ok().await;
    let (q, qtok) = app.partner(&root(), "nomethod", None).await;
    app.post("/core/v2/phonenumber/dids").actor(bearer(&qtok)).json(json!({})).ok().await;
    app.post("/core/v2/admin/calls/call_drs")
        .actor(root())
        .json(json!({"partner_sid": q["partner_sid"], "date_stop": "2026-11-20T10:00:00Z", "direction": "outbound",
                     "price": "9.40", "duration_billing": "60", "number_dst": "14155550100"}))
        .ok()
        .await;
    let qsid = q["partner_sid"].as_str().unwrap();
    let declined = app.post(&format!("/core/v2/admin/partners/{qsid}/close_billing_period")).actor(root()).ok().await;
    // -5 + 10.00 + round(10.00 × 0.346) = 3.46 → 8.46 owed.
    assert_eq!((declined["status"].clone(), declined["amount_due"].clone()), (json!("declined"), json!("8.46")));
    assert_eq!(declined["amount_tax"], "3.46");

    // Nothing owed (the default credit covers it): complete without a payment.
    let (_, rtok) = app.partner(&root(), "idle", None).await;
    let r = open_invoice(&app, &rtok).await;
    let rsid = r["partner_sid"].as_str().unwrap();
    let done = app.post(&format!("/core/v2/admin/partners/{rsid}/close_billing_period")).actor(root()).ok().await;
    assert_eq!((done["status"].clone(), done["amount_due"].clone()), (json!("complete"), json!("0")));
    assert_eq!((done["pay_items"].clone(), done["tax_items"].clone()), (json!([]), json!([])));
    assert_eq!(open_invoice(&app, &rtok).await["balance_previous"], "-5");
    // Only the admin closes periods.
    let r = app.post(&format!("/core/v2/admin/partners/{rsid}/close_billing_period")).actor(bearer(&rtok)).send().await;
    assert_eq!(r.status.as_u16(), 403);
}

#[tokio::test]
async fn the_period_job_issues_ended_periods_once_on_any_instance() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "ended", None).await;
    let inv = open_invoice(&app, &tok).await;
    sqlx::query("UPDATE invoices SET date_billing_period_end = now() - interval '1 hour' WHERE invoice_sid = $1::uuid")
        .bind(inv["invoice_sid"].as_str().unwrap())
        .execute(&app.state.pool)
        .await
        .unwrap();
    let other = app.another_instance().await;
    let (a, b) = tokio::join!(
        carrierx_core::resources::invoices::periods::close_due(&app.state.pool),
        carrierx_core::resources::invoices::periods::close_due(&other.state.pool)
    );
    let closed: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    // The root partner's period has not ended: only this one is closed, by one of the two.
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].to_string(), p["partner_sid"].as_str().unwrap());
    let issued =
        app.get(&format!("/core/v2/invoices/{}", inv["invoice_sid"].as_str().unwrap())).actor(bearer(&tok)).ok().await;
    assert_eq!(issued["status"], "complete");
    assert_eq!(open_invoice(&app, &tok).await["display_id"], "002");
    assert!(carrierx_core::resources::invoices::periods::close_due(&app.state.pool).await.unwrap().is_none());
}

#[tokio::test]
async fn a_prepaid_account_is_topped_up_when_it_falls_below_charge_at() {
    let app = TestApp::new().await;
    app.post("/core/v2/admin/dids")
        .actor(root())
        .json(json!([{"phonenumber": "15162065011", "price": "4"}]))
        .ok()
        .await;
    let p = app
        .post("/core/v2/partners")
        .actor(root())
        .json(json!({"login": "prepaid", "password": "prepaid-password", "name": "prepaid", "payment_type": "prepay",
                     "charge_at": "2", "prepay_amount": "20"}))
        .ok()
        .await;
    let sid = p["partner_sid"].as_str().unwrap();
    let tok = app.token_for(&root(), sid, None).await;
    app.post(&format!("/core/v2/partners/{sid}/billing_method")).actor(bearer(&tok)).json(visa()).ok().await;
    app.post("/core/v2/phonenumber/dids").actor(bearer(&tok)).json(json!({})).ok().await;
    // 5 − 4 = 1 < 2: topped up by 20.
    assert_eq!(balance(&app, &p).await, "21");
    let inv = open_invoice(&app, &tok).await;
    let pay = &inv["pay_items"][0];
    assert_eq!(
        (pay["type"].clone(), pay["status"].clone(), pay["amount"].clone()),
        (json!("credit_card_prepay"), json!("complete"), json!("20"))
    );
    assert_eq!(inv["balance_forward"], "-21");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_charges_to_one_partner_lose_nothing() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "busy", None).await;
    let sid = p["partner_sid"].as_str().unwrap().to_owned();
    let mut handles = Vec::new();
    for i in 0..8 {
        let router = app.router.clone();
        let sid = sid.clone();
        handles.push(tokio::spawn(async move {
            let records: Vec<Value> = (0..10)
                .map(|j| {
                    json!({"partner_sid": sid, "date_stop": format!("2026-11-20T10:{i:02}:{j:02}Z"), "direction": "inbound",
                           "price": "0.011", "duration_billing": "60", "number_src": "12125550100"})
                })
                .collect();
            let req = axum::http::Request::post("/core/v2/admin/calls/call_drs")
                .header("authorization", format!("Bearer {ROOT_TOKEN}"))
                .header("content-type", "application/json")
                .body(axum::body::Body::from(serde_json::to_vec(&records).unwrap()))
                .unwrap();
            let resp = tower::ServiceExt::oneshot(router, req).await.unwrap();
            assert_eq!(resp.status(), 200);
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let inv = open_invoice(&app, &tok).await;
    assert_eq!(inv["invoice_items"][0]["usage"], 4800);
    assert_eq!(inv["invoice_items"][0]["amount"], "0.88");
    assert_eq!(balance(&app, &p).await, "4.12");
}

#[tokio::test]
async fn lookups_are_charged_per_detail() {
    let app = TestApp::new().await;
    app.get("/core/v2/lookup/dids/15162065319?carrier=true&cnam=true&lrn=true").actor(root()).ok().await;
    app.get("/core/v2/lookup/dids/15162065319?lrn=true").actor(root()).ok().await;
    app.get("/core/v2/lookup/dids/15162065319").actor(root()).ok().await;
    // Recorded at once, folded into the invoice by the job (run here by hand).
    assert_eq!(open_invoice(&app, ROOT_TOKEN).await["invoice_items"], json!([]));
    let mut tx = app.state.pool.begin().await.unwrap();
    let folded = carrierx_core::resources::invoices::accrual::fold_pending(&mut tx, None).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(folded.len(), 1);
    let inv = open_invoice(&app, ROOT_TOKEN).await;
    let lines: Vec<(String, i64, String)> = inv["invoice_items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_owned(),
                i["usage"].as_i64().unwrap(),
                i["amount"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            ("did_lookup_carrier".into(), 1, "0.004".into()),
            ("did_lookup_cnam".into(), 1, "0.005".into()),
            ("did_lookup_lrn".into(), 2, "0.002".into()),
        ]
    );
    assert_eq!(inv["invoice_items"][0]["country_code"], "USA");
    // A lookup charge still pending when the period closes lands on that period.
    app.get("/core/v2/lookup/dids/15162065319?lrn=true").actor(root()).ok().await;
    let root_sid = app.root_sid().await;
    let issued = app.post(&format!("/core/v2/admin/partners/{root_sid}/close_billing_period")).actor(root()).ok().await;
    let lrn =
        issued["invoice_items"].as_array().unwrap().iter().find(|i| i["type"] == "did_lookup_lrn").unwrap().clone();
    assert_eq!(lrn["usage"], 3);
}

#[tokio::test]
async fn the_html_and_pdf_renderings_show_the_invoice() {
    let app = TestApp::new().await;
    let (p, tok) = usage(&app, "renderer").await;
    let sid = p["partner_sid"].as_str().unwrap();
    app.patch(&format!("/core/v2/partners/{sid}"))
        .actor(root())
        .json(json!({"name": "Ünïcode <script>alert(1)</script> & Co"}))
        .ok()
        .await;
    app.post(&format!("/core/v2/partners/{sid}/billing_method")).actor(bearer(&tok)).json(visa()).ok().await;
    let issued = app.post(&format!("/core/v2/admin/partners/{sid}/close_billing_period")).actor(root()).ok().await;
    let path = format!("/core/v2/invoices/{}", issued["invoice_sid"].as_str().unwrap());

    let r = app.get(&format!("{path}.html")).actor(bearer(&tok)).send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.headers["content-type"], "text/html; charset=utf-8");
    let html = r.text();
    assert!(!html.contains("<script>alert"), "the partner's name is escaped");
    let dom = tl::parse(&html, tl::ParserOptions::default()).unwrap();
    let parser = dom.parser();
    let text_of = |sel: &str| -> String {
        let node = dom.query_selector(sel).unwrap().next().unwrap_or_else(|| panic!("{sel} in the HTML"));
        node.get(parser).unwrap().inner_text(parser).trim().to_owned()
    };
    assert_eq!(text_of("#display-id"), "001");
    assert_eq!(text_of("#status"), "complete");
    assert!(text_of("#partner-name").contains("Ünïcode &lt;script&gt;"), "{}", text_of("#partner-name"));
    assert_eq!(text_of("#period-start"), issued["date_billing_period_start"].as_str().unwrap());
    for (id, key) in [
        ("#amount", "amount"),
        ("#amount-tax", "amount_tax"),
        ("#balance-previous", "balance_previous"),
        ("#balance-forward", "balance_forward"),
        ("#amount-due", "amount_due"),
    ] {
        assert_eq!(text_of(id), issued[key].as_str().unwrap(), "{id}");
    }
    let rows: Vec<String> = dom
        .query_selector("tr.item")
        .unwrap()
        .map(|n| n.get(parser).unwrap().inner_text(parser).into_owned())
        .collect();
    assert_eq!(rows.len(), issued["invoice_items"].as_array().unwrap().len());
    for (row, item) in rows.iter().zip(issued["invoice_items"].as_array().unwrap()) {
        assert!(
            row.contains(item["type"].as_str().unwrap()) && row.contains(item["amount"].as_str().unwrap()),
            "{row}"
        );
    }
    assert_eq!(dom.query_selector("tr.tax").unwrap().count(), 1);
    assert_eq!(dom.query_selector("tr.payment").unwrap().count(), 1);

    let r = app.get(&format!("{path}.pdf")).actor(bearer(&tok)).send().await;
    assert_eq!(r.status.as_u16(), 200);
    assert_eq!(r.headers["content-type"], "application/pdf");
    assert_eq!(r.headers["content-disposition"], "attachment; filename=\"invoice_001.pdf\"");
    let text = pdf_text(&r.bytes);
    for needle in [
        "Invoice 001",
        "complete",
        sid,
        issued["date_billing_period_start"].as_str().unwrap(),
        "fed_universal_service_fund",
        "credit_card",
        "Ünïcode <script>alert(1)</script> & Co",
    ] {
        assert!(text.contains(needle), "{needle} in the PDF text:\n{text}");
    }
    for item in issued["invoice_items"].as_array().unwrap() {
        assert!(text.contains(item["amount"].as_str().unwrap()));
    }
    for key in ["amount", "amount_tax", "balance_forward", "amount_due"] {
        assert!(text.contains(issued[key].as_str().unwrap()), "{key}");
    }
}

/// The text of a PDF, extracted by poppler's `pdftotext` (`.ci/run` installs poppler-utils).
fn pdf_text(pdf: &[u8]) -> String {
    let path = std::env::temp_dir().join(format!("carrierx-invoice-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (apt-get install poppler-utils) extracts the PDF's text");
    let _ = std::fs::remove_file(&path);
    assert!(out.status.success(), "pdftotext: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A mail catcher on loopback: accepts one SMTP session and returns its envelope and data.
async fn smtp_catcher() -> (u16, tokio::task::JoinHandle<(Vec<String>, String)>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (r, mut w) = stream.into_split();
        let mut r = BufReader::new(r);
        w.write_all(b"220 catcher ESMTP\r\n").await.unwrap();
        let (mut rcpts, mut data, mut in_data) = (Vec::new(), String::new(), false);
        loop {
            let mut line = String::new();
            if r.read_line(&mut line).await.unwrap() == 0 {
                break;
            }
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    w.write_all(b"250 queued\r\n").await.unwrap();
                } else {
                    data.push_str(&line);
                }
                continue;
            }
            let upper = line.to_ascii_uppercase();
            if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                w.write_all(b"250-catcher\r\n250 8BITMIME\r\n").await.unwrap();
            } else if upper.starts_with("RCPT TO:") {
                rcpts.push(line[8..].trim().trim_matches(|c| c == '<' || c == '>').to_owned());
                w.write_all(b"250 ok\r\n").await.unwrap();
            } else if upper.starts_with("DATA") {
                in_data = true;
                w.write_all(b"354 go ahead\r\n").await.unwrap();
            } else if upper.starts_with("QUIT") {
                w.write_all(b"221 bye\r\n").await.unwrap();
                break;
            } else {
                w.write_all(b"250 ok\r\n").await.unwrap();
            }
        }
        (rcpts, data)
    });
    (port, handle)
}

#[tokio::test]
async fn invoices_are_mailed_through_smtp_with_their_attachment() {
    let (port, catcher) = smtp_catcher().await;
    let app = TestApp::with_config(|c| c.smtp_url = format!("smtp://127.0.0.1:{port}")).await;
    let (_, tok) = app.partner(&root(), "mailed", None).await;
    let inv = open_invoice(&app, &tok).await;
    let path = format!("/core/v2/invoices/{}", inv["invoice_sid"].as_str().unwrap());
    // Bad lists are refused, naming the address; nothing is queued.
    app.post(&format!("{path}.pdf/emails"))
        .actor(bearer(&tok))
        .form("emails=a%40x.com,not-an-address")
        .send()
        .await
        .assert_error(422, "emails");
    app.post(&format!("{path}.html/emails")).actor(bearer(&tok)).form("").send().await.assert_error(422, "emails");
    assert_eq!(app.get("/core/v2/admin/mails").actor(root()).ok().await["total"], 0);

    let r = app.post(&format!("{path}.pdf/emails")).actor(bearer(&tok)).form("emails=a%40x.com,b%40y.com").send().await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    let sent = carrierx_core::mail::deliver_due(&app.state.pool, &app.state.config).await.unwrap();
    assert_eq!(sent, 1);
    let (rcpts, data) = tokio::time::timeout(Duration::from_secs(10), catcher).await.unwrap().unwrap();
    assert_eq!(rcpts, ["a@x.com", "b@y.com"]);
    assert!(data.contains("Subject: CarrierX invoice 001 for mailed"), "{data}");
    assert!(data.contains("Content-Type: application/pdf"), "{data}");
    assert!(data.contains("filename=\"invoice_001.pdf\""), "{data}");
}

#[tokio::test]
async fn resending_goes_to_the_billing_email_and_html_is_attached_as_html() {
    let app = TestApp::new().await;
    let p = app
        .post("/core/v2/partners")
        .actor(root())
        .json(json!({"login": "biller", "password": "biller-password", "name": "biller",
                     "owner_email": "owner@example.com", "billing_email": "billing@example.com"}))
        .ok()
        .await;
    let tok = app.token_for(&root(), p["partner_sid"].as_str().unwrap(), None).await;
    let inv = open_invoice(&app, &tok).await;
    let path = format!("/core/v2/invoices/{}", inv["invoice_sid"].as_str().unwrap());
    let r = app.post(&format!("{path}/emails")).actor(bearer(&tok)).send().await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    let r =
        app.post(&format!("{path}.html/emails")).actor(bearer(&tok)).form("emails=someone%40example.org").send().await;
    assert_eq!(r.status.as_u16(), 204, "{}", r.text());
    let mails = app
        .get(&format!(
            "/core/v2/admin/mails?filter=partner_sid+eq+{}&order=date_created",
            p["partner_sid"].as_str().unwrap()
        ))
        .actor(root())
        .ok()
        .await;
    let invoice_mails: Vec<&Value> = mails["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["subject"].as_str().unwrap().contains("invoice"))
        .collect();
    assert_eq!(invoice_mails.len(), 2, "{mails}");
    assert_eq!(invoice_mails[0]["recipients"], json!(["billing@example.com"]));
    assert_eq!(invoice_mails[1]["recipients"], json!(["someone@example.org"]));
}

#[tokio::test]
async fn another_trees_invoice_and_its_documents_are_not_found() {
    let app = TestApp::new().await;
    let (_, tok) = app.partner(&root(), "mine", None).await;
    let (_, other) = app.partner(&root(), "theirs", None).await;
    let inv = open_invoice(&app, &tok).await;
    let base = inv["invoice_sid"].as_str().unwrap();
    for prefix in ["/core/v2/invoices", "/core/v2/billing/invoices"] {
        for suffix in ["", ".html", ".pdf"] {
            let r = app.get(&format!("{prefix}/{base}{suffix}")).actor(bearer(&other)).send().await;
            assert_eq!(r.status.as_u16(), 404, "{prefix}/{base}{suffix}");
            assert_eq!(r.json["message"], "no item error");
        }
        for suffix in ["", ".html", ".pdf"] {
            let r = app
                .post(&format!("{prefix}/{base}{suffix}/emails"))
                .actor(bearer(&other))
                .form("emails=x%40example.com")
                .send()
                .await;
            assert_eq!(r.status.as_u16(), 404, "{prefix}/{base}{suffix}/emails");
        }
    }
    assert_eq!(app.get("/core/v2/invoices").actor(bearer(&other)).ok().await["total"], 1);
    // The parent sees its children's; the admin routes see all.
    assert_eq!(app.get("/core/v2/invoices").actor(root()).ok().await["total"], 3);
    app.get(&format!("/core/v2/admin/invoices/{base}")).actor(root()).ok().await;
    app.get(&format!("/core/v2/admin/billing/invoices/{base}.pdf")).actor(root()).send().await;
    // The read scope is what every invoice route needs.
    let sid = inv["partner_sid"].as_str().unwrap();
    let no_invoices = app.token_for(&root(), sid, Some("partners.read")).await;
    assert_eq!(app.get("/core/v2/invoices").actor(bearer(&no_invoices)).send().await.status, 403);
    let reader = app.token_for(&root(), sid, Some("invoices.read")).await;
    let r = app
        .post(&format!("/core/v2/invoices/{base}.pdf/emails"))
        .actor(bearer(&reader))
        .form("emails=x%40example.com")
        .send()
        .await;
    assert_eq!(r.status.as_u16(), 204);
}

#[tokio::test]
async fn early_closes_keep_the_monthly_schedule() {
    let app = TestApp::new().await;
    let (p, tok) = app.partner(&root(), "scheduled", None).await;
    let sid = p["partner_sid"].as_str().unwrap();
    let first = open_invoice(&app, &tok).await;
    let scheduled_end = first["date_billing_period_end"].clone();
    for n in 2..=4 {
        let issued = app.post(&format!("/core/v2/admin/partners/{sid}/close_billing_period")).actor(root()).ok().await;
        let (start, end) = (
            issued["date_billing_period_start"].as_str().unwrap(),
            issued["date_billing_period_end"].as_str().unwrap(),
        );
        assert!(end >= start, "{issued}");
        let next = open_invoice(&app, &tok).await;
        assert_eq!(next["display_id"], format!("{n:03}"));
        // The rest of the scheduled month: the schedule does not move.
        assert_eq!(next["date_billing_period_end"], scheduled_end);
        assert!(next["date_billing_period_start"].as_str().unwrap() > end);
    }
}

#[tokio::test]
async fn periods_follow_the_creation_day_through_short_months() {
    let app = TestApp::new().await;
    let q = |anchor: &'static str, t: &'static str| {
        let pool = app.state.pool.clone();
        async move {
            let (s, e): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = sqlx::query_as(
                "SELECT billing_period_start($1::timestamptz, $2::timestamptz), billing_period_end($1::timestamptz, $2::timestamptz)",
            )
            .bind(anchor)
            .bind(t)
            .fetch_one(&pool)
            .await
            .unwrap();
            (s.to_rfc3339(), e.to_rfc3339())
        }
    };
    // Created on January 31st: February's period starts on the 28th, March's on the 31st again.
    assert_eq!(
        q("2026-01-31T00:00:00Z", "2026-02-10T12:00:00Z").await,
        ("2026-01-31T00:00:00+00:00".into(), "2026-02-27T23:59:59+00:00".into())
    );
    assert_eq!(
        q("2026-01-31T00:00:00Z", "2026-03-01T00:00:00Z").await,
        ("2026-02-28T00:00:00+00:00".into(), "2026-03-30T23:59:59+00:00".into())
    );
    assert_eq!(
        q("2026-01-31T00:00:00Z", "2026-04-02T00:00:00Z").await,
        ("2026-03-31T00:00:00+00:00".into(), "2026-04-29T23:59:59+00:00".into())
    );
    // The sample's period: December 20th to January 19th.
    assert_eq!(
        q("2018-12-20T00:00:00Z", "2019-01-19T23:59:59Z").await,
        ("2018-12-20T00:00:00+00:00".into(), "2019-01-19T23:59:59+00:00".into())
    );
}
