//! Free-text names that still need limits: a person's full name with titles, and an OPD's code
//! and name.

use std::fmt;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("nama tidak boleh kosong")]
    Empty,
    #[error("nama terlalu panjang (paling banyak {0} karakter)")]
    TooLong(usize),
    #[error("nama mengandung karakter kontrol")]
    Control,
    #[error(
        "kode OPD hanya boleh berisi huruf, angka, '-', '_' atau '.' (paling banyak 32 karakter): \"{0}\""
    )]
    OpdCode(String),
}

fn clean_text(input: &str, max: usize) -> Result<String, NameError> {
    // Collapse runs of whitespace: names pasted from spreadsheets often carry double spaces.
    let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        return Err(NameError::Empty);
    }
    if s.chars().count() > max {
        return Err(NameError::TooLong(max));
    }
    if !crate::text::is_single_line(&s) {
        return Err(NameError::Control);
    }
    Ok(s)
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(input: &str) -> Result<Self, NameError> {
                clean_text(input, $max).map(Self)
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(s: String) -> Result<Self, NameError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(n: $name) -> String {
                n.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_newtype!(
    /// A person's full name with academic and religious titles, e.g.
    /// `Dr. Hj. Siti Rahmawati, S.E., M.Si.`; kept as written because certificates print it.
    PersonName,
    200
);
text_newtype!(
    /// The name of a work unit (OPD), e.g. `Dinas Kesehatan`.
    OpdName,
    200
);

/// The short code of an OPD, e.g. `DINKES`; stored upper-case so codes compare as people expect.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpdCode(String);

impl OpdCode {
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let s = input.trim().to_ascii_uppercase();
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok { Ok(Self(s)) } else { Err(NameError::OpdCode(input.trim().to_string())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OpdCode {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, NameError> {
        Self::parse(&s)
    }
}

impl From<OpdCode> for String {
    fn from(c: OpdCode) -> String {
        c.0
    }
}

impl fmt::Display for OpdCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_names_keep_titles_and_fold_spaces() {
        let n = PersonName::parse("  Dr.  Hj. Siti Rahmawati,  S.E., M.Si. ").unwrap();
        assert_eq!(n.as_str(), "Dr. Hj. Siti Rahmawati, S.E., M.Si.");
        assert_eq!(PersonName::parse("   "), Err(NameError::Empty));
        assert_eq!(PersonName::parse(&"a".repeat(201)), Err(NameError::TooLong(200)));
    }

    #[test]
    fn opd_codes_are_upper_case_identifiers() {
        assert_eq!(OpdCode::parse(" dinkes ").unwrap().as_str(), "DINKES");
        assert!(OpdCode::parse("DINAS KESEHATAN").is_err());
        assert!(OpdCode::parse("").is_err());
    }
}
