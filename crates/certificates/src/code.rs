//! Verification codes: the short code printed under the QR code and typed by people who have
//! only the paper.
//!
//! Ten random Crockford base32 characters (50 bits) and one check character (the value modulo
//! 37, Crockford's own check scheme). Crockford's alphabet has no I, L, O or U, so a code read
//! aloud or retyped cannot confuse 1 with I or 0 with O; when typed anyway, they are read as the
//! digits they look like. The check character catches every single-character typo and every
//! swap of two adjacent characters before the database is asked.

use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Check symbols for the values 32 to 36, after the 32 data symbols.
const CHECK_EXTRA: &[u8; 5] = b"*~$=U";
const DATA_LEN: usize = 10;

/// A verification code in its canonical form: 11 upper-case characters without separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VerificationCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("kode verifikasi harus 11 karakter")]
    Length,
    #[error("kode verifikasi memuat karakter yang tidak sah")]
    Character,
    #[error("karakter pemeriksa kode verifikasi tidak cocok (salah ketik?)")]
    Check,
}

fn value_of(c: u8) -> Option<u64> {
    let c = match c.to_ascii_uppercase() {
        b'I' | b'L' => b'1',
        b'O' => b'0',
        other => other,
    };
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u64)
}

fn check_symbol(value: u64) -> u8 {
    let m = (value % 37) as usize;
    if m < 32 { ALPHABET[m] } else { CHECK_EXTRA[m - 32] }
}

impl VerificationCode {
    /// A fresh random code.
    pub fn generate() -> Self {
        let bits: u64 = rand::random::<u64>() & ((1 << 50) - 1);
        Self::from_value(bits)
    }

    fn from_value(value: u64) -> Self {
        let mut s = String::with_capacity(DATA_LEN + 1);
        for i in (0..DATA_LEN).rev() {
            s.push(ALPHABET[((value >> (5 * i)) & 31) as usize] as char);
        }
        s.push(check_symbol(value) as char);
        Self(s)
    }

    /// Reads a code as people type it: any case, with hyphens or spaces, I/L for 1 and O for 0.
    pub fn parse(input: &str) -> Result<Self, CodeError> {
        let chars: Vec<u8> = input.bytes().filter(|b| !matches!(b, b'-' | b' ')).collect();
        if chars.len() != DATA_LEN + 1 {
            return Err(CodeError::Length);
        }
        let mut value = 0u64;
        for &c in &chars[..DATA_LEN] {
            value = (value << 5) | value_of(c).ok_or(CodeError::Character)?;
        }
        let typed = chars[DATA_LEN].to_ascii_uppercase();
        let check = if CHECK_EXTRA.contains(&typed) {
            typed
        } else {
            ALPHABET[value_of(typed).ok_or(CodeError::Character)? as usize]
        };
        if check != check_symbol(value) {
            return Err(CodeError::Check);
        }
        Ok(Self::from_value(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A code as it goes into a link or a QR code: the check symbols `$` and `*` percent-encoded
/// (`%24`, `%2A`), everything else as it is.
///
/// Both are legal in a URL path, but mail programs and chat apps end a link before them or
/// read `*…*` as emphasis, and a QR reader may hand the link to such an app; the encoded forms
/// survive everywhere, and every route decodes them back to the same code. The code printed for
/// people to read or type keeps its symbol: `$` and `*` are what Crockford's scheme defines,
/// and a verifier types it into a form, never into an address bar.
pub fn in_url(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + 4);
    for c in code.chars() {
        match c {
            '$' => out.push_str("%24"),
            '*' => out.push_str("%2A"),
            other => out.push(other),
        }
    }
    out
}

impl fmt::Display for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_value_and_lenient_reading() {
        let code = VerificationCode::from_value(0);
        assert_eq!(code.as_str(), "00000000000");
        let code = VerificationCode::from_value((1 << 45) | 42);
        let typed = code.as_str().to_lowercase().replace('1', "l");
        assert_eq!(VerificationCode::parse(&typed).unwrap(), code);
        assert_eq!(VerificationCode::parse("ABCDE-FGHJK").unwrap_err(), CodeError::Length);
        assert_eq!(VerificationCode::parse("ABCDEFGHJK#").unwrap_err(), CodeError::Character);
    }

    #[test]
    fn links_carry_the_awkward_check_symbols_percent_encoded() {
        assert_eq!(in_url("ABCDEFGHJK$"), "ABCDEFGHJK%24");
        assert_eq!(in_url("ABCDEFGHJK*"), "ABCDEFGHJK%2A");
        assert_eq!(in_url("ABCDEFGHJK~"), "ABCDEFGHJK~", "unreserved in URLs");
        assert_eq!(in_url("ABCDEFGHJK="), "ABCDEFGHJK=");
        // Codes with each check symbol exist, and their links decode back to them.
        let with = |symbol: u8| {
            (0u64..).map(VerificationCode::from_value).find(|c| c.as_str().as_bytes()[10] == symbol)
        };
        for symbol in *CHECK_EXTRA {
            let code = with(symbol).unwrap();
            let link = in_url(code.as_str());
            let decoded = link.replace("%24", "$").replace("%2A", "*");
            assert_eq!(VerificationCode::parse(&decoded).unwrap(), code);
            assert!(!link.contains(['$', '*']), "{link}");
        }
    }

    proptest! {
        #[test]
        fn round_trips_and_catches_single_typos(value in 0u64..(1 << 50), pos in 0usize..10, delta in 1u64..32) {
            let code = VerificationCode::from_value(value);
            prop_assert_eq!(VerificationCode::parse(code.as_str()).unwrap(), code.clone());
            let mut bytes = code.as_str().as_bytes().to_vec();
            let old = value_of(bytes[pos]).unwrap();
            bytes[pos] = ALPHABET[((old + delta) % 32) as usize];
            let typo = String::from_utf8(bytes).unwrap();
            prop_assert!(VerificationCode::parse(&typo).is_err(), "{} accepted", typo);
        }

        #[test]
        fn catches_adjacent_swaps(value in 0u64..(1 << 50), pos in 0usize..9) {
            let code = VerificationCode::from_value(value);
            let mut bytes = code.as_str().as_bytes().to_vec();
            prop_assume!(bytes[pos] != bytes[pos + 1]);
            bytes.swap(pos, pos + 1);
            prop_assert!(VerificationCode::parse(std::str::from_utf8(&bytes).unwrap()).is_err());
        }
    }
}
