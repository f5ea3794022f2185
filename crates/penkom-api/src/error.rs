//! Errors as HTTP answers: `{"error": {"code": "snake_case", "message": "…"}}`.
//!
//! This file is the one place where domain errors become status codes. Every `From` impl
//! matches its error enum exhaustively, so adding a variant to a domain error fails to compile
//! until someone decides its status and code here. Messages are in Bahasa Indonesia because
//! learners read them; codes are stable English identifiers because programs read them.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable `snake_case` identifier of the error.
    pub code: String,
    /// A human-readable explanation in Bahasa Indonesia.
    pub message: String,
    /// Structured details where they help, e.g. every bad row of an import file.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

/// An error on its way to becoming an HTTP answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<serde_json::Value>,
    pub retry_after: Option<Duration>,
    /// The database or the way to it failed for a moment ([`penkom_storage::is_transient`]):
    /// the answer carries [`TransientFailure`], so that a read can be run once more.
    pub transient: bool,
}

/// Marks an answer that failed on a transient database condition (a response extension, seen
/// by [`crate::read_retry`] and never sent to the client).
#[derive(Debug, Clone, Copy)]
pub struct TransientFailure;

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into(), details: None, retry_after: None, transient: false }
    }

    /// What every answer made from an error carries besides its body, whatever its format
    /// (JSON, a page, the verification page): `Retry-After` when the client should wait, and the
    /// [`TransientFailure`] mark. Every conversion of an `ApiError` into an answer calls this,
    /// with the error's own `retry_after` and `transient`.
    pub fn finish(retry_after: Option<Duration>, transient: bool, res: &mut Response) {
        if let Some(after) = retry_after {
            // Round up: a client that waits the advertised time must then succeed.
            let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if transient {
            res.extensions_mut().insert(TransientFailure);
        }
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "silakan masuk terlebih dahulu")
    }

    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Anda tidak berwenang mengakses sumber ini")
    }

    /// A fault of the server or of a service it depends on. The detail goes to the log with the
    /// request id; the client gets a generic message, never SQL or a stack trace.
    pub fn internal(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "terjadi kesalahan pada server; silakan coba lagi",
        )
    }

    pub fn unavailable(err: impl std::fmt::Display) -> Self {
        tracing::error!(error = %err, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "layanan sedang tidak tersedia; silakan coba lagi",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail { code: self.code.to_string(), message: self.message, details: self.details },
        };
        let mut res = (self.status, Json(body)).into_response();
        ApiError::finish(self.retry_after, self.transient, &mut res);
        res
    }
}

impl From<penkom_storage::DbErr> for ApiError {
    fn from(e: penkom_storage::DbErr) -> Self {
        // A database that is busy, out of connections, or whose connection broke under the
        // statement (a failover) is a temporary condition: 503 with Retry-After tells the client
        // to try again, and the transaction it was in was rolled back whole.
        if penkom_storage::is_transient(&e) {
            ApiError {
                retry_after: Some(Duration::from_secs(1)),
                transient: true,
                ..ApiError::unavailable(e)
            }
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<live_store::LiveStoreError> for ApiError {
    fn from(e: live_store::LiveStoreError) -> Self {
        match e {
            live_store::LiveStoreError::Unavailable(_) => {
                ApiError { retry_after: Some(Duration::from_secs(1)), ..ApiError::unavailable(e) }
            }
        }
    }
}

impl From<accounts::SignInError> for ApiError {
    fn from(e: accounts::SignInError) -> Self {
        use accounts::SignInError as E;
        match e {
            E::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", e.to_string())
            }
            E::OneTimePasswordExpired => {
                ApiError::new(StatusCode::UNAUTHORIZED, "one_time_password_expired", e.to_string())
            }
            E::RateLimited { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", e.to_string())
            },
            E::Unavailable(inner) => inner.into(),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<accounts::AuthError> for ApiError {
    fn from(e: accounts::AuthError) -> Self {
        use accounts::AuthError as E;
        match e {
            E::Invalid => ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", e.to_string()),
            E::Expired => ApiError::new(StatusCode::UNAUTHORIZED, "token_expired", e.to_string()),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<accounts::ChangePasswordError> for ApiError {
    fn from(e: accounts::ChangePasswordError) -> Self {
        use accounts::ChangePasswordError as E;
        match e {
            E::WrongCurrentPassword => ApiError::new(StatusCode::FORBIDDEN, "wrong_password", e.to_string()),
            E::Weak(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "weak_password", e.to_string()),
            E::Unchanged => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "password_unchanged", e.to_string())
            }
            E::RateLimited { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", e.to_string())
            },
            E::Unavailable(inner) => inner.into(),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<accounts::ProfileError> for ApiError {
    fn from(e: accounts::ProfileError) -> Self {
        use accounts::ProfileError as E;
        match e {
            E::NotFound => ApiError::not_found(e.to_string()),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<accounts::OneTimePasswordError> for ApiError {
    fn from(e: accounts::OneTimePasswordError) -> Self {
        use accounts::OneTimePasswordError as E;
        match e {
            E::NotFound => ApiError::not_found(e.to_string()),
            E::OwnAccount => ApiError::new(StatusCode::CONFLICT, "own_account", e.to_string()),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<accounts::ImportError> for ApiError {
    fn from(e: accounts::ImportError) -> Self {
        use accounts::ImportError as E;
        let message = e.to_string();
        match e {
            E::Invalid(rows) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_import_file", message)
                    .with_details(serde_json::json!({ "rows": rows }))
            }
            E::Conflict(rows) => ApiError::new(StatusCode::CONFLICT, "import_conflict", message)
                .with_details(serde_json::json!({ "rows": rows })),
            E::Db(inner) if penkom_storage::is_unique_violation(&inner) => ApiError::new(
                StatusCode::CONFLICT,
                "import_conflict",
                "data berubah saat impor berjalan; silakan ulangi impor",
            ),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<course_delivery::CatalogError> for ApiError {
    fn from(e: course_delivery::CatalogError) -> Self {
        use course_delivery::CatalogError as E;
        let message = e.to_string();
        match e {
            E::CourseNotFound => ApiError::new(StatusCode::NOT_FOUND, "course_not_found", message),
            E::ModuleNotFound => ApiError::new(StatusCode::NOT_FOUND, "module_not_found", message),
            E::NotEnrolled => ApiError::new(StatusCode::FORBIDDEN, "not_enrolled", message),
            E::Retired => ApiError::new(StatusCode::CONFLICT, "course_retired", message),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<course_delivery::InvalidFilter> for ApiError {
    fn from(e: course_delivery::InvalidFilter) -> Self {
        ApiError::bad_request("invalid_query_parameter", e.to_string())
    }
}

impl From<course_delivery::AuthoringError> for ApiError {
    fn from(e: course_delivery::AuthoringError) -> Self {
        use course_delivery::AuthoringError as E;
        let message = e.to_string();
        match e {
            E::CourseNotFound => ApiError::new(StatusCode::NOT_FOUND, "course_not_found", message),
            E::ContentManaged => ApiError::new(StatusCode::CONFLICT, "content_managed_course", message),
            E::CodeTaken(_) => ApiError::new(StatusCode::CONFLICT, "course_code_taken", message),
            E::ModuleNotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "module_not_found", message),
            E::QuestionNotFound(_) => ApiError::new(StatusCode::NOT_FOUND, "question_not_found", message),
            E::BadOrder => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_module_order", message),
            E::NothingToPublish => ApiError::new(StatusCode::CONFLICT, "nothing_to_publish", message),
            E::Unpublishable { problems, shortfall_minutes } => {
                let reasons: Vec<&str> = problems.iter().map(|p| p.reason.as_str()).collect();
                let message = format!("{message}: {}", reasons.join("; "));
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "not_publishable", message).with_details(
                    serde_json::json!({
                        "problems": reasons,
                        "shortfall_minutes": shortfall_minutes.map(|m| m.normalize().to_string()),
                    }),
                )
            }
            E::Retired => ApiError::new(StatusCode::CONFLICT, "course_retired", message),
            E::OutOfBounds(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message),
            E::Db(inner) if penkom_storage::is_unique_violation(&inner) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", "data berubah bersamaan; silakan ulangi")
            }
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<progress_tracking::QuizError> for ApiError {
    fn from(e: progress_tracking::QuizError) -> Self {
        use progress_tracking::QuizError as E;
        let message = e.to_string();
        match e {
            E::CourseNotFound => ApiError::new(StatusCode::NOT_FOUND, "course_not_found", message),
            E::NotEnrolled => ApiError::new(StatusCode::FORBIDDEN, "not_enrolled", message),
            E::ModulesIncomplete { missing } => {
                let missing: Vec<serde_json::Value> = missing
                    .iter()
                    .map(|m| serde_json::json!({ "module_id": m.module_id, "title": m.title }))
                    .collect();
                ApiError::new(StatusCode::CONFLICT, "modules_incomplete", message)
                    .with_details(serde_json::json!({ "missing_modules": missing }))
            }
            E::AlreadyCompleted => ApiError::new(StatusCode::CONFLICT, "course_already_completed", message),
            E::AttemptLimitReached { limit } => {
                ApiError::new(StatusCode::CONFLICT, "attempt_limit_reached", message)
                    .with_details(serde_json::json!({ "limit": limit }))
            }
            E::MustWait { retry_after } => {
                // Rounded up, as the Retry-After header is: waiting that long must be enough.
                let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
                ApiError {
                    retry_after: Some(retry_after),
                    ..ApiError::new(StatusCode::CONFLICT, "attempt_wait", message)
                        .with_details(serde_json::json!({ "retry_after_seconds": secs }))
                }
            }
            E::NoQuestions => ApiError::new(StatusCode::CONFLICT, "no_questions", message),
            E::AttemptNotFound => ApiError::new(StatusCode::NOT_FOUND, "attempt_not_found", message),
            E::AttemptClosed => ApiError::new(StatusCode::CONFLICT, "attempt_closed", message),
            E::AttemptSubmitted => ApiError::new(StatusCode::CONFLICT, "attempt_submitted", message),
            E::InvalidAnswer(_) => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_answer", message),
            // Only reachable if the per-learner lock were bypassed; the unique index held.
            E::Db(inner) if penkom_storage::is_unique_violation(&inner) => ApiError::new(
                StatusCode::CONFLICT,
                "conflict",
                "permintaan lain untuk post-test ini sedang diproses; silakan ulangi",
            ),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<progress_tracking::StudyError> for ApiError {
    fn from(e: progress_tracking::StudyError) -> Self {
        use progress_tracking::StudyError as E;
        let message = e.to_string();
        match e {
            E::SessionNotFound => ApiError::new(StatusCode::NOT_FOUND, "session_not_found", message),
            E::Superseded => ApiError::new(StatusCode::CONFLICT, "session_superseded", message),
            E::SessionEnded => ApiError::new(StatusCode::CONFLICT, "session_ended", message),
            E::TooFast { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "heartbeat_too_fast", message)
            },
            E::InsufficientStudyTime { missing_seconds } => {
                ApiError::new(StatusCode::CONFLICT, "insufficient_study_time", message)
                    .with_details(serde_json::json!({ "missing_seconds": missing_seconds }))
            }
            E::Contended => ApiError {
                retry_after: Some(Duration::from_secs(1)),
                ..ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "contended", message)
            },
            E::Live(inner) => inner.into(),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<certificates::RevokeError> for ApiError {
    fn from(e: certificates::RevokeError) -> Self {
        use certificates::RevokeError as E;
        match e {
            E::NotFound(_) => crate::handlers::certificates::not_found(),
            E::AlreadyRevoked => ApiError::new(
                StatusCode::CONFLICT,
                "certificate_already_revoked",
                "sertifikat ini sudah dicabut",
            ),
            E::InvalidReason => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_reason",
                format!(
                    "alasan pencabutan wajib diisi, 3 sampai {} karakter, satu baris tanpa karakter kendali",
                    certificates::revoke::MAX_REASON_CHARS
                ),
            ),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<certificates::log::LogHeadError> for ApiError {
    fn from(e: certificates::log::LogHeadError) -> Self {
        use certificates::log::LogHeadError as E;
        match e {
            E::Db(inner) => inner.into(),
            E::Sign(inner) => ApiError::internal(inner),
        }
    }
}

impl From<jp_ledger::LedgerError> for ApiError {
    fn from(e: jp_ledger::LedgerError) -> Self {
        use jp_ledger::LedgerError as E;
        let message = e.to_string();
        match e {
            E::PersonNotFound => ApiError::new(StatusCode::NOT_FOUND, "person_not_found", message),
            E::InvalidYear => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_year", message),
            E::InvalidEmploymentType => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_employment_type", message)
            }
            E::InvalidRequirement => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_requirement", message)
            }
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<jp_ledger::scope::ScopeError> for ApiError {
    fn from(e: jp_ledger::scope::ScopeError) -> Self {
        use jp_ledger::scope::ScopeError as E;
        let message = e.to_string();
        match e {
            E::InvalidCode => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message),
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "opd_not_found", message),
            E::Forbidden => ApiError::forbidden(),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<certificates::public_lookups::LookupLimitError> for ApiError {
    fn from(e: certificates::public_lookups::LookupLimitError) -> Self {
        use certificates::public_lookups::LookupLimitError as E;
        let message = e.to_string();
        match e {
            E::TooMany { retry_after } => ApiError {
                retry_after: Some(retry_after),
                ..ApiError::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
            },
            E::Live(inner) => inner.into(),
        }
    }
}

impl From<jp_ledger::ExternalError> for ApiError {
    fn from(e: jp_ledger::ExternalError) -> Self {
        use jp_ledger::ExternalError as E;
        let message = e.to_string();
        match e {
            E::PersonNotFound => ApiError::new(StatusCode::NOT_FOUND, "person_not_found", message),
            E::Invalid { field, .. } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
                    .with_details(serde_json::json!({ "field": field }))
            }
            E::NotFound => ApiError::new(StatusCode::NOT_FOUND, "external_record_not_found", message),
            E::AlreadyReversed => ApiError::new(StatusCode::CONFLICT, "already_reversed", message),
            E::EvidenceExists => ApiError::new(StatusCode::CONFLICT, "evidence_exists", message),
            E::NoEvidence => ApiError::new(StatusCode::NOT_FOUND, "evidence_not_found", message),
            E::EvidenceAltered => ApiError::new(StatusCode::CONFLICT, "evidence_altered", message),
            E::Duplicate => ApiError::new(StatusCode::CONFLICT, "duplicate_external_record", message),
            E::EvidenceType => {
                ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_evidence", message)
            }
            E::EvidenceTooLarge => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", message),
            E::Db(inner) => inner.into(),
        }
    }
}

impl From<notifications::reminder::ReminderError> for ApiError {
    fn from(e: notifications::reminder::ReminderError) -> Self {
        use notifications::reminder::ReminderError as E;
        match e {
            E::InvalidDate => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_date", e.to_string()),
            E::Ledger(inner) => inner.into(),
            E::Db(inner) => inner.into(),
        }
    }
}
