//! One folder per API section: `mod.rs` (routes), `handlers.rs`, `repo.rs` (all SQL), `types.rs`
//! (the wire contract).

pub mod access_control;
pub mod admin;
pub mod batch;
pub mod billing_method;
pub mod callbacks;
pub mod calls;
pub mod classifications;
pub mod conference;
pub mod console;
pub mod countries;
pub mod did_groups;
pub mod dids;
pub mod docs;
pub mod endpoints;
pub mod health;
pub mod invoices;
pub mod lookup;
pub mod mail;
pub mod oauth;
pub mod partners;
pub mod prefixes;
pub mod push;
pub mod rates;
pub mod rating;
pub mod shared;
pub mod short_codes;
pub mod shortener;
pub mod sms;
pub mod storage;
pub mod trunk_groups;
pub mod verification;
