//! The course service and its errors.

use std::sync::Arc;

use penkom_core::Clock;
use penkom_storage::DatabaseConnection;
use sea_orm::DbErr;

use crate::format::Problem;
use crate::rules::Violation;

/// Courses: content import, authoring, catalog and enrolment. Cheap to clone.
#[derive(Clone)]
pub struct Courses {
    pub(crate) db: DatabaseConnection,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) minutes_per_jp: u32,
}

impl Courses {
    /// `minutes_per_jp` is policy (45 by LAN convention): a version is publishable only if its
    /// required modules add up to at least JP × this many minutes.
    pub fn new(db: DatabaseConnection, clock: Arc<dyn Clock>, minutes_per_jp: u32) -> Self {
        Self { db, clock, minutes_per_jp }
    }

    pub fn minutes_per_jp(&self) -> u32 {
        self.minutes_per_jp
    }
}

/// Why importing a content folder failed. Nothing was imported.
#[derive(Debug, thiserror::Error)]
pub enum ContentImportError {
    #[error("isi kursus tidak valid ({} masalah)", .0.len())]
    Invalid(Vec<Problem>),
    #[error(
        "folder konten tidak berisi kursus, padahal ada kursus dari berkas yang aktif; periksa PENKOM_CONTENT_DIR"
    )]
    EmptyFolder,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Why a learner-facing catalog request failed.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("kursus tidak ditemukan")]
    CourseNotFound,
    #[error("modul tidak ditemukan")]
    ModuleNotFound,
    #[error("Anda belum terdaftar pada versi kursus yang memuat modul ini")]
    NotEnrolled,
    #[error("kursus ini sudah tidak dibuka untuk pendaftaran")]
    Retired,
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// Why an authoring request failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthoringError {
    #[error("kursus tidak ditemukan")]
    CourseNotFound,
    #[error("kursus dari berkas konten hanya diubah lewat berkasnya")]
    ContentManaged,
    #[error("kode kursus {0} sudah dipakai")]
    CodeTaken(String),
    #[error("modul {0} tidak ada di draf")]
    ModuleNotFound(String),
    #[error("pertanyaan {0} tidak ada di draf")]
    QuestionNotFound(String),
    #[error("urutan harus menyebut setiap modul (atau pertanyaan) draf tepat sekali")]
    BadOrder,
    #[error("tidak ada draf untuk diterbitkan")]
    NothingToPublish,
    #[error("versi ini belum memenuhi syarat terbit")]
    Unpublishable {
        problems: Vec<Violation>,
        /// Minutes of required study missing for the JP value, when that is one of the problems.
        shortfall_minutes: Option<rust_decimal::Decimal>,
    },
    #[error("kursus sudah dipensiunkan")]
    Retired,
    #[error("isian melampaui batas: {}", .0.join("; "))]
    OutOfBounds(Vec<String>),
    #[error(transparent)]
    Db(#[from] DbErr),
}
