//! Reading and writing a version's rows: the one place that knows how a [`VersionSpec`] maps to
//! the `course_version`, `course_module` and `question` tables.

use chrono::{DateTime, Utc};
use penkom_core::Jp;
use penkom_storage::entities::{course_module, course_version, question};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, Set,
};
use uuid::Uuid;

use crate::model::{
    AnswerOption, CourseCode, CourseMeta, ModuleSpec, PostTest, QuestionKind, QuestionSpec, Scoring,
    VersionSpec, Video,
};

pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";

fn corrupt(what: &str) -> DbErr {
    DbErr::Custom(format!("stored course data is invalid: {what}"))
}

/// Rebuilds the spec of a stored version.
pub async fn load_spec<C: ConnectionTrait>(
    db: &C,
    code: &str,
    v: &course_version::Model,
) -> Result<VersionSpec, DbErr> {
    let modules = course_module::Entity::find()
        .filter(course_module::Column::VersionId.eq(v.id))
        .order_by_asc(course_module::Column::Position)
        .all(db)
        .await?;
    let questions = question::Entity::find()
        .filter(question::Column::VersionId.eq(v.id))
        .order_by_asc(question::Column::Position)
        .all(db)
        .await?;
    let mut spec = VersionSpec {
        meta: meta_of(code, v)?,
        modules: modules.into_iter().map(module_spec).collect(),
        questions: questions.into_iter().map(question_spec).collect::<Result<_, _>>()?,
    };
    spec.normalize();
    Ok(spec)
}

pub fn meta_of(code: &str, v: &course_version::Model) -> Result<CourseMeta, DbErr> {
    let u = |n: i32| u32::try_from(n).unwrap_or(0);
    Ok(CourseMeta {
        code: CourseCode::parse(code).map_err(|_| corrupt("course code"))?,
        title: v.title.clone(),
        description: v.description.clone(),
        topic: v.topic.clone(),
        organiser: v.organiser.clone(),
        jp: Jp::parse(&v.jp).map_err(|_| corrupt("jp"))?,
        post_test: PostTest {
            pass_mark: u(v.pass_mark),
            attempt_limit: u(v.attempt_limit),
            time_limit_minutes: u(v.time_limit_minutes),
            questions_per_attempt: u(v.questions_per_attempt),
            wait_minutes_between_attempts: u(v.wait_minutes),
            multiple_choice_scoring: Scoring::parse(&v.mc_scoring).ok_or_else(|| corrupt("scoring"))?,
            review_after_grading: v.review_after_grading,
        },
    })
}

fn module_spec(m: course_module::Model) -> ModuleSpec {
    ModuleSpec {
        key: m.key,
        title: m.title,
        order: u32::try_from(m.position).unwrap_or(0),
        min_engaged_minutes: u32::try_from(m.min_engaged_seconds / 60).unwrap_or(0),
        required: m.required,
        body_markdown: m.body_markdown,
        video: m.video_url.map(|url| Video {
            url,
            duration_minutes: u32::try_from(m.video_seconds.unwrap_or(0) / 60).unwrap_or(0),
        }),
    }
}

fn question_spec(q: question::Model) -> Result<QuestionSpec, DbErr> {
    let options: Vec<AnswerOption> =
        serde_json::from_str(&q.options).map_err(|_| corrupt("question options"))?;
    Ok(QuestionSpec {
        key: q.key,
        kind: QuestionKind::parse(&q.kind).ok_or_else(|| corrupt("question kind"))?,
        text: q.text,
        explanation: q.explanation,
        options,
    })
}

fn int(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The version row for `spec`, with everything but status and timestamps filled in.
pub fn version_row(
    id: Uuid,
    course_id: Uuid,
    number: i32,
    status: &str,
    spec: &VersionSpec,
    now: DateTime<Utc>,
) -> course_version::ActiveModel {
    let m = &spec.meta;
    let pt = &m.post_test;
    let published = status == PUBLISHED;
    course_version::ActiveModel {
        id: Set(id),
        course_id: Set(course_id),
        version: Set(number),
        status: Set(status.to_string()),
        title: Set(m.title.clone()),
        description: Set(m.description.clone()),
        topic: Set(m.topic.clone()),
        organiser: Set(m.organiser.clone()),
        jp: Set(m.jp.to_string()),
        pass_mark: Set(int(pt.pass_mark)),
        attempt_limit: Set(int(pt.attempt_limit)),
        time_limit_minutes: Set(int(pt.time_limit_minutes)),
        questions_per_attempt: Set(int(pt.questions_per_attempt)),
        wait_minutes: Set(int(pt.wait_minutes_between_attempts)),
        mc_scoring: Set(pt.multiple_choice_scoring.as_str().to_string()),
        review_after_grading: Set(pt.review_after_grading),
        content_hash: Set(published.then(|| spec.content_hash())),
        created_at: Set(now),
        published_at: Set(published.then_some(now)),
    }
}

/// Inserts the module and question rows of `spec` under version `version_id`.
pub async fn insert_children<C: ConnectionTrait>(
    db: &C,
    version_id: Uuid,
    spec: &VersionSpec,
) -> Result<(), DbErr> {
    let modules: Vec<course_module::ActiveModel> = spec
        .modules
        .iter()
        .map(|m| course_module::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(version_id),
            key: Set(m.key.clone()),
            position: Set(int(m.order)),
            title: Set(m.title.clone()),
            min_engaged_seconds: Set(int(m.min_engaged_minutes.saturating_mul(60))),
            required: Set(m.required),
            body_markdown: Set(m.body_markdown.clone()),
            video_url: Set(m.video.as_ref().map(|v| v.url.clone())),
            video_seconds: Set(m.video.as_ref().map(|v| int(v.duration_minutes.saturating_mul(60)))),
        })
        .collect();
    // One row at a time keeps far below every bound-parameter limit; banks are small.
    for m in modules {
        m.insert(db).await?;
    }
    for (i, q) in spec.questions.iter().enumerate() {
        question::ActiveModel {
            id: Set(Uuid::now_v7()),
            version_id: Set(version_id),
            key: Set(q.key.clone()),
            position: Set(int(u32::try_from(i).unwrap_or(u32::MAX))),
            kind: Set(q.kind.as_str().to_string()),
            text: Set(q.text.clone()),
            explanation: Set(q.explanation.clone()),
            options: Set(serde_json::to_string(&q.options).unwrap_or_else(|_| "[]".into())),
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Deletes the module and question rows of a *draft* version (before rewriting them).
pub async fn delete_children<C: ConnectionTrait>(db: &C, version_id: Uuid) -> Result<(), DbErr> {
    course_module::Entity::delete_many()
        .filter(course_module::Column::VersionId.eq(version_id))
        .exec(db)
        .await?;
    question::Entity::delete_many().filter(question::Column::VersionId.eq(version_id)).exec(db).await?;
    Ok(())
}

/// All versions of a course, newest first.
pub async fn versions_of<C: ConnectionTrait>(
    db: &C,
    course_id: Uuid,
) -> Result<Vec<course_version::Model>, DbErr> {
    course_version::Entity::find()
        .filter(course_version::Column::CourseId.eq(course_id))
        .order_by_desc(course_version::Column::Version)
        .all(db)
        .await
}

/// The newest published version among `versions`.
pub fn latest_published(versions: &[course_version::Model]) -> Option<&course_version::Model> {
    versions.iter().filter(|v| v.status == PUBLISHED).max_by_key(|v| v.version)
}
