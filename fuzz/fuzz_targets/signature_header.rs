//! Fuzzes the Stripe-Signature check: any header, body and clock must give Ok or a
//! SignatureError, never a panic (extreme timestamps and clocks included); a header signed with
//! the secret for this body at this clock must verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use relay::config::Secret;
use relay::signature::{parse_header, verify};

fuzz_target!(|data: &[u8]| {
    // The first eight bytes are the clock, so that `now` reaches i64::MIN and i64::MAX too.
    let (now, rest) = match data.split_first_chunk::<8>() {
        Some((clock, rest)) => (i64::from_le_bytes(*clock), rest),
        None => (1_700_000_000, data),
    };
    let split = rest.iter().position(|b| *b == 0).unwrap_or(rest.len());
    let (header, body) = rest.split_at(split);
    let header = String::from_utf8_lossy(header);
    let secrets = [Secret::new("whsec_fuzz"), Secret::new("whsec_other")];
    let _ = parse_header(&header);
    let _ = verify(Some(&header), body, &secrets, now);
    for t in [now, i64::MIN, i64::MAX] {
        let signed = sign(t, body);
        let result = verify(Some(&signed), body, &secrets, now);
        assert_eq!(result.is_ok(), now.abs_diff(t) <= 300, "t={t} now={now}");
    }
});

fn sign(t: i64, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"whsec_fuzz").unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}
