//! The UI's TypeScript types are generated from the Rust types the commands exchange (ts-rs),
//! and committed under `ui/src/generated/`. This test fails when they drift; run it with
//! `UPDATE_BINDINGS=1` to rewrite them.

use std::path::PathBuf;

use ts_rs::{Config, TS};

use crate::desktop::{RenewalStarted, WaitEnd, WaitOutcome};
use erp_btp_protocol::fr::Tone;
use erp_btp_protocol::{RenewalChoice, SubscriptionState};

use crate::company::CompanyView;
use crate::error::{ErrorBody, ErrorCode};
use crate::invoices::InvoiceView;
use crate::view::{MoneyBackLine, PlanOption, RenewalLine, StatusView};

fn check<T: TS + 'static>(name: &str, stale: &mut Vec<String>) {
    // i64 travels as a JSON number, which TypeScript reads as `number`.
    let cfg = Config::new().with_large_int("number");
    let generated = T::export_to_string(&cfg).expect("exportable");
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ui/src/generated")
        .join(format!("{name}.ts"));
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    } else if std::fs::read_to_string(&path).ok().as_deref() != Some(generated.as_str()) {
        stale.push(path.display().to_string());
    }
}

#[test]
fn the_ui_types_match_the_rust_types() {
    let mut stale = Vec::new();
    check::<StatusView>("StatusView", &mut stale);
    check::<PlanOption>("PlanOption", &mut stale);
    check::<RenewalLine>("RenewalLine", &mut stale);
    check::<MoneyBackLine>("MoneyBackLine", &mut stale);
    check::<ErrorBody>("ErrorBody", &mut stale);
    check::<ErrorCode>("ErrorCode", &mut stale);
    check::<SubscriptionState>("SubscriptionState", &mut stale);
    check::<Tone>("Tone", &mut stale);
    check::<RenewalChoice>("RenewalChoice", &mut stale);
    check::<RenewalStarted>("RenewalStarted", &mut stale);
    check::<WaitEnd>("WaitEnd", &mut stale);
    check::<WaitOutcome>("WaitOutcome", &mut stale);
    check::<InvoiceView>("InvoiceView", &mut stale);
    check::<CompanyView>("CompanyView", &mut stale);
    assert!(
        stale.is_empty(),
        "stale TypeScript bindings (rerun with UPDATE_BINDINGS=1): {stale:?}"
    );
}
