use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use uuid::Uuid;

use super::periods;
use super::render::{self, PartnerView};
use super::repo::{self, InvoiceRow};
use super::types::Invoice;
use crate::cache::Cached;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, ApiResult, FieldError};
use crate::http::extract::{parse_sid, FormBody, PathParams, QueryParams};
use crate::http::input::{bad_emails, is_email};
use crate::http::listing::{ListQuery, Page, RequestUrl};
use crate::http::respond;
use crate::mail::{self, Mail};
use crate::resources::partners;
use crate::resources::shared::{cached, find_visible, respond_cached};
use crate::state::AppState;

/// The three documents of an invoice path: `{sid}`, `{sid}.html`, `{sid}.pdf`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Html,
    Pdf,
}

fn split(raw: &str) -> (&str, Format) {
    if let Some(sid) = raw.strip_suffix(".html") {
        (sid, Format::Html)
    } else if let Some(sid) = raw.strip_suffix(".pdf") {
        (sid, Format::Pdf)
    } else {
        (raw, Format::Json)
    }
}

/// An invoice as its object shows it (its lines with it), cached by secure ID: a change of the
/// invoice or of any of its lines is announced for the invoice (migration 0023).
pub struct InvoiceView {
    tree_path: String,
    invoice: Invoice,
}

impl crate::cache::Cacheable for InvoiceView {
    const TABLE: &'static str = "invoices";
}

impl crate::resources::shared::Owned for InvoiceView {
    fn tree_path(&self) -> &str {
        &self.tree_path
    }
}

async fn find_view(state: &AppState, caller: &Caller, sid: &str) -> ApiResult<std::sync::Arc<Cached<InvoiceView>>> {
    find_visible(caller, sid, "invoice", |sid| {
        cached(state, sid, |sid| async move {
            let Some(row) = repo::get(&state.pool, sid).await? else { return Ok(None) };
            let mut lines = repo::lines(&mut *state.pool.acquire().await?, &[row.id]).await?;
            let invoice = row.to_wire(&mut lines);
            Ok(Some(InvoiceView { tree_path: row.tree_path, invoice }))
        })
    })
    .await
}

async fn wire(state: &AppState, caller: &Caller, rows: Vec<InvoiceRow>, related: bool) -> ApiResult<Vec<Invoice>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut lines = repo::lines(&mut *state.pool.acquire().await?, &ids).await?;
    let items = rows.iter().map(|r| r.to_wire(&mut lines)).collect();
    partners::ops::with_related(state, caller.admin, related, items).await
}

async fn partner_view(state: &AppState, partner: Uuid) -> ApiResult<(PartnerView, Option<String>)> {
    let p = partners::ops::find(state, partner).await?.ok_or_else(|| ApiError::not_found("partner"))?;
    let row = &p.row;
    let view = PartnerView {
        name: row.name.clone().unwrap_or_else(|| row.login.clone()),
        company_name: row.company_name.clone(),
    };
    let to = row
        .billing_email
        .clone()
        .filter(|e| !e.is_empty())
        .or_else(|| row.owner_email.clone().filter(|e| !e.is_empty()));
    Ok((view, to))
}

pub async fn list_invoices(State(state): State<AppState>, caller: Caller, url: RequestUrl) -> ApiResult<Response> {
    let q = ListQuery::parse(&url.query, &repo::LIST)?;
    let related = url.query.with_related()?;
    let page = repo::list(&state.pool, caller.tenancy(), &q).await?;
    let items = wire(&state, &caller, page.items, related).await?;
    respond::list(Page { items, has_more: page.has_more, total: page.total }, &q, &url, "invoice_sid")
}

/// `GET /invoices/{invoice_sid}`, and its `.html` and `.pdf` renderings.
pub async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    query: QueryParams,
) -> ApiResult<Response> {
    let (sid, format) = split(&raw);
    let view = find_view(&state, &caller, sid).await?;
    if format == Format::Json {
        if query.with_related()? {
            let item = view.invoice.clone();
            return respond::object(
                &partners::ops::with_related(&state, caller.admin, true, vec![item]).await?[0],
                &query,
            );
        }
        return respond_cached(&view, &query, |v| v.invoice.clone());
    }
    let invoice = view.invoice.clone();
    match format {
        Format::Json => respond::object(&invoice, &query),
        Format::Html => {
            let (partner, _) = partner_view(&state, invoice.partner_sid).await?;
            let html = render::html(&invoice, &partner)?;
            Ok(([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
        }
        Format::Pdf => {
            let (partner, _) = partner_view(&state, invoice.partner_sid).await?;
            let invoice_for_pdf = invoice.clone();
            let pdf = tokio::task::spawn_blocking(move || render::pdf(&invoice_for_pdf, &partner))
                .await
                .map_err(ApiError::internal)??;
            let disposition = format!("attachment; filename=\"invoice_{}.pdf\"", invoice.display_id);
            Ok((
                [(header::CONTENT_TYPE, "application/pdf".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
                pdf,
            )
                .into_response())
        }
    }
}

/// `POST /invoices/{invoice_sid}.html/emails` and `.pdf/emails` (to the `emails` of the form),
/// `POST /invoices/{invoice_sid}/emails` (the PDF to the partner's `billing_email`, else its
/// `owner_email`): 204, the mail queued for delivery.
pub async fn send_invoice(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
    form: FormBody,
) -> ApiResult<Response> {
    let (sid, format) = split(&raw);
    let invoice = find_view(&state, &caller, sid).await?.invoice.clone();
    let (partner, billing_address) = partner_view(&state, invoice.partner_sid).await?;
    let recipients: Vec<String> = if format == Format::Json {
        let to = billing_address
            .ok_or_else(|| ApiError::invalid("billing_email", "the partner has no billing_email or owner_email"))?;
        to.split(',').map(str::trim).filter(|a| is_email(a)).map(str::to_owned).collect()
    } else {
        let list = form.get("emails").ok_or_else(|| ApiError::invalid("emails", "field is required"))?;
        let bad = bad_emails(list);
        if !bad.is_empty() {
            return Err(ApiError::Validation(
                bad.iter().map(|b| FieldError::new("emails", format!("'{b}' is not an e-mail address"))).collect(),
            ));
        }
        list.split(',').map(|a| a.trim().to_owned()).collect()
    };
    if recipients.is_empty() {
        return Err(ApiError::invalid("billing_email", "the partner's billing address is not an e-mail address"));
    }
    let attachment = if format == Format::Html {
        let html = render::html(&invoice, &partner)?;
        (format!("invoice_{}.html", invoice.display_id), "text/html; charset=utf-8".to_owned(), html.into_bytes())
    } else {
        let (inv, p) = (invoice.clone(), partner.clone());
        let pdf = tokio::task::spawn_blocking(move || render::pdf(&inv, &p)).await.map_err(ApiError::internal)??;
        (format!("invoice_{}.pdf", invoice.display_id), "application/pdf".to_owned(), pdf)
    };
    let mail = Mail {
        partner_sid: Some(invoice.partner_sid),
        recipients,
        subject: format!("CarrierX invoice {} for {}", invoice.display_id, partner.name),
        body_text: format!(
            "Invoice {} ({}), billing period {} to {}.\nCharges: {}  Taxes: {}  Balance forward: {}  Amount due: {}\n\nThe invoice is attached.\n",
            invoice.display_id,
            invoice.status,
            invoice.date_billing_period_start.wire(),
            invoice.date_billing_period_end.wire(),
            invoice.amount,
            invoice.amount_tax,
            invoice.balance_forward,
            invoice.amount_due,
        ),
        body_html: None,
        attachment: Some(attachment),
    };
    mail::enqueue(&state.pool, &mail).await?;
    Ok(respond::no_content())
}

/// `POST /admin/partners/{partner_sid}/close_billing_period` (LOCAL): issues the partner's open
/// invoice now, as the end of its period would, and opens the next one. Answers the issued invoice.
pub async fn close_billing_period(
    State(state): State<AppState>,
    caller: Caller,
    PathParams(raw): PathParams<String>,
) -> ApiResult<Response> {
    let partner = parse_sid(&raw, "partner")?;
    let mut tx = state.pool.begin().await?;
    let row = repo::lock_due(&mut tx, Some(partner)).await?.ok_or_else(|| ApiError::not_found("partner"))?;
    periods::close(&mut tx, &row, Some(chrono::Utc::now())).await?;
    tx.commit().await?;
    crate::resources::partners::ops::money_changed(&state, partner);
    let issued = repo::get(&state.pool, row.invoice_sid).await?.ok_or_else(|| ApiError::not_found("invoice"))?;
    Ok(Json(wire(&state, &caller, vec![issued], false).await?.remove(0)).into_response())
}
