//! Stripe-Signature verification, on the raw bytes before any parsing:
//! `t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`, HMAC-SHA256 keyed with the whole `whsec_…` string over
//! `"<t>.<body>"`. Accepted when any `v1` matches any configured secret (secret rolls), compared
//! in constant time, within a 300 s tolerance. `v0` and unknown schemes are ignored.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

pub const TOLERANCE_SECS: u64 = 300;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("missing Stripe-Signature header")]
    Missing,
    #[error("Stripe-Signature header has no valid timestamp")]
    NoTimestamp,
    #[error("Stripe-Signature header has no v1 signature")]
    NoSignature,
    #[error("Stripe-Signature timestamp is outside the tolerance")]
    Stale,
    #[error("no v1 signature matches the webhook secret")]
    Mismatch,
}

/// The parts of a header that matter: its timestamp and its `v1` signatures, decoded.
#[derive(Debug, PartialEq, Eq)]
pub struct ParsedHeader {
    pub timestamp: i64,
    pub v1: Vec<Vec<u8>>,
}

pub fn parse_header(header: &str) -> Result<ParsedHeader, SignatureError> {
    let mut timestamp = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.trim().split_once('=') else {
            continue;
        };
        match key {
            // A second `t` makes the header ambiguous: refuse rather than pick one.
            "t" if timestamp.is_some() => return Err(SignatureError::NoTimestamp),
            "t" => {
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::NoTimestamp)?,
                )
            }
            "v1" => {
                if let Ok(bytes) = hex::decode(value) {
                    if bytes.len() == 32 {
                        v1.push(bytes);
                    }
                }
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::NoTimestamp)?;
    if v1.is_empty() {
        return Err(SignatureError::NoSignature);
    }
    Ok(ParsedHeader { timestamp, v1 })
}

/// Verifies `payload` against the header with any of `secrets` at time `now`.
pub fn verify(
    header: Option<&str>,
    payload: &[u8],
    secrets: &[Secret],
    now: i64,
) -> Result<(), SignatureError> {
    let parsed = parse_header(header.ok_or(SignatureError::Missing)?)?;
    // `abs_diff` cannot overflow, whatever timestamp a sender puts in the header.
    if now.abs_diff(parsed.timestamp) > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    let prefix = format!("{}.", parsed.timestamp);
    for secret in secrets {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("any key length");
        mac.update(prefix.as_bytes());
        mac.update(payload);
        for candidate in &parsed.v1 {
            // `verify_slice` compares in constant time.
            if mac.clone().verify_slice(candidate).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use stripe_sandbox::webhook::{sign, signature_header};

    const NOW: i64 = 1_771_666_200;
    const BODY: &[u8] = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;

    fn secrets(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|s| Secret::new(*s)).collect()
    }

    #[test]
    fn stripe_nodes_known_vector_matches_our_hmac() {
        let mac = Hmac::<Sha256>::new_from_slice(b"test_secret").unwrap();
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "f7f9bd47fb987337b5796fdc1fdb9ba221d0d5396814bfcaf9521f43fd8927fd"
        );
    }

    #[test]
    fn a_valid_signature_verifies() {
        let header = signature_header(&["whsec_a".into()], NOW, BODY);
        assert_eq!(
            verify(Some(&header), BODY, &secrets(&["whsec_a"]), NOW),
            Ok(())
        );
    }

    #[test]
    fn any_v1_matching_any_secret_is_accepted() {
        let header = format!(
            "t={NOW},v1={},v1={},v0=abc",
            "00".repeat(32),
            sign("whsec_new", NOW, BODY)
        );
        assert_eq!(
            verify(
                Some(&header),
                BODY,
                &secrets(&["whsec_old", "whsec_new"]),
                NOW
            ),
            Ok(())
        );
        assert_eq!(
            verify(Some(&header), BODY, &secrets(&["whsec_old"]), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn wrong_secret_tampered_body_and_reformatted_json_fail() {
        let header = signature_header(&["whsec_a".into()], NOW, BODY);
        assert_eq!(
            verify(Some(&header), BODY, &secrets(&["whsec_b"]), NOW),
            Err(SignatureError::Mismatch)
        );
        let tampered = br#"{"id":"evt_2","type":"checkout.session.completed"}"#;
        assert_eq!(
            verify(Some(&header), tampered, &secrets(&["whsec_a"]), NOW),
            Err(SignatureError::Mismatch)
        );
        let reformatted = br#"{"id": "evt_1", "type": "checkout.session.completed"}"#;
        assert_eq!(
            verify(Some(&header), reformatted, &secrets(&["whsec_a"]), NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn timestamps_outside_300_seconds_are_stale() {
        let s = secrets(&["whsec_a"]);
        let old = signature_header(&["whsec_a".into()], NOW - 301, BODY);
        assert_eq!(
            verify(Some(&old), BODY, &s, NOW),
            Err(SignatureError::Stale)
        );
        let edge = signature_header(&["whsec_a".into()], NOW - 300, BODY);
        assert_eq!(verify(Some(&edge), BODY, &s, NOW), Ok(()));
        let future = signature_header(&["whsec_a".into()], NOW + 301, BODY);
        assert_eq!(
            verify(Some(&future), BODY, &s, NOW),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn extreme_timestamps_are_stale_not_an_overflow() {
        let s = secrets(&["whsec_a"]);
        for (t, now) in [
            (i64::MIN, NOW),
            (i64::MAX, NOW),
            (i64::MIN, i64::MAX),
            (i64::MAX, i64::MIN),
        ] {
            let header = signature_header(&["whsec_a".into()], t, BODY);
            assert_eq!(
                verify(Some(&header), BODY, &s, now),
                Err(SignatureError::Stale),
                "t={t} now={now}"
            );
        }
    }

    #[test]
    fn garbage_headers_are_refused_without_panicking() {
        let s = secrets(&["whsec_a"]);
        assert_eq!(verify(None, BODY, &s, NOW), Err(SignatureError::Missing));
        for h in [
            "",
            "garbage",
            "t=",
            "t=abc,v1=00",
            "v1=00",
            &format!("t={NOW}"),
            &format!("t={NOW},v1=zz"),
            &format!("t={NOW},t={NOW},v1={}", "00".repeat(32)),
            "t=99999999999999999999999,v1=00",
            &format!("t={},v1={}", i64::MIN, "00".repeat(32)),
            &format!("t={},v1={}", i64::MAX, "00".repeat(32)),
            "é=é,,=,",
        ] {
            assert!(verify(Some(h), BODY, &s, NOW).is_err(), "{h}");
        }
    }
}
