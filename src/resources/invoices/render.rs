//! The invoice as a document: HTML from a template (escaped), PDF drawn with `printpdf`. Both
//! show the partner, the period, every item, tax and payment, and the totals.

use std::sync::OnceLock;

use printpdf::{BuiltinFont, IndirectFontRef, Mm, PdfDocument, PdfDocumentReference, PdfLayerReference};
use serde::Serialize;

use super::types::Invoice;
use crate::http::error::{ApiError, ApiResult};

/// What a rendering shows of the partner.
#[derive(Clone, Debug, Serialize)]
pub struct PartnerView {
    pub name: String,
    pub company_name: Option<String>,
}

#[derive(Serialize)]
struct View<'a> {
    invoice: &'a Invoice,
    partner: &'a PartnerView,
}

fn templates() -> &'static minijinja::Environment<'static> {
    static ENV: OnceLock<minijinja::Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = minijinja::Environment::new();
        // The name ends in .html: every value is HTML-escaped.
        env.add_template("invoice.html", include_str!("../../../templates/invoice.html"))
            .expect("the invoice template parses");
        env
    })
}

pub fn html(invoice: &Invoice, partner: &PartnerView) -> ApiResult<String> {
    let t = templates().get_template("invoice.html").map_err(ApiError::internal)?;
    t.render(minijinja::value::Serde(View { invoice, partner })).map_err(ApiError::internal)
}

/// Writes lines top to bottom, starting new pages as they fill.
struct Writer {
    doc: PdfDocumentReference,
    layer: PdfLayerReference,
    regular: IndirectFontRef,
    bold: IndirectFontRef,
    y: f32,
}

const TOP: f32 = 280.0;
const BOTTOM: f32 = 20.0;
const LINE: f32 = 5.5;

impl Writer {
    fn new(title: &str) -> ApiResult<Writer> {
        let (doc, page, layer) = PdfDocument::new(title, Mm(210.0), Mm(297.0), "invoice");
        let regular = doc.add_builtin_font(BuiltinFont::Helvetica).map_err(ApiError::internal)?;
        let bold = doc.add_builtin_font(BuiltinFont::HelveticaBold).map_err(ApiError::internal)?;
        let layer = doc.get_page(page).get_layer(layer);
        Ok(Writer { doc, layer, regular, bold, y: TOP })
    }

    fn room(&mut self, lines: f32) {
        if self.y - lines * LINE < BOTTOM {
            let (page, layer) = self.doc.add_page(Mm(210.0), Mm(297.0), "invoice");
            self.layer = self.doc.get_page(page).get_layer(layer);
            self.y = TOP;
        }
    }

    /// One line of cells at the given x positions (mm); `bold` for headings.
    fn row(&mut self, cells: &[(f32, &str)], size: f32, bold: bool) {
        self.room(1.0);
        let font = if bold { &self.bold } else { &self.regular };
        for (x, text) in cells {
            self.layer.use_text(pdf_text(text), size, Mm(*x), Mm(self.y), font);
        }
        self.y -= LINE * size / 10.0;
    }

    fn gap(&mut self) {
        self.y -= LINE / 2.0;
    }
}

/// Text the builtin fonts can show (Windows-1252); anything else becomes `?`.
fn pdf_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if (c as u32) < 0x80 || ('\u{a0}'..='\u{ff}').contains(&c) || "–—‘’“”€…".contains(c) {
                c
            } else {
                '?'
            }
        })
        .collect()
}

pub fn pdf(invoice: &Invoice, partner: &PartnerView) -> ApiResult<Vec<u8>> {
    let mut w = Writer::new(&format!("Invoice {}", invoice.display_id))?;
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    w.row(&[(20.0, &format!("Invoice {}", invoice.display_id))], 18.0, true);
    w.gap();
    w.row(&[(20.0, "Partner"), (70.0, &partner.name)], 10.0, false);
    if let Some(c) = &partner.company_name {
        w.row(&[(20.0, "Company"), (70.0, c)], 10.0, false);
    }
    w.row(&[(20.0, "Partner ID"), (70.0, &invoice.partner_sid.to_string())], 10.0, false);
    w.row(&[(20.0, "Invoice ID"), (70.0, &invoice.invoice_sid.to_string())], 10.0, false);
    w.row(&[(20.0, "Status"), (70.0, &invoice.status)], 10.0, false);
    let period = format!("{} - {}", invoice.date_billing_period_start.wire(), invoice.date_billing_period_end.wire());
    w.row(&[(20.0, "Billing period"), (70.0, &period)], 10.0, false);
    let issued = invoice.date_issued.map(|t| t.wire()).unwrap_or_else(|| "not yet".into());
    w.row(&[(20.0, "Issued"), (70.0, &issued)], 10.0, false);

    w.gap();
    w.row(&[(20.0, "Charges")], 12.0, true);
    w.row(&[(20.0, "Type"), (65.0, "Direction"), (95.0, "Country"), (125.0, "Usage"), (160.0, "Amount")], 10.0, true);
    for item in &invoice.invoice_items {
        w.row(
            &[
                (20.0, &item.kind),
                (65.0, &opt(&item.direction)),
                (95.0, &opt(&item.country_code)),
                (125.0, &item.usage.to_string()),
                (160.0, &item.amount.wire()),
            ],
            10.0,
            false,
        );
    }
    w.gap();
    w.row(&[(20.0, "Taxes")], 12.0, true);
    w.row(&[(20.0, "Jurisdiction"), (65.0, "Type"), (160.0, "Amount")], 10.0, true);
    for tax in &invoice.tax_items {
        w.row(&[(20.0, &tax.jurisdiction), (65.0, &tax.kind), (160.0, &tax.amount.wire())], 10.0, false);
    }
    w.gap();
    w.row(&[(20.0, "Payments")], 12.0, true);
    w.row(&[(20.0, "Date"), (75.0, "Type"), (125.0, "Status"), (160.0, "Amount")], 10.0, true);
    for pay in &invoice.pay_items {
        w.row(
            &[(20.0, &pay.date_charged.wire()), (75.0, &pay.kind), (125.0, &pay.status), (160.0, &pay.amount.wire())],
            10.0,
            false,
        );
    }
    w.gap();
    w.row(&[(20.0, "Totals")], 12.0, true);
    for (label, value) in [
        ("Previous balance", &invoice.balance_previous),
        ("Charges", &invoice.amount),
        ("Taxes", &invoice.amount_tax),
        ("Balance forward", &invoice.balance_forward),
        ("Amount due", &invoice.amount_due),
    ] {
        w.row(&[(20.0, label), (160.0, &value.wire())], 10.0, false);
    }
    w.doc.save_to_bytes().map_err(ApiError::internal)
}
