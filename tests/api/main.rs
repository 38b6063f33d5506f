#![recursion_limit = "256"]
//! Black-box HTTP tests through the real router, each on a fresh database.

mod common;

mod access_control;
mod auth;
mod batch;
mod billing_method;
mod caches;
mod call_network;
mod calls;
mod console;
mod countries;
mod demo;
mod dids;
mod endpoints;
mod errors;
mod fresh;
mod invoices;
mod lifecycle;
mod listing;
mod lookup;
mod oauth;
mod openapi;
mod partners;
mod push;
mod rating;
mod short_codes;
mod shortener;
mod sms;
mod storage;
mod trunk_groups;
mod verification;
