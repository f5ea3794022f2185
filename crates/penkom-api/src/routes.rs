//! The route table: every endpoint, its handler and who may call it, in one list.

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, header};
use axum::http::{Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{MethodRouter, delete, get, post, put};
use penkom_core::Role;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::access::{Access, enforce};
use crate::error::ApiError;
use crate::handlers::{
    admin_users, auth, authoring, catalog, certificates, completions, compliance, health, ledger, me, quiz,
    reminders, reports, study, verification,
};
use crate::state::AppState;

/// One endpoint's declaration, as the route-walking test and the OpenAPI document read it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub method: Method,
    /// The axum path template, e.g. `/api/v1/admin/users/{id}/one-time-password`.
    pub path: &'static str,
    pub access: Access,
}

/// Collects routes and their declarations side by side, so a route cannot exist without one.
pub struct RouteTable {
    router: Router<AppState>,
    endpoints: Vec<Endpoint>,
    state: AppState,
}

impl RouteTable {
    fn new(state: AppState) -> Self {
        Self { router: Router::new(), endpoints: Vec::new(), state }
    }

    fn add(
        self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<AppState>,
    ) -> Self {
        let limit = self.state.config.max_json_bytes;
        self.add_sized(method, path, access, limit, handler)
    }

    /// As [`RouteTable::add`], for a route whose bodies may be up to `limit` bytes.
    fn add_sized(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        limit: usize,
        handler: MethodRouter<AppState>,
    ) -> Self {
        let guard = crate::access::Guard { state: self.state.clone(), access, body_limit: limit };
        let guarded =
            handler.layer(DefaultBodyLimit::max(limit)).route_layer(from_fn_with_state(guard, enforce));
        self.router = self.router.route(path, guarded);
        self.endpoints.push(Endpoint { method, path, access });
        self
    }

    /// Every route of the API.
    fn build(state: AppState) -> Self {
        let import_limit = state.config.max_import_bytes;
        Self::new(state)
            .add(Method::GET, "/healthz", Access::Public, get(health::healthz))
            .add(Method::GET, "/readyz", Access::Public, get(health::readyz))
            .add(Method::GET, "/api/v1/openapi.json", Access::Public, get(crate::openapi::serve))
            .add(Method::POST, "/api/v1/auth/login", Access::Public, post(auth::login))
            .add(Method::POST, "/api/v1/auth/logout", Access::SignedInPendingPassword, post(auth::logout))
            .add(Method::GET, "/api/v1/me", Access::SignedInPendingPassword, get(me::me))
            .add(
                Method::POST,
                "/api/v1/me/password",
                Access::SignedInPendingPassword,
                post(me::change_password),
            )
            .add(Method::GET, "/api/v1/admin/users", Access::Roles(&[Role::Admin]), get(admin_users::list))
            .add_sized(
                Method::POST,
                "/api/v1/admin/users/import",
                Access::Roles(&[Role::Admin]),
                import_limit,
                post(admin_users::import),
            )
            .add(
                Method::POST,
                "/api/v1/admin/users/{id}/one-time-password",
                Access::Roles(&[Role::Admin]),
                post(admin_users::one_time_password),
            )
            .add(Method::GET, "/api/v1/opds", Access::SignedIn, get(admin_users::opds))
            .add(Method::GET, "/api/v1/courses", Access::SignedIn, get(catalog::list))
            .add(Method::GET, "/api/v1/courses/{id}", Access::SignedIn, get(catalog::detail))
            .add(Method::POST, "/api/v1/courses/{id}/enrollments", LEARNER, post(catalog::enroll))
            .add(Method::GET, "/api/v1/me/enrollments", LEARNER, get(catalog::my_enrollments))
            .add(Method::GET, "/api/v1/modules/{id}", LEARNER, get(catalog::module))
            .add(Method::POST, "/api/v1/modules/{id}/sessions", LEARNER, post(study::start))
            .add(Method::POST, "/api/v1/sessions/{id}/heartbeat", LEARNER, post(study::heartbeat))
            .add(Method::POST, "/api/v1/sessions/{id}/end", LEARNER, post(study::end))
            .add(Method::POST, "/api/v1/modules/{id}/complete", LEARNER, post(study::complete))
            .add(Method::GET, "/api/v1/me/modules/{id}/progress", LEARNER, get(study::my_progress))
            .add(
                Method::GET,
                "/api/v1/people/{person_id}/modules/{id}/progress",
                Access::Roles(&[Role::Verifier, Role::Admin]),
                get(study::person_progress),
            )
            .add(Method::POST, "/api/v1/courses/{id}/attempts", LEARNER, post(quiz::start))
            .add(Method::GET, "/api/v1/attempts/{id}", LEARNER, get(quiz::detail))
            .add(Method::PUT, "/api/v1/attempts/{id}/answers", LEARNER, put(quiz::save))
            .add(Method::POST, "/api/v1/attempts/{id}/submit", LEARNER, post(quiz::submit))
            .add(Method::GET, "/api/v1/me/completions", LEARNER, get(completions::mine))
            .add(Method::GET, "/api/v1/me/courses/{id}/progress", LEARNER, get(completions::course_progress))
            .add(
                Method::GET,
                "/api/v1/reports/anomalies",
                Access::Roles(&[Role::Verifier, Role::Admin]),
                get(reports::anomalies),
            )
            .add(Method::GET, "/api/v1/me/certificates", Access::SignedIn, get(certificates::mine))
            .add(Method::GET, "/api/v1/certificates/{id}", Access::SignedIn, get(certificates::credential))
            .add(Method::GET, "/api/v1/certificates/{id}/pdf", Access::SignedIn, get(certificates::pdf))
            .add(Method::POST, "/api/v1/certificates/{id}/revoke", VERIFIER, post(certificates::revoke))
            .add_sized(Method::POST, "/api/v1/verify", VERIFIER, BULK_VERIFY_LIMIT, post(verification::bulk))
            .add(Method::GET, "/api/v1/verify/{code}", Access::Public, get(verification::by_code))
            .add(Method::GET, "/v/{code}", Access::Public, get(verification::page))
            .add(Method::GET, "/.well-known/did.json", Access::Public, get(verification::did_document))
            .add(Method::GET, "/.well-known/jwks.json", Access::Public, get(verification::jwks))
            .add(Method::GET, "/status/revocation", Access::Public, get(verification::status_list))
            .add(Method::GET, "/api/v1/log/head", Access::Public, get(verification::log_head))
            .add(Method::GET, "/api/v1/me/jp", Access::SignedIn, get(ledger::mine))
            .add(Method::GET, "/api/v1/jp/requirements", Access::SignedIn, get(ledger::requirements))
            .add(
                Method::PUT,
                "/api/v1/jp/requirements/{employment_type}/{from_year}",
                Access::Roles(&[Role::Admin]),
                put(ledger::set_requirement),
            )
            .add(Method::POST, "/api/v1/jp/external", VERIFIER, post(ledger::record_external))
            .add_sized(
                Method::PUT,
                "/api/v1/jp/external/{id}/evidence",
                VERIFIER,
                EVIDENCE_LIMIT,
                put(ledger::attach_evidence),
            )
            .add(Method::GET, "/api/v1/jp/external/{id}/evidence", VERIFIER, get(ledger::evidence))
            .add(Method::POST, "/api/v1/jp/external/{id}/reverse", VERIFIER, post(ledger::reverse_external))
            .add(
                Method::GET,
                "/api/v1/reports/compliance",
                Access::Roles(&[Role::Verifier, Role::Admin, Role::OpdAdmin]),
                get(compliance::compliance),
            )
            .add(Method::GET, "/api/v1/reports/siasn", VERIFIER, get(compliance::siasn))
            .add(
                Method::GET,
                "/api/v1/admin/reminder",
                Access::Roles(&[Role::Admin]),
                get(reminders::get_date),
            )
            .add(
                Method::PUT,
                "/api/v1/admin/reminder",
                Access::Roles(&[Role::Admin]),
                put(reminders::set_date),
            )
            .add(
                Method::POST,
                "/api/v1/admin/reminders/run",
                Access::Roles(&[Role::Admin]),
                post(reminders::run),
            )
            .add(
                Method::POST,
                "/api/v1/admin/clock",
                Access::Roles(&[Role::Admin]),
                post(study::advance_clock),
            )
            .add(Method::POST, "/api/v1/instructor/courses", AUTHOR, post(authoring::create))
            .add(Method::GET, "/api/v1/instructor/courses", AUTHOR, get(authoring::list))
            .add(Method::GET, "/api/v1/instructor/courses/{id}", AUTHOR, get(authoring::detail))
            .add(Method::PUT, "/api/v1/instructor/courses/{id}/draft", AUTHOR, put(authoring::put_meta))
            .add_sized(
                Method::PUT,
                "/api/v1/instructor/courses/{id}/draft/modules/{key}",
                AUTHOR,
                MODULE_BODY_LIMIT,
                put(authoring::put_module),
            )
            .add(
                Method::DELETE,
                "/api/v1/instructor/courses/{id}/draft/modules/{key}",
                AUTHOR,
                delete(authoring::delete_module),
            )
            .add(
                Method::PUT,
                "/api/v1/instructor/courses/{id}/draft/module-order",
                AUTHOR,
                put(authoring::reorder),
            )
            .add(
                Method::PUT,
                "/api/v1/instructor/courses/{id}/draft/question-order",
                AUTHOR,
                put(authoring::reorder_questions),
            )
            .add(
                Method::PUT,
                "/api/v1/instructor/courses/{id}/draft/questions/{key}",
                AUTHOR,
                put(authoring::put_question),
            )
            .add(
                Method::DELETE,
                "/api/v1/instructor/courses/{id}/draft/questions/{key}",
                AUTHOR,
                delete(authoring::delete_question),
            )
            .add(Method::GET, "/api/v1/instructor/courses/{id}/preview", AUTHOR, get(authoring::preview))
            .add(Method::POST, "/api/v1/instructor/courses/{id}/publish", AUTHOR, post(authoring::publish))
            .add(Method::POST, "/api/v1/instructor/courses/{id}/retire", AUTHOR, post(authoring::retire))
    }
}

const LEARNER: Access = Access::Roles(&[Role::Learner]);
const VERIFIER: Access = Access::Roles(&[Role::Verifier, Role::Admin]);
/// A thousand signed credentials of about 4 KiB each, with room to spare.
const BULK_VERIFY_LIMIT: usize = 8 * 1024 * 1024;
/// An evidence file: at most 10 MiB, checked again by the ledger.
const EVIDENCE_LIMIT: usize = 10 * 1024 * 1024 + 1;
const AUTHOR: Access = Access::Roles(&[Role::Instructor, Role::Admin]);
/// A module body is Markdown text; a long module with tables stays well under 1 MiB.
const MODULE_BODY_LIMIT: usize = 1024 * 1024;

/// The declarations of every route, in registration order.
pub fn endpoints(state: AppState) -> Vec<Endpoint> {
    RouteTable::build(state).endpoints
}

/// The JSON answer to a path that names nothing.
pub async fn not_found() -> ApiError {
    ApiError::not_found("alamat tidak ditemukan")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "metode HTTP ini tidak didukung untuk alamat ini",
    )
}

/// The API's routes with their body limits and state, without a fallback or the outer layers:
/// the binary merges the web pages in beside them, then calls [`finish`].
pub fn api_routes(state: AppState) -> Router {
    RouteTable::build(state.clone()).router.with_state(state)
}

/// The API alone, answering unknown paths with a JSON 404.
pub fn router(state: AppState) -> Router {
    let config = state.config.clone();
    finish(api_routes(state).fallback(not_found), &config)
}

/// The longest request target (path and query) any route takes. No Penkom URL comes near it: a
/// longer one is a mistake or a probe. (Past 64 KiB the HTTP parser itself answers 414, before
/// any of this code runs, and without a body.)
pub const MAX_URI_BYTES: usize = 8 * 1024;

async fn refuse_long_uris(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let len = req.uri().path_and_query().map_or(0, |p| p.as_str().len());
    if len > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            "uri_too_long",
            format!("alamat permintaan terlalu panjang (paling banyak {MAX_URI_BYTES} byte)"),
        )
        .into_response();
    }
    next.run(req).await
}

/// The whole application around `routes` (which carry their fallback): the method-not-allowed
/// answer, and the layers every answer passes through, pages and API alike.
pub fn finish(routes: Router, config: &crate::ApiConfig) -> Router {
    routes
        .method_not_allowed_fallback(method_not_allowed)
        // A read that met a broken database connection (a failover) runs once more.
        .layer(crate::read_retry::RetryReads)
        // A body must keep coming and be complete within the deadline (408 `body_timeout`).
        .layer(crate::body_timeout::BodyTimeouts {
            idle: config.body_idle_timeout,
            deadline: config.body_deadline,
        })
        .layer(axum::middleware::from_fn(refuse_long_uris))
        // A panic is a bug, but it must still answer in the standard format (and be logged)
        // rather than drop the connection.
        .layer(CatchPanicLayer::custom(|_| ApiError::internal("handler panicked").into_response()))
        // Answers carry tokens, one-time passwords and personal data; no cache may keep them.
        // (Static assets set their own, long-lived, Cache-Control.)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        // Layers run outside-in: the request id is set first so the trace span can show it, and
        // copied onto the response last so clients can quote it in a support request.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
