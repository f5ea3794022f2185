//! The pages over plain HTTP, as a browser without JavaScript would use them: cookie sessions,
//! CSRF tokens, security headers, redirects after sign-in, every page's access declaration, the
//! post-test by plain forms, and the player's endpoints.

use std::collections::BTreeMap;

use penkom_core::Role;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

use crate::post_test::{course, post_test, right_labels, study};
use crate::route_access::concrete;
use crate::support::{TestApp, TestEnv};

/// A browser without JavaScript: keeps cookies, does not follow redirects.
struct Page {
    client: reqwest::Client,
    base: String,
    cookies: BTreeMap<String, String>,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers.get(LOCATION).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The CSRF token the page's forms carry.
    fn csrf(&self) -> String {
        let needle = "name=\"csrf-token\" content=\"";
        let at = self.body.find(needle).expect("a CSRF meta tag") + needle.len();
        self.body[at..at + 64].to_string()
    }
}

impl Page {
    fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { client, base: app.base.clone(), cookies: BTreeMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn send(&mut self, req: reqwest::RequestBuilder) -> Answer {
        let res =
            req.header("cookie", self.cookie_header()).header("accept", "text/html").send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        for c in headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() || c.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        Answer { status, headers, body: res.text().await.unwrap() }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let req = self.client.get(format!("{}{path}", self.base));
        self.send(req).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let req = self.client.post(format!("{}{path}", self.base)).form(form);
        self.send(req).await
    }

    /// Signs in through the form; returns the answer to the form.
    async fn sign_in(&mut self, login: &str, password: &str) -> Answer {
        let form = self.get("/").await;
        let csrf = form.csrf();
        self.post("/masuk", &[("csrf", &csrf), ("login", login), ("password", password)]).await
    }

    fn token(&self) -> String {
        self.cookies["penkom_sesi"].clone()
    }
}

#[tokio::test]
async fn pages_sign_in_with_a_cookie_and_refuse_forms_without_their_token() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let mut p = Page::new(&app);

    let form = p.get("/").await;
    assert_eq!(form.status, 200);
    let csp = form.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(form.headers["x-frame-options"], "DENY");
    assert_eq!(form.headers["x-content-type-options"], "nosniff");
    assert!(!form.body.contains("<script>") && !form.body.contains(" style=\""), "no inline script or style");
    assert!(form.set_cookie("penkom_masuk").unwrap().contains("HttpOnly"));

    // A sign-in form posted from elsewhere (no token, or another token) is refused.
    let res = p.post("/masuk", &[("login", &nip), ("password", &pw)]).await;
    assert_eq!(res.status, 403);
    assert!(res.body.contains("csrf_invalid"));
    let res = p.post("/masuk", &[("csrf", &"0".repeat(64)), ("login", &nip), ("password", &pw)]).await;
    assert_eq!(res.status, 403);

    // A wrong password is the API's answer, as a page.
    let res = p.sign_in(&nip, "salah-salah-salah").await;
    assert_eq!(res.status, 401);
    assert!(res.body.contains("NIP/e-mail atau kata sandi salah"), "{}", res.body);
    assert!(res.body.contains(&format!("value=\"{nip}\"")), "the login is kept");

    let res = p.sign_in(&nip, &pw).await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, "/beranda"));
    let cookie = res.set_cookie("penkom_sesi").unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "no TLS here: {cookie}");
    // The cookie holds the same token the API takes.
    assert_eq!(app.get("/api/v1/me", Some(&p.token())).await.status(), 200);

    let home = p.get("/beranda").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("<strong id=\"jp-counted\">0</strong>") && home.body.contains("/ 20 JP"));
    // Signed in, the sign-in page sends the learner on.
    assert_eq!(p.get("/").await.location(), "/beranda");

    // Every state-changing form needs the session's token, and a browser's word that it came
    // from this site.
    let csrf = home.csrf();
    let req = p
        .client
        .post(format!("{}/keluar", p.base))
        .header("sec-fetch-site", "same-site")
        .form(&[("csrf", &csrf)]);
    assert_eq!(p.send(req).await.status, 403, "a sibling site's form is refused even with the token");
    assert_eq!(p.post("/keluar", &[]).await.status, 403);
    assert_eq!(p.post("/keluar", &[("csrf", &"f".repeat(64))]).await.status, 403);
    let token = p.token();
    let res = p.post("/keluar", &[("csrf", &csrf)]).await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, "/"));
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status(), 401, "signing out revokes the token");
    let res = p.get("/beranda").await;
    assert_eq!((res.status, res.location()), (StatusCode::SEE_OTHER, "/?lanjut=%2Fberanda"));
    // The sign-out message is shown once.
    let page = p.get("/").await;
    assert!(page.body.contains("Anda telah keluar"));
    assert!(!p.get("/").await.body.contains("Anda telah keluar"));
    app.stop().await;
}

#[tokio::test]
async fn after_sign_in_the_learner_lands_where_they_were_going_on_this_site_only() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    for (lanjut, expected) in [
        ("/katalog?q=etika", "/katalog?q=etika"),
        ("//evil.example/x", "/beranda"),
        ("https://evil.example/", "/beranda"),
        ("/\\evil.example", "/beranda"),
        // Browsers drop tabs and line breaks from a URL: these would become `//evil.example`.
        ("/\t/evil.example", "/beranda"),
        ("/\r\n/evil.example", "/beranda"),
        ("/%09/evil.example", "/%09/evil.example"),
    ] {
        let mut p = Page::new(&app);
        let csrf = p.get("/").await.csrf();
        let res = p
            .post("/masuk", &[("csrf", &csrf), ("login", &nip), ("password", &pw), ("lanjut", lanjut)])
            .await;
        assert_eq!(res.location(), expected, "lanjut={lanjut}");
    }
    app.stop().await;
}

#[tokio::test]
async fn cookies_are_secure_when_the_public_url_is_https() {
    let mut env = TestEnv::new().await;
    env.settings.public_url = "https://penkom.example.go.id".into();
    let app = TestApp::spawn_in(env).await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let mut p = Page::new(&app);
    let form = p.get("/").await;
    assert!(form.set_cookie("__Host-penkom_masuk").unwrap().contains("; Secure"));
    assert!(form.headers["strict-transport-security"].to_str().unwrap().starts_with("max-age="));
    // Behind TLS only the `__Host-` cookies count: a sibling site cannot plant one.
    let csrf = form.csrf();
    let mut planted = Page::new(&app);
    planted.cookies.insert("penkom_masuk".into(), csrf.clone());
    let res = planted.post("/masuk", &[("csrf", &csrf), ("login", &nip), ("password", &pw)]).await;
    assert_eq!(res.status, 403);
    let res = p.sign_in(&nip, &pw).await;
    let cookie = res.set_cookie("__Host-penkom_sesi").unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"),
        "{cookie}"
    );
    let token = p.cookies["__Host-penkom_sesi"].clone();
    let mut plain = Page::new(&app);
    plain.cookies.insert("penkom_sesi".into(), token);
    assert!(
        plain.get("/beranda").await.location().starts_with("/?lanjut="),
        "an unprefixed cookie is no session"
    );
    app.stop().await;
}

#[tokio::test]
async fn sign_in_limits_and_one_time_passwords_are_the_apis() {
    let app = TestApp::spawn().await;
    let admin = app.signed_in("admin").await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let mut p = Page::new(&app);
    for _ in 0..5 {
        assert_eq!(p.sign_in(&nip, "salah-salah-salah").await.status, 401);
    }
    let res = p.sign_in(&nip, &pw).await;
    assert_eq!(res.status, 429);
    assert!(res.headers.contains_key("retry-after"));
    assert!(res.body.contains("terlalu banyak percobaan"), "{}", res.body);

    let (other, _) = app.person("199211302020121007", "rizky@test.go.id", "learner", "PNS", "DISDIK").await;
    let list: Value = app.get_ok(&format!("/api/v1/admin/users?nip={other}"), &admin).await;
    let id = list["items"][0]["id"].as_str().unwrap();
    let res =
        app.post_json(&format!("/api/v1/admin/users/{id}/one-time-password"), Some(&admin), &json!({})).await;
    let otp = res.json::<Value>().await.unwrap()["one_time_password"].as_str().unwrap().to_string();
    let mut p = Page::new(&app);
    assert_eq!(p.sign_in(&other, &otp).await.location(), "/ganti-sandi");
    assert_eq!(p.get("/katalog").await.location(), "/ganti-sandi");
    let form = p.get("/ganti-sandi").await;
    let csrf = form.csrf();
    let mismatch = [
        ("csrf", csrf.as_str()),
        ("current_password", &otp),
        ("new_password", "Sandi-Baru-2026"),
        ("confirm_password", "Sandi-Lain-2026"),
    ];
    let res = p.post("/ganti-sandi", &mismatch).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("tidak sama"));
    let weak = [
        ("csrf", csrf.as_str()),
        ("current_password", &otp),
        ("new_password", "pendek"),
        ("confirm_password", "pendek"),
    ];
    assert_eq!(p.post("/ganti-sandi", &weak).await.status, 422);
    let good = [
        ("csrf", csrf.as_str()),
        ("current_password", &otp),
        ("new_password", "Sandi-Baru-2026"),
        ("confirm_password", "Sandi-Baru-2026"),
    ];
    assert_eq!(p.post("/ganti-sandi", &good).await.location(), "/beranda");
    assert_eq!(p.get("/katalog").await.status, 200, "the same session goes on");
    app.stop().await;
}

#[tokio::test]
async fn every_page_answers_as_it_declares_for_every_role() {
    use penkom_web::access::Kind;
    let app = TestApp::spawn().await;
    let mut callers: Vec<(Option<Role>, Option<Page>)> = vec![(None, None)];
    for role in Role::ALL {
        let token = app.signed_in(role.as_str()).await;
        let mut p = Page::new(&app);
        p.cookies.insert("penkom_sesi".into(), token);
        callers.push((Some(role), Some(p)));
    }
    let mut endpoints = app.web_endpoints.clone();
    endpoints.sort_by_key(|e| e.path == "/keluar");
    assert!(endpoints.len() >= 20);
    for ep in &endpoints {
        for (role, page) in callers.iter_mut() {
            let roles: Option<Vec<Role>> = role.map(|r| vec![r]);
            let expected = ep.access.admits(roles.as_deref());
            let who = role.map(|r| r.as_str()).unwrap_or("anonymous");
            let mut p = page.take().unwrap_or_else(|| Page::new(&app));
            let csrf = if p.cookies.contains_key("penkom_sesi") {
                p.get("/beranda").await.csrf()
            } else {
                p.get("/").await.csrf()
            };
            let path = concrete(ep.path);
            let get = ep.method == axum::http::Method::GET;
            let answer = if get {
                p.get(&path).await
            } else if ep.kind == Kind::Script {
                let req =
                    p.client.post(format!("{}{path}", p.base)).header("x-csrf-token", &csrf).json(&json!({}));
                p.send(req).await
            } else {
                p.post(&path, &[("csrf", &csrf)]).await
            };
            let status = answer.status.as_u16();
            let what = format!("{} {} as {who}", ep.method, ep.path);
            match (expected, ep.kind) {
                // Sign-in answers 401 for a wrong password and 403 for a form without its
                // cookie (a signed-in caller has none), and a password change 403 for a wrong
                // current password (the API's `wrong_password`): about the input, not access.
                _ if ep.path == "/masuk" => assert!(status < 500, "{what} answered {status}"),
                (Ok(()), _) if ep.path == "/ganti-sandi" && !get => {
                    assert!(
                        status == 403 && answer.body.contains("kata sandi saat ini salah"),
                        "{what}: {status}"
                    )
                }
                (Err(code), Kind::Script) => assert_eq!(status, code.as_u16(), "{what}"),
                (Err(code), Kind::Page) if code == StatusCode::UNAUTHORIZED => {
                    assert_eq!(status, 303, "{what}");
                    let to = if get { "/?lanjut=" } else { "/" };
                    assert!(answer.location().starts_with(to), "{what}: {}", answer.location());
                }
                (Err(code), Kind::Page) => assert_eq!(status, code.as_u16(), "{what}"),
                (Ok(()), _) if get && !ep.path.contains('{') && ep.path != "/" => {
                    assert_eq!(status, 200, "{what}: {}", answer.body)
                }
                (Ok(()), _) => {
                    assert!(status != 401 && status != 403 && status < 500, "{what} answered {status}")
                }
            }
            if role.is_some() {
                *page = Some(p);
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn unknown_paths_are_a_page_for_browsers_and_json_for_programs() {
    let app = TestApp::spawn().await;
    let mut p = Page::new(&app);
    let page = p.get("/tidak-ada").await;
    assert_eq!(page.status, 404);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    assert!(page.body.contains("Tidak ditemukan"));
    let api = p.get("/api/v1/tidak-ada").await;
    assert_eq!(api.status, 404);
    assert!(api.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    let plain = app.get("/tidak-ada", None).await;
    assert_eq!(plain.headers()["content-type"], "application/json");
    // A malformed id in a page's path is a 400 page, not JSON.
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    p.sign_in(&nip, &pw).await;
    let bad = p.get("/kursus/bukan-uuid").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("invalid_path_parameter"));
    let css = p.get(&format!("/aset/penkom.css?v={}", penkom_web::assets::version())).await;
    assert_eq!(css.status, 200);
    assert!(css.headers["cache-control"].to_str().unwrap().contains("immutable"));
    app.stop().await;
}

#[tokio::test]
async fn a_course_is_studied_and_passed_with_plain_forms_and_the_player_endpoints() {
    let app = TestApp::spawn().await;
    let c = course(&app, post_test(3, 0, 4, true)).await;
    let mut p = Page::new(&app);
    let (nip, pw) = ("199103172019031005", "Rahasia-19031005");
    p.sign_in(nip, pw).await;
    let page = p.get(&format!("/kursus/{}", c.id)).await;
    assert!(page.body.contains("Modul a") && page.body.contains("minimal 20 menit belajar"), "{}", page.body);
    let csrf = page.csrf();

    // The player's endpoints: JSON, the CSRF token in a header, the same rules as the API.
    let start = format!("{}/modul/{}/sesi", p.base, c.modules[0]);
    let req = p.client.post(&start).json(&json!({}));
    assert_eq!(p.send(req).await.status, 403, "no token, no session");
    let req = p.client.post(&start).header("x-csrf-token", &csrf).json(&json!({}));
    let started = p.send(req).await;
    assert_eq!(started.status, 201, "{}", started.body);
    let started: Value = serde_json::from_str(&started.body).unwrap();
    assert_eq!(started["beat_ms"], 30_000, "a real clock: beats every heartbeat interval");
    let session = started["session_id"].as_str().unwrap();
    app.clock.advance(chrono::Duration::seconds(30));
    let req = p
        .client
        .post(format!("{}/sesi/{session}/detak", p.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"visible": true, "active": true}));
    let beat: Value = serde_json::from_str(&p.send(req).await.body).unwrap();
    assert_eq!(beat["module_credited_seconds"], 30);
    let req = p
        .client
        .post(format!("{}/sesi/{session}/detak", p.base))
        .header("x-csrf-token", &csrf)
        .json(&json!({"visible": true, "active": true, "seconds": 600}));
    assert_eq!(p.send(req).await.status, 422, "a beat carries two booleans and nothing else");
    let anonymous = reqwest::Client::new()
        .post(format!("{}/sesi/{session}/detak", p.base))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Completing before the minimum is refused, with the reason on the module page.
    let done = p.post(&format!("/modul/{}/selesai", c.modules[0]), &[("csrf", &csrf)]).await;
    assert_eq!(done.location(), format!("/modul/{}", c.modules[0]));
    assert!(p.get(done.location()).await.body.contains("waktu belajar belum cukup"));

    // The rest of the study through the API (the browser test does it through the player).
    study(&app, &c.learner, &c.modules[0]).await;
    study(&app, &c.learner, &c.modules[1]).await;

    // The post-test by plain forms: start, save and "Kumpulkan", confirm, result.
    let started = p.post(&format!("/kursus/{}/post-test", c.id), &[("csrf", &csrf)]).await;
    let attempt_path = started.location().to_string();
    assert!(attempt_path.starts_with("/percobaan/"), "{}", started.location());
    let page = p.get(&attempt_path).await;
    assert!(!page.body.contains("PENJELASAN-RAHASIA"), "an explanation leaked before grading");
    let attempt_id = attempt_path.trim_start_matches("/percobaan/");
    let detail = app.get_ok(&format!("/api/v1/attempts/{attempt_id}"), &c.learner).await;
    let mut form: Vec<(String, String)> =
        vec![("csrf".into(), csrf.clone()), ("aksi".into(), "kumpulkan".into())];
    for q in detail["questions"].as_array().unwrap() {
        let id = q["id"].as_str().unwrap();
        assert!(page.body.contains(&format!("name=\"q-{id}\"")), "every question is on the page");
        form.push(("shown".into(), id.into()));
        for label in right_labels(q) {
            form.push((format!("q-{id}"), label));
        }
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = p.post(&format!("{attempt_path}/jawaban"), &pairs).await;
    assert_eq!(saved.location(), format!("{attempt_path}/kumpulkan"));
    let confirm = p.get(saved.location()).await;
    assert!(confirm.body.contains("<strong>4 dari 4</strong>"), "{}", confirm.body);
    let bogus = p.post(&format!("{attempt_path}/jawaban"), &[("csrf", &csrf), ("shown", "bukan-uuid")]).await;
    assert_eq!(bogus.location(), attempt_path, "a broken form goes back to the questions");
    let submitted = p.post(&format!("{attempt_path}/kumpulkan"), &[("csrf", &csrf)]).await;
    assert_eq!(submitted.location(), attempt_path);
    let result = p.get(&attempt_path).await;
    assert!(result.body.contains("<span id=\"nilai\">100</span>"), "{}", result.body);
    assert!(
        result.body.contains("Sertifikat") && result.body.contains("PENJELASAN-RAHASIA-1"),
        "review after passing"
    );

    // The certificate, its downloads, and the JP on the dashboard.
    let list = p.get("/sertifikat").await;
    assert!(list.body.contains("1 JP") && list.body.contains("/qr.svg"));
    let at = list.body.find("/sertifikat/").unwrap();
    let id = &list.body[at + 12..at + 48];
    let qr = p.get(&format!("/sertifikat/{id}/qr.svg")).await;
    assert_eq!(qr.headers["content-type"], "image/svg+xml");
    assert!(qr.body.starts_with("<svg") && qr.body.contains("h1v1h-1z"));
    let credential = p.get(&format!("/sertifikat/{id}/kredensial")).await;
    assert!(credential.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let signed: Value = serde_json::from_str(&credential.body).unwrap();
    assert_eq!(signed["credentialSubject"]["jp"], "1");
    let home = p.get("/beranda").await;
    assert!(home.body.contains("<strong id=\"jp-counted\">1</strong>"), "{}", home.body);

    // Another learner cannot open this certificate's files.
    let mut other = Page::new(&app);
    let (o, opw) = app.person("199211302020121007", "rizky@test.go.id", "learner", "PNS", "DISDIK").await;
    other.sign_in(&o, &opw).await;
    assert_eq!(other.get(&format!("/sertifikat/{id}/pdf")).await.status, 404);
    app.stop().await;
}
