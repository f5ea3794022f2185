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
        components.schemas.insert(
            crate::schema_rules::JSON_WITHOUT_NUL.into(),
            crate::schema_rules::json_without_nul().into(),
        );
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
            add_shape_answers(op, ep.access);
            constrain_path_parameters(op);
        }
    }
    close_tagged_request_enums(&mut doc);
    doc
}

/// Request types are `deny_unknown_fields`, and utoipa says so (`additionalProperties: false`)
/// for structs but not for the variants of a tagged enum (a question by its `type`): said here,
/// for every enum a request body names, so the document refuses what the server refuses.
fn close_tagged_request_enums(doc: &mut Document) {
    use utoipa::openapi::RefOr;
    use utoipa::openapi::schema::{AdditionalProperties, Schema};
    let mut names = Vec::new();
    for item in doc.paths.paths.values() {
        let ops = [&item.get, &item.put, &item.post, &item.patch, &item.delete];
        for body in ops.into_iter().flatten().filter_map(|op| op.request_body.as_ref()) {
            for content in body.content.values() {
                if let Some(RefOr::Ref(r)) = &content.schema {
                    names.extend(r.ref_location.rsplit('/').next().map(str::to_string));
                }
            }
        }
    }
    let Some(components) = doc.components.as_mut() else { return };
    for name in names {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = components.schemas.get_mut(&name) {
            for variant in &mut one_of.items {
                if let RefOr::T(Schema::Object(o)) = variant {
                    o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
                }
            }
        }
    }
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
    merge_answers(op, answers);
}

/// The answers a route gives because of its shape, by the extractors and the access check it
/// runs before its handler: derived here from the operation's parameters, body and declared
/// access, so that a route cannot gain a parameter without the document gaining its refusals.
/// Where the handler's annotation already lists the status, its codes are appended to it.
fn add_shape_answers(op: &mut utoipa::openapi::path::Operation, access: crate::access::Access) {
    use crate::access::Access;
    use utoipa::openapi::path::ParameterIn;
    let params = op.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| params.iter().any(|p| p.parameter_in == place);
    let (path, query) = (has(ParameterIn::Path), has(ParameterIn::Query));
    let json_body =
        op.request_body.as_ref().is_some_and(|b| b.content.keys().any(|k| k == "application/json"));
    let mut answers: Vec<(u16, &str)> = Vec::new();
    if access != Access::Public {
        answers.push((
            401,
            "`unauthenticated` (no bearer token), `invalid_token` (unknown or signed out), \
             `token_expired`",
        ));
    }
    match access {
        Access::Public | Access::SignedInPendingPassword => {}
        Access::SignedIn => answers
            .push((403, "`password_change_required`: the caller must first replace a one-time password")),
        Access::Roles(_) => answers
            .push((403, "`forbidden` (the caller holds none of the roles), `password_change_required`")),
    }
    if path {
        answers
            .push((400, "`invalid_path_parameter`: a path parameter is not of its type (`details.field`)"));
    }
    if query {
        answers.push((
            400,
            "`invalid_query_parameter`: a query parameter is unknown or not of its type (`details.field`)",
        ));
    }
    if json_body {
        answers.push((400, "`malformed_json`: the body is not JSON"));
        answers.push((415, "`unsupported_media_type`: the body is not `application/json`"));
        answers.push((422, "`invalid_field`: a field is missing, unknown or invalid (`details.field`)"));
    }
    if path || query || op.request_body.is_some() {
        answers.push((422, "`invalid_field`: a NUL character in a parameter or the body"));
    }
    merge_answers(op, answers);
}

/// Adds each answer to the operation, or, where its annotation already lists that status, adds
/// the codes to the description there.
fn merge_answers(op: &mut utoipa::openapi::path::Operation, answers: Vec<(u16, &str)>) {
    use std::collections::btree_map::Entry;
    for (status, description) in answers {
        match op.responses.responses.entry(status.to_string()) {
            Entry::Occupied(mut o) => {
                if let utoipa::openapi::RefOr::T(r) = o.get_mut()
                    && !r.description.contains(description)
                {
                    r.description = if r.description.is_empty() {
                        description.to_string()
                    } else {
                        format!("{}; {description}", r.description)
                    };
                }
            }
            Entry::Vacant(v) => {
                v.insert(error_response(description));
            }
        }
    }
}

/// Path parameters by name: one name, one rule, wherever it appears.
fn constrain_path_parameters(op: &mut utoipa::openapi::path::Operation) {
    use crate::schema_rules as rules;
    use utoipa::openapi::path::ParameterIn;
    for p in op.parameters.iter_mut().flatten() {
        if p.parameter_in != ParameterIn::Path {
            continue;
        }
        let schema = match p.name.as_str() {
            "key" => rules::key(),
            "employment_type" => rules::employment_type(),
            "from_year" => rules::year(),
            _ => continue,
        };
        p.schema = Some(schema.into());
    }
}

fn error_response(description: &str) -> utoipa::openapi::RefOr<utoipa::openapi::Response> {
    let content = utoipa::openapi::ContentBuilder::new()
        .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
        .build();
    utoipa::openapi::ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
        .build()
        .into()
}

/// This document: every route of the API, its parameters, bodies, answers and access.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "OpenAPI 3.1 document", body = Object)))]
pub async fn serve(State(state): State<AppState>) -> Json<Document> {
    Json(document(&state))
}
