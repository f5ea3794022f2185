//! Katalog and the course page: what is offered, what a course asks of a learner, enrolment.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use course_delivery::CatalogFilter;
use penkom_core::Role;
use progress_tracking::{CourseProgress, NextStep};
use serde::Deserialize;
use uuid::Uuid;

use crate::WebState;
use crate::access::Viewer;
use crate::error::{OrBack, PageError, redirect};
use crate::extract::{Path, Query};
use crate::flash::Flash;
use crate::indonesian;
use crate::layout::Layout;
use crate::render;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogQuery {
    topik: Option<String>,
    q: Option<String>,
}

struct TopicOption {
    slug: String,
    label: String,
    selected: bool,
}

struct CourseCard {
    href: String,
    title: String,
    topic: String,
    organiser: String,
    jp: String,
    estimate: String,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage {
    l: Layout,
    q: String,
    topics: Vec<TopicOption>,
    courses: Vec<CourseCard>,
    filtered: bool,
}

/// `GET /katalog?topik=kepemimpinan&q=etika`.
pub async fn list(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<CatalogQuery>,
) -> Result<Response, PageError> {
    let blank = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let filter = CatalogFilter::parse(blank(q.topik), blank(q.q))?;
    let catalog = state.app.courses.catalog(&filter).await?;
    let chosen = filter.topic.as_deref().unwrap_or("");
    let page = CatalogPage {
        l: Layout::page(&viewer, "Katalog", "katalog"),
        q: filter.search.clone().unwrap_or_default(),
        filtered: filter.topic.is_some() || filter.search.is_some(),
        topics: catalog
            .topics
            .iter()
            .map(|t| TopicOption { slug: t.clone(), label: indonesian::topic(t), selected: t == chosen })
            .collect(),
        courses: catalog
            .courses
            .into_iter()
            .map(|c| CourseCard {
                href: format!("/kursus/{}", c.id),
                topic: indonesian::topic(&c.topic),
                title: c.title,
                organiser: c.organiser,
                jp: indonesian::jp(&c.jp.to_string()),
                estimate: indonesian::minutes(i64::from(c.estimated_minutes)),
            })
            .collect(),
    };
    Ok(render::ok(&page))
}

struct ModuleRow {
    href: String,
    title: String,
    minimum: String,
    required: bool,
    video: Option<String>,
    /// For an enrolled learner: `Selesai`, or the credited time so far.
    status: Option<String>,
    done: bool,
}

/// What the post-test part of the course page offers.
enum PostTestOffer {
    /// Not enrolled (or not a learner): only the rules are shown.
    None,
    Locked,
    Start {
        resume: bool,
    },
    Wait {
        until: String,
    },
    Exhausted,
    Passed,
}

#[derive(Template)]
#[template(path = "course.html")]
struct CoursePage {
    l: Layout,
    id: Uuid,
    title: String,
    code: String,
    topic: String,
    organiser: String,
    jp: String,
    estimate: String,
    version: i32,
    paragraphs: Vec<String>,
    modules: Vec<ModuleRow>,
    pass_mark: i32,
    attempt_limit: i32,
    time_limit: String,
    questions: i32,
    wait: Option<String>,
    learner: bool,
    enrolled: bool,
    retired: bool,
    newer_version: bool,
    offer: PostTestOffer,
    best_score: Option<u8>,
    attempts_left: u32,
    progress_text: Option<String>,
}

fn offer(p: &CourseProgress, state: &WebState) -> PostTestOffer {
    match p.next_step() {
        NextStep::Passed => PostTestOffer::Passed,
        NextStep::StudyModules => PostTestOffer::Locked,
        NextStep::ContinueAttempt(_) => PostTestOffer::Start { resume: true },
        NextStep::NoAttemptsLeft => PostTestOffer::Exhausted,
        NextStep::WaitUntil(at) => PostTestOffer::Wait { until: indonesian::date_time(at, &state.app.zone) },
        NextStep::StartAttempt => PostTestOffer::Start { resume: false },
    }
}

/// `GET /kursus/{id}`.
pub async fn course(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let d = s.courses.course_detail(me, id).await?;
    let learner = viewer.caller.has(Role::Learner);
    let progress = match (&d.enrollment, learner) {
        (Some(_), true) => Some(s.quizzes.course_progress(me, id).await?),
        _ => None,
    };
    let module_status = |module: Uuid| {
        let m = progress.as_ref()?.modules.iter().find(|m| m.module_id == module)?;
        Some(match m.completed_at {
            Some(_) => ("Selesai".to_string(), true),
            None => (format!("{} terverifikasi", indonesian::duration(m.credited_seconds)), false),
        })
    };
    let modules = d
        .modules
        .iter()
        .map(|m| {
            let status = module_status(m.id);
            ModuleRow {
                href: format!("/modul/{}", m.id),
                title: m.title.clone(),
                minimum: indonesian::duration(i64::from(m.min_engaged_seconds)),
                required: m.required,
                video: m.video_seconds.map(|v| indonesian::duration(i64::from(v))),
                done: status.as_ref().is_some_and(|s| s.1),
                status: status.map(|s| s.0),
            }
        })
        .collect();
    let pt = &d.post_test;
    let page = CoursePage {
        l: Layout::page(&viewer, d.summary.title.clone(), "katalog"),
        id,
        code: d.summary.code.clone(),
        topic: indonesian::topic(&d.summary.topic),
        organiser: d.summary.organiser.clone(),
        jp: indonesian::jp(&d.summary.jp.to_string()),
        estimate: indonesian::minutes(i64::from(d.summary.estimated_minutes)),
        version: d.summary.version,
        paragraphs: d
            .description
            .split("\n\n")
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect(),
        modules,
        pass_mark: pt.pass_mark,
        attempt_limit: pt.attempt_limit,
        time_limit: indonesian::minutes(i64::from(pt.time_limit_minutes)),
        questions: pt.questions_per_attempt,
        wait: (pt.wait_minutes_between_attempts > 0)
            .then(|| indonesian::minutes(i64::from(pt.wait_minutes_between_attempts))),
        learner,
        enrolled: d.enrollment.is_some(),
        retired: d.retired,
        newer_version: d.newer_version_available,
        offer: progress.as_ref().map(|p| offer(p, &state)).unwrap_or(PostTestOffer::None),
        best_score: progress.as_ref().and_then(|p| p.post_test.best_score),
        attempts_left: progress.as_ref().map(|p| p.post_test.attempts_left).unwrap_or(0),
        progress_text: progress.as_ref().map(|p| {
            format!(
                "Modul wajib selesai {} dari {}; waktu belajar {} dari {}.",
                p.required_modules_done,
                p.required_modules,
                indonesian::minutes(p.credited_minutes),
                indonesian::minutes(p.required_minutes)
            )
        }),
        title: d.summary.title,
    };
    Ok(render::ok(&page))
}

/// `POST /kursus/{id}/daftar`: enrols on the newest published version.
pub async fn enroll(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let back = format!("/kursus/{id}");
    let (_, created) = state.app.courses.enroll(viewer.caller.id, id).await.or_back(&back)?;
    let text = if created {
        "Anda terdaftar pada kursus ini. Mulailah dari modul pertama."
    } else {
        "Anda sudah terdaftar pada kursus ini."
    };
    Ok(redirect(&back, Some(Flash::success(text))))
}
