//! The two kinds of ASN employment. They differ in their yearly JP requirement (PNS 20 JP,
//! PPPK 24 JP by default), so every person carries one.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EmploymentType {
    /// Pegawai Negeri Sipil: a permanent civil servant.
    #[serde(rename = "PNS")]
    Pns,
    /// Pegawai Pemerintah dengan Perjanjian Kerja: a contract civil servant.
    #[serde(rename = "PPPK")]
    Pppk,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("jenis kepegawaian harus PNS atau PPPK, bukan \"{0}\"")]
pub struct EmploymentTypeError(pub String);

impl EmploymentType {
    pub const ALL: [EmploymentType; 2] = [EmploymentType::Pns, EmploymentType::Pppk];

    pub fn as_str(self) -> &'static str {
        match self {
            EmploymentType::Pns => "PNS",
            EmploymentType::Pppk => "PPPK",
        }
    }
}

impl FromStr for EmploymentType {
    type Err = EmploymentTypeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "PNS" => Ok(EmploymentType::Pns),
            "PPPK" => Ok(EmploymentType::Pppk),
            _ => Err(EmploymentTypeError(s.trim().to_string())),
        }
    }
}

impl fmt::Display for EmploymentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_case_insensitively_and_round_trips() {
        assert_eq!("pppk".parse::<EmploymentType>().unwrap(), EmploymentType::Pppk);
        for t in EmploymentType::ALL {
            assert_eq!(t.as_str().parse::<EmploymentType>().unwrap(), t);
        }
        assert!("honorer".parse::<EmploymentType>().is_err());
    }
}
