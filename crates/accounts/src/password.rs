//! Passwords: the rules a new password must meet, and Argon2id hashing.

use std::sync::LazyLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};

/// The shortest password accepted. Length beats composition rules (NIST SP 800-63B).
pub const MIN_LEN: usize = 10;
/// Long enough for any passphrase, short enough that hashing cannot be used to burn CPU.
pub const MAX_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("kata sandi minimal {MIN_LEN} karakter")]
    TooShort,
    #[error("kata sandi paling banyak {MAX_LEN} karakter")]
    TooLong,
    #[error("kata sandi terlalu mudah ditebak")]
    TooSimple,
}

/// A password that meets the rules, ready to be hashed.
#[derive(Clone)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password, not even in a debug log.
        f.write_str("Password(***)")
    }
}

impl Password {
    pub fn parse(input: &str) -> Result<Self, PasswordError> {
        let n = input.chars().count();
        if n < MIN_LEN {
            return Err(PasswordError::TooShort);
        }
        if n > MAX_LEN {
            return Err(PasswordError::TooLong);
        }
        let first = input.chars().next();
        let distinct = input.chars().collect::<std::collections::BTreeSet<_>>().len();
        if distinct < 4 || input.chars().all(|c| Some(c) == first) {
            return Err(PasswordError::TooSimple);
        }
        Ok(Self(input.to_string()))
    }

    /// A fresh random password: 16 characters from an alphabet without look-alikes (no 0/O,
    /// 1/l/I), easy to read aloud or copy from a printout. About 90 bits of entropy.
    pub fn generate() -> Self {
        use rand::RngExt;
        const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut rng = rand::rng();
        let s: String = (0..16).map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char).collect();
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The Argon2id hash of this password in PHC string form, with a fresh random salt.
    pub fn hash(&self) -> String {
        Argon2::default()
            .hash_password(self.0.as_bytes())
            .map(|h| h.to_string())
            // Hashing only fails for out-of-range parameters or an unavailable RNG; the
            // parameters are the library defaults, so this is a broken machine, not bad input.
            .unwrap_or_else(|e| panic!("argon2 hashing failed: {e}"))
    }
}

/// A hash of a password nobody knows, verified when a sign-in names an account that does not
/// exist, so that the answer takes as long as for a real account and does not reveal which
/// NIPs and addresses have accounts.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| Password::generate().hash());

/// Checks `candidate` against a stored hash; with no stored hash, burns the same time and fails.
pub fn verify(stored: Option<&str>, candidate: &str) -> bool {
    let hash = stored.unwrap_or(DUMMY_HASH.as_str());
    let ok = Argon2::default().verify_password(candidate.as_bytes(), hash).is_ok();
    ok && stored.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(Password::parse("pendek").unwrap_err(), PasswordError::TooShort);
        assert_eq!(Password::parse(&"ab".repeat(65)).unwrap_err(), PasswordError::TooLong);
        assert_eq!(Password::parse("aaaaaaaaaaaa").unwrap_err(), PasswordError::TooSimple);
        assert_eq!(Password::parse("abababababab").unwrap_err(), PasswordError::TooSimple);
        assert!(Password::parse("Balikpapan-Kota-2026").is_ok());
        assert_eq!(format!("{:?}", Password::parse("Balikpapan-Kota-2026").unwrap()), "Password(***)");
    }

    #[test]
    fn hash_and_verify() {
        let p = Password::parse("Balikpapan-Kota-2026").unwrap();
        let h = p.hash();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify(Some(&h), "Balikpapan-Kota-2026"));
        assert!(!verify(Some(&h), "Balikpapan-Kota-2025"));
        assert!(!verify(None, "Balikpapan-Kota-2026"));
        assert_ne!(h, p.hash(), "each hash has its own salt");
    }

    #[test]
    fn generated_passwords_meet_the_rules_and_differ() {
        let a = Password::generate();
        let b = Password::generate();
        assert!(Password::parse(a.expose()).is_ok());
        assert_ne!(a.expose(), b.expose());
    }
}
