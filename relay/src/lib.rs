//! The ERP BTP subscription relay: pricing pages, Stripe Checkout, verified webhooks applied
//! exactly once, and subscription status for the desktop app. `startup::Application` builds
//! and runs it, for `relay serve` and for the tests alike; `routes::app` is its router.

pub mod auth;
pub mod billing;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod config;
pub mod console;
pub mod core;
pub mod db;
pub mod domain;
pub mod error;
pub mod factures;
pub mod fulfil;
pub mod http_server;
pub mod keys;
pub mod limits;
pub mod log_writer;
pub mod metrics;
pub mod money_back;
pub mod pa;
pub mod pa_metrics;
pub mod plans;
pub mod reader;
pub mod reconcile;
pub mod renewal;
pub mod routes;
pub mod sealed;

pub mod serve;
pub mod signature;
pub mod simulate;
pub mod siren;
pub mod startup;
pub mod state;
pub mod status_cache;
pub mod stripe;
pub mod writer;

pub use limits::BODY_LIMIT;
pub use routes::app;
pub use startup::Application;
pub use state::AppState;
