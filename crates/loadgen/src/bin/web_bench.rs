//! `make bench`, part three: the learner's dashboard page (`GET /beranda`) with a year of
//! entries, against the real server (built by the same `Server::start_with` as `penkom serve`).
//!
//! Seeds learners through the same HTTP API a deployment would see: each learner completes
//! `BENCH_CERTIFICATES` short courses (study, post-test, certificate and its ledger credit), has
//! `BENCH_EXTERNAL` external trainings recorded by a verifier (two of them reversed), and two
//! courses under way. Then clients fetch the dashboards of random learners
//! with their session cookie, and the latencies are reported: first one client (the page's own
//! latency), then `BENCH_CLIENTS` (default 4, enough to keep both cores busy). The target is
//! p99 < 20 ms for one client on both databases and for four on SQLite. Last, with 5,000 slow
//! connections open (half a request head each), `/healthz` must answer within 100 ms at p99.
//! The program exits non-zero if a target is missed. SQLite by default; PostgreSQL with
//! `BENCH_DATABASE_URL`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use chrono::TimeZone;
use penkom::settings::{CertificateSettings, ServeSettings, Settings};
use penkom_core::ManualClock;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

// The allocator `penkom serve` uses, so the server measured here is the one deployed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const TARGET_P99_MS: f64 = 20.0;

/// Tiny courses: one module of one minute (this server counts one minute per JP), one
/// true/false question.
fn write_courses(dir: &std::path::Path, count: usize) -> anyhow::Result<()> {
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

struct Bench {
    base: String,
    http: reqwest::Client,
    clock: ManualClock,
}

impl Bench {
    async fn call(
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

    async fn post(&self, path: &str, token: &str, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    async fn token(&self, login: &str, password: &str) -> anyhow::Result<String> {
        let v = self.post("/api/v1/auth/login", "", json!({"login": login, "password": password})).await?;
        Ok(v["token"].as_str().context("a token")?.to_string())
    }

    /// Studies `module` to its minimum with beats 30 s apart, and completes it.
    async fn study(&self, token: &str, module: &str) -> anyhow::Result<()> {
        let s = self.post(&format!("/api/v1/modules/{module}/sessions"), token, json!({})).await?;
        let session = s["session_id"].as_str().context("a session")?.to_string();
        loop {
            self.clock.advance(chrono::Duration::seconds(30));
            let beat = self
                .post(
                    &format!("/api/v1/sessions/{session}/heartbeat"),
                    token,
                    json!({"visible": true, "active": true}),
                )
                .await?;
            if beat["can_complete"] == true {
                break;
            }
        }
        self.post(&format!("/api/v1/modules/{module}/complete"), token, json!({})).await?;
        Ok(())
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let learners = env("BENCH_LEARNERS", 60);
    let certificates = env("BENCH_CERTIFICATES", 8);
    let external = env("BENCH_EXTERNAL", 16);
    let requests = env("BENCH_REQUESTS", 4000);
    // Four clients keep both cores of the reference machine busy (the server and this client
    // share them); more only queue.
    let clients = env("BENCH_CLIENTS", 4);
    let dir = tempfile::tempdir()?;
    let content = dir.path().join("content");
    write_courses(&content, certificates + 2)?;

    let (database_url, admin) = match std::env::var("BENCH_DATABASE_URL") {
        Ok(admin_url) => {
            let name = format!("penkom_bench_{}", uuid::Uuid::new_v4().simple());
            let admin = penkom_storage::connect(&admin_url, 1).await?;
            admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
            let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b).to_string();
            (Some(format!("{base}/{name}")), Some((admin, name)))
        }
        Err(_) => (None, None),
    };
    let backend = if database_url.is_some() { "PostgreSQL" } else { "SQLite" };
    let settings = Settings {
        data_dir: dir.path().to_path_buf(),
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
    let clock = ManualClock::new(chrono::Utc.with_ymd_and_hms(2026, 11, 2, 1, 0, 0).unwrap());
    let server =
        penkom::Server::start_with(&settings, &serve, Arc::new(clock.clone()), Some(clock.clone())).await?;
    let base = format!("http://{}", server.local_addr());
    let accounts = server.services.accounts.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let b = Bench { base, http: reqwest::Client::new(), clock };

    // People: the learners and one verifier.
    let t = Instant::now();
    let mut csv = String::from("nip,name,email,employment_type,opd_code,opd_name,roles\n");
    csv.push_str("198909092014031003,Verifikator,verifikator@bench.go.id,PNS,BKPSDM,BKPSDM,verifier\n");
    let nips: Vec<String> = (0..learners)
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
    for nip in nips.iter().chain(std::iter::once(&"198909092014031003".to_string())) {
        accounts.set_password(nip, "Sandi-Uji-Beban-1").await?;
    }
    let verifier = b.token("198909092014031003", "Sandi-Uji-Beban-1").await?;
    let courses: Vec<Value> =
        serde_json::from_value(b.call(reqwest::Method::GET, "/api/v1/courses", &verifier, None).await?)?;
    ensure!(courses.len() == certificates + 2, "the bench courses are published");

    // A year of entries per learner.
    for nip in &nips {
        let token = b.token(nip, "Sandi-Uji-Beban-1").await?;
        for (n, course) in courses.iter().enumerate() {
            let id = course["id"].as_str().context("a course id")?;
            b.post(&format!("/api/v1/courses/{id}/enrollments"), &token, json!({})).await?;
            let detail = b.call(reqwest::Method::GET, &format!("/api/v1/courses/{id}"), &token, None).await?;
            let modules: Vec<String> = detail["modules"]
                .as_array()
                .context("modules")?
                .iter()
                .filter_map(|m| m["id"].as_str().map(String::from))
                .collect();
            if n >= certificates {
                // Under way: one of two modules studied.
                b.study(&token, &modules[0]).await?;
                continue;
            }
            for m in &modules {
                b.study(&token, m).await?;
            }
            let attempt = b.post(&format!("/api/v1/courses/{id}/attempts"), &token, json!({})).await?;
            let aid = attempt["attempt_id"].as_str().context("an attempt")?;
            let q = &attempt["questions"][0];
            let right = q["options"]
                .as_array()
                .context("options")?
                .iter()
                .find(|o| o["text"] == "Benar")
                .context("Benar")?;
            b.call(
                reqwest::Method::PUT,
                &format!("/api/v1/attempts/{aid}/answers"),
                &token,
                Some(json!({"answers": {q["id"].as_str().unwrap_or_default(): [right["label"]]}})),
            )
            .await?;
            let passed = b.post(&format!("/api/v1/attempts/{aid}/submit"), &token, json!({})).await?;
            ensure!(passed["certificate"].is_object(), "a certificate: {passed}");
        }
        // Seeding moves the simulated clock by hours: a fresh verifier session for each learner.
        let verifier = b.token("198909092014031003", "Sandi-Uji-Beban-1").await?;
        for e in 0..external {
            let month = 1 + e % 10;
            let rec = b
                .post(
                    "/api/v1/jp/external",
                    &verifier,
                    json!({"nip": nip, "course_name": format!("Diklat Teknis {e}"), "organiser": "BPSDM Provinsi",
                        "start_date": format!("2026-{month:02}-03"), "end_date": format!("2026-{month:02}-04"),
                        "jp": "2", "certificate_number": format!("BPSDM/{nip}/{e}"), "training_type": 3,
                        "reason": "Sertifikat diperiksa"}),
                )
                .await?;
            if e < 2 {
                let id = rec["id"].as_str().context("an external id")?;
                b.post(
                    &format!("/api/v1/jp/external/{id}/reverse"),
                    &verifier,
                    json!({"reason": "Salah catat"}),
                )
                .await?;
            }
        }
    }
    // Sessions must outlive the measurement on the simulated clock: sign in afresh.
    let mut sessions = Vec::new();
    for nip in &nips {
        sessions.push(b.token(nip, "Sandi-Uji-Beban-1").await?);
    }
    let sample = b.call(reqwest::Method::GET, "/api/v1/me/jp", &sessions[0], None).await?;
    let entries = sample["entries"].as_array().map_or(0, Vec::len);
    println!(
        "{backend}: seeded {learners} learners, each with {entries} ledger entries in 2026 ({certificates} certificates, \
         {external} external, 2 reversals) and 2 courses under way, in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // The measurement: concurrent dashboards of random learners, with the session cookie.
    let sessions = Arc::new(sessions);
    let http = reqwest::Client::builder().pool_max_idle_per_host(clients).build()?;
    let base = b.base.clone();
    let fetch = move |i: usize| {
        let (http, sessions, base) = (http.clone(), sessions.clone(), base.clone());
        async move {
            let token = &sessions[i % sessions.len()];
            let t = Instant::now();
            let res = http
                .get(format!("{base}/beranda"))
                .header("cookie", format!("penkom_sesi={token}"))
                .send()
                .await?;
            let status = res.status();
            let body = res.text().await?;
            let took = t.elapsed();
            ensure!(status == 200 && body.contains("jp-counted"), "GET /beranda: {status}");
            anyhow::Ok(took)
        }
    };
    for i in 0..200 {
        fetch(i).await?;
    }
    let mut worst = 0.0f64;
    for clients in [1, clients] {
        let t = Instant::now();
        let mut workers = Vec::new();
        for w in 0..clients {
            let fetch = fetch.clone();
            workers.push(tokio::spawn(async move {
                let mut times = Vec::new();
                let mut i = w * 7919;
                while times.len() < requests / clients {
                    times.push(fetch(i).await?);
                    i += 13;
                }
                anyhow::Ok(times)
            }));
        }
        let mut times: Vec<Duration> = Vec::new();
        for w in workers {
            times.extend(w.await??);
        }
        let wall = t.elapsed().as_secs_f64();
        times.sort();
        let pct =
            |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
        let (p50, p90, p99, max) = (pct(0.50), pct(0.90), pct(0.99), pct(1.0));
        println!(
            "GET /beranda, {clients} client(s), {} requests in {wall:.1} s ({:.0}/s): p50 {p50:.1} ms, p90 {p90:.1} ms, \
             p99 {p99:.1} ms, max {max:.1} ms (target p99 < {TARGET_P99_MS} ms)",
            times.len(),
            times.len() as f64 / wall
        );
        // The page's own latency (one client) must meet the target on both databases. With four
        // clients the two cores are saturated (server, client, and on PostgreSQL the database
        // too), and that figure is queueing as much as the page: asserted on the embedded
        // default, reported on PostgreSQL (BENCHMARKS.md has both).
        if clients == 1 || backend == "SQLite" {
            worst = worst.max(p99);
        }
    }

    // Slow clients: 5,000 connections that send half a request head and wait. The node must
    // go on answering others at once (and cut the slow ones off at the header timeout).
    let host = b.base.trim_start_matches("http://").to_string();
    let mut slow = Vec::new();
    for _ in 0..5000 {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(&host).await?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await?;
        slow.push(s);
    }
    let probe = reqwest::Client::new();
    let mut health = Vec::new();
    for _ in 0..1000 {
        let t = Instant::now();
        let res = probe.get(format!("{}/healthz", b.base)).send().await?;
        ensure!(res.status() == 200, "healthz answered {}", res.status());
        health.push(t.elapsed());
    }
    health.sort();
    let hp =
        |p: f64| health[((health.len() as f64 * p) as usize).min(health.len() - 1)].as_secs_f64() * 1000.0;
    let health_p99 = hp(0.99);
    println!(
        "GET /healthz with {} slow connections open: p50 {:.2} ms, p99 {health_p99:.2} ms, max {:.2} ms (target p99 < 100 ms)",
        slow.len(),
        hp(0.5),
        hp(1.0)
    );
    drop(slow);

    let _ = stop.send(());
    task.await??;
    if let Some((admin, name)) = admin {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    if health_p99 >= 100.0 {
        bail!("healthz with slow clients open: p99 {health_p99:.1} ms misses the target of 100 ms");
    }
    if worst >= TARGET_P99_MS {
        bail!("the dashboard's p99 ({worst:.1} ms) misses the target of {TARGET_P99_MS} ms");
    }
    Ok(())
}
