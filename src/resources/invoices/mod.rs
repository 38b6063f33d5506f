//! Invoices: the open invoice collecting a partner's charges, the issued ones, their HTML and
//! PDF renderings and mailing. Money moves only through `accrual`; periods close in `periods`.

pub mod accrual;
mod handlers;
pub mod periods;
mod render;
pub mod repo;
pub mod types;

use axum::http::Method;

use crate::domain::scopes::Scope;
use crate::http::openapi::Reply;
use crate::http::router::Api;
use types::Invoice;

/// Every invoice route, sending included, needs only the read scope (as the reference says).
const READ: &[Scope] = &[Scope::InvoicesManage, Scope::InvoicesRead];

pub fn routes(api: &mut Api) {
    // Decision 4: both paths. `{invoice_sid}` also takes `{sid}.html` and `{sid}.pdf` (the router
    // cannot match a suffix after a parameter: the handler reads it).
    api.section("invoices");
    for base in ["/invoices", "/billing/invoices"] {
        api.with_admin(Method::GET, base, READ, handlers::list_invoices)
            .with_related()
            .returns(Reply::list::<Invoice>());
        api.with_admin(Method::GET, &format!("{base}/{{invoice_sid}}"), READ, handlers::get_invoice)
            .with_related()
            .returns(Reply::object::<Invoice>());
        api.with_admin(Method::POST, &format!("{base}/{{invoice_sid}}/emails"), READ, handlers::send_invoice)
            .returns(Reply::no_content());
    }
    api.admin(Method::POST, "/admin/partners/{partner_sid}/close_billing_period", &[], handlers::close_billing_period)
        .returns(Reply::object::<Invoice>());
}
