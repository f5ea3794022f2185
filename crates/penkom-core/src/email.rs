//! E-mail addresses, checked for the shape a mail server will accept and stored lower-cased so
//! that sign-in and uniqueness do not depend on how someone typed their address.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("alamat e-mail tidak valid: {0}")]
    Invalid(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain.tld` with no spaces or control characters. This is deliberately
    /// stricter than RFC 5322: quoted local parts and IP-literal domains are not used by
    /// Indonesian government mail and would only let typing mistakes through.
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let s = input.trim().to_lowercase();
        let invalid = || EmailError::Invalid(input.trim().to_string());
        if s.is_empty() || s.len() > 254 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = s.split_once('@').ok_or_else(invalid)?;
        let labels_ok = domain.split('.').all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if local.is_empty()
            || local.len() > 64
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || local.contains(['"', '(', ')', ',', ':', ';', '<', '>', '[', ']', '\\', '@'])
            || !domain.contains('.')
            || !labels_ok
        {
            return Err(invalid());
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Email {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Email::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        assert_eq!(
            Email::parse("  Budi.Santoso@BalikpapanKota.go.id ").unwrap().as_str(),
            "budi.santoso@balikpapankota.go.id"
        );
    }

    #[test]
    fn rejects_mistakes() {
        for bad in [
            "",
            "budi",
            "budi@",
            "@kota.go.id",
            "budi@kota",
            "budi santoso@kota.go.id",
            "budi@@kota.go.id",
            "budi@kota..go.id",
            ".budi@kota.go.id",
            "budi@-kota.go.id",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }
}
