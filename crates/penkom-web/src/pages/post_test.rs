//! The post-test: starting an attempt, answering (saved as the learner goes), the countdown to
//! the server's deadline, submitting with a confirmation, and the result with its review.
//!
//! Grading happens only on the server ([`certificates::Graduation`]); what a page shows of a
//! question is the learner view, which has no field for a right answer until it is graded and
//! the course allows review.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use course_delivery::QuestionKind;
use penkom_api::error::ApiError;
use progress_tracking::AttemptView;
use serde::Serialize;
use uuid::Uuid;

use crate::WebState;
use crate::access::Viewer;
use crate::error::{OrBack, PageError, redirect};
use crate::extract::Path;
use crate::flash::Flash;
use crate::form::Form;
use crate::indonesian;
use crate::layout::Layout;
use crate::render;

/// `POST /kursus/{id}/post-test`: starts an attempt, or resumes the one still open.
pub async fn start(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(course): Path<Uuid>,
) -> Result<Response, PageError> {
    let (attempt, _) =
        state.app.quizzes.start(viewer.caller.id, course).await.or_back(&format!("/kursus/{course}"))?;
    Ok(redirect(&format!("/percobaan/{}", attempt.id), None))
}

struct OptionRow {
    input_id: String,
    label: String,
    text: String,
    checked: bool,
}

struct QuestionRow {
    number: usize,
    id: Uuid,
    text: String,
    hint: &'static str,
    multiple: bool,
    options: Vec<OptionRow>,
}

struct ReviewRow {
    number: usize,
    text: String,
    chosen: String,
    correct: Option<String>,
    /// 0–100.
    credit: u64,
    explanation: Option<String>,
}

#[derive(Template)]
#[template(path = "attempt.html")]
struct AttemptPage {
    l: Layout,
    id: Uuid,
    course_href: String,
    course_title: String,
    number: u32,
    questions: Vec<QuestionRow>,
    /// Real milliseconds to the deadline, for the countdown.
    remaining_ms: i64,
    remaining_text: String,
    deadline: String,
    answered: usize,
    speed: u32,
}

#[derive(Template)]
#[template(path = "result.html")]
struct ResultPage {
    l: Layout,
    course_id: Uuid,
    course_href: String,
    course_title: String,
    number: u32,
    score: u8,
    passed: bool,
    pass_mark: u32,
    attempts_left: u32,
    submitted: String,
    review: Vec<ReviewRow>,
    review_shown: bool,
    next_attempt: Option<String>,
}

fn hint(kind: QuestionKind) -> &'static str {
    match kind {
        QuestionKind::SingleChoice => "Pilih satu jawaban.",
        QuestionKind::MultipleChoice => "Pilih semua jawaban yang benar.",
        QuestionKind::TrueFalse => "Pilih benar atau salah.",
    }
}

fn answered(a: &AttemptView) -> usize {
    a.questions.iter().filter(|q| a.answers.get(&q.id).is_some_and(|l| !l.is_empty())).count()
}

/// `mm.ss` (or `h.mm.ss`), as a countdown shows it.
fn clock_text(ms: i64) -> String {
    let s = (ms.max(0) + 999) / 1000;
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    if h > 0 { format!("{h}.{m:02}.{sec:02}") } else { format!("{m:02}.{sec:02}") }
}

/// `GET /percobaan/{id}`: the questions of an open attempt, or the result of a graded one.
pub async fn attempt(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let a = s.quizzes.attempt(me, id).await?;
    let course = s.courses.course_detail(me, a.course_id).await?;
    let course_href = format!("/kursus/{}", a.course_id);
    let course_title = course.summary.title;
    let Some(result) = &a.result else {
        let now = s.clock.now();
        let left_ms = (a.deadline - now).num_milliseconds();
        let questions = a
            .questions
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let chosen = a.answers.get(&q.id);
                QuestionRow {
                    number: i + 1,
                    id: q.id,
                    text: q.text.clone(),
                    hint: hint(q.kind),
                    multiple: q.kind == QuestionKind::MultipleChoice,
                    options: q
                        .options
                        .iter()
                        .map(|o| OptionRow {
                            input_id: format!("s{}-{}", i + 1, o.label),
                            label: o.label.clone(),
                            text: o.text.clone(),
                            checked: chosen.is_some_and(|c| c.contains(&o.label)),
                        })
                        .collect(),
                }
            })
            .collect();
        let page = AttemptPage {
            l: Layout::page(&viewer, format!("Post-test {course_title}"), ""),
            id,
            course_href,
            course_title: course_title.clone(),
            number: a.number,
            questions,
            remaining_ms: state.real_ms(left_ms).max(0),
            remaining_text: clock_text(left_ms),
            deadline: indonesian::date_time(a.deadline, &s.zone),
            answered: answered(&a),
            speed: state.config.clock_speed.max(1),
        };
        return Ok(render::ok(&page));
    };
    let progress = s.quizzes.course_progress(me, a.course_id).await?;
    let texts: BTreeMap<Uuid, (usize, String)> =
        a.questions.iter().enumerate().map(|(i, q)| (q.id, (i + 1, q.text.clone()))).collect();
    let labels = |l: &[String]| if l.is_empty() { "tidak dijawab".to_string() } else { l.join(", ") };
    let mut review: Vec<ReviewRow> = a
        .review
        .iter()
        .flatten()
        .map(|r| {
            let (number, text) = texts.get(&r.question_id).cloned().unwrap_or((0, String::new()));
            ReviewRow {
                number,
                text,
                chosen: labels(&r.chosen),
                correct: (!r.correct.is_empty()).then(|| r.correct.join(", ")),
                credit: r.credit_millionths / 10_000,
                explanation: r.explanation.clone(),
            }
        })
        .collect();
    review.sort_by_key(|r| r.number);
    let page = ResultPage {
        l: Layout::page(&viewer, format!("Hasil post-test {course_title}"), ""),
        course_id: a.course_id,
        course_href,
        course_title,
        number: a.number,
        score: result.score,
        passed: result.passed,
        pass_mark: result.pass_mark,
        attempts_left: progress.post_test.attempts_left,
        submitted: indonesian::date_time(result.submitted_at, &s.zone),
        review_shown: a.review.is_some(),
        review,
        next_attempt: progress.post_test.next_attempt_at.map(|t| indonesian::date_time(t, &s.zone)),
    };
    Ok(render::ok(&page))
}

/// The answers a post-test form carries: for every question it showed (`shown`), the labels
/// chosen (`q-{id}`), so that a question whose boxes were all unticked is cleared.
fn answers_of(form: &Form) -> Result<progress_tracking::quiz::Answers, ApiError> {
    let mut out = BTreeMap::new();
    for shown in form.all("shown") {
        let id = Uuid::parse_str(shown).map_err(|_| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_answer", "formulir jawaban tidak valid")
        })?;
        let labels: Vec<String> = form.all(&format!("q-{id}")).map(str::to_string).collect();
        out.insert(id, labels);
    }
    Ok(out)
}

#[derive(Serialize)]
struct Saved {
    answered: usize,
    questions: usize,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

/// `POST /percobaan/{id}/jawaban`: saves the answers. The autosave script asks for JSON; a
/// plain form gets the page again, or the confirmation when it was "Kumpulkan".
pub async fn save(
    State(state): State<WebState>,
    viewer: Viewer,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    form: Form,
) -> Result<Response, PageError> {
    let back = format!("/percobaan/{id}");
    let saved = match answers_of(&form) {
        Ok(answers) => state.app.quizzes.save(viewer.caller.id, id, answers).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    if wants_json(&headers) {
        return Ok(match saved {
            Ok(a) => {
                axum::Json(Saved { answered: answered(&a), questions: a.questions.len() }).into_response()
            }
            Err(e) => e.into_response(),
        });
    }
    saved.or_back(&back)?;
    if form.get("aksi") == Some("kumpulkan") {
        return Ok(redirect(&format!("/percobaan/{id}/kumpulkan"), None));
    }
    Ok(redirect(&back, Some(Flash::success("Jawaban tersimpan."))))
}

#[derive(Template)]
#[template(path = "confirm_submit.html")]
struct ConfirmPage {
    l: Layout,
    id: Uuid,
    answered: usize,
    total: usize,
    unanswered: Vec<usize>,
    remaining_text: String,
}

/// `GET /percobaan/{id}/kumpulkan`: what will be submitted, and the button that submits it.
pub async fn confirm(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let a = state.app.quizzes.attempt(viewer.caller.id, id).await?;
    if a.result.is_some() {
        return Ok(redirect(&format!("/percobaan/{id}"), None));
    }
    let unanswered = a
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| a.answers.get(&q.id).is_none_or(|l| l.is_empty()))
        .map(|(i, _)| i + 1)
        .collect();
    let page = ConfirmPage {
        l: Layout::page(&viewer, "Kumpulkan post-test", ""),
        id,
        answered: answered(&a),
        total: a.questions.len(),
        unanswered,
        remaining_text: clock_text((a.deadline - state.app.clock.now()).num_milliseconds()),
    };
    Ok(render::ok(&page))
}

/// `POST /percobaan/{id}/kumpulkan`: grades the attempt on the server; a pass completes the
/// course and issues its certificate.
pub async fn submit(
    State(state): State<WebState>,
    viewer: Viewer,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let back = format!("/percobaan/{id}");
    let g = state.app.graduation.submit(viewer.caller.id, id).await.or_back(&back)?;
    let r = &g.result;
    let text = match (r.passed, &g.certificate) {
        (true, Some(c)) => {
            format!("Selamat, Anda lulus dengan nilai {}. Sertifikat {} sudah terbit.", r.score, c.row.number)
        }
        (true, None) => format!(
            "Selamat, Anda lulus dengan nilai {}. Sertifikat sedang diterbitkan dan akan tampil di halaman Sertifikat.",
            r.score
        ),
        (false, _) => format!("Nilai Anda {}; nilai lulus {}. Anda belum lulus.", r.score, r.pass_mark),
    };
    let flash = if r.passed { Flash::success(text) } else { Flash::error(text) };
    Ok(redirect(&back, Some(flash)))
}
