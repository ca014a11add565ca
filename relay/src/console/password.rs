//! Operators' passwords: Argon2id with the `argon2` crate's defaults (19 MiB, 2 passes, OWASP's
//! minimum), stored as a PHC string that carries its own salt and parameters.

use argon2::password_hash::SaltString;
use argon2::password_hash::rand_core::OsRng;
use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};

/// The PHC string of `password` with a fresh salt.
pub fn hash(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("Argon2id with its default parameters hashes any password")
        .to_string()
}

/// Whether `password` is the one `stored` was made from (false for an unreadable string).
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash no password matches, checked when the e-mail is unknown so that a login takes as
/// long whether or not the account exists.
pub fn decoy() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash(&hex::encode(rand::random::<[u8; 32]>())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let stored = hash("échafaudage-2026");
        assert!(stored.starts_with("$argon2id$"), "{stored}");
        assert!(verify("échafaudage-2026", &stored));
        assert!(!verify("echafaudage-2026", &stored));
        assert!(!verify("échafaudage-2026", "pas un hash"));
        assert_ne!(stored, hash("échafaudage-2026"), "a fresh salt each time");
    }

    #[test]
    fn the_decoy_matches_nothing() {
        assert!(!verify("", decoy()));
    }
}
