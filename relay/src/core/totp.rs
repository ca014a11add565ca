//! The console's optional second factor: time-based one-time passwords (RFC 6238 over RFC 4226),
//! as authenticator applications compute them by default — HMAC-SHA-1, six digits, 30-second
//! steps. A code is taken one step early or late (a phone's clock drifts) and never twice: the
//! step of the last code used is stored, and a code of that step or an earlier one is refused.
//! Pure.

use hmac::{Hmac, Mac};
use sha1::Sha1;

/// Seconds per step.
pub const STEP: i64 = 30;
/// Bytes of a new secret: 160 bits, RFC 4226's recommended length.
pub const SECRET_LEN: usize = 20;

/// The six-digit code of `step` (RFC 4226 HOTP with the step as counter).
pub fn code(secret: &[u8], step: i64) -> u32 {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bits = u32::from_be_bytes(digest[offset..offset + 4].try_into().expect("4 bytes"));
    (bits & 0x7fff_ffff) % 1_000_000
}

/// The step of `given` if it is the code of the step at `now` or of one next to it, and later
/// than `last_used`: the step to store as used. Spaces in `given` are ignored (« 123 456 »).
pub fn accepted_step(secret: &[u8], now: i64, given: &str, last_used: Option<i64>) -> Option<i64> {
    let digits: String = given.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let given: u32 = digits.parse().ok()?;
    let current = now.div_euclid(STEP);
    [current - 1, current, current + 1]
        .into_iter()
        .filter(|step| last_used.is_none_or(|last| *step > last))
        .find(|step| code(secret, *step) == given)
}

/// RFC 4648 base32 without padding, as authenticator applications take a secret.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            out.push(ALPHABET[((bits >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

/// The `otpauth://` URI an application reads from a QR code or a link (Google Authenticator's
/// « Key Uri Format »).
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |t: &str| {
        url::form_urlencoded::byte_serialize(t.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP}",
        enc(issuer),
        enc(account),
        base32(secret),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238, appendix B: the SHA-1 seed.
    const SEED: &[u8] = b"12345678901234567890";

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // The RFC's eight-digit values, of which a six-digit code is the last six.
        for (time, eight) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000, 65_353_130),
        ] {
            assert_eq!(code(SEED, time / STEP), eight % 1_000_000, "T = {time}");
        }
    }

    #[test]
    fn a_code_is_taken_one_step_either_side_and_never_twice() {
        let now = 1_234_567_890;
        let step = now / STEP;
        let text = |s: i64| format!("{:06}", code(SEED, s));
        assert_eq!(accepted_step(SEED, now, &text(step), None), Some(step));
        assert_eq!(
            accepted_step(SEED, now, &text(step - 1), None),
            Some(step - 1)
        );
        assert_eq!(
            accepted_step(SEED, now, &text(step + 1), None),
            Some(step + 1)
        );
        assert_eq!(
            accepted_step(SEED, now, &text(step - 2), None),
            None,
            "too old"
        );
        assert_eq!(
            accepted_step(SEED, now, &text(step), Some(step)),
            None,
            "used"
        );
        assert_eq!(
            accepted_step(SEED, now, &text(step - 1), Some(step)),
            None,
            "older than the last used"
        );
        let spaced = format!("{} {}", &text(step)[..3], &text(step)[3..]);
        assert_eq!(accepted_step(SEED, now, &spaced, None), Some(step));
        for bad in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert_eq!(accepted_step(SEED, now, bad, None), None, "{bad}");
        }
    }

    #[test]
    fn a_secret_reads_in_base32_as_rfc_4648_writes_it() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(SEED), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            otpauth_uri("ERP BTP relais", "chef@erp-btp.fr", b"foobar"),
            "otpauth://totp/ERP%20BTP%20relais:chef%40erp-btp.fr?secret=MZXW6YTBOI&issuer=ERP%20BTP%20relais&algorithm=SHA1&digits=6&period=30"
        );
    }
}
