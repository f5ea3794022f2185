//! Beranda: this year's JP against the target, the entries behind it, and the courses under way.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use penkom_core::{Jp, Role};
use progress_tracking::CourseProgress;
use serde::Deserialize;

use crate::WebState;
use crate::access::Viewer;
use crate::error::PageError;
use crate::extract::Query;
use crate::indonesian;
use crate::layout::Layout;
use crate::render;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    tahun: Option<i32>,
}

struct EntryRow {
    date: String,
    kind: &'static str,
    description: String,
    jp: String,
    negative: bool,
}

struct RunningRow {
    title: String,
    href: String,
    jp: String,
    modules_done: u32,
    modules_total: u32,
    minutes: String,
    /// 0–100, study minutes credited towards what the course requires.
    percent: i64,
    next_step: &'static str,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    l: Layout,
    name: String,
    about: String,
    year: i32,
    years: Vec<i32>,
    /// The person has a yearly requirement (PNS, PPPK).
    has_target: bool,
    target: String,
    counted: String,
    credited: String,
    remaining: String,
    cap: Option<String>,
    met: bool,
    /// For `<progress>`: plain decimals with a point.
    progress_value: String,
    progress_max: String,
    percent: i64,
    entries: Vec<EntryRow>,
    learner: bool,
    running: Vec<RunningRow>,
}

/// What a course under way needs next, in a few words.
fn next_step(p: &CourseProgress) -> &'static str {
    let t = &p.post_test;
    if !t.unlocked {
        "Selesaikan modul wajib"
    } else if t.open_attempt_id.is_some() {
        "Post-test sedang dikerjakan"
    } else if t.attempts_left == 0 {
        "Batas percobaan post-test habis"
    } else {
        "Siap mengerjakan post-test"
    }
}

fn hundredths(text: &str) -> i64 {
    Jp::parse(text).map(Jp::hundredths).unwrap_or(0)
}

/// `GET /beranda?tahun=2026`.
pub async fn page(
    State(state): State<WebState>,
    viewer: Viewer,
    Query(q): Query<YearQuery>,
) -> Result<Response, PageError> {
    let s = &state.app;
    let me = viewer.caller.id;
    let this_year = s.ledger.this_year();
    let year = q.tahun.unwrap_or(this_year);
    let statement = s.ledger.statement(me.0, year).await?;
    let profile = s.accounts.profile(me).await?;
    let learner = viewer.caller.has(Role::Learner);
    let mut running = Vec::new();
    if learner {
        for e in s.courses.enrollments(me).await? {
            let p = s.quizzes.course_progress(me, e.course_id).await?;
            if p.completion.is_some() {
                continue;
            }
            let percent = if p.required_minutes > 0 {
                (p.credited_minutes * 100 / p.required_minutes).min(100)
            } else {
                100
            };
            running.push(RunningRow {
                href: format!("/kursus/{}", e.course_id),
                title: e.title,
                jp: indonesian::jp(&e.jp.to_string()),
                modules_done: p.required_modules_done,
                modules_total: p.required_modules,
                minutes: format!(
                    "{} dari {}",
                    indonesian::minutes(p.credited_minutes),
                    indonesian::minutes(p.required_minutes)
                ),
                percent,
                next_step: next_step(&p),
            });
        }
    }
    let target_h = statement.target.as_deref().map(hundredths).unwrap_or(0);
    let counted_h = hundredths(&statement.counted);
    let percent = if target_h > 0 { (counted_h * 100 / target_h).min(100) } else { 0 };
    let zone = &s.zone;
    let mut years: Vec<i32> = (this_year - 4..=this_year).rev().collect();
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable_by(|a, b| b.cmp(a));
    }
    let about = [
        statement.employment_type.clone(),
        profile.nip.as_ref().map(|n| format!("NIP {n}")),
        profile.opd.as_ref().map(|o| o.name.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let page = DashboardPage {
        l: Layout::page(&viewer, "Beranda", "beranda"),
        name: profile.name,
        about,
        year,
        years,
        has_target: statement.target.is_some(),
        target: indonesian::jp(statement.target.as_deref().unwrap_or("0")),
        counted: indonesian::jp(&statement.counted),
        credited: indonesian::jp(&statement.credited),
        remaining: indonesian::jp(statement.remaining.as_deref().unwrap_or("0")),
        cap: statement.cap.as_deref().map(indonesian::jp),
        met: statement.status.as_deref() == Some("met"),
        progress_value: statement.counted.clone(),
        progress_max: statement.target.clone().unwrap_or_else(|| "0".into()),
        percent,
        entries: statement
            .entries
            .iter()
            .map(|e| EntryRow {
                date: indonesian::date(e.recorded_at, zone),
                kind: indonesian::entry_kind(&e.kind),
                description: e.description.clone(),
                jp: indonesian::jp(&e.jp),
                negative: e.jp.starts_with('-'),
            })
            .collect(),
        learner,
        running,
    };
    Ok(render::ok(&page))
}
