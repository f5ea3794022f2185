//! Liveness and readiness, for load balancers and orchestrators.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::extract::Json;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: &'static str,
    /// `ok` or `unavailable`.
    pub database: &'static str,
    /// `ok` or `unavailable`.
    pub live_store: &'static str,
    /// `memory` or `redis`.
    pub live_store_kind: &'static str,
    /// `done` once the start-up sweep (certificates for completions a crash left without one)
    /// has run, `pending` before.
    pub startup_sweep: &'static str,
}

/// The process is up. Checks nothing else, so a slow database never gets a healthy node killed.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The node can serve: the database and the live store answer, and the start-up sweep is done.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db_ok = state.db.ping().await.is_ok();
    let live_ok = state.live.ping().await.is_ok();
    let swept = state.startup.sweep_done();
    let ready = db_ok && live_ok && swept;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let ok = |b: bool| if b { "ok" } else { "unavailable" };
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database: ok(db_ok),
        live_store: ok(live_ok),
        live_store_kind: state.live.kind(),
        startup_sweep: if swept { "done" } else { "pending" },
    };
    (status, Json(body)).into_response()
}
