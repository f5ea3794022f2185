//! Course completions and their evidence summary.
//!
//! A completion is written once, in the transaction that grades the passing attempt. It holds
//! the evidence summary as the exact RFC 8785 canonical JSON that was digested, and the SHA-256
//! of it: a certificate commits to the digest, and anyone holding the summary can recompute it.
//! The summary names the person by id only; names and NIPs belong on the certificate.

use chrono::{DateTime, SecondsFormat, Utc};
use penkom_core::UserId;
use penkom_storage::entities::{
    course, course_completion, course_module, course_version, module_completion, quiz_attempt,
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The evidence summary of a completion. Field order is irrelevant: the canonical form sorts keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Names this layout, so a later format can be told apart.
    pub schema: String,
    pub person_id: Uuid,
    pub course: CourseEvidence,
    pub modules: Vec<ModuleEvidenceSummary>,
    pub post_test: PostTestEvidence,
    /// Credited minutes over all modules (rounded down).
    pub engaged_minutes: i64,
    /// RFC 3339, UTC, seconds.
    pub completed_at: String,
    pub test_data: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CourseEvidence {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub version: i32,
    pub content_hash: String,
    /// Decimal text, e.g. `"2"` or `"1.5"`.
    pub jp: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModuleEvidenceSummary {
    pub key: String,
    pub title: String,
    pub required: bool,
    pub min_engaged_minutes: i64,
    /// Credited when the module was completed (0 for an optional module left undone).
    pub engaged_seconds: i64,
    pub engaged_minutes: i64,
    pub completed_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostTestEvidence {
    pub attempts: u32,
    pub best_score: u8,
    pub pass_mark: u32,
    pub passed_attempt: u32,
    /// Seconds from the start of the passing attempt to its submission.
    pub passed_in_seconds: i64,
}

/// A stored completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseCompletion {
    pub id: Uuid,
    pub person_id: Uuid,
    pub course_id: Uuid,
    pub version_id: Uuid,
    pub attempt_id: Uuid,
    pub completed_at: DateTime<Utc>,
    pub evidence: Evidence,
    /// The canonical JSON exactly as digested.
    pub evidence_json: String,
    pub evidence_digest: String,
    pub test_data: bool,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The RFC 8785 canonical JSON of `evidence` and its hex SHA-256.
pub fn canonical_digest(evidence: &Evidence) -> (String, String) {
    // Plain structs of strings, integers and booleans always serialise.
    let canonical = serde_json_canonicalizer::to_string(evidence).unwrap_or_default();
    let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
    (canonical, digest)
}

impl From<course_completion::Model> for CourseCompletion {
    fn from(m: course_completion::Model) -> Self {
        // Written by `record` from an `Evidence`; a row that does not parse back is corrupt and
        // shows as an empty summary, while its stored JSON and digest still tell the truth.
        let evidence = serde_json::from_str(&m.evidence).unwrap_or_else(|_| Evidence {
            person_id: m.person_id,
            course: CourseEvidence { id: m.course_id, ..CourseEvidence::default() },
            test_data: m.test_data,
            ..Evidence::default()
        });
        Self {
            id: m.id,
            person_id: m.person_id,
            course_id: m.course_id,
            version_id: m.version_id,
            attempt_id: m.attempt_id,
            completed_at: m.completed_at,
            evidence,
            evidence_json: m.evidence,
            evidence_digest: m.evidence_digest,
            test_data: m.test_data,
        }
    }
}

/// The completion of `course_id` by `person`, if any.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    person: UserId,
    course_id: Uuid,
) -> Result<Option<CourseCompletion>, DbErr> {
    Ok(course_completion::Entity::find()
        .filter(course_completion::Column::PersonId.eq(person.0))
        .filter(course_completion::Column::CourseId.eq(course_id))
        .one(db)
        .await?
        .map(Into::into))
}

/// Every completion of `person`, newest first.
pub async fn list<C: ConnectionTrait>(db: &C, person: UserId) -> Result<Vec<CourseCompletion>, DbErr> {
    Ok(course_completion::Entity::find()
        .filter(course_completion::Column::PersonId.eq(person.0))
        .order_by_desc(course_completion::Column::CompletedAt)
        .all(db)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Builds the evidence of `person` completing version `v` with the passing attempt `passed`,
/// and writes the completion. Runs inside the grading transaction.
pub(crate) async fn record<C: ConnectionTrait>(
    db: &C,
    person: UserId,
    v: &course_version::Model,
    passed: &quiz_attempt::Model,
    now: DateTime<Utc>,
    test_data: bool,
) -> Result<CourseCompletion, DbErr> {
    let code = course::Entity::find_by_id(v.course_id).one(db).await?.map(|c| c.code).unwrap_or_default();
    let modules = course_module::Entity::find()
        .filter(course_module::Column::VersionId.eq(v.id))
        .order_by_asc(course_module::Column::Position)
        .all(db)
        .await?;
    let done = module_completion::Entity::find()
        .filter(module_completion::Column::PersonId.eq(person.0))
        .filter(module_completion::Column::VersionId.eq(v.id))
        .all(db)
        .await?;
    let attempts = quiz_attempt::Entity::find()
        .filter(quiz_attempt::Column::PersonId.eq(person.0))
        .filter(quiz_attempt::Column::VersionId.eq(v.id))
        .all(db)
        .await?;
    let modules: Vec<ModuleEvidenceSummary> = modules
        .into_iter()
        .map(|m| {
            let c = done.iter().find(|c| c.module_id == m.id);
            let seconds = c.map_or(0, |c| c.credited_seconds);
            ModuleEvidenceSummary {
                key: m.key,
                title: m.title,
                required: m.required,
                min_engaged_minutes: i64::from(m.min_engaged_seconds) / 60,
                engaged_seconds: seconds,
                engaged_minutes: seconds / 60,
                completed_at: c.map(|c| rfc3339(c.completed_at)),
            }
        })
        .collect();
    let evidence = Evidence {
        schema: "penkom.completion-evidence/1".into(),
        person_id: person.0,
        course: CourseEvidence {
            id: v.course_id,
            code,
            title: v.title.clone(),
            version: v.version,
            content_hash: v.content_hash.clone().unwrap_or_default(),
            jp: v.jp.clone(),
        },
        engaged_minutes: modules.iter().map(|m| m.engaged_seconds).sum::<i64>() / 60,
        modules,
        post_test: PostTestEvidence {
            attempts: attempts.iter().filter(|a| a.submitted_at.is_some()).count() as u32,
            best_score: attempts
                .iter()
                .filter_map(|a| a.score)
                .max()
                .map_or(0, |s| u8::try_from(s).unwrap_or(0)),
            pass_mark: u32::try_from(v.pass_mark).unwrap_or(0),
            passed_attempt: u32::try_from(passed.number).unwrap_or(0),
            passed_in_seconds: passed.submitted_at.map_or(0, |s| (s - passed.started_at).num_seconds()),
        },
        completed_at: rfc3339(now),
        test_data,
    };
    let (canonical, digest) = canonical_digest(&evidence);
    let row = course_completion::ActiveModel {
        id: Set(Uuid::now_v7()),
        person_id: Set(person.0),
        course_id: Set(v.course_id),
        version_id: Set(v.id),
        attempt_id: Set(passed.id),
        completed_at: Set(now),
        evidence: Set(canonical),
        evidence_digest: Set(digest),
        test_data: Set(test_data),
    }
    .insert(db)
    .await?;
    Ok(row.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_over_sorted_keys_and_changes_with_any_field() {
        let e = Evidence {
            schema: "penkom.completion-evidence/1".into(),
            person_id: Uuid::from_u128(1),
            course: CourseEvidence {
                id: Uuid::from_u128(2),
                code: "EPP-01".into(),
                title: "Etika".into(),
                version: 1,
                content_hash: "ab".into(),
                jp: "2".into(),
            },
            modules: vec![],
            post_test: PostTestEvidence {
                attempts: 2,
                best_score: 80,
                pass_mark: 70,
                passed_attempt: 2,
                passed_in_seconds: 300,
            },
            engaged_minutes: 90,
            completed_at: "2026-11-02T01:00:00Z".into(),
            test_data: false,
        };
        let (json, digest) = canonical_digest(&e);
        assert!(
            json.starts_with(r#"{"completed_at":"2026-11-02T01:00:00Z","course":{"code":"EPP-01""#),
            "{json}"
        );
        assert_eq!(digest, hex::encode(Sha256::digest(json.as_bytes())));
        let mut edited = e.clone();
        edited.course.jp = "20".into();
        assert_ne!(canonical_digest(&edited).1, digest);
        let back: Evidence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e, "the stored JSON reads back to the same evidence");
    }
}
