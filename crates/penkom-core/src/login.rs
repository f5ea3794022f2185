//! What a person types to sign in: their NIP or their e-mail address.

use crate::{Email, Nip};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Nip(Nip),
    Email(Email),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("isi NIP (18 digit) atau alamat e-mail")]
pub struct LoginError;

impl Login {
    pub fn parse(input: &str) -> Result<Self, LoginError> {
        let s = input.trim();
        if s.contains('@') {
            Email::parse(s).map(Login::Email).map_err(|_| LoginError)
        } else {
            Nip::parse(s).map(Login::Nip).map_err(|_| LoginError)
        }
    }

    /// A stable key for this login, used to count failed sign-ins per account whether or not
    /// the account exists (so the limiter does not reveal which accounts exist).
    pub fn key(&self) -> String {
        match self {
            Login::Nip(n) => format!("nip:{n}"),
            Login::Email(e) => format!("email:{e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_nip_from_email() {
        assert!(matches!(Login::parse("198503122010011001"), Ok(Login::Nip(_))));
        assert!(matches!(Login::parse("Budi@Kota.go.id"), Ok(Login::Email(_))));
        assert_eq!(Login::parse("Budi@Kota.go.id").unwrap().key(), "email:budi@kota.go.id");
        assert_eq!(Login::parse("budi"), Err(LoginError));
    }
}
