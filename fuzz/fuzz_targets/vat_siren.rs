//! Fuzzes what a payer or an operator types as a SIREN or a VAT number, on both sides: the
//! relay's SIREN parser and its check of a buyer's VAT number, and the offline Stripe's check of
//! a tax ID typed on its page. Any text must give an answer, never a panic (a byte cut inside
//! `€` once did); a SIREN accepted must print and build its own VAT number, which it owns.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::factures::acceptable_vat;
use relay::siren::Siren;
use stripe_sandbox::details::eu_vat_shape;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = eu_vat_shape(&text);
    let _ = acceptable_vat(&text, None);
    let _ = acceptable_vat(&text, Some("732829320"));
    if let Ok(siren) = Siren::parse(&text) {
        let vat = siren.vat_number();
        assert!(siren.owns_vat(&vat), "{vat}");
        assert!(acceptable_vat(&vat, Some(siren.as_str())), "{vat}");
        assert_eq!(siren.spaced().len(), 11);
    }
});
