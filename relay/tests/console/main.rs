//! The operator console at the HTTP level, on both databases (helpers here): `access`, who gets
//! in and what ends a session; `pages`, what an operator reads (companies, events, health);
//! `company`, what a company's page adds (renewal link, history);
//! `actions`, what an admin does (companies, refunds, reconciliation, replay).

mod access;
mod actions;
#[path = "../common/mod.rs"]
mod common;
mod company;
mod pages;

use common::{Backend, World, start};
use relay::core::console::Role;

const CHEF: &str = "chef@erp-btp.fr";
const PASSWORD: &str = "échafaudage-2026";

pub async fn with_operator(backend: Backend, role: Role) -> World {
    let w = start(backend).await;
    w.add_operator(CHEF, role, PASSWORD).await;
    w
}

/// Delivers `body` signed as Stripe signs it; the webhook must take it.
pub async fn deliver(w: &World, body: &str) {
    let header = stripe_sandbox::fixtures::sign_now(common::SECRET, body);
    assert_eq!(w.deliver(body, Some(&header)).await, 200);
}
