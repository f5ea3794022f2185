//! The roles a person can hold. A person may hold several; every endpoint declares which roles
//! may call it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// An ASN who studies courses and earns JP.
    Learner,
    /// Writes and publishes courses.
    Instructor,
    /// BKPSDM staff who verify certificates and read reports for every OPD.
    Verifier,
    /// Reads reports for their own OPD only.
    OpdAdmin,
    /// Manages people, policy and everything else.
    Admin,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("peran tidak dikenal: \"{0}\" (pilihan: learner, instructor, verifier, opd_admin, admin)")]
pub struct RoleError(pub String);

impl Role {
    pub const ALL: [Role; 5] = [Role::Learner, Role::Instructor, Role::Verifier, Role::OpdAdmin, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Instructor => "instructor",
            Role::Verifier => "verifier",
            Role::OpdAdmin => "opd_admin",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = RoleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim().to_ascii_lowercase();
        Role::ALL.into_iter().find(|r| r.as_str() == t).ok_or_else(|| RoleError(s.trim().to_string()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_text_and_json() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", r.as_str()));
        }
        assert_eq!(" OPD_ADMIN ".parse::<Role>().unwrap(), Role::OpdAdmin);
        assert!("superuser".parse::<Role>().is_err());
    }
}
