//! Signed entitlement: `<base64url(payload JSON)>.<base64url(ed25519 signature)>`, no padding,
//! the signature covering the ASCII bytes of the first part. The relay signs; the desktop app
//! verifies with the public key it pinned at login, so its offline cache cannot be forged on disk.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{StripeMode, SubscriptionState};

pub const ENTITLEMENT_TYP: &str = "erp-btp/entitlement/v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntitlementPayload {
    pub typ: String,
    pub key_id: String,
    pub client_id: String,
    pub plan: Option<String>,
    pub status: SubscriptionState,
    pub expires_at: Option<String>,
    pub issued_at: String,
    pub version: i64,
    /// Stripe's mode behind the payments (added to v1: absent in older entitlements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<StripeMode>,
    /// Automatic renewal, signed so that the app shows it offline too (added to v1: absent in
    /// older entitlements, ignored by older apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal: Option<crate::RenewalStatus>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntitlementError {
    #[error("entitlement is not two base64url parts")]
    Malformed,
    #[error("entitlement signature does not verify")]
    BadSignature,
    #[error("entitlement payload is not valid JSON of the expected shape")]
    BadPayload,
    #[error("entitlement type is not {ENTITLEMENT_TYP}")]
    WrongType,
    #[error("entitlement was signed by another key")]
    WrongKey,
    #[error("public key is not 32 bytes of base64url")]
    BadPublicKey,
}

/// A verified entitlement: the token and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entitlement {
    pub token: String,
    pub payload: EntitlementPayload,
}

/// Signs `payload` into the token form.
pub fn sign(key: &SigningKey, payload: &EntitlementPayload) -> String {
    let json = serde_json::to_vec(payload).expect("payload serialises");
    let head = URL_SAFE_NO_PAD.encode(json);
    let sig = key.sign(head.as_bytes());
    format!("{head}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()))
}

/// Stable identifier of a public key: the first 8 bytes of its base64url form are enough to
/// tell keys apart after a rotation, without pretending to be a hash.
pub fn key_id(key: &VerifyingKey) -> String {
    let encoded = encode_public_key(key);
    format!("ed25519-{}", &encoded[..11])
}

pub fn encode_public_key(key: &VerifyingKey) -> String {
    URL_SAFE_NO_PAD.encode(key.as_bytes())
}

pub fn decode_public_key(text: &str) -> Result<VerifyingKey, EntitlementError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim())
        .map_err(|_| EntitlementError::BadPublicKey)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| EntitlementError::BadPublicKey)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| EntitlementError::BadPublicKey)
}

/// Verifies `token` with `key`: signature first, then the payload's type and key id.
pub fn verify(key: &VerifyingKey, token: &str) -> Result<Entitlement, EntitlementError> {
    let (head, sig) = token.split_once('.').ok_or(EntitlementError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| EntitlementError::Malformed)?;
    let sig = Signature::from_slice(&sig).map_err(|_| EntitlementError::Malformed)?;
    key.verify(head.as_bytes(), &sig)
        .map_err(|_| EntitlementError::BadSignature)?;
    let json = URL_SAFE_NO_PAD
        .decode(head)
        .map_err(|_| EntitlementError::Malformed)?;
    let payload: EntitlementPayload =
        serde_json::from_slice(&json).map_err(|_| EntitlementError::BadPayload)?;
    if payload.typ != ENTITLEMENT_TYP {
        return Err(EntitlementError::WrongType);
    }
    if payload.key_id != key_id(key) {
        return Err(EntitlementError::WrongKey);
    }
    Ok(Entitlement {
        token: token.to_owned(),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    #[test]
    fn a_v1_payload_without_mode_still_reads() {
        let old = r#"{"typ":"erp-btp/entitlement/v1","key_id":"k","client_id":"39","plan":null,"status":"none","expires_at":null,"issued_at":"2026-01-22T09:30:00Z","version":0}"#;
        let payload: EntitlementPayload = serde_json::from_str(old).unwrap();
        assert_eq!(payload.mode, None);
    }

    fn payload(k: &SigningKey) -> EntitlementPayload {
        EntitlementPayload {
            typ: ENTITLEMENT_TYP.into(),
            key_id: key_id(&k.verifying_key()),
            client_id: "39".into(),
            plan: Some("mensuel".into()),
            status: SubscriptionState::Active,
            expires_at: Some("2026-02-21T09:30:00Z".into()),
            issued_at: "2026-01-22T09:30:00Z".into(),
            mode: Some(StripeMode::Test),
            version: 3,
            renewal: Some(crate::RenewalStatus {
                mode: crate::RenewalMode::Auto,
                state: Some(crate::RenewalState::PastDue),
                paid_until: Some("2026-02-14T09:30:00Z".into()),
                next_charge_at: None,
                cancel_at_period_end: false,
                payment_failed: true,
                card_last4: Some("4242".into()),
                money_back: Some(crate::MoneyBack {
                    kind: crate::MoneyBackKind::PartiallyRefunded,
                    amount_cents: Some(1000),
                    at: "2026-02-10T09:30:00Z".into(),
                }),
            }),
        }
    }

    /// The payload as the first desktop apps know it: the closed v1 fields, nothing else.
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct V1Payload {
        typ: String,
        key_id: String,
        client_id: String,
        plan: Option<String>,
        status: SubscriptionState,
        expires_at: Option<String>,
        issued_at: String,
        version: i64,
    }

    #[test]
    fn a_payload_with_renewal_reads_with_the_v1_types() {
        let k = key(1);
        let mut json: serde_json::Value = serde_json::to_value(payload(&k)).unwrap();
        assert_eq!(json["status"], "active", "a renewal in its grace is active");
        let added = json.as_object_mut().unwrap();
        assert!(
            added.remove("renewal").is_some() && added.remove("mode").is_some(),
            "only added fields"
        );
        let old: V1Payload = serde_json::from_value(json).unwrap();
        assert_eq!(old.status, SubscriptionState::Active);
        // And an app of v1 that ignores unknown fields reads the whole new payload.
        let whole = serde_json::to_string(&payload(&k)).unwrap();
        #[derive(serde::Deserialize)]
        struct Lenient {
            status: SubscriptionState,
            expires_at: Option<String>,
        }
        let lenient: Lenient = serde_json::from_str(&whole).unwrap();
        assert_eq!(
            (lenient.status, lenient.expires_at.as_deref()),
            (SubscriptionState::Active, Some("2026-02-21T09:30:00Z"))
        );
    }

    #[test]
    fn money_back_is_absent_when_unused_and_an_unknown_kind_still_reads() {
        let mut p = payload(&key(1));
        let renewal = p.renewal.as_mut().unwrap();
        renewal.money_back = None;
        let json = serde_json::to_value(&p).unwrap();
        assert!(
            json["renewal"].get("money_back").is_none(),
            "absent, not null"
        );
        let newer = serde_json::json!({"kind": "refund_reversed_by_bank", "amount_cents": null,
            "at": "2026-02-10T09:30:00Z"});
        let read: crate::MoneyBack = serde_json::from_value(newer).unwrap();
        assert_eq!(read.kind, crate::MoneyBackKind::Unknown);
    }

    #[test]
    fn a_signed_entitlement_verifies_with_its_public_key() {
        let k = key(1);
        let token = sign(&k, &payload(&k));
        let public = decode_public_key(&encode_public_key(&k.verifying_key())).unwrap();
        assert_eq!(verify(&public, &token).unwrap().payload, payload(&k));
        assert!(!token.contains('='), "no padding");
    }

    #[test]
    fn a_tampered_payload_is_rejected() {
        let k = key(1);
        let token = sign(&k, &payload(&k));
        let mut forged = payload(&k);
        forged.expires_at = Some("2099-01-01T00:00:00Z".into());
        let forged_head = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&forged).unwrap());
        let sig = token.split_once('.').unwrap().1;
        let err = verify(&k.verifying_key(), &format!("{forged_head}.{sig}")).unwrap_err();
        assert_eq!(err, EntitlementError::BadSignature);
    }

    #[test]
    fn a_token_signed_by_another_key_is_rejected() {
        let token = sign(&key(2), &payload(&key(2)));
        assert_eq!(
            verify(&key(1).verifying_key(), &token).unwrap_err(),
            EntitlementError::BadSignature
        );
    }

    #[test]
    fn a_wrong_typ_is_rejected_even_when_signed() {
        let k = key(1);
        let mut p = payload(&k);
        p.typ = "erp-btp/other/v1".into();
        assert_eq!(
            verify(&k.verifying_key(), &sign(&k, &p)).unwrap_err(),
            EntitlementError::WrongType
        );
    }

    #[test]
    fn garbage_is_malformed_not_a_panic() {
        let k = key(1).verifying_key();
        for bad in ["", ".", "abc", "a.b", "é.é", "a.b.c"] {
            assert!(verify(&k, bad).is_err(), "{bad}");
        }
        assert!(decode_public_key("short").is_err());
    }
}
