//! Bulk import of people from a CSV file, as HR spreadsheets export them.
//!
//! Import is all-or-nothing: a file with any bad row changes nothing and the answer lists every
//! bad row with its line number and reason, so the operator fixes the spreadsheet once instead of
//! discovering problems one by one. Import is idempotent on NIP: the same file imported twice
//! changes nothing the second time, and a changed row updates that person.

mod apply;
mod csv_file;

use std::collections::BTreeSet;

use penkom_core::{Email, EmploymentType, Nip, OpdCode, OpdName, PersonName, Role};
use sea_orm::DbErr;
use serde::Serialize;

pub use csv_file::parse_people_csv;

/// One valid row of an import file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRow {
    /// The line in the file where this row starts (the header is line 1).
    pub line: u64,
    pub nip: Nip,
    pub name: PersonName,
    pub email: Email,
    pub employment_type: EmploymentType,
    pub opd_code: OpdCode,
    pub opd_name: OpdName,
    /// The roles to hold. `None` when the file has no `roles` column or the cell is empty: a new
    /// person then gets `learner`, and an existing person keeps the roles they have, so that a
    /// plain HR export can never strip an administrator or instructor of their role.
    pub roles: Option<BTreeSet<Role>>,
    /// `None` when the file has no `rank` column (the stored value is kept); `Some(None)` when
    /// the cell is empty (the stored value is cleared).
    pub rank: Option<Option<String>>,
    /// As `rank`.
    pub position: Option<Option<String>>,
}

/// Why one row (or the header, line 1) cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    pub line: u64,
    /// The column at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub opds_created: usize,
    pub opds_renamed: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file itself has bad rows; nothing was imported.
    #[error("berkas berisi {} baris yang salah; tidak ada data yang diimpor", .0.len())]
    Invalid(Vec<RowError>),
    /// Rows are well-formed but clash with people already stored (an e-mail that belongs to
    /// another NIP); nothing was imported.
    #[error("berkas bertentangan dengan data yang sudah ada di {} baris; tidak ada data yang diimpor", .0.len())]
    Conflict(Vec<RowError>),
    #[error(transparent)]
    Db(#[from] DbErr),
}
