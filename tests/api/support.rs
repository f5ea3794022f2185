//! The test harness: a running server per test, and helpers to talk to it.

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use penkom::Server;
use penkom::settings::{CertificateSettings, ServeSettings, Settings};
use penkom_core::{LocalZone, ManualClock};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A fresh PostgreSQL database, dropped when the test ends.
pub struct PgDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    async fn create(admin_url: &str) -> Self {
        let name = format!("penkom_t_{}", uuid::Uuid::new_v4().simple());
        let admin =
            penkom_storage::connect(admin_url, 1).await.expect("PENKOM_TEST_DATABASE_URL unreachable");
        use sea_orm::ConnectionTrait;
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        admin.close().await.ok();
        let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(admin_url);
        let url = format!("{base}/{name}");
        Self { admin_url: admin_url.to_string(), name, url }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        // Drop cannot await, so the database is dropped from a short-lived runtime on another
        // thread. `WITH (FORCE)` ends connections the server may still hold.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            rt.block_on(async {
                use sea_orm::ConnectionTrait;
                let admin = penkom_storage::connect(&admin_url, 1).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// Where a test's data lives: a temporary directory, and a PostgreSQL database if configured.
pub struct TestEnv {
    pub dir: tempfile::TempDir,
    /// Held so that the database is dropped with the environment.
    #[allow(dead_code)]
    pub pg: Option<PgDatabase>,
    pub settings: Settings,
}

impl TestEnv {
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let pg = match std::env::var("PENKOM_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => Some(PgDatabase::create(&url).await),
            _ => None,
        };
        let redis_url = std::env::var("PENKOM_TEST_REDIS_URL").ok().filter(|u| !u.is_empty());
        let settings = Settings {
            data_dir: dir.path().to_path_buf(),
            database_url: pg.as_ref().map(|p| p.url.clone()),
            database_max_connections: 5,
            redis_url,
            redis_prefix: format!("penkom:test:{}:", uuid::Uuid::new_v4().simple()),
            public_url: "http://penkom.test".into(),
            timezone: LocalZone::default(),
            minutes_per_jp: 45,
            heartbeat_interval_s: 30,
            daily_cap_minutes: 480,
            smtp_url: None,
            mail_from: "Penkom <noreply@penkom.test>".into(),
            certificates: CertificateSettings {
                signer_name: "Drs. Budi Santoso, M.Si.".into(),
                signer_nip: "197001011995031001".into(),
                ..CertificateSettings::default()
            },
            node_id: None,
            log_format: "text".into(),
        };
        Self { dir, pg, settings }
    }

    /// A second environment on the same database and the same Redis prefix: a second API node.
    /// (Without Redis each node has its own in-process live store.)
    pub fn second_node(&self) -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir"), pg: None, settings: self.settings.clone() }
    }

    /// Environment variables that point the `penkom` binary at this test's data.
    pub fn cli_env(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PENKOM_DATA_DIR", self.settings.data_dir.display().to_string()),
            ("PENKOM_PUBLIC_URL", self.settings.public_url.clone()),
        ];
        if let Some(url) = &self.settings.database_url {
            env.push(("PENKOM_DATABASE_URL", url.clone()));
        }
        env
    }
}

/// Waits (up to 10 s) until the node at `base` says it is ready, as a load balancer would
/// before sending it traffic. A node that never gets ready is left to the test to notice.
async fn wait_until_ready(base: &str) {
    // Its own client without kept-alive connections: tests that count connections start at 0.
    let client = reqwest::Client::builder().pool_max_idle_per_host(0).build().expect("client");
    for _ in 0..200 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status() == 200) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A running server and an HTTP client for it.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub accounts: accounts::Accounts,
    pub courses: course_delivery::Courses,
    pub live: std::sync::Arc<dyn live_store::LiveStore>,
    pub endpoints: Vec<penkom_api::Endpoint>,
    pub web_endpoints: Vec<penkom_web::routes::WebEndpoint>,
    pub env: TestEnv,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_in(TestEnv::new().await).await
    }

    pub async fn spawn_in(env: TestEnv) -> Self {
        Self::spawn_configured(env, false, 0).await
    }

    /// A server that takes client addresses from `X-Forwarded-For`, as behind a load balancer.
    pub async fn spawn_behind_proxy() -> Self {
        Self::spawn_configured(TestEnv::new().await, true, 0).await
    }

    /// A server whose simulated clock runs on its own at `speed` times real time, for pages
    /// whose scripts beat on a real timer (the browser tests).
    pub async fn spawn_running(env: TestEnv, speed: u32) -> Self {
        Self::spawn_configured(env, false, speed).await
    }

    async fn spawn_configured(env: TestEnv, trust_forwarded_for: bool, speed: u32) -> Self {
        Self::spawn_serving(env, speed, |serve| serve.trust_forwarded_for = trust_forwarded_for).await
    }

    /// A server started with serve settings as `adjust` leaves them (on top of the harness's),
    /// once it says it is ready.
    pub async fn spawn_serving(env: TestEnv, speed: u32, adjust: impl FnOnce(&mut ServeSettings)) -> Self {
        let app = Self::spawn_starting(env, speed, adjust).await;
        wait_until_ready(&app.base).await;
        app
    }

    /// As [`TestApp::spawn_serving`], without waiting for the server to say it is ready.
    pub async fn spawn_starting(env: TestEnv, speed: u32, adjust: impl FnOnce(&mut ServeSettings)) -> Self {
        let clock = ManualClock::running(Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap(), speed);
        let mut serve = ServeSettings {
            listen: "127.0.0.1:0".parse().unwrap(),
            demo: false,
            no_migrate: false,
            content_dir: None,
            demo_content_dir: "demo".into(),
            simulated_clock: false,
            simulated_clock_start: None,
            simulated_clock_speed: speed,
            failpoint: None,
            not_production: false,
            trust_forwarded_for: false,
            max_connections: None,
            header_timeout_s: 15,
            body_timeout_s: 15,
            body_deadline_s: 180,
            max_reports: 2,
        };
        adjust(&mut serve);
        let server = Server::start_with(&env.settings, &serve, Arc::new(clock.clone()), Some(clock.clone()))
            .await
            .expect("server starts");
        let base = format!("http://{}", server.local_addr());
        let accounts = server.services.accounts.clone();
        let courses = server.services.courses.clone();
        let live = server.services.live.clone();
        let endpoints = server.endpoints().to_vec();
        let web_endpoints = server.web_endpoints().to_vec();
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async {
            let _ = rx.await;
        }));
        Self {
            base,
            client: reqwest::Client::new(),
            clock,
            accounts,
            courses,
            live,
            endpoints,
            web_endpoints,
            env,
            shutdown: Some(tx),
            task: Some(task),
        }
    }

    /// Stops the server gracefully and waits for it, returning the environment so a test can
    /// start a new server on the same data (a restart).
    pub async fn stop(mut self) -> TestEnv {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server ran cleanly");
        }
        let Self { env, .. } = self;
        env
    }

    /// Forgets a learner's live study stream, as a Redis restart would.
    pub async fn env_live_clear(&self, token: &str) {
        let key = self.stream_key(token).await;
        self.live.clear(&key).await.expect("clear live state");
    }

    /// The live-store key of the study stream of the person `token` belongs to.
    pub async fn stream_key(&self, token: &str) -> String {
        let me: Value = self.get_ok("/api/v1/me", token).await;
        format!("stream:{}", me["id"].as_str().unwrap())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a person with `roles` through the import path and gives them a password.
    /// Returns (NIP, password).
    pub async fn person(
        &self,
        nip: &str,
        email: &str,
        roles: &str,
        employment: &str,
        opd: &str,
    ) -> (String, String) {
        let csv = format!(
            "nip,name,email,employment_type,opd_code,opd_name,roles\n{nip},Peserta {nip},{email},{employment},{opd},Unit {opd},{roles}\n"
        );
        self.accounts.import_people(csv.as_bytes(), None).await.expect("import person");
        let password = format!("Rahasia-{}", &nip[10..]);
        self.accounts.set_password(nip, &password).await.expect("set password");
        (nip.to_string(), password)
    }

    pub async fn login(&self, login: &str, password: &str) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .json(&json!({ "login": login, "password": password }))
            .send()
            .await
            .expect("request")
    }

    pub async fn token(&self, login: &str, password: &str) -> String {
        let res = self.login(login, password).await;
        assert_eq!(res.status(), 200, "sign-in of {login} failed");
        let body: Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_string()
    }

    /// A person holding only `role`, signed in; returns the token.
    pub async fn signed_in(&self, role: &str) -> String {
        let (nip, email) = match role {
            "learner" => ("199103172019031005", "learner@test.go.id"),
            "instructor" => ("198206152008012002", "instructor@test.go.id"),
            "verifier" => ("198909092014031003", "verifier@test.go.id"),
            "opd_admin" => ("198704202010012004", "opdadmin@test.go.id"),
            "admin" => ("197801012005011001", "admin@test.go.id"),
            other => panic!("unknown role {other}"),
        };
        let (nip, pw) = self.person(nip, email, role, "PNS", "BKPSDM").await;
        self.token(&nip, &pw).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send().await.expect("request")
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client.put(self.url(path)).bearer_auth(token).json(body).send().await.expect("request")
    }

    /// GET with a token, asserting 200, returning the JSON body.
    pub async fn get_ok(&self, path: &str, token: &str) -> Value {
        let res = self.get(path, Some(token)).await;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    pub async fn post_csv(&self, path: &str, token: &str, body: &str) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", "text/csv; charset=utf-8")
            .body(body.to_string())
            .send()
            .await
            .expect("request")
    }
}

/// The error code of an error answer.
pub async fn error_code(res: reqwest::Response) -> String {
    let body: Value = res.json().await.expect("JSON error body");
    body["error"]["code"].as_str().expect("error.code").to_string()
}

/// Runs the `penkom` binary against `env`'s data with `args`, feeding it `stdin`.
pub fn penkom(env: &TestEnv, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_penkom"));
    cmd.args(args).envs(env.cli_env()).env("PENKOM_LOG", "warn");
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run penkom");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}
