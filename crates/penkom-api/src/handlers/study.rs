//! Study sessions and heartbeats: the contract study clients rely on.
//!
//! A client starts a session on a module, then beats every `heartbeat_interval_s` seconds with
//! `{"visible", "active"}`. The server alone measures time: nothing a client sends is a time
//! or a duration.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use progress_tracking::{BeatReport, ModuleEvidence};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{Json, Path};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct SessionStartedView {
    pub session_id: uuid::Uuid,
    pub heartbeat_interval_s: i64,
    pub min_engaged_seconds: i64,
    /// Credited on this module so far, over all sessions.
    pub credited_seconds: i64,
}

/// Starts a study session on a module the caller is enrolled in. Any other session of the
/// caller (any module, tab or device) ends: its next beat answers 409 `session_superseded`.
#[utoipa::path(post, operation_id = "start_session", path = "/api/v1/modules/{id}/sessions", tag = "study", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Module id")),
    responses((status = 201, body = SessionStartedView), (status = 403, description = "`not_enrolled`", body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<(StatusCode, Json<SessionStartedView>), ApiError> {
    let module = state.courses.enrolled_module(caller.id, id).await?;
    let s = state.progress.start(caller.id, module.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(SessionStartedView {
            session_id: s.session_id,
            heartbeat_interval_s: s.heartbeat_interval_s,
            min_engaged_seconds: s.min_engaged_seconds,
            credited_seconds: s.credited_seconds,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    /// The study page is visible on screen.
    pub visible: bool,
    /// The learner interacted (scrolled, typed, pressed play) since the previous beat.
    pub active: bool,
}

#[derive(Serialize, ToSchema)]
pub struct BeatView {
    pub session_credited_seconds: i64,
    pub module_credited_seconds: i64,
    /// Still required before the module can be completed.
    pub remaining_seconds: i64,
    pub can_complete: bool,
}

impl From<BeatReport> for BeatView {
    fn from(r: BeatReport) -> Self {
        Self {
            session_credited_seconds: r.session_credited_seconds,
            module_credited_seconds: r.module_credited_seconds,
            remaining_seconds: r.remaining_seconds,
            can_complete: r.can_complete,
        }
    }
}

/// A heartbeat. Credits the time since the previous accepted beat (capped), nothing while the
/// page is hidden or the learner inactive, nothing over an idle gap, nothing past the daily cap.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/heartbeat", tag = "study", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Session id")), request_body = HeartbeatRequest,
    responses((status = 200, body = BeatView),
        (status = 404, description = "`session_not_found`", body = ErrorBody),
        (status = 409, description = "`session_superseded` or `session_ended`", body = ErrorBody),
        (status = 429, description = "`heartbeat_too_fast`, with Retry-After", body = ErrorBody)))]
pub async fn heartbeat(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
    Json(beat): Json<HeartbeatRequest>,
) -> Result<Json<BeatView>, ApiError> {
    Ok(Json(state.progress.beat(caller.id, id, beat.visible, beat.active).await?.into()))
}

/// Ends a session (idempotent), writing its evidence.
#[utoipa::path(post, path = "/api/v1/sessions/{id}/end", tag = "study", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses((status = 200, body = BeatView), (status = 404, body = ErrorBody)))]
pub async fn end(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<BeatView>, ApiError> {
    Ok(Json(state.progress.end(caller.id, id).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct CompletionView {
    pub module_id: uuid::Uuid,
    pub credited_seconds: i64,
    pub completed_at: DateTime<Utc>,
}

/// Completes a module: only when the credited time reaches its minimum, else 409
/// `insufficient_study_time` with `details.missing_seconds`. Idempotent.
#[utoipa::path(post, path = "/api/v1/modules/{id}/complete", tag = "study", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Module id")),
    responses((status = 200, body = CompletionView),
        (status = 404, description = "`module_not_found`", body = ErrorBody),
        (status = 409, description = "`insufficient_study_time`", body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<CompletionView>, ApiError> {
    let module = state.courses.enrolled_module(caller.id, id).await?;
    let c = state.progress.complete(caller.id, module.into()).await?;
    Ok(Json(CompletionView {
        module_id: c.module_id,
        credited_seconds: c.credited_seconds,
        completed_at: c.completed_at,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct SegmentView {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    /// Local day the credit counts for (daily cap).
    pub day: String,
    pub beats: i64,
    pub too_fast_beats: i64,
    pub credited_seconds: i64,
    /// Reason → seconds not credited: `not_visible`, `inactive`, `idle_gap`, `over_beat_cap`,
    /// `daily_cap`.
    pub rejected_seconds: BTreeMap<String, i64>,
    /// False for the live part of an active session (not yet checkpointed).
    pub checkpointed: bool,
}

#[derive(Serialize, ToSchema)]
pub struct SessionEvidenceView {
    pub id: uuid::Uuid,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// `ended`, `superseded`, or absent while active.
    pub end_reason: Option<String>,
    pub credited_seconds: i64,
    pub segments: Vec<SegmentView>,
}

#[derive(Serialize, ToSchema)]
pub struct ModuleEvidenceView {
    pub module_id: uuid::Uuid,
    pub min_engaged_seconds: i64,
    pub credited_seconds: i64,
    pub remaining_seconds: i64,
    pub completed_at: Option<DateTime<Utc>>,
    pub sessions: Vec<SessionEvidenceView>,
}

impl From<ModuleEvidence> for ModuleEvidenceView {
    fn from(e: ModuleEvidence) -> Self {
        Self {
            module_id: e.module_id,
            min_engaged_seconds: e.min_engaged_seconds,
            credited_seconds: e.credited_seconds,
            remaining_seconds: e.remaining_seconds,
            completed_at: e.completed_at,
            sessions: e
                .sessions
                .into_iter()
                .map(|s| SessionEvidenceView {
                    id: s.id,
                    started_at: s.started_at,
                    ended_at: s.ended_at,
                    end_reason: s.end_reason,
                    credited_seconds: s.credited_seconds,
                    segments: s
                        .segments
                        .into_iter()
                        .map(|g| SegmentView {
                            from: g.from,
                            to: g.to,
                            day: g.day,
                            beats: g.beats,
                            too_fast_beats: g.too_fast_beats,
                            credited_seconds: g.credited_seconds,
                            rejected_seconds: g.rejected_seconds,
                            checkpointed: g.checkpointed,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

async fn evidence(
    state: &AppState,
    person: penkom_core::UserId,
    module: uuid::Uuid,
) -> Result<Json<ModuleEvidenceView>, ApiError> {
    let e = state
        .progress
        .evidence(person, module)
        .await?
        .ok_or_else(|| ApiError::not_found("modul tidak ditemukan"))?;
    Ok(Json(e.into()))
}

/// The evidence of the caller's study of a module: sessions, checkpoints, credited and rejected
/// seconds with the reason for each rejection.
#[utoipa::path(get, path = "/api/v1/me/modules/{id}/progress", tag = "study", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Module id")),
    responses((status = 200, body = ModuleEvidenceView), (status = 404, body = ErrorBody)))]
pub async fn my_progress(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<uuid::Uuid>,
) -> Result<Json<ModuleEvidenceView>, ApiError> {
    evidence(&state, caller.id, id).await
}

/// The same evidence for any person, for verifiers.
#[utoipa::path(get, path = "/api/v1/people/{person_id}/modules/{id}/progress", tag = "study", security(("bearer" = [])),
    params(("person_id" = uuid::Uuid, Path), ("id" = uuid::Uuid, Path, description = "Module id")),
    responses((status = 200, body = ModuleEvidenceView), (status = 404, body = ErrorBody)))]
pub async fn person_progress(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path((person_id, id)): Path<(uuid::Uuid, uuid::Uuid)>,
) -> Result<Json<ModuleEvidenceView>, ApiError> {
    // Who looked at whose study record is personal-data access (UU 27/2022): record it.
    accounts::audit::record(
        &state.db,
        state.clock.now(),
        Some(caller.id),
        "study_evidence_viewed",
        Some(&person_id.to_string()),
        Some(serde_json::json!({ "module_id": id })),
        None,
    )
    .await?;
    evidence(&state, penkom_core::UserId(person_id), id).await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceClock {
    /// Seconds to move the simulated clock forward (1 to 30 days' worth).
    pub advance_seconds: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ClockView {
    pub now: DateTime<Utc>,
}

/// Moves the simulated clock forward (only under `penkom serve --simulated-clock`).
#[utoipa::path(post, path = "/api/v1/admin/clock", tag = "admin", security(("bearer" = [])), request_body = AdvanceClock,
    responses((status = 200, body = ClockView), (status = 409, description = "`simulated_clock_disabled`", body = ErrorBody)))]
pub async fn advance_clock(
    State(state): State<AppState>,
    Json(r): Json<AdvanceClock>,
) -> Result<Json<ClockView>, ApiError> {
    let Some(clock) = &state.simulated_clock else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "simulated_clock_disabled",
            "jam simulasi hanya tersedia dengan `penkom serve --simulated-clock`",
        ));
    };
    if !(1..=30 * 24 * 3600).contains(&r.advance_seconds) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "advance_seconds harus 1 sampai 2592000",
        ));
    }
    clock.advance(chrono::Duration::seconds(r.advance_seconds));
    Ok(Json(ClockView { now: penkom_core::Clock::now(clock) }))
}
