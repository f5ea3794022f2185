//! JP (jam pelajaran), the unit in which training is credited: 1 JP is 45 minutes of study by
//! LAN convention, and the minutes per JP are configurable policy.
//!
//! JP are exact decimals (a course may be worth 1.5 JP) and never floating point, because a
//! yearly total of 20 JP must compare equal to 20 JP after any number of additions.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest JP value any single record may carry; larger values are typing mistakes.
pub const MAX_JP: Decimal = Decimal::from_parts(MAX_WHOLE_JP, 0, 0, false, 0);
/// [`MAX_JP`] as a whole number.
pub const MAX_WHOLE_JP: u32 = 1000;
/// JP are recorded to hundredths; more precision than that is noise from a spreadsheet.
pub const MAX_SCALE: u32 = 2;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JpError {
    #[error("nilai JP bukan angka desimal: {0}")]
    NotANumber(String),
    #[error("nilai JP tidak boleh negatif")]
    Negative,
    #[error("nilai JP paling banyak 1000")]
    TooLarge,
    #[error("nilai JP paling banyak dua angka di belakang koma")]
    TooPrecise,
}

/// A validated, non-negative amount of JP with at most two decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Jp(Decimal);

impl Jp {
    pub const ZERO: Jp = Jp(Decimal::ZERO);

    pub fn new(value: Decimal) -> Result<Self, JpError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(JpError::Negative);
        }
        if value > MAX_JP {
            return Err(JpError::TooLarge);
        }
        let normalized = value.normalize();
        if normalized.scale() > MAX_SCALE {
            return Err(JpError::TooPrecise);
        }
        Ok(Self(normalized))
    }

    /// Parses a plain decimal: digits, then optionally a point and more digits (`"20"`,
    /// `"20.5"`). Nothing else: no sign, exponent (`"2e1"`), digit separators (`"1_000"`,
    /// `"1,000"`), decimal comma (`"20,5"`: is it twenty and a half, or twenty thousand five
    /// hundred?) or spaces. A JP value decides whether someone met their yearly duty; a typo
    /// must be refused, not read as some other number.
    pub fn parse(input: &str) -> Result<Self, JpError> {
        fn plain(s: &str) -> bool {
            let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
            let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
            digits(whole) && digits(fraction)
        }
        if input.strip_prefix('-').is_some_and(plain) {
            return Err(JpError::Negative);
        }
        let not_a_number = || JpError::NotANumber(input.chars().take(40).collect());
        if !plain(input) {
            return Err(not_a_number());
        }
        Self::new(Decimal::from_str(input).map_err(|_| not_a_number())?)
    }

    pub fn value(self) -> Decimal {
        self.0
    }

    /// The amount in hundredths of a JP: the integer form ledgers sum exactly in SQL.
    pub fn hundredths(self) -> i64 {
        // At most 1000 JP with two decimals: always fits.
        (self.0 * Decimal::ONE_HUNDRED).trunc().mantissa() as i64
    }

    /// Hundredths of a JP (possibly negative, as in a reversal) as decimal text: `2000` → `"20"`,
    /// `-150` → `"-1.5"`.
    pub fn format_hundredths(h: i64) -> String {
        // Integer arithmetic, not `Decimal`: a compliance report formats three amounts for each
        // of 100,000 people. The test below holds it equal to the decimal form.
        let (sign, a) = (if h < 0 { "-" } else { "" }, h.unsigned_abs());
        match (a / 100, a % 100) {
            (w, 0) => format!("{sign}{w}"),
            (w, f) if f % 10 == 0 => format!("{sign}{w}.{}", f / 10),
            (w, f) => format!("{sign}{w}.{f:02}"),
        }
    }

    /// The study minutes this many JP stand for, at `minutes_per_jp` minutes per JP.
    pub fn minutes(self, minutes_per_jp: u32) -> Decimal {
        self.0 * Decimal::from(minutes_per_jp)
    }

    /// Adds two amounts. A sum may exceed [`MAX_JP`] (a ledger total is not a single record),
    /// so the result is a plain decimal rather than a `Jp`.
    pub fn sum<I: IntoIterator<Item = Jp>>(items: I) -> Decimal {
        items.into_iter().map(|j| j.0).sum()
    }
}

impl fmt::Display for Jp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.normalize())
    }
}

impl FromStr for Jp {
    type Err = JpError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Jp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // As a string, so that no client turns 1.1 into 1.1000000000000000888.
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Jp {
    /// Decimal text (`"1.5"`), or a whole number. A number with a fraction is refused: `1.1` as
    /// a JSON number is already not 1.1 to most senders. A whole number written as one
    /// (`2.0`) is the number it says, as JSON Schema counts it too.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Jp;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("nilai JP sebagai teks desimal, mis. \"1.5\", atau bilangan bulat")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Jp, E> {
                Jp::parse(s).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<Jp, E> {
                Jp::new(Decimal::from(n)).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<Jp, E> {
                Jp::new(Decimal::from(n)).map_err(E::custom)
            }
            fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Jp, E> {
                if f.fract() != 0.0 || !f.is_finite() {
                    return Err(E::custom("nilai JP pecahan ditulis sebagai teks, mis. \"1.5\""));
                }
                Decimal::try_from(f)
                    .map_err(|_| E::custom(JpError::TooLarge))
                    .and_then(|d| Jp::new(d).map_err(E::custom))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hundredths_round_trip() {
        assert_eq!(Jp::parse("1.5").unwrap().hundredths(), 150);
        assert_eq!(Jp::parse("20").unwrap().hundredths(), 2000);
        assert_eq!(Jp::format_hundredths(2000), "20");
        assert_eq!(Jp::format_hundredths(-150), "-1.5");
        assert_eq!(Jp::format_hundredths(5), "0.05");
    }
    use proptest::prelude::*;

    #[test]
    fn parses_exact_decimals() {
        assert_eq!(Jp::parse("1.5").unwrap().to_string(), "1.5");
        assert_eq!(Jp::parse("1.50").unwrap().to_string(), "1.5");
        assert_eq!(Jp::parse("20").unwrap().minutes(45), Decimal::from(900));
        assert_eq!(Jp::parse("0.1").unwrap().minutes(45), Decimal::from_str("4.5").unwrap());
    }

    #[test]
    fn rejects_bad_values() {
        assert_eq!(Jp::parse("-1"), Err(JpError::Negative));
        assert_eq!(Jp::parse("1000.01"), Err(JpError::TooLarge));
        assert_eq!(Jp::parse("1.125"), Err(JpError::TooPrecise));
        assert!(matches!(Jp::parse("dua"), Err(JpError::NotANumber(_))));
        assert!(Jp::parse("1.120").is_ok(), "trailing zeros are not precision");
        for typo in
            ["1_000", "2e1", "20,5", "1,000", " 20", "20 ", "+2", ".5", "5.", "", "0x10", "2.5.1", "١٢"]
        {
            assert!(
                matches!(Jp::parse(typo), Err(JpError::NotANumber(_))),
                "{typo:?} is not a plain decimal"
            );
        }
    }

    #[test]
    fn json_is_a_string_and_accepts_integers() {
        let jp: Jp = serde_json::from_str("\"2.25\"").unwrap();
        assert_eq!(serde_json::to_string(&jp).unwrap(), "\"2.25\"");
        let jp: Jp = serde_json::from_str("3").unwrap();
        assert_eq!(jp.to_string(), "3");
        assert!(serde_json::from_str::<Jp>("1.5").is_err(), "floats are refused");
    }

    proptest! {
        #[test]
        fn tenths_add_up_exactly(n in 1usize..500) {
            let tenth = Jp::parse("0.1").unwrap();
            prop_assert_eq!(Jp::sum(std::iter::repeat_n(tenth, n)), Decimal::from(n as u64) / Decimal::from(10));
        }

        #[test]
        fn hundredths_format_as_the_decimal_does(h in prop_oneof![-100_000i64..100_000, any::<i64>()]) {
            prop_assert_eq!(Jp::format_hundredths(h), Decimal::new(h, 2).normalize().to_string());
        }

        #[test]
        fn display_round_trips(cents in 0u64..=100_000) {
            let jp = Jp::new(Decimal::new(cents as i64, 2)).unwrap();
            prop_assert_eq!(Jp::parse(&jp.to_string()).unwrap(), jp);
        }
    }
}
