//! The yearly JP ledger: credits from certificates and from training outside Penkom, the
//! requirement each employment type must reach, and the reports BKPSDM runs on them.
//!
//! `policy` is pure; `entries` writes ledger rows inside a caller's transaction (the
//! certificates crate credits and reverses in the same transaction as the certificate);
//! `service` holds the rest.

pub mod audit;
pub mod balance;
pub mod compliance;
pub mod entries;
pub mod external;
pub mod policy;
pub mod scope;
pub mod service;
pub mod siasn;

pub use compliance::{ComplianceReport, OpdSummary, PersonCompliance, ReportPart, ReportParts};
pub use external::{Evidence, ExternalError, ExternalInput};
pub use policy::Requirement;
pub use service::{JpStatement, Ledger, LedgerError, StatementEntry, YEARS};
