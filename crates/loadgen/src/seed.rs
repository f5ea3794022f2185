//! What the benchmarks that need certificates share: tiny courses, a real server on the
//! simulated clock (built by the same `Server::start_with` as `penkom serve`), and learners who
//! earn certificates through the same HTTP API a deployment sees (study, post-test, certificate
//! and its ledger credit).

use std::sync::Arc;

use anyhow::{Context, ensure};
use chrono::TimeZone;
use penkom::settings::{CertificateSettings, ServeSettings, Settings};
use penkom_core::ManualClock;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

pub const PASSWORD: &str = "Sandi-Uji-Beban-1";
pub const VERIFIER_NIP: &str = "198909092014031003";

pub fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Tiny courses: two modules of one minute (the server counts one minute per JP), one
/// true/false question.
pub fn write_courses(dir: &std::path::Path, count: usize) -> anyhow::Result<()> {
    for i in 0..count {
        let c = dir.join(format!("kursus-{i:02}"));
        std::fs::create_dir_all(&c)?;
        std::fs::write(
            c.join("course.toml"),
            format!(
                "code = \"BEN-{i:02}\"\ntitle = \"Kursus Uji Beban {i}\"\ndescription = \"Uji beban.\"\n\
                 topic = \"uji\"\norganiser = \"BKPSDM\"\njp = \"1\"\n\n[post_test]\npass_mark = 100\n\
                 attempt_limit = 3\ntime_limit_minutes = 10\nquestions_per_attempt = 1\n"
            ),
        )?;
        for m in 1..=2 {
            std::fs::write(
                c.join(format!("0{m}-modul.md")),
                format!(
                    "+++\ntitle = \"Modul {m}\"\norder = {m}\nmin_engaged_minutes = 1\n+++\n\nIsi modul {m}.\n"
                ),
            )?;
        }
        std::fs::write(
            c.join("questions.toml"),
            "[[questions]]\nid = \"q1\"\ntype = \"true_false\"\ntext = \"Satu JP adalah 45 menit.\"\nanswer = true\n",
        )?;
    }
    Ok(())
}

/// A fresh PostgreSQL database under `BENCH_DATABASE_URL` (else under `default`, if given), or
/// `None` for SQLite. The returned connection and name drop it afterwards ([`drop_database`]).
pub async fn database(
    default: Option<&str>,
) -> anyhow::Result<(Option<String>, Option<(sea_orm::DatabaseConnection, String)>)> {
    match std::env::var("BENCH_DATABASE_URL").ok().or(default.map(str::to_string)) {
        Some(admin_url) => {
            let name = format!("penkom_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = penkom_storage::connect(&admin_url, 1).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b).to_string();
            Ok((Some(format!("{base}/{name}")), Some((admin, name))))
        }
        None => Ok((None, None)),
    }
}

pub async fn drop_database(admin: Option<(sea_orm::DatabaseConnection, String)>) -> anyhow::Result<()> {
    if let Some((admin, name)) = admin {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    Ok(())
}

/// The settings of a bench server: one minute per JP, the simulated clock, content from
/// `content`.
pub fn settings(
    data_dir: &std::path::Path,
    content: std::path::PathBuf,
    database_url: Option<String>,
) -> anyhow::Result<(Settings, ServeSettings)> {
    let settings = Settings {
        data_dir: data_dir.to_path_buf(),
        database_url,
        database_max_connections: 8,
        redis_url: None,
        redis_prefix: "bench:".into(),
        public_url: "http://127.0.0.1".into(),
        timezone: penkom_core::LocalZone::default(),
        minutes_per_jp: 1,
        heartbeat_interval_s: 30,
        daily_cap_minutes: 1440,
        smtp_url: None,
        mail_from: "Penkom <noreply@penkom.test>".into(),
        certificates: CertificateSettings::default(),
        node_id: None,
        log_format: "text".into(),
    };
    let serve = ServeSettings {
        listen: "127.0.0.1:0".parse()?,
        demo: false,
        no_migrate: false,
        content_dir: Some(content),
        demo_content_dir: "demo".into(),
        simulated_clock: true,
        simulated_clock_start: None,
        simulated_clock_speed: 0,
        failpoint: None,
        not_production: true,
        trust_forwarded_for: false,
        max_connections: None,
        header_timeout_s: 15,
        body_timeout_s: 15,
        body_deadline_s: 180,
        max_reports: 2,
    };
    Ok((settings, serve))
}

/// The simulated clock bench servers start on.
pub fn clock() -> ManualClock {
    ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap())
}

/// `count` learners (PNS, in ten OPDs) and one verifier, all with [`PASSWORD`]. Returns the
/// learners' NIPs.
pub async fn people(accounts: &accounts::Accounts, count: usize) -> anyhow::Result<Vec<String>> {
    let mut csv = String::from("nip,name,email,employment_type,opd_code,opd_name,roles\n");
    csv.push_str(&format!("{VERIFIER_NIP},Verifikator,verifikator@bench.go.id,PNS,BKPSDM,BKPSDM,verifier\n"));
    let nips: Vec<String> = (0..count)
        .map(|i| {
            format!(
                "1990{:02}{:02}2015{:02}1{:03}",
                1 + (i / 28) % 12,
                1 + i % 28,
                1 + i / 336 % 12,
                i % 1000
            )
        })
        .collect();
    for (i, nip) in nips.iter().enumerate() {
        csv.push_str(&format!(
            "{nip},Peserta {i},p{i}@bench.go.id,PNS,OPD{},Unit {},learner\n",
            i % 10,
            i % 10
        ));
    }
    accounts.import_people(csv.as_bytes(), None).await?;
    for nip in nips.iter().map(String::as_str).chain(std::iter::once(VERIFIER_NIP)) {
        accounts.set_password(nip, PASSWORD).await?;
    }
    Ok(nips)
}

/// A client of the bench server, which moves its simulated clock.
pub struct Bench {
    pub base: String,
    pub http: reqwest::Client,
    pub clock: ManualClock,
}

impl Bench {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut req = self.http.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let text = res.text().await?;
        ensure!(status.is_success(), "{method} {path}: {status} {text}");
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn get(&self, path: &str, token: &str) -> anyhow::Result<Value> {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    pub async fn token(&self, login: &str) -> anyhow::Result<String> {
        let v = self.post("/api/v1/auth/login", "", json!({"login": login, "password": PASSWORD})).await?;
        Ok(v["token"].as_str().context("a token")?.to_string())
    }

    /// Studies `module` to its minimum with beats 30 s apart, and completes it.
    pub async fn study(&self, token: &str, module: &str) -> anyhow::Result<()> {
        self.study_together(&[(token.to_string(), module.to_string())]).await
    }

    /// Enrols in `course` (a catalog entry) and studies its modules; with `finish`, also passes
    /// its post-test and returns the submission (with the certificate).
    pub async fn take_course(&self, token: &str, course: &Value, finish: bool) -> anyhow::Result<Value> {
        let modules = self.enrol(token, course).await?;
        if !finish {
            // Under way: one of two modules studied.
            self.study(token, &modules[0]).await?;
            return Ok(Value::Null);
        }
        for m in &modules {
            self.study(token, m).await?;
        }
        let attempt = self.answer_post_test(token, course).await?;
        self.submit(token, &attempt).await
    }

    /// Enrols in `course`; returns its module ids in order.
    pub async fn enrol(&self, token: &str, course: &Value) -> anyhow::Result<Vec<String>> {
        let id = course["id"].as_str().context("a course id")?;
        self.post(&format!("/api/v1/courses/{id}/enrollments"), token, json!({})).await?;
        let detail = self.get(&format!("/api/v1/courses/{id}"), token).await?;
        Ok(detail["modules"]
            .as_array()
            .context("modules")?
            .iter()
            .filter_map(|m| m["id"].as_str().map(String::from))
            .collect())
    }

    /// Studies one module per learner to its minimum, all learners at once: each step every
    /// learner still short beats (concurrently, at the same simulated instant), then the clock
    /// moves 30 s. Moving the one shared clock per step, not per learner, keeps each learner's
    /// gap between beats at 30 s however many study together. `pairs` are (token, module).
    pub async fn study_together(&self, pairs: &[(String, String)]) -> anyhow::Result<()> {
        use futures::{StreamExt, TryStreamExt};
        const AT_ONCE: usize = 16;
        let sessions: Vec<String> = futures::stream::iter(pairs)
            .map(|(token, module)| async move {
                let s = self.post(&format!("/api/v1/modules/{module}/sessions"), token, json!({})).await?;
                Ok::<_, anyhow::Error>(s["session_id"].as_str().context("a session")?.to_string())
            })
            .buffered(AT_ONCE)
            .try_collect()
            .await?;
        let mut short: Vec<usize> = (0..pairs.len()).collect();
        while !short.is_empty() {
            self.clock.advance(chrono::Duration::seconds(30));
            let done: Vec<bool> = futures::stream::iter(&short)
                .map(|&i| {
                    let (token, session) = (&pairs[i].0, &sessions[i]);
                    async move {
                        let beat = self
                            .post(
                                &format!("/api/v1/sessions/{session}/heartbeat"),
                                token,
                                json!({"visible": true, "active": true}),
                            )
                            .await?;
                        Ok::<_, anyhow::Error>(beat["can_complete"] == true)
                    }
                })
                .buffered(AT_ONCE)
                .try_collect()
                .await?;
            short = short.into_iter().zip(done).filter(|(_, d)| !d).map(|(i, _)| i).collect();
        }
        futures::stream::iter(pairs)
            .map(|(token, module)| async move {
                self.post(&format!("/api/v1/modules/{module}/complete"), token, json!({})).await
            })
            .buffered(AT_ONCE)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(())
    }

    /// Signs in every learner of `nips` (a few at a time: password hashing is deliberately slow).
    pub async fn tokens(&self, nips: &[String]) -> anyhow::Result<Vec<String>> {
        use futures::{StreamExt, TryStreamExt};
        futures::stream::iter(nips).map(|nip| self.token(nip)).buffered(4).try_collect().await
    }

    /// Enrols every learner of `tokens` in every course of `courses` and studies all their
    /// modules to the minimum, learners together ([`Self::study_together`]), one course after
    /// another. What is left for a certificate is the post-test.
    pub async fn study_courses(&self, tokens: &[String], courses: &[Value]) -> anyhow::Result<()> {
        use futures::{StreamExt, TryStreamExt};
        for course in courses {
            let modules: Vec<Vec<String>> = futures::stream::iter(tokens)
                .map(|t| self.enrol(t, course))
                .buffered(16)
                .try_collect()
                .await?;
            for m in 0..modules.first().map_or(0, Vec::len) {
                let pairs: Vec<(String, String)> =
                    tokens.iter().cloned().zip(modules.iter().map(|ms| ms[m].clone())).collect();
                self.study_together(&pairs).await?;
            }
        }
        Ok(())
    }

    /// Starts the post-test of `course` and saves the right answer; returns the attempt id.
    pub async fn answer_post_test(&self, token: &str, course: &Value) -> anyhow::Result<String> {
        let id = course["id"].as_str().context("a course id")?;
        let attempt = self.post(&format!("/api/v1/courses/{id}/attempts"), token, json!({})).await?;
        let aid = attempt["attempt_id"].as_str().context("an attempt")?;
        let q = &attempt["questions"][0];
        let right = q["options"]
            .as_array()
            .context("options")?
            .iter()
            .find(|o| o["text"] == "Benar")
            .context("Benar")?;
        self.call(
            reqwest::Method::PUT,
            &format!("/api/v1/attempts/{aid}/answers"),
            token,
            Some(json!({"answers": {q["id"].as_str().unwrap_or_default(): [right["label"]]}})),
        )
        .await?;
        Ok(aid.to_string())
    }

    /// Submits `attempt` (answered right); returns the submission, which must carry the
    /// certificate.
    pub async fn submit(&self, token: &str, attempt: &str) -> anyhow::Result<Value> {
        let passed = self.post(&format!("/api/v1/attempts/{attempt}/submit"), token, json!({})).await?;
        ensure!(passed["certificate"].is_object(), "a certificate: {passed}");
        Ok(passed)
    }
}

/// A running bench server on a fresh database with `courses` tiny courses published.
pub struct Fresh {
    /// The data directory; removed when dropped.
    pub _dir: tempfile::TempDir,
    pub backend: &'static str,
    pub admin: Option<(sea_orm::DatabaseConnection, String)>,
    pub bench: Bench,
    pub accounts: accounts::Accounts,
    pub stop: tokio::sync::oneshot::Sender<()>,
    pub task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub async fn fresh(courses: usize) -> anyhow::Result<Fresh> {
    fresh_on(courses, None).await
}

/// [`fresh`], on PostgreSQL at `default` unless `BENCH_DATABASE_URL` names another server.
pub async fn fresh_on(courses: usize, default: Option<&str>) -> anyhow::Result<Fresh> {
    let dir = tempfile::tempdir()?;
    let content = dir.path().join("content");
    write_courses(&content, courses)?;
    let (database_url, admin) = database(default).await?;
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let (settings, serve) = settings(dir.path(), content, database_url)?;
    let (bench, accounts, stop, task) = start(&settings, &serve).await?;
    Ok(Fresh { _dir: dir, backend, admin, bench, accounts, stop, task })
}

/// Starts a bench server; returns it running, with its client and a way to stop it.
pub async fn start(
    settings: &Settings,
    serve: &ServeSettings,
) -> anyhow::Result<(
    Bench,
    accounts::Accounts,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
)> {
    let clock = clock();
    let server =
        penkom::Server::start_with(settings, serve, Arc::new(clock.clone()), Some(clock.clone())).await?;
    let base = format!("http://{}", server.local_addr());
    let accounts = server.services.accounts.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    Ok((Bench { base, http: reqwest::Client::new(), clock }, accounts, stop, task))
}
