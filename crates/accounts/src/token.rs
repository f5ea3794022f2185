//! Bearer tokens: 256 random bits, shown to the client once; only their SHA-256 is stored.

use sha2::{Digest, Sha256};

/// Prefix that makes a leaked Penkom token recognisable to secret scanners.
const PREFIX: &str = "pkm_";

/// A new random token.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    format!("{PREFIX}{}", hex::encode(bytes))
}

/// The value stored for a token. A plain SHA-256 suffices (no salt, no slow hash) because the
/// token has 256 bits of entropy: there is nothing to brute-force.
pub fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Whether a string could be a token at all, checked before any database look-up.
pub fn looks_valid(token: &str) -> bool {
    token.len() == PREFIX.len() + 64
        && token.starts_with(PREFIX)
        && token[PREFIX.len()..].bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_well_formed() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(looks_valid(&a));
        assert!(!looks_valid("pkm_xyz"));
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
    }
}
