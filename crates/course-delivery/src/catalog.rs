//! What learners see: the catalog, course details, enrolment and module content.
//!
//! Nothing here ever reads answer keys: questions are not part of any learner view until an
//! attempt is graded (progress tracking).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use penkom_core::{Jp, UserId};
use penkom_storage::entities::{course, course_module, course_version, enrollment};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::render::markdown_to_safe_html;
use crate::service::{CatalogError, Courses};
use crate::store;

/// A course as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseSummary {
    pub id: Uuid,
    pub code: String,
    pub title: String,
    pub topic: String,
    pub organiser: String,
    pub jp: Jp,
    /// Required study minutes plus the post-test time limit.
    pub estimated_minutes: u32,
    pub version: i32,
}

/// A module as a course detail lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleSummary {
    pub id: Uuid,
    pub title: String,
    pub order: i32,
    pub min_engaged_seconds: i32,
    pub required: bool,
    pub video_seconds: Option<i32>,
}

/// The post-test rules a learner should know before starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostTestSummary {
    pub pass_mark: i32,
    pub attempt_limit: i32,
    pub time_limit_minutes: i32,
    pub questions_per_attempt: i32,
    pub wait_minutes_between_attempts: i32,
}

/// A course in detail, at the version the caller studies (or would get by enrolling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CourseDetail {
    pub summary: CourseSummary,
    pub description: String,
    pub content_hash: String,
    pub modules: Vec<ModuleSummary>,
    pub post_test: PostTestSummary,
    pub enrollment: Option<EnrollmentView>,
    /// The caller is enrolled on an older version than the newest published one.
    pub newer_version_available: bool,
    pub retired: bool,
}

/// A learner's enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentView {
    pub id: Uuid,
    pub course_id: Uuid,
    pub code: String,
    pub title: String,
    pub version: i32,
    pub jp: Jp,
    pub enrolled_at: DateTime<Utc>,
}

/// A module's content for an enrolled learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleContent {
    pub id: Uuid,
    pub course_id: Uuid,
    pub version: i32,
    pub title: String,
    pub order: i32,
    pub min_engaged_seconds: i32,
    pub required: bool,
    pub markdown: String,
    pub html: String,
    pub video_url: Option<String>,
    pub video_seconds: Option<i32>,
}

/// A module a learner is enrolled on, with what study tracking needs to know of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolledModule {
    pub module_id: Uuid,
    pub version_id: Uuid,
    pub course_id: Uuid,
    pub min_engaged_seconds: i64,
}

/// Filters of the catalog.
#[derive(Debug, Clone, Default)]
pub struct CatalogFilter {
    pub topic: Option<String>,
    /// Case-insensitive part of the title.
    pub search: Option<String>,
}

/// A catalog filter that cannot be a search anybody meant: too long, or with control characters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("filter tidak valid: paling banyak {MAX_FILTER_CHARS} karakter, tanpa karakter kendali")]
pub struct InvalidFilter;

/// The longest topic or search text accepted.
pub const MAX_FILTER_CHARS: usize = 200;

impl CatalogFilter {
    /// A filter from what a learner typed; blank parts filter nothing.
    pub fn parse(topic: Option<String>, search: Option<String>) -> Result<Self, InvalidFilter> {
        let bad = |s: &String| s.chars().count() > MAX_FILTER_CHARS || !penkom_core::text::is_single_line(s);
        if topic.iter().chain(search.iter()).any(bad) {
            return Err(InvalidFilter);
        }
        Ok(Self { topic, search })
    }
}

/// The catalog as a page shows it: the courses the filter admits, and every topic there is
/// (so a learner can switch topic without clearing the filter first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalog {
    pub courses: Vec<CourseSummary>,
    /// Distinct topics of all published courses, sorted.
    pub topics: Vec<String>,
}

fn jp_of(v: &course_version::Model) -> Jp {
    Jp::parse(&v.jp).unwrap_or(Jp::ZERO)
}

fn summary(c: &course::Model, v: &course_version::Model, modules: &[course_module::Model]) -> CourseSummary {
    let required_seconds: i64 =
        modules.iter().filter(|m| m.required).map(|m| i64::from(m.min_engaged_seconds)).sum();
    let minutes = required_seconds / 60 + i64::from(v.time_limit_minutes);
    CourseSummary {
        id: c.id,
        code: c.code.clone(),
        title: v.title.clone(),
        topic: v.topic.clone(),
        organiser: v.organiser.clone(),
        jp: jp_of(v),
        estimated_minutes: u32::try_from(minutes).unwrap_or(u32::MAX),
        version: v.version,
    }
}

async fn modules_of<C: ConnectionTrait>(
    db: &C,
    version_ids: Vec<Uuid>,
) -> Result<HashMap<Uuid, Vec<course_module::Model>>, DbErr> {
    let mut out: HashMap<Uuid, Vec<course_module::Model>> = HashMap::new();
    for chunk in version_ids.chunks(500) {
        for m in course_module::Entity::find()
            .filter(course_module::Column::VersionId.is_in(chunk.to_vec()))
            .order_by_asc(course_module::Column::Position)
            .all(db)
            .await?
        {
            out.entry(m.version_id).or_default().push(m);
        }
    }
    Ok(out)
}

fn enrollment_view(e: &enrollment::Model, c: &course::Model, v: &course_version::Model) -> EnrollmentView {
    EnrollmentView {
        id: e.id,
        course_id: c.id,
        code: c.code.clone(),
        title: v.title.clone(),
        version: v.version,
        jp: jp_of(v),
        enrolled_at: e.enrolled_at,
    }
}

impl Courses {
    /// Published, not retired courses at their newest version, ordered by title.
    pub async fn list_courses(&self, filter: &CatalogFilter) -> Result<Vec<CourseSummary>, DbErr> {
        Ok(self.catalog(filter).await?.courses)
    }

    /// The courses `filter` admits, as [`Courses::list_courses`], and every topic.
    pub async fn catalog(&self, filter: &CatalogFilter) -> Result<Catalog, DbErr> {
        let courses =
            course::Entity::find().filter(course::Column::RetiredAt.is_null()).all(&self.db).await?;
        let ids: Vec<Uuid> = courses.iter().map(|c| c.id).collect();
        let mut newest: HashMap<Uuid, course_version::Model> = HashMap::new();
        for chunk in ids.chunks(500) {
            for v in course_version::Entity::find()
                .filter(course_version::Column::CourseId.is_in(chunk.to_vec()))
                .filter(course_version::Column::Status.eq(store::PUBLISHED))
                .all(&self.db)
                .await?
            {
                let slot = newest.entry(v.course_id).or_insert_with(|| v.clone());
                if v.version > slot.version {
                    *slot = v;
                }
            }
        }
        let modules = modules_of(&self.db, newest.values().map(|v| v.id).collect()).await?;
        let search = filter.search.as_deref().map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
        let topic = filter.topic.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let mut out: Vec<CourseSummary> = courses
            .iter()
            .filter_map(|c| {
                let v = newest.get(&c.id)?;
                let ok_topic = topic.is_none_or(|t| v.topic == t);
                let ok_search = search.as_deref().is_none_or(|s| v.title.to_lowercase().contains(s));
                (ok_topic && ok_search)
                    .then(|| summary(c, v, modules.get(&v.id).map(Vec::as_slice).unwrap_or_default()))
            })
            .collect();
        out.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.code.cmp(&b.code)));
        let mut topics: Vec<String> = newest.values().map(|v| v.topic.clone()).collect();
        topics.sort();
        topics.dedup();
        Ok(Catalog { courses: out, topics })
    }

    /// The detail of a course at the version `person` is enrolled on, or else the newest
    /// published version. A retired course is still shown to those enrolled in it.
    pub async fn course_detail(&self, person: UserId, course_id: Uuid) -> Result<CourseDetail, CatalogError> {
        let c =
            course::Entity::find_by_id(course_id).one(&self.db).await?.ok_or(CatalogError::CourseNotFound)?;
        let versions = store::versions_of(&self.db, c.id).await?;
        let newest = store::latest_published(&versions).ok_or(CatalogError::CourseNotFound)?;
        let enrolled = enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.eq(person.0))
            .filter(enrollment::Column::CourseId.eq(c.id))
            .one(&self.db)
            .await?;
        if c.retired_at.is_some() && enrolled.is_none() {
            return Err(CatalogError::CourseNotFound);
        }
        let v = match &enrolled {
            Some(e) => versions.iter().find(|v| v.id == e.version_id).ok_or(CatalogError::CourseNotFound)?,
            None => newest,
        };
        let modules = modules_of(&self.db, vec![v.id]).await?.remove(&v.id).unwrap_or_default();
        Ok(CourseDetail {
            summary: summary(&c, v, &modules),
            description: v.description.clone(),
            content_hash: v.content_hash.clone().unwrap_or_default(),
            modules: modules
                .iter()
                .map(|m| ModuleSummary {
                    id: m.id,
                    title: m.title.clone(),
                    order: m.position,
                    min_engaged_seconds: m.min_engaged_seconds,
                    required: m.required,
                    video_seconds: m.video_seconds,
                })
                .collect(),
            post_test: PostTestSummary {
                pass_mark: v.pass_mark,
                attempt_limit: v.attempt_limit,
                time_limit_minutes: v.time_limit_minutes,
                questions_per_attempt: v.questions_per_attempt,
                wait_minutes_between_attempts: v.wait_minutes,
            },
            enrollment: enrolled.as_ref().map(|e| enrollment_view(e, &c, v)),
            newer_version_available: newest.version > v.version,
            retired: c.retired_at.is_some(),
        })
    }

    /// Enrols `person` on the newest published version. Idempotent: enrolling again returns the
    /// existing enrolment (on the version first enrolled on) and `false`.
    pub async fn enroll(
        &self,
        person: UserId,
        course_id: Uuid,
    ) -> Result<(EnrollmentView, bool), CatalogError> {
        let c =
            course::Entity::find_by_id(course_id).one(&self.db).await?.ok_or(CatalogError::CourseNotFound)?;
        let versions = store::versions_of(&self.db, c.id).await?;
        let find_existing = || {
            enrollment::Entity::find()
                .filter(enrollment::Column::PersonId.eq(person.0))
                .filter(enrollment::Column::CourseId.eq(c.id))
                .one(&self.db)
        };
        if let Some(e) = find_existing().await? {
            let v = versions.iter().find(|v| v.id == e.version_id).ok_or(CatalogError::CourseNotFound)?;
            return Ok((enrollment_view(&e, &c, v), false));
        }
        let newest = store::latest_published(&versions).ok_or(CatalogError::CourseNotFound)?;
        if c.retired_at.is_some() {
            return Err(CatalogError::Retired);
        }
        let row = enrollment::ActiveModel {
            id: Set(Uuid::now_v7()),
            person_id: Set(person.0),
            course_id: Set(c.id),
            version_id: Set(newest.id),
            enrolled_at: Set(self.clock.now()),
        };
        match row.insert(&self.db).await {
            Ok(e) => Ok((enrollment_view(&e, &c, newest), true)),
            // Two requests raced (a double click, two tabs): the unique index on
            // (person, course) let exactly one insert through; answer with that one.
            Err(err) if penkom_storage::is_unique_violation(&err) => {
                let e = find_existing().await?.ok_or(CatalogError::Db(err))?;
                let v = versions.iter().find(|v| v.id == e.version_id).ok_or(CatalogError::CourseNotFound)?;
                Ok((enrollment_view(&e, &c, v), false))
            }
            Err(err) => Err(err.into()),
        }
    }

    /// Every enrolment of `person`, newest first. Three queries however many there are.
    pub async fn enrollments(&self, person: UserId) -> Result<Vec<EnrollmentView>, DbErr> {
        let rows = enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.eq(person.0))
            .order_by_desc(enrollment::Column::EnrolledAt)
            .all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let courses: HashMap<Uuid, course::Model> = course::Entity::find()
            .filter(course::Column::Id.is_in(rows.iter().map(|e| e.course_id).collect::<Vec<_>>()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect();
        let versions: HashMap<Uuid, course_version::Model> = course_version::Entity::find()
            .filter(course_version::Column::Id.is_in(rows.iter().map(|e| e.version_id).collect::<Vec<_>>()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|v| (v.id, v))
            .collect();
        Ok(rows
            .iter()
            .filter_map(|e| {
                Some(enrollment_view(e, courses.get(&e.course_id)?, versions.get(&e.version_id)?))
            })
            .collect())
    }

    /// A module's content, for a learner enrolled on the version that contains it.
    pub async fn module_content(
        &self,
        person: UserId,
        module_id: Uuid,
    ) -> Result<ModuleContent, CatalogError> {
        let (m, v) = self.module_of_enrolled(person, module_id).await?;
        Ok(module_content(m, &v))
    }

    /// The module, checked to be one `person` is enrolled on, as progress tracking needs it.
    pub async fn enrolled_module(
        &self,
        person: UserId,
        module_id: Uuid,
    ) -> Result<EnrolledModule, CatalogError> {
        let (m, v) = self.module_of_enrolled(person, module_id).await?;
        Ok(EnrolledModule {
            module_id: m.id,
            version_id: v.id,
            course_id: v.course_id,
            min_engaged_seconds: i64::from(m.min_engaged_seconds),
        })
    }

    async fn module_of_enrolled(
        &self,
        person: UserId,
        module_id: Uuid,
    ) -> Result<(course_module::Model, course_version::Model), CatalogError> {
        let m = course_module::Entity::find_by_id(module_id)
            .one(&self.db)
            .await?
            .ok_or(CatalogError::ModuleNotFound)?;
        let v = course_version::Entity::find_by_id(m.version_id)
            .one(&self.db)
            .await?
            .ok_or(CatalogError::ModuleNotFound)?;
        if v.status != store::PUBLISHED {
            return Err(CatalogError::ModuleNotFound);
        }
        let enrolled = enrollment::Entity::find()
            .filter(enrollment::Column::PersonId.eq(person.0))
            .filter(enrollment::Column::VersionId.eq(v.id))
            .one(&self.db)
            .await?;
        if enrolled.is_none() {
            return Err(CatalogError::NotEnrolled);
        }
        Ok((m, v))
    }
}

pub(crate) fn module_content(m: course_module::Model, v: &course_version::Model) -> ModuleContent {
    ModuleContent {
        id: m.id,
        course_id: v.course_id,
        version: v.version,
        title: m.title,
        order: m.position,
        min_engaged_seconds: m.min_engaged_seconds,
        required: m.required,
        html: markdown_to_safe_html(&m.body_markdown),
        markdown: m.body_markdown,
        video_url: m.video_url,
        video_seconds: m.video_seconds,
    }
}
