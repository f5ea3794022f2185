//! The NIP (Nomor Induk Pegawai), the 18-digit number that identifies a civil servant.
//!
//! A NIP is `YYYYMMDD` (birth date) + `YYYYMM` (appointment, TMT) + gender digit + a
//! three-digit sequence, for example `198503122010011001`. It is always kept as a string: as a
//! JSON number it would exceed the range a double represents exactly.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a string is not a valid NIP.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NipError {
    #[error("NIP harus terdiri atas 18 digit angka")]
    Shape,
    #[error("tanggal lahir pada NIP ({0}) bukan tanggal yang valid")]
    BirthDate(String),
    #[error("TMT pengangkatan pada NIP ({0}) bukan bulan yang valid")]
    AppointmentDate(String),
    #[error("TMT pengangkatan pada NIP tidak boleh sebelum tanggal lahir")]
    AppointmentBeforeBirth,
    #[error("digit jenis kelamin pada NIP harus 1 atau 2, bukan {0}")]
    Gender(char),
}

/// A validated NIP. Constructing one is the only way to get one, so holders need not re-check.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nip(String);

/// The gender encoded in a NIP's 15th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NipGender {
    Male,
    Female,
}

impl Nip {
    /// Parses and validates a NIP. Surrounding whitespace is ignored; inner spaces are not,
    /// because a NIP typed with spaces is ambiguous about where digits were lost.
    pub fn parse(input: &str) -> Result<Self, NipError> {
        let s = input.trim();
        if s.len() != 18 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NipError::Shape);
        }
        let num = |range: std::ops::Range<usize>| -> u32 {
            // The shape check above guarantees ASCII digits, so this cannot fail.
            s[range].parse().unwrap_or_default()
        };
        let birth = NaiveDate::from_ymd_opt(num(0..4) as i32, num(4..6), num(6..8))
            .filter(|d| (1900..=2100).contains(&d.year()))
            .ok_or_else(|| NipError::BirthDate(s[0..8].to_string()))?;
        let tmt = NaiveDate::from_ymd_opt(num(8..12) as i32, num(12..14), 1)
            .filter(|d| (1900..=2100).contains(&d.year()))
            .ok_or_else(|| NipError::AppointmentDate(s[8..14].to_string()))?;
        // The appointment month must come after the birth month; equal months are impossible too.
        if tmt <= birth.with_day(1).unwrap_or(birth) {
            return Err(NipError::AppointmentBeforeBirth);
        }
        let gender = s.as_bytes()[14] as char;
        if gender != '1' && gender != '2' {
            return Err(NipError::Gender(gender));
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date embedded in the NIP (valid by construction).
    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[0..8], "%Y%m%d").unwrap_or_default()
    }

    pub fn gender(&self) -> NipGender {
        if self.0.as_bytes()[14] == b'1' { NipGender::Male } else { NipGender::Female }
    }

    /// The NIP as public pages show it: `198503********1001`. The birth date and appointment
    /// are personal data (UU 27/2022); the first six and last four digits are enough for a
    /// person to recognise their own record.
    pub fn masked(&self) -> String {
        format!("{}{}{}", &self.0[0..6], "*".repeat(8), &self.0[14..18])
    }
}

impl fmt::Display for Nip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Nip {
    type Err = NipError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl AsRef<str> for Nip {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Nip {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Nip {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only a string is accepted: a number would already have lost digits in many clients.
        let s = String::deserialize(d)?;
        Nip::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_documented_example() {
        let nip = Nip::parse(" 198503122010011001 ").unwrap();
        assert_eq!(nip.as_str(), "198503122010011001");
        assert_eq!(nip.birth_date(), NaiveDate::from_ymd_opt(1985, 3, 12).unwrap());
        assert_eq!(nip.gender(), NipGender::Male);
        assert_eq!(nip.masked(), "198503********1001");
    }

    #[test]
    fn rejects_each_kind_of_mistake() {
        assert_eq!(Nip::parse("19850312201001100"), Err(NipError::Shape));
        assert_eq!(Nip::parse("1985031220100110011"), Err(NipError::Shape));
        assert_eq!(Nip::parse("19850312201001100a"), Err(NipError::Shape));
        assert_eq!(Nip::parse("1985 03122010011001"), Err(NipError::Shape));
        assert!(matches!(Nip::parse("198502302010011001"), Err(NipError::BirthDate(_))));
        assert!(matches!(Nip::parse("198513012010011001"), Err(NipError::BirthDate(_))));
        assert!(matches!(Nip::parse("198503122010131001"), Err(NipError::AppointmentDate(_))));
        assert!(matches!(Nip::parse("198503122010001001"), Err(NipError::AppointmentDate(_))));
        assert_eq!(Nip::parse("198503121980011001"), Err(NipError::AppointmentBeforeBirth));
        assert_eq!(Nip::parse("198503122010013001"), Err(NipError::Gender('3')));
        assert_eq!(Nip::parse("198503122010010001"), Err(NipError::Gender('0')));
    }

    #[test]
    fn leap_day_births_are_real_dates() {
        assert!(Nip::parse("199602292020012001").is_ok());
        assert!(Nip::parse("199702292020012001").is_err());
    }

    #[test]
    fn json_accepts_only_strings() {
        let nip: Nip = serde_json::from_str("\"198503122010011001\"").unwrap();
        assert_eq!(serde_json::to_string(&nip).unwrap(), "\"198503122010011001\"");
        assert!(serde_json::from_str::<Nip>("198503122010011001").is_err());
    }

    proptest! {
        #[test]
        fn every_valid_shape_round_trips(
            y in 1950i32..2005, m in 1u32..=12, d in 1u32..=28,
            ty in 2006i32..2030, tm in 1u32..=12, g in 1u8..=2, seq in 0u32..1000,
        ) {
            let s = format!("{y:04}{m:02}{d:02}{ty:04}{tm:02}{g}{seq:03}");
            let nip = Nip::parse(&s).unwrap();
            prop_assert_eq!(nip.as_str(), s.as_str());
            prop_assert_eq!(nip.masked().len(), 18);
            prop_assert!(nip.masked().ends_with(&s[14..]));
        }

        #[test]
        fn arbitrary_strings_never_panic(s in "\\PC{0,24}") {
            let _ = Nip::parse(&s);
        }
    }
}
