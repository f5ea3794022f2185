//! Riwayat belajar: per module, the evidence behind its credited time (sessions, checkpoints,
//! credited and rejected seconds with the reason for each), so a learner can see why a module is
//! not complete yet. The same evidence verifiers audit.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use uuid::Uuid;

use crate::WebState;
use crate::access::Viewer;
use crate::error::PageError;
use crate::extract::Path;
use crate::indonesian;
use crate::layout::Layout;
use crate::render;

struct ModuleLine {
    href: String,
    title: String,
    credited: String,
    minimum: String,
    done: bool,
}

struct CourseBlock {
    title: String,
    href: String,
    modules: Vec<ModuleLine>,
    completed: bool,
}

#[derive(Template)]
#[template(path = "history.html")]
struct HistoryPage {
    l: Layout,
    courses: Vec<CourseBlock>,
}

/// `GET /riwayat`: every enrolled course with its modules' credited time.
pub async fn courses(State(state): State<WebState>, viewer: Viewer) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let mut courses = Vec::new();
    for e in s.courses.enrollments(me).await? {
        let p = s.quizzes.course_progress(me, e.course_id).await?;
        courses.push(CourseBlock {
            title: e.title,
            href: format!("/kursus/{}", e.course_id),
            completed: p.completion.is_some(),
            modules: p
                .modules
                .iter()
                .map(|m| ModuleLine {
                    href: format!("/riwayat/modul/{}", m.module_id),
                    title: m.title.clone(),
                    credited: indonesian::duration(m.credited_seconds),
                    minimum: indonesian::duration(m.min_engaged_seconds),
                    done: m.completed_at.is_some(),
                })
                .collect(),
        });
    }
    Ok(render::ok(&HistoryPage { l: Layout::page(&viewer, "Riwayat belajar", "riwayat"), courses }))
}

struct Rejected {
    reason: &'static str,
    amount: String,
}

struct SegmentRow {
    span: String,
    beats: i64,
    too_fast: i64,
    credited: String,
    rejected: Vec<Rejected>,
    live: bool,
}

struct SessionBlock {
    started: String,
    ended: Option<String>,
    how: &'static str,
    credited: String,
    segments: Vec<SegmentRow>,
}

#[derive(Template)]
#[template(path = "module_history.html")]
struct ModuleHistoryPage {
    l: Layout,
    id: Uuid,
    title: String,
    course_href: String,
    credited: String,
    minimum: String,
    remaining: String,
    completed_on: Option<String>,
    sessions: Vec<SessionBlock>,
}

/// `GET /riwayat/modul/{id}`: the evidence of one module.
pub async fn module(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let zone = &s.zone;
    // Checks the enrolment, so that nobody reads the record of a module they do not study.
    let content = s.courses.module_content(me, id).await?;
    let evidence = s
        .progress
        .evidence(me, id)
        .await?
        .ok_or_else(|| penkom_api::error::ApiError::not_found("modul tidak ditemukan"))?;
    let time = |t| indonesian::date_time(t, zone);
    let sessions = evidence
        .sessions
        .iter()
        .rev()
        .map(|ses| SessionBlock {
            started: time(ses.started_at),
            ended: ses.ended_at.map(time),
            how: indonesian::end_reason(ses.end_reason.as_deref()),
            credited: indonesian::duration(ses.credited_seconds),
            segments: ses
                .segments
                .iter()
                .map(|g| SegmentRow {
                    span: format!("{} – {}", time(g.from), g.to.with_timezone(&zone.0).format("%H.%M.%S")),
                    beats: g.beats,
                    too_fast: g.too_fast_beats,
                    credited: indonesian::duration(g.credited_seconds),
                    rejected: g
                        .rejected_seconds
                        .iter()
                        .filter(|(_, secs)| **secs > 0)
                        .map(|(code, secs)| Rejected {
                            reason: indonesian::rejection(code),
                            amount: indonesian::duration(*secs),
                        })
                        .collect(),
                    live: !g.checkpointed,
                })
                .collect(),
        })
        .collect();
    let page = ModuleHistoryPage {
        l: Layout::page(&viewer, format!("Riwayat: {}", content.title), "riwayat"),
        id,
        course_href: format!("/kursus/{}", content.course_id),
        title: content.title,
        credited: indonesian::duration(evidence.credited_seconds),
        minimum: indonesian::duration(evidence.min_engaged_seconds),
        remaining: indonesian::duration(evidence.remaining_seconds),
        completed_on: evidence.completed_at.map(time),
        sessions,
    };
    Ok(render::ok(&page))
}
