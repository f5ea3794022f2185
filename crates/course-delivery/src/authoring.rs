//! What instructors do: create a course, edit its draft, preview, publish, retire.
//!
//! A published version is never changed. The first edit after publishing copies the newest
//! published version into a new draft (version N+1); later edits change that draft until it is
//! published. Learners never see drafts.

use chrono::{DateTime, Utc};
use penkom_core::UserId;
use penkom_storage::entities::{course, course_version};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set, TransactionTrait,
};
use uuid::Uuid;

use crate::model::{CourseMeta, ModuleSpec, QuestionSpec, VersionSpec};
use crate::rules::violations;
use crate::service::{AuthoringError, Courses};
use crate::store::{self, DRAFT, PUBLISHED};

/// Who is authoring: instructors may change their own courses, administrators any.
#[derive(Debug, Clone, Copy)]
pub struct Author {
    pub id: UserId,
    pub is_admin: bool,
}

/// One version in a course's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    pub id: Uuid,
    pub version: i32,
    pub status: String,
    pub content_hash: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A course as its author sees it: history, the draft and the newest published version, with
/// answer keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthoredCourse {
    pub id: Uuid,
    pub code: String,
    pub source: String,
    pub owner_id: Option<Uuid>,
    pub retired: bool,
    pub versions: Vec<VersionInfo>,
    pub draft: Option<VersionSpec>,
    pub published: Option<VersionSpec>,
    /// Why the draft cannot be published yet (empty when it can).
    pub draft_problems: Vec<String>,
}

/// A question as a learner will see it in an attempt: no answer key, no explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionPreview {
    pub key: String,
    pub kind: String,
    pub text: String,
    /// `(id, text)` of each option.
    pub options: Vec<(String, String)>,
}

/// The draft (or the newest published version) rendered as a learner would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub version: i32,
    pub status: String,
    pub meta: CourseMeta,
    /// `(module, sanitised HTML)` in order.
    pub modules: Vec<(ModuleSpec, String)>,
    pub questions: Vec<QuestionPreview>,
}

const SOURCE_API: &str = "api";

/// A draft edit, applied to the draft's spec in memory before it is saved.
pub enum DraftEdit {
    /// Replace title, description, topic, organiser, JP and post-test settings (not the code).
    Meta(CourseMeta),
    /// Add or replace the module with this key.
    PutModule(ModuleSpec),
    DeleteModule(String),
    /// Module keys in their new order; orders become 1, 2, 3, …
    Reorder(Vec<String>),
    /// Question keys in their new bank order.
    ReorderQuestions(Vec<String>),
    /// Add or replace the question with this key (new questions go to the end of the bank).
    PutQuestion(QuestionSpec),
    DeleteQuestion(String),
}

/// Whether a new order names every existing key exactly once.
fn same_keys<'a>(order: &[String], existing: impl Iterator<Item = &'a str>) -> bool {
    let mut wanted: Vec<&str> = order.iter().map(String::as_str).collect();
    let mut have: Vec<&str> = existing.collect();
    wanted.sort_unstable();
    have.sort_unstable();
    wanted == have
}

fn apply(spec: &mut VersionSpec, edit: DraftEdit) -> Result<(), AuthoringError> {
    match edit {
        DraftEdit::Meta(meta) => {
            let code = spec.meta.code.clone();
            spec.meta = CourseMeta { code, ..meta };
        }
        DraftEdit::PutModule(m) => match spec.modules.iter_mut().find(|x| x.key == m.key) {
            Some(slot) => *slot = m,
            None => spec.modules.push(m),
        },
        DraftEdit::DeleteModule(key) => {
            let before = spec.modules.len();
            spec.modules.retain(|m| m.key != key);
            if spec.modules.len() == before {
                return Err(AuthoringError::ModuleNotFound(key));
            }
        }
        DraftEdit::Reorder(keys) => {
            if !same_keys(&keys, spec.modules.iter().map(|m| m.key.as_str())) {
                return Err(AuthoringError::BadOrder);
            }
            for m in &mut spec.modules {
                let pos = keys.iter().position(|k| *k == m.key).unwrap_or(0);
                m.order = u32::try_from(pos + 1).unwrap_or(u32::MAX);
            }
        }
        DraftEdit::ReorderQuestions(keys) => {
            if !same_keys(&keys, spec.questions.iter().map(|q| q.key.as_str())) {
                return Err(AuthoringError::BadOrder);
            }
            spec.questions.sort_by_key(|q| keys.iter().position(|k| *k == q.key).unwrap_or(usize::MAX));
        }
        DraftEdit::PutQuestion(q) => match spec.questions.iter_mut().find(|x| x.key == q.key) {
            Some(slot) => *slot = q,
            None => spec.questions.push(q),
        },
        DraftEdit::DeleteQuestion(key) => {
            let before = spec.questions.len();
            spec.questions.retain(|q| q.key != key);
            if spec.questions.len() == before {
                return Err(AuthoringError::QuestionNotFound(key));
            }
        }
    }
    spec.normalize();
    Ok(())
}

impl Courses {
    async fn authorised(
        &self,
        txn: &DatabaseTransaction,
        author: Author,
        course_id: Uuid,
        for_edit: bool,
    ) -> Result<course::Model, AuthoringError> {
        if for_edit {
            // Every change of one course (edit, publish, retire) holds this course's lock for
            // its whole transaction: an edit can never interleave with a publish (which would
            // change a version as it becomes immutable), and two edits can never rewrite the
            // draft from the same stale copy. On SQLite, `BEGIN IMMEDIATE` already serialises.
            let id = course_id.as_u128();
            penkom_storage::serialize_on(txn, (id as i64) ^ ((id >> 64) as i64)).await?;
        }
        let c =
            course::Entity::find_by_id(course_id).one(txn).await?.ok_or(AuthoringError::CourseNotFound)?;
        let owns = c.owner_id == Some(author.id.0);
        if !author.is_admin && !owns {
            // Not revealing other instructors' courses: to a stranger they do not exist.
            return Err(AuthoringError::CourseNotFound);
        }
        if for_edit && c.source != SOURCE_API {
            return Err(AuthoringError::ContentManaged);
        }
        if for_edit && c.retired_at.is_some() {
            return Err(AuthoringError::Retired);
        }
        Ok(c)
    }

    async fn authored(
        &self,
        txn: &DatabaseTransaction,
        c: &course::Model,
    ) -> Result<AuthoredCourse, AuthoringError> {
        let versions = store::versions_of(txn, c.id).await?;
        let draft = match versions.iter().find(|v| v.status == DRAFT) {
            Some(v) => Some(store::load_spec(txn, &c.code, v).await?),
            None => None,
        };
        let published = match store::latest_published(&versions) {
            Some(v) => Some(store::load_spec(txn, &c.code, v).await?),
            None => None,
        };
        let draft_problems = draft
            .as_ref()
            .map(|d| violations(d, self.minutes_per_jp).into_iter().map(|v| v.reason).collect())
            .unwrap_or_default();
        Ok(AuthoredCourse {
            id: c.id,
            code: c.code.clone(),
            source: c.source.clone(),
            owner_id: c.owner_id,
            retired: c.retired_at.is_some(),
            versions: versions
                .iter()
                .map(|v| VersionInfo {
                    id: v.id,
                    version: v.version,
                    status: v.status.clone(),
                    content_hash: v.content_hash.clone(),
                    published_at: v.published_at,
                })
                .collect(),
            draft,
            published,
            draft_problems,
        })
    }

    /// Creates a course with an empty draft (version 1), owned by `author`.
    pub async fn create_course(
        &self,
        author: Author,
        meta: CourseMeta,
    ) -> Result<AuthoredCourse, AuthoringError> {
        // The same bounds as every later edit: a course created with a control character in its
        // topic (or a pass mark of 900) would otherwise sit in the draft until someone edits it.
        let spec = VersionSpec { meta, modules: vec![], questions: vec![] };
        let out_of_bounds = crate::rules::bounds_violations(&spec);
        if !out_of_bounds.is_empty() {
            return Err(AuthoringError::OutOfBounds(out_of_bounds.into_iter().map(|v| v.reason).collect()));
        }
        let meta = &spec.meta;
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let taken =
            course::Entity::find().filter(course::Column::Code.eq(meta.code.as_str())).one(&txn).await?;
        if taken.is_some() {
            return Err(AuthoringError::CodeTaken(meta.code.to_string()));
        }
        let c = course::ActiveModel {
            id: Set(Uuid::now_v7()),
            code: Set(meta.code.to_string()),
            owner_id: Set(Some(author.id.0)),
            source: Set(SOURCE_API.into()),
            retired_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await
        .map_err(|e| {
            if penkom_storage::is_unique_violation(&e) {
                AuthoringError::CodeTaken(meta.code.to_string())
            } else {
                e.into()
            }
        })?;
        store::version_row(Uuid::now_v7(), c.id, 1, DRAFT, &spec, now).insert(&txn).await?;
        let out = self.authored(&txn, &c).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Courses `author` may see: their own, or every course for an administrator.
    pub async fn authored_courses(&self, author: Author) -> Result<Vec<AuthoredCourse>, AuthoringError> {
        // A read transaction: one consistent view, without taking SQLite's write lock.
        let txn = self.db.begin().await?;
        let mut q = course::Entity::find().order_by_asc(course::Column::Code);
        if !author.is_admin {
            q = q.filter(course::Column::OwnerId.eq(author.id.0));
        }
        let mut out = Vec::new();
        for c in q.all(&txn).await? {
            out.push(self.authored(&txn, &c).await?);
        }
        txn.commit().await?;
        Ok(out)
    }

    pub async fn authored_course(
        &self,
        author: Author,
        course_id: Uuid,
    ) -> Result<AuthoredCourse, AuthoringError> {
        // A read transaction: one consistent view, without taking SQLite's write lock.
        let txn = self.db.begin().await?;
        let c = self.authorised(&txn, author, course_id, false).await?;
        let out = self.authored(&txn, &c).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Applies `edit` to the course's draft, creating the draft from the newest published
    /// version first if there is none.
    pub async fn edit_draft(
        &self,
        author: Author,
        course_id: Uuid,
        edit: DraftEdit,
    ) -> Result<AuthoredCourse, AuthoringError> {
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let c = self.authorised(&txn, author, course_id, true).await?;
        let versions = store::versions_of(&txn, c.id).await?;
        let (draft, mut spec) = match versions.iter().find(|v| v.status == DRAFT) {
            Some(v) => (v.clone(), store::load_spec(&txn, &c.code, v).await?),
            None => {
                let base = store::latest_published(&versions).ok_or(AuthoringError::CourseNotFound)?;
                let spec = store::load_spec(&txn, &c.code, base).await?;
                let number = versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
                let row =
                    store::version_row(Uuid::now_v7(), c.id, number, DRAFT, &spec, now).insert(&txn).await?;
                (row, spec)
            }
        };
        apply(&mut spec, edit)?;
        let out_of_bounds = crate::rules::bounds_violations(&spec);
        if !out_of_bounds.is_empty() {
            return Err(AuthoringError::OutOfBounds(out_of_bounds.into_iter().map(|v| v.reason).collect()));
        }
        // The draft's rows are rewritten whole: simpler than diffing, and drafts are small.
        // A row built with every field `Set` updates every column of the draft.
        store::version_row(draft.id, c.id, draft.version, DRAFT, &spec, draft.created_at)
            .update(&txn)
            .await?;
        store::delete_children(&txn, draft.id).await?;
        store::insert_children(&txn, draft.id, &spec).await?;
        let mut cm = c.clone().into_active_model();
        cm.updated_at = Set(now);
        let c = cm.update(&txn).await?;
        let out = self.authored(&txn, &c).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Publishes the draft if it meets every rule (see [`crate::rules`]).
    pub async fn publish(&self, author: Author, course_id: Uuid) -> Result<AuthoredCourse, AuthoringError> {
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let c = self.authorised(&txn, author, course_id, true).await?;
        let versions = store::versions_of(&txn, c.id).await?;
        let draft = versions.iter().find(|v| v.status == DRAFT).ok_or(AuthoringError::NothingToPublish)?;
        let spec = store::load_spec(&txn, &c.code, draft).await?;
        let found = violations(&spec, self.minutes_per_jp);
        if !found.is_empty() {
            let shortfall_minutes = crate::rules::jp_shortfall_minutes(&spec, self.minutes_per_jp);
            return Err(AuthoringError::Unpublishable { problems: found, shortfall_minutes });
        }
        let mut am = draft.clone().into_active_model();
        am.status = Set(PUBLISHED.into());
        am.content_hash = Set(Some(spec.content_hash()));
        am.published_at = Set(Some(now));
        am.update(&txn).await?;
        let out = self.authored(&txn, &c).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// Retires a course: hidden from the catalog and closed to new enrolments. Learners already
    /// enrolled keep their access. Content-file courses are retired by removing their folder.
    pub async fn retire(&self, author: Author, course_id: Uuid) -> Result<AuthoredCourse, AuthoringError> {
        let now = self.clock.now();
        let txn = penkom_storage::begin_write(&self.db).await?;
        let c = self.authorised(&txn, author, course_id, true).await?;
        let mut am = c.into_active_model();
        am.retired_at = Set(Some(now));
        am.updated_at = Set(now);
        let c = am.update(&txn).await?;
        let out = self.authored(&txn, &c).await?;
        txn.commit().await?;
        Ok(out)
    }

    /// The draft (or else the newest published version) as a learner would see it.
    pub async fn preview(&self, author: Author, course_id: Uuid) -> Result<Preview, AuthoringError> {
        // A read transaction: one consistent view, without taking SQLite's write lock.
        let txn = self.db.begin().await?;
        let c = self.authorised(&txn, author, course_id, false).await?;
        let versions = store::versions_of(&txn, c.id).await?;
        let v: &course_version::Model = versions
            .iter()
            .find(|v| v.status == DRAFT)
            .or_else(|| store::latest_published(&versions))
            .ok_or(AuthoringError::CourseNotFound)?;
        let spec = store::load_spec(&txn, &c.code, v).await?;
        txn.commit().await?;
        Ok(Preview {
            version: v.version,
            status: v.status.clone(),
            meta: spec.meta.clone(),
            modules: spec
                .modules
                .iter()
                .map(|m| (m.clone(), crate::render::markdown_to_safe_html(&m.body_markdown)))
                .collect(),
            questions: spec
                .questions
                .iter()
                .map(|q| QuestionPreview {
                    key: q.key.clone(),
                    kind: q.kind.as_str().to_string(),
                    text: q.text.clone(),
                    options: q.options.iter().map(|o| (o.id.clone(), o.text.clone())).collect(),
                })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::spec;

    #[test]
    fn edits_apply_to_the_spec() {
        let mut s = spec();
        let mut m = s.modules[0].clone();
        m.key = "03-c".into();
        m.order = 3;
        apply(&mut s, DraftEdit::PutModule(m)).unwrap();
        assert_eq!(s.modules.len(), 3);
        apply(&mut s, DraftEdit::Reorder(vec!["03-c".into(), "01-a".into(), "02-b".into()])).unwrap();
        assert_eq!(s.modules[0].key, "03-c");
        assert_eq!(s.modules[0].order, 1);
        assert!(matches!(
            apply(&mut s, DraftEdit::Reorder(vec!["01-a".into()])),
            Err(AuthoringError::BadOrder)
        ));
        assert!(matches!(
            apply(&mut s, DraftEdit::DeleteModule("zz".into())),
            Err(AuthoringError::ModuleNotFound(_))
        ));
        apply(&mut s, DraftEdit::ReorderQuestions(vec!["q3".into(), "q1".into(), "q2".into()])).unwrap();
        assert_eq!(s.questions[0].key, "q3");
        assert!(matches!(
            apply(&mut s, DraftEdit::ReorderQuestions(vec!["q3".into()])),
            Err(AuthoringError::BadOrder)
        ));
        apply(&mut s, DraftEdit::DeleteQuestion("q1".into())).unwrap();
        assert_eq!(s.questions.len(), 2);
        let code = s.meta.code.clone();
        let mut meta = s.meta.clone();
        meta.code = crate::model::CourseCode::parse("OTHER").unwrap();
        meta.title = "Baru".into();
        apply(&mut s, DraftEdit::Meta(meta)).unwrap();
        assert_eq!((s.meta.code.clone(), s.meta.title.as_str()), (code, "Baru"), "the code never changes");
    }
}
