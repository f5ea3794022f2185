//! The pages' route table: every page, its handler, who may open it and who reads its answers,
//! in one list (as the API's, and walked by the same kind of test).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{Method, header};
use axum::middleware::{from_fn_with_state, map_response_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use penkom_api::Access;
use penkom_core::Role;

use crate::WebState;
use crate::access::{Kind, MAX_FORM_BYTES, enforce};
use crate::error::PageError;
use crate::pages::{catalog, certificates, dashboard, history, post_test, signin, study};

/// One page's declaration.
#[derive(Debug, Clone)]
pub struct WebEndpoint {
    pub method: Method,
    pub path: &'static str,
    pub access: Access,
    pub kind: Kind,
}

struct WebRouteTable {
    router: Router<WebState>,
    endpoints: Vec<WebEndpoint>,
    state: WebState,
}

const LEARNER: Access = Access::Roles(&[Role::Learner]);

impl WebRouteTable {
    fn add(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        kind: Kind,
        handler: MethodRouter<WebState>,
    ) -> Self {
        let guarded = handler
            .route_layer(from_fn_with_state((self.state.clone(), access, kind), enforce))
            .route_layer(from_fn_with_state(MAX_FORM_BYTES, penkom_api::extract::refuse_declared_oversize));
        self.router = self.router.route(path, guarded);
        self.endpoints.push(WebEndpoint { method, path, access, kind });
        self
    }

    fn page(
        self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: MethodRouter<WebState>,
    ) -> Self {
        self.add(method, path, access, Kind::Page, handler)
    }

    fn build(state: WebState) -> Self {
        let t = Self { router: Router::new(), endpoints: Vec::new(), state };
        use Method as M;
        t.page(M::GET, "/", Access::Public, get(signin::page))
            .page(M::POST, "/masuk", Access::Public, post(signin::sign_in))
            .page(M::GET, "/masuk", Access::Public, get(signin::to_form))
            .page(M::GET, "/aset/{name}", Access::Public, get(crate::assets::serve))
            .page(M::GET, "/ganti-sandi", Access::SignedInPendingPassword, get(signin::password_page))
            .page(M::POST, "/ganti-sandi", Access::SignedInPendingPassword, post(signin::change_password))
            .page(M::POST, "/keluar", Access::SignedInPendingPassword, post(signin::sign_out))
            .page(M::GET, "/beranda", Access::SignedIn, get(dashboard::page))
            .page(M::GET, "/katalog", Access::SignedIn, get(catalog::list))
            .page(M::GET, "/kursus/{id}", Access::SignedIn, get(catalog::course))
            .page(M::POST, "/kursus/{id}/daftar", LEARNER, post(catalog::enroll))
            .page(M::GET, "/modul/{id}", LEARNER, get(study::player))
            .add(M::POST, "/modul/{id}/sesi", LEARNER, Kind::Script, post(study::start))
            .add(M::POST, "/sesi/{id}/detak", LEARNER, Kind::Script, post(study::beat))
            .add(M::POST, "/sesi/{id}/akhiri", LEARNER, Kind::Script, post(study::end))
            .page(M::POST, "/modul/{id}/selesai", LEARNER, post(study::complete))
            .page(M::POST, "/kursus/{id}/post-test", LEARNER, post(post_test::start))
            .page(M::GET, "/percobaan/{id}", LEARNER, get(post_test::attempt))
            .page(M::POST, "/percobaan/{id}/jawaban", LEARNER, post(post_test::save))
            .page(M::GET, "/percobaan/{id}/kumpulkan", LEARNER, get(post_test::confirm))
            .page(M::POST, "/percobaan/{id}/kumpulkan", LEARNER, post(post_test::submit))
            .page(M::GET, "/sertifikat", Access::SignedIn, get(certificates::list))
            .page(M::GET, "/sertifikat/{id}/pdf", Access::SignedIn, get(certificates::pdf))
            .page(M::GET, "/sertifikat/{id}/kredensial", Access::SignedIn, get(certificates::credential))
            .page(M::GET, "/sertifikat/{id}/qr.svg", Access::SignedIn, get(certificates::qr))
            .page(M::GET, "/riwayat", LEARNER, get(history::courses))
            .page(M::GET, "/riwayat/modul/{id}", LEARNER, get(history::module))
    }
}

/// Every page route, with the security headers and the form size limit.
pub fn router(state: WebState) -> Router {
    let tls = state.config.secure_cookies;
    WebRouteTable::build(state.clone())
        .router
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
        .layer(map_response_with_state(tls, crate::security::headers))
        .with_state(state)
}

/// The declarations of every page route, in registration order.
pub fn web_endpoints(state: WebState) -> Vec<WebEndpoint> {
    WebRouteTable::build(state).endpoints
}

/// The answer to a path that names nothing: a page for a browser, the API's JSON for a program
/// (and for anything under `/api/`, whoever asks).
pub async fn not_found(req: Request) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if wants_html && !req.uri().path().starts_with("/api/") {
        let e = penkom_api::error::ApiError::not_found("halaman yang Anda cari tidak ada");
        crate::security::headers(State(false), PageError::from(e).into_response()).await
    } else {
        penkom_api::routes::not_found().await.into_response()
    }
}
