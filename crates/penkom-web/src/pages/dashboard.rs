//! Beranda: this year's JP against the target, the entries behind it, and the courses under way.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use penkom_core::{Jp, Role};
use progress_tracking::{CourseProgress, NextStep};
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
    match p.next_step() {
        NextStep::StudyModules => "Selesaikan modul wajib",
        NextStep::ContinueAttempt(_) => "Post-test sedang dikerjakan",
        NextStep::NoAttemptsLeft => "Batas percobaan post-test habis",
        NextStep::WaitUntil(_) => "Menunggu jeda sebelum percobaan berikutnya",
        NextStep::StartAttempt => "Siap mengerjakan post-test",
        NextStep::Passed => "Lulus",
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
    let learner = viewer.caller.has(Role::Learner);
    // Three independent reads at once: the page's latency is the slowest of them, not the sum.
    let under_way = async { if learner { s.quizzes.courses_under_way(me).await } else { Ok(Vec::new()) } };
    let (statement, profile, under_way) =
        tokio::join!(s.ledger.statement(me.0, year), s.accounts.profile(me), under_way);
    let (statement, profile) = (statement?, profile?);
    let running: Vec<RunningRow> = under_way?
        .into_iter()
        .map(|p| RunningRow {
            href: format!("/kursus/{}", p.course_id),
            title: p.title.clone(),
            jp: indonesian::jp(&p.jp.to_string()),
            modules_done: p.required_modules_done,
            modules_total: p.required_modules,
            minutes: format!(
                "{} dari {}",
                indonesian::minutes(p.credited_minutes),
                indonesian::minutes(p.required_minutes)
            ),
            percent: if p.required_minutes > 0 {
                (p.credited_minutes * 100 / p.required_minutes).min(100)
            } else {
                100
            },
            next_step: next_step(&p),
        })
        .collect();
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
