//! Reports for verifiers: anomalies worth a look before JP are credited.

use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use progress_tracking::{Anomaly, AnomalyKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Query};
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AnomalyQuery {
    /// Only evidence since this time (default: 365 days ago).
    pub since: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct DayMinutes {
    pub day: NaiveDate,
    pub minutes: i64,
}

#[derive(Serialize, ToSchema)]
pub struct AnomalyView {
    /// `fast_post_test` or `daily_cap_streak`.
    pub kind: &'static str,
    pub person_id: uuid::Uuid,
    pub nip: Option<String>,
    pub name: String,
    /// What was seen, in Bahasa Indonesia.
    pub summary: String,
    /// `fast_post_test`: the attempt, its course, score, question count, time taken and the
    /// estimated reading time.
    pub attempt_id: Option<uuid::Uuid>,
    pub course_id: Option<uuid::Uuid>,
    pub score: Option<i32>,
    pub questions: Option<usize>,
    pub seconds_taken: Option<i64>,
    pub reading_seconds: Option<i64>,
    /// `daily_cap_streak`: the days and minutes credited on each.
    pub days: Option<Vec<DayMinutes>>,
    pub daily_cap_minutes: Option<i64>,
}

fn view(a: Anomaly) -> AnomalyView {
    let base = |kind, summary| AnomalyView {
        kind,
        person_id: a.person_id,
        nip: a.nip.clone(),
        name: a.name.clone(),
        summary,
        attempt_id: None,
        course_id: None,
        score: None,
        questions: None,
        seconds_taken: None,
        reading_seconds: None,
        days: None,
        daily_cap_minutes: None,
    };
    match a.kind {
        AnomalyKind::FastPostTest {
            attempt_id,
            course_id,
            score,
            questions,
            seconds_taken,
            reading_seconds,
        } => AnomalyView {
            attempt_id: Some(attempt_id),
            course_id: Some(course_id),
            score: Some(score),
            questions: Some(questions),
            seconds_taken: Some(seconds_taken),
            reading_seconds: Some(reading_seconds),
            ..base(
                "fast_post_test",
                format!(
                    "post-test {questions} soal lulus dengan nilai {score} dalam {seconds_taken} detik; membaca soalnya saja perlu sekitar {reading_seconds} detik"
                ),
            )
        },
        AnomalyKind::DailyCapStreak { first_day, last_day, minutes_per_day, daily_cap_minutes } => {
            AnomalyView {
                days: Some(
                    minutes_per_day
                        .iter()
                        .map(|(day, minutes)| DayMinutes { day: *day, minutes: *minutes })
                        .collect(),
                ),
                daily_cap_minutes: Some(daily_cap_minutes),
                ..base(
                    "daily_cap_streak",
                    format!(
                        "waktu belajar mencapai batas harian ({daily_cap_minutes} menit) selama {} hari berturut-turut, {first_day} s.d. {last_day}",
                        minutes_per_day.len()
                    ),
                )
            }
        }
    }
}

/// Anomalies for verifiers: post-tests passed faster than their questions can be read, and
/// study time at the daily cap on many consecutive days. Flags only; nothing is blocked.
#[utoipa::path(get, path = "/api/v1/reports/anomalies", tag = "reports", security(("bearer" = [])),
    params(AnomalyQuery),
    responses((status = 200, body = [AnomalyView]), (status = 403, body = ErrorBody)))]
pub async fn anomalies(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Query(q): Query<AnomalyQuery>,
) -> Result<Json<Vec<AnomalyView>>, ApiError> {
    let since = q.since.unwrap_or_else(|| state.clock.now() - chrono::Duration::days(365));
    let found = state.progress.anomalies(since).await?;
    // The report names people and their study records: record who read it.
    accounts::audit::record(
        &state.db,
        state.clock.now(),
        Some(caller.id),
        "anomaly_report_viewed",
        None,
        Some(serde_json::json!({ "since": since, "rows": found.len() })),
        None,
    )
    .await?;
    Ok(Json(found.into_iter().map(view).collect()))
}
