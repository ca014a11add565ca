//! Fuzzes the Stripe-Signature check: any header and body must give Ok or a SignatureError,
//! never a panic; a header signed with the secret for this body must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::config::Secret;
use relay::signature::{parse_header, verify};

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == 0).unwrap_or(data.len());
    let (header, body) = data.split_at(split);
    let header = String::from_utf8_lossy(header);
    let secrets = [Secret::new("whsec_fuzz"), Secret::new("whsec_other")];
    let _ = parse_header(&header);
    let _ = verify(Some(&header), body, &secrets, 1_700_000_000);
    let good = stripe_sandbox_sign(body);
    assert!(verify(Some(&good), body, &secrets, 1_700_000_000).is_ok());
});

fn stripe_sandbox_sign(body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec_fuzz").unwrap();
    mac.update(b"1700000000.");
    mac.update(body);
    format!("t=1700000000,v1={}", hex::encode(mac.finalize().into_bytes()))
}
