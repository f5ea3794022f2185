//! Certificates: signed Open Badges 3.0 credentials, PDF certificates, verification,
//! revocation and the tamper-evident log.
//!
//! The pure parts (codes, numbers, the credential, proofs, the status list, the PDF) take
//! values and return values; [`service`] and the modules that extend it touch the database.
//! Every issue and revocation is an entry of the record log (the `record-log` crate), and every
//! certificate read from the database carries its entries, so each answer checks the row
//! against what was logged.

pub mod checking;
pub mod code;
pub mod credential;
pub mod graduation;
pub mod inspect;
pub mod issue;
pub mod keys;
pub mod log;
pub mod number;
pub mod pdf;
pub mod proof;
pub mod public_lookups;
pub mod qr;
pub mod revoke;
pub mod service;
pub mod status_list;
pub mod strict_json;
pub mod summary;
pub mod verify;

pub use code::VerificationCode;
pub use credential::{Facts, Issuer};
pub use graduation::{Graduated, Graduation};
pub use issue::IssueError;
pub use keys::{PublicKeys, SigningIdentity};
pub use log::AuditReport;
pub use number::NumberTemplate;
pub use revoke::RevokeError;
pub use service::{Certificate, CertificateConfig, Certificates};
pub use summary::Summary;
