//! The OpenAPI 3.1 document, generated from the handlers' annotations and the route table.

use axum::extract::State;
use utoipa::openapi::OpenApi as Document;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::extract::Json;
use crate::handlers;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Penkom API", description = "Verified e-learning for Indonesian civil servants (ASN): server-measured study time, signed certificates, yearly JP ledger. Errors are `{\"error\": {\"code\", \"message\"}}`; messages are in Bahasa Indonesia."),
    paths(
        serve,
        handlers::health::healthz,
        handlers::health::readyz,
        handlers::auth::login,
        handlers::auth::logout,
        handlers::me::me,
        handlers::me::change_password,
        handlers::admin_users::list,
        handlers::admin_users::import,
        handlers::admin_users::one_time_password,
        handlers::admin_users::opds,
        handlers::catalog::list,
        handlers::catalog::detail,
        handlers::catalog::enroll,
        handlers::catalog::my_enrollments,
        handlers::catalog::module,
        handlers::study::start,
        handlers::study::heartbeat,
        handlers::study::end,
        handlers::study::complete,
        handlers::study::my_progress,
        handlers::study::person_progress,
        handlers::study::advance_clock,
        handlers::quiz::start,
        handlers::quiz::detail,
        handlers::quiz::save,
        handlers::quiz::submit,
        handlers::completions::mine,
        handlers::completions::course_progress,
        handlers::reports::anomalies,
        handlers::certificates::mine,
        handlers::certificates::credential,
        handlers::certificates::pdf,
        handlers::certificates::revoke,
        handlers::verification::bulk,
        handlers::verification::by_code,
        handlers::verification::page,
        handlers::verification::did_document,
        handlers::verification::jwks,
        handlers::verification::status_list,
        handlers::verification::log_head,
        handlers::ledger::mine,
        handlers::ledger::requirements,
        handlers::ledger::set_requirement,
        handlers::ledger::record_external,
        handlers::ledger::attach_evidence,
        handlers::ledger::evidence,
        handlers::ledger::reverse_external,
        handlers::compliance::compliance,
        handlers::compliance::siasn,
        handlers::reminders::get_date,
        handlers::reminders::set_date,
        handlers::reminders::run,
        handlers::authoring::create,
        handlers::authoring::list,
        handlers::authoring::detail,
        handlers::authoring::put_meta,
        handlers::authoring::put_module,
        handlers::authoring::delete_module,
        handlers::authoring::reorder,
        handlers::authoring::reorder_questions,
        handlers::authoring::put_question,
        handlers::authoring::delete_question,
        handlers::authoring::preview,
        handlers::authoring::publish,
        handlers::authoring::retire,
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document, with each operation's description extended by the access its route declares,
/// so the document can never disagree with the access check.
pub fn document(state: &AppState) -> Document {
    let mut doc = ApiDoc::openapi();
    for ep in crate::routes::endpoints(state.clone()) {
        let Some(item) = doc.paths.paths.get_mut(ep.path) else { continue };
        let op = match ep.method.as_str() {
            "GET" => item.get.as_mut(),
            "POST" => item.post.as_mut(),
            "PUT" => item.put.as_mut(),
            "PATCH" => item.patch.as_mut(),
            "DELETE" => item.delete.as_mut(),
            _ => None,
        };
        if let Some(op) = op {
            let access = ep.access.describe();
            op.description = Some(match op.description.take() {
                Some(d) if !d.is_empty() => format!("{d}\n\n{access}"),
                _ => access,
            });
            add_transport_answers(op);
        }
    }
    doc
}

/// The answers every route can give whatever its handler decides, added here once rather than
/// repeated in every annotation: a URI over the limit (414, `finish`), a node at its connection
/// bound or a database or live store failing for a moment (503, with `Retry-After`), and, for a
/// route that takes a body, one too large (413, also before reading it when `Content-Length`
/// says so) or too slow in coming (408, the body timeouts).
fn add_transport_answers(op: &mut utoipa::openapi::path::Operation) {
    let mut answers = vec![
        (414, "`uri_too_long`: the URI is longer than 8 KiB"),
        (
            503,
            "`service_unavailable`: the node is at its connection bound, or the database or the live \
             store failed for a moment (a failover); `Retry-After` says when to try again",
        ),
    ];
    if op.request_body.is_some() {
        answers.push((408, "`body_timeout`: the body stalled or took too long"));
        answers.push((413, "`body_too_large`: the body is over this route's limit"));
    }
    for (status, description) in answers {
        op.responses.responses.entry(status.to_string()).or_insert_with(|| {
            let content = utoipa::openapi::ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build();
            utoipa::openapi::ResponseBuilder::new()
                .description(description)
                .content("application/json", content)
                .build()
                .into()
        });
    }
}

/// This document: every route of the API, its parameters, bodies, answers and access.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
pub async fn serve(State(state): State<AppState>) -> Json<Document> {
    Json(document(&state))
}
