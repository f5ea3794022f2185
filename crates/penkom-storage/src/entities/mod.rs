//! The sea-orm entities, one module per table.

pub mod app_setting;
pub mod audit_event;
pub mod auth_token;
pub mod certificate;
pub mod course;
pub mod course_completion;
pub mod course_module;
pub mod course_version;
pub mod email_outbox;
pub mod enrollment;
pub mod external_training;
pub mod jp_balance;
pub mod jp_ledger_entry;
pub mod jp_requirement;
pub mod module_completion;
pub mod node_lease;
pub mod opd;
pub mod person;
pub mod person_role;
pub mod question;
pub mod quiz_attempt;
pub mod record_log;
pub mod signing_key;
pub mod study_segment;
pub mod study_session;
