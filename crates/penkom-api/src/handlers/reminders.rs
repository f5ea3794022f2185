//! The yearly JP reminder: its date, and running it by hand.

use axum::extract::State;
use notifications::reminder::{self, ReminderDate, ReminderRun};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Authed;
use crate::error::{ApiError, ErrorBody};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderDateView {
    #[schema(minimum = 1, maximum = 12)]
    pub month: u32,
    /// A day the month has (29 February is refused: not every year has it).
    #[schema(minimum = 1, maximum = 31)]
    pub day: u32,
}

/// The date (local) on which everyone short of their target is reminded; default 1 October.
#[utoipa::path(get, path = "/api/v1/admin/reminder", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = ReminderDateView)))]
pub async fn get_date(State(state): State<AppState>) -> Result<Json<ReminderDateView>, ApiError> {
    let d = reminder::date(&state.db).await?;
    Ok(Json(ReminderDateView { month: d.month, day: d.day }))
}

#[utoipa::path(put, path = "/api/v1/admin/reminder", tag = "admin", security(("bearer" = [])),
    request_body = ReminderDateView,
    responses((status = 200, body = ReminderDateView), (status = 422, description = "`invalid_date`", body = ErrorBody)))]
pub async fn set_date(
    State(state): State<AppState>,
    Json(body): Json<ReminderDateView>,
) -> Result<Json<ReminderDateView>, ApiError> {
    let d =
        reminder::set_date(&state.db, state.clock.now(), ReminderDate { month: body.month, day: body.day })
            .await?;
    Ok(Json(ReminderDateView { month: d.month, day: d.day }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequest {
    /// Default: the current year.
    #[schema(schema_with = crate::schema_rules::optional_year)]
    pub year: Option<i32>,
}

/// Queues the reminder now for everyone below target. Running it again queues nothing twice.
#[utoipa::path(post, path = "/api/v1/admin/reminders/run", tag = "admin", security(("bearer" = [])),
    request_body = RunRequest,
    responses((status = 200, body = ReminderRun)))]
pub async fn run(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Json(body): Json<RunRequest>,
) -> Result<Json<ReminderRun>, ApiError> {
    let year = body.year.unwrap_or_else(|| state.ledger.this_year());
    let result = reminder::run(&state.db, &state.ledger, state.clock.now(), year, &state.mail).await?;
    state.outbox.wake();
    accounts::audit::record(
        &state.db,
        state.clock.now(),
        Some(caller.id),
        "jp_reminder_run",
        None,
        Some(serde_json::json!({ "year": year, "queued": result.queued })),
        None,
    )
    .await?;
    Ok(Json(result))
}
