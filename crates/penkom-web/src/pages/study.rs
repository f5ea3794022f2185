//! The study player: a module's content, the time the server has credited on it, and the
//! endpoints its script beats on.
//!
//! The page never measures time. Its script starts a session, then every beat sends two
//! booleans (the page is on screen; the learner did something since the last beat) and shows
//! the totals the server answers. "Selesai" is enabled when the server says `can_complete`, and
//! the server checks again when it is pressed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use penkom_api::error::ApiError;
use penkom_api::extract::Json;
use penkom_api::handlers::study::{BeatView, HeartbeatRequest};
use serde::Serialize;
use uuid::Uuid;

use crate::WebState;
use crate::access::Viewer;
use crate::error::{OrBack, PageError, redirect};
use crate::extract::Path;
use crate::flash::Flash;
use crate::indonesian;
use crate::layout::Layout;
use crate::render;

struct Neighbour {
    href: String,
    title: String,
}

#[derive(Template)]
#[template(path = "player.html")]
struct PlayerPage {
    l: Layout,
    id: Uuid,
    course_href: String,
    course_title: String,
    title: String,
    number: usize,
    total: usize,
    html: String,
    video_url: Option<String>,
    minimum: String,
    credited: String,
    remaining: String,
    can_complete: bool,
    completed_on: Option<String>,
    /// Real milliseconds between beats.
    beat_ms: i64,
    speed: u32,
    previous: Option<Neighbour>,
    next: Option<Neighbour>,
}

/// `GET /modul/{id}`.
pub async fn player(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let content = s.courses.module_content(me, id).await?;
    let course = s.courses.course_detail(me, content.course_id).await?;
    let progress = s.quizzes.course_progress(me, content.course_id).await?;
    let here = progress.modules.iter().find(|m| m.module_id == id);
    let minimum = i64::from(content.min_engaged_seconds);
    let index = course.modules.iter().position(|m| m.id == id).unwrap_or(0);
    let neighbour = |i: usize| {
        course.modules.get(i).map(|m| Neighbour { href: format!("/modul/{}", m.id), title: m.title.clone() })
    };
    let page = PlayerPage {
        l: Layout::page(&viewer, content.title.clone(), ""),
        id,
        course_href: format!("/kursus/{}", content.course_id),
        course_title: course.summary.title.clone(),
        title: content.title,
        number: index + 1,
        total: course.modules.len(),
        html: content.html,
        video_url: content.video_url,
        minimum: indonesian::duration(minimum),
        credited: indonesian::duration(here.map_or(0, |m| m.credited_seconds)),
        remaining: indonesian::duration(here.map_or(minimum, |m| m.remaining_seconds())),
        can_complete: here.is_some_and(|m| m.can_complete()),
        completed_on: here.and_then(|m| m.completed_at).map(|t| indonesian::date_time(t, &s.zone)),
        beat_ms: state.real_ms(s.progress.policy().interval_ms).max(100),
        speed: state.config.clock_speed.max(1),
        previous: index.checked_sub(1).and_then(neighbour),
        next: neighbour(index + 1),
    };
    Ok(render::ok(&page))
}

/// What the player gets when its session starts.
#[derive(Serialize)]
pub struct Started {
    session_id: Uuid,
    /// Real milliseconds between beats.
    beat_ms: i64,
    min_engaged_seconds: i64,
    module_credited_seconds: i64,
    remaining_seconds: i64,
    can_complete: bool,
}

/// `POST /modul/{id}/sesi`: starts a session; any other session of the learner is superseded.
pub async fn start(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<(StatusCode, Json<Started>), ApiError> {
    let s = &state.app;
    let module = s.courses.enrolled_module(viewer.caller.id, id).await?;
    let started = s.progress.start(viewer.caller.id, module.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(Started {
            session_id: started.session_id,
            beat_ms: state.real_ms(started.heartbeat_interval_s * 1000).max(100),
            min_engaged_seconds: started.min_engaged_seconds,
            module_credited_seconds: started.credited_seconds,
            remaining_seconds: started.remaining_seconds,
            can_complete: started.can_complete,
        }),
    ))
}

/// `POST /sesi/{id}/detak`: a heartbeat, judged by the same service as the API's.
pub async fn beat(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
    Json(beat): Json<HeartbeatRequest>,
) -> Result<Json<BeatView>, ApiError> {
    Ok(Json(state.app.progress.beat(viewer.caller.id, id, beat.visible, beat.active).await?.into()))
}

/// `POST /sesi/{id}/akhiri`: ends a session when the page is left (idempotent).
pub async fn end(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Json<BeatView>, ApiError> {
    Ok(Json(state.app.progress.end(viewer.caller.id, id).await?.into()))
}

/// `POST /modul/{id}/selesai`: completes the module if the credited time reaches its minimum,
/// then goes on to the next module not yet complete (or back to the course).
pub async fn complete(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let back = format!("/modul/{id}");
    let module = s.courses.enrolled_module(me, id).await.or_back(&back)?;
    s.progress.complete(me, module.into()).await.or_back(&back)?;
    let progress = s.quizzes.course_progress(me, module.course_id).await?;
    let order: Vec<Uuid> = progress.modules.iter().map(|m| m.module_id).collect();
    let after = order.iter().position(|m| *m == id).map_or(0, |i| i + 1);
    let next = progress.modules[after.min(progress.modules.len())..]
        .iter()
        .chain(progress.modules.iter())
        .find(|m| m.completed_at.is_none() && m.module_id != id);
    let (to, text) = match next {
        Some(m) => (format!("/modul/{}", m.module_id), "Modul selesai. Lanjut ke modul berikutnya."),
        None if progress.post_test.unlocked => {
            (format!("/kursus/{}", module.course_id), "Semua modul wajib selesai. Post-test sudah terbuka.")
        }
        None => (format!("/kursus/{}", module.course_id), "Modul selesai."),
    };
    Ok(redirect(&to, Some(Flash::success(text))))
}
