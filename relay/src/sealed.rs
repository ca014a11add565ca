//! Secrets the relay must read back, kept sealed in the database: an operator's TOTP secret. The
//! key is derived from the relay's signing key (see `keys`), so that with
//! `ENTITLEMENT_SIGNING_KEY` set outside the database a copy of the database alone reveals no
//! secret. Encrypt-then-MAC with HMAC-SHA-256 only (no new cipher dependency): the keystream is
//! HMAC(k_enc, nonce ‖ block counter) — HMAC as a PRF in counter mode (NIST SP 800-108) — and the
//! tag HMAC(k_mac, nonce ‖ ciphertext), checked in constant time before anything is decrypted.
//! Text form: `v1.` and base64url of nonce (16 bytes) ‖ ciphertext ‖ tag (32 bytes).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE: usize = 16;
const TAG: usize = 32;

fn prf(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    for p in parts {
        mac.update(p);
    }
    mac.finalize().into_bytes().into()
}

/// XORs `data` with the keystream of `nonce`.
fn crypt(key: &[u8; 32], nonce: &[u8], data: &mut [u8]) {
    let k_enc = prf(key, &[b"seal-enc"]);
    for (i, chunk) in data.chunks_mut(32).enumerate() {
        let block = prf(&k_enc, &[nonce, &(i as u32).to_be_bytes()]);
        chunk.iter_mut().zip(block).for_each(|(b, k)| *b ^= k);
    }
}

fn tag(key: &[u8; 32], nonce: &[u8], ciphertext: &[u8]) -> [u8; 32] {
    prf(&prf(key, &[b"seal-mac"]), &[nonce, ciphertext])
}

/// `plaintext` sealed under `key`, with a fresh random nonce.
pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> String {
    let mut nonce = [0u8; NONCE];
    rand::thread_rng().fill_bytes(&mut nonce);
    let mut body = plaintext.to_vec();
    crypt(key, &nonce, &mut body);
    let mut out = nonce.to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag(key, &nonce, &body));
    format!("v1.{}", URL_SAFE_NO_PAD.encode(out))
}

/// What [`seal`] sealed under `key`; `None` when the text was changed or sealed under another key.
pub fn open(key: &[u8; 32], sealed: &str) -> Option<Vec<u8>> {
    let raw = URL_SAFE_NO_PAD.decode(sealed.strip_prefix("v1.")?).ok()?;
    if raw.len() < NONCE + TAG {
        return None;
    }
    let (nonce, rest) = raw.split_at(NONCE);
    let (body, given) = rest.split_at(rest.len() - TAG);
    let expected = tag(key, nonce, body);
    if !bool::from(subtle::ConstantTimeEq::ct_eq(&expected[..], given)) {
        return None;
    }
    let mut plain = body.to_vec();
    crypt(key, nonce, &mut plain);
    Some(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only_and_not_once_changed() {
        let key = [7u8; 32];
        let secret = b"12345678901234567890 and more than one block of keystream";
        let sealed = seal(&key, secret);
        assert_eq!(open(&key, &sealed).as_deref(), Some(&secret[..]));
        assert!(!sealed.contains("1234"), "nothing in clear");
        assert_ne!(seal(&key, secret), sealed, "a fresh nonce each time");
        assert_eq!(open(&[8u8; 32], &sealed), None, "another key");
        let mut raw = URL_SAFE_NO_PAD.decode(&sealed[3..]).unwrap();
        raw[NONCE] ^= 1;
        let changed = format!("v1.{}", URL_SAFE_NO_PAD.encode(&raw));
        assert_eq!(open(&key, &changed), None, "a flipped bit");
        for bad in ["", "v1.", "v2.AAAA", "v1.!!", "v1.AAAA"] {
            assert_eq!(open(&key, bad), None, "{bad}");
        }
    }
}
