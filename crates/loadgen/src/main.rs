//! `make bench`: measures heartbeat throughput, latency and memory of a real Penkom server, on
//! the in-process live store and on Redis, against a minimal reference server doing the same
//! Redis work (and one doing nothing).
//!
//! The server runs as a child process (`target/release/penkom serve`), so its memory can be read
//! from `/proc` and the load generator's own work is not counted in it. Learners, enrolments and
//! sign-in tokens are written straight into a fresh SQLite database first: hashing 100,000
//! passwords would take longer than the benchmark itself. Every learner beats at most once per
//! cycle of its worker, slower than the server's minimum beat gap, so beats are real accepted
//! heartbeats that change state, not rate-limited refusals.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ActiveValue::Set, EntityTrait, QuerySelect};

mod client;
mod reference;

/// The same allocator as the `penkom` binary, so Penkom and the reference server (which runs in
/// this binary) are measured on equal terms.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Sizes of one run; small enough to finish in a few minutes on 2 cores.
struct Plan {
    learners: usize,
    connections: usize,
    seconds: u64,
}

fn plan() -> Plan {
    let get =
        |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    Plan {
        learners: get("BENCH_LEARNERS", 100_000),
        connections: get("BENCH_CONNECTIONS", 256),
        seconds: get("BENCH_SECONDS", 15) as u64,
    }
}

/// Results of one load phase.
struct Outcome {
    ok: u64,
    refused: u64,
    failed: u64,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
}

impl Outcome {
    fn rps(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_or(38_000, |a| a.port())
}

async fn wait_ready(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("server at {base} did not become ready")
}

/// Writes `learners` learners, one course, their enrolments and sign-in tokens into a fresh
/// database in `dir`; returns the tokens and the id of the course's only module.
async fn seed(dir: &Path, learners: usize) -> anyhow::Result<(Vec<String>, uuid::Uuid)> {
    use penkom_storage::entities::{auth_token, course_module, enrollment};
    let settings = penkom::settings::Settings {
        data_dir: dir.to_path_buf(),
        database_url: None,
        database_max_connections: 4,
        redis_url: None,
        redis_prefix: "bench:".into(),
        public_url: "http://127.0.0.1".into(),
        timezone: penkom_core::LocalZone::default(),
        smtp_url: None,
        mail_from: "Penkom <noreply@penkom.test>".into(),
        minutes_per_jp: 45,
        heartbeat_interval_s: 30,
        daily_cap_minutes: 480,
        certificates: Default::default(),
        node_id: None,
        log_format: "text".into(),
    };
    let services =
        penkom::server::Services::connect(&settings, Arc::new(penkom_core::SystemClock), true).await?;
    let mut csv = String::from("nip,name,email,employment_type,opd_code,opd_name\n");
    for i in 0..learners {
        // Birth dates and appointment months vary so that every NIP is distinct and valid.
        let (day, month, seq) = (1 + i % 28, 1 + (i / 28) % 12, i / 336);
        csv.push_str(&format!(
            "1990{month:02}{day:02}2015{:02}1{:03},Peserta {i},p{i}@bench.go.id,PNS,OPD{},OPD {}\n",
            1 + seq / 1000 % 12,
            seq % 1000,
            i % 20,
            i % 20
        ));
    }
    services.accounts.import_people(csv.as_bytes(), None).await.context("importing learners")?;
    let spec_dir = dir.join("content").join("bench");
    std::fs::create_dir_all(&spec_dir)?;
    std::fs::write(
        spec_dir.join("course.toml"),
        "code = \"BENCH-1\"\ntitle = \"Beban\"\ndescription = \"Uji beban\"\ntopic = \"uji\"\norganiser = \"BKPSDM\"\njp = \"1\"\n[post_test]\npass_mark = 70\nattempt_limit = 1\ntime_limit_minutes = 10\nquestions_per_attempt = 1\n",
    )?;
    std::fs::write(
        spec_dir.join("01-a.md"),
        "+++\ntitle = \"A\"\norder = 1\nmin_engaged_minutes = 600\n+++\nIsi\n",
    )?;
    std::fs::write(
        spec_dir.join("questions.toml"),
        "[[questions]]\nid = \"q1\"\ntype = \"true_false\"\ntext = \"Ya?\"\nanswer = true\n",
    )?;
    services.courses.import_content_dir(&dir.join("content")).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let course =
        services.courses.list_courses(&Default::default()).await?.into_iter().next().context("course")?;
    let version = services
        .courses
        .course_detail(penkom_core::UserId(uuid::Uuid::nil()), course.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let module_id = version.modules[0].id;
    let module = course_module::Entity::find_by_id(module_id).one(&services.db).await?.context("module")?;
    // Straight from the table: the admin listing pages and looks up roles, which is not needed here.
    let people: Vec<uuid::Uuid> = penkom_storage::entities::person::Entity::find()
        .select_only()
        .column(penkom_storage::entities::person::Column::Id)
        .into_tuple()
        .all(&services.db)
        .await?;
    let now = penkom_core::Clock::now(&penkom_core::SystemClock);
    let mut tokens = Vec::with_capacity(learners);
    let (mut enrollments, mut token_rows) = (Vec::new(), Vec::new());
    for p in &people {
        let token = accounts::token::generate();
        token_rows.push(auth_token::ActiveModel {
            token_hash: Set(accounts::token::hash(&token)),
            person_id: Set(*p),
            created_at: Set(now),
            expires_at: Set(now + chrono::Duration::hours(12)),
            revoked_at: Set(None),
            client_addr: Set(None),
        });
        enrollments.push(enrollment::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            person_id: Set(*p),
            course_id: Set(course.id),
            version_id: Set(module.version_id),
            enrolled_at: Set(now),
        });
        tokens.push(token);
    }
    for chunk in token_rows.chunks(2000) {
        auth_token::Entity::insert_many(chunk.to_vec()).exec_without_returning(&services.db).await?;
    }
    for chunk in enrollments.chunks(2000) {
        enrollment::Entity::insert_many(chunk.to_vec()).exec_without_returning(&services.db).await?;
    }
    services.db.close().await?;
    Ok((tokens, module_id))
}

fn penkom_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.with_file_name("penkom")
}

struct Server {
    child: Child,
    base: String,
    addr: std::net::SocketAddr,
}

fn server(child: Child, port: u16) -> Server {
    Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], port)),
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn run_penkom(dir: &Path, redis: Option<&str>) -> anyhow::Result<Server> {
    let port = free_port();
    let mut cmd = Command::new(penkom_binary());
    // A 10 s interval (the shortest allowed) lets fewer learners produce a high beat rate while
    // every beat stays slower than the minimum gap (1/6 interval).
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--heartbeat-interval-s", "10"])
        .env("PENKOM_DATA_DIR", dir)
        .env("PENKOM_DATABASE_MAX_CONNECTIONS", "8")
        .env("PENKOM_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    if let Some(url) = redis {
        cmd.env("PENKOM_REDIS_URL", url)
            .env("PENKOM_REDIS_PREFIX", format!("bench:{}:", uuid::Uuid::new_v4().simple()));
    }
    let child = cmd.spawn().context("starting target/release/penkom (run `make bench`, which builds it)")?;
    let server = server(child, port);
    wait_ready(&server.base).await?;
    Ok(server)
}

/// What one Penkom setup measured: the saturation run, the run at the target rate, and memory.
struct PenkomRuns {
    saturated: Outcome,
    at_target: Outcome,
    idle_mb: f64,
    sessions_mb: f64,
}

/// Seeds, starts a server and its sessions, then runs the load twice: as fast as the server
/// takes it (each learner no faster than the server's minimum gap), and at `target_rate` beats/s
/// offered (each learner beating every `learners / target_rate` seconds), where latency is judged.
async fn bench_penkom(
    label: &str,
    plan: &Plan,
    redis: Option<&str>,
    target_rate: u64,
) -> anyhow::Result<PenkomRuns> {
    let dir = tempfile::tempdir()?;
    eprintln!("[{label}] seeding {} learners…", plan.learners);
    let (tokens, module) = seed(dir.path(), plan.learners).await?;
    let server = run_penkom(dir.path(), redis).await?;
    let pid = server.child.id();
    let idle_rss = rss_mb(pid);
    eprintln!("[{label}] starting {} sessions…", plan.learners);
    let tokens = Arc::new(tokens);
    let start_urls =
        Arc::new(vec![format!("{}/api/v1/modules/{module}/sessions", server.base); tokens.len()]);
    let client = reqwest::Client::new();
    let mut session_urls = Vec::with_capacity(tokens.len());
    let mut pending = Vec::new();
    for (i, token) in tokens.iter().enumerate() {
        let (client, url, token) = (client.clone(), start_urls[i].clone(), token.clone());
        pending.push(tokio::spawn(async move {
            let res = client.post(url).bearer_auth(token).send().await.ok()?;
            let body: serde_json::Value = res.json().await.ok()?;
            body["session_id"].as_str().map(str::to_string)
        }));
        if pending.len() == 64 {
            for p in pending.drain(..) {
                session_urls.push(p.await.ok().flatten());
            }
        }
    }
    for p in pending {
        session_urls.push(p.await.ok().flatten());
    }
    let started = session_urls.iter().filter(|s| s.is_some()).count();
    if started != tokens.len() {
        bail!("[{label}] only {started} of {} sessions started", tokens.len());
    }
    let sessions_rss = rss_mb(pid);
    let requests: Vec<Vec<u8>> = session_urls
        .into_iter()
        .zip(tokens.iter())
        .map(|(s, token)| {
            client::post(&format!("/api/v1/sessions/{}/heartbeat", s.unwrap_or_default()), token, BEAT)
        })
        .collect();
    // The first beats of every session come 'too soon' after its start; wait out the gap.
    tokio::time::sleep(Duration::from_secs(6)).await;
    eprintln!("[{label}] {} connections for {} s…", plan.connections, plan.seconds);
    // The server refuses beats closer than a sixth of the interval (10 s here, so 1.67 s); stay
    // just above it. With 100,000 learners this caps the offered load at about 58,000 beats/s.
    let gap = Duration::from_millis(1700);
    let requests = Arc::new(requests);
    let saturated = client::drive(server.addr, requests.clone(), plan.connections, plan.seconds, gap).await;
    // Let every learner's last beat of the first run age past the minimum gap.
    tokio::time::sleep(Duration::from_secs(2)).await;
    eprintln!("[{label}] {target_rate} beats/s offered for {} s…", plan.seconds);
    let paced = Duration::from_secs_f64(plan.learners as f64 / target_rate.max(1) as f64).max(gap);
    let at_target = client::drive(server.addr, requests, plan.connections, plan.seconds, paced).await;
    Ok(PenkomRuns { saturated, at_target, idle_mb: idle_rss, sessions_mb: sessions_rss })
}

/// The issue's throughput targets on 2 cores; latency is judged at these offered rates.
const TARGET_IN_PROCESS: u64 = 40_000;
const TARGET_REDIS: u64 = 20_000;

/// The body of every heartbeat.
const BEAT: &str = r#"{"visible":true,"active":true}"#;

fn row(label: &str, o: &Outcome) {
    println!(
        "| {label} | {:.0} | {:.2} | {:.2} | {} | {} |",
        o.rps(),
        o.p50_ms,
        o.p99_ms,
        o.refused,
        o.failed
    );
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("reference") {
        // The reference server gets the same multi-threaded runtime Penkom's server has.
        return tokio::runtime::Runtime::new()?.block_on(reference::serve(&args[2..]));
    }
    // The load generator itself runs on one thread, so that it can never take both cores from
    // the server it measures.
    tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(measure())
}

async fn measure() -> anyhow::Result<()> {
    let plan = plan();
    let redis = std::env::var("PENKOM_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()).or_else(|| {
        let url = "redis://127.0.0.1:6379".to_string();
        redis::Client::open(url.as_str()).ok()?.get_connection().ok().map(|_| url)
    });
    println!(
        "Heartbeat benchmark: {} learners, {} connections, {} s per run\n",
        plan.learners, plan.connections, plan.seconds
    );
    println!("| run | heartbeats/s | p50 ms | p99 ms | refused (429) | failed |");
    println!("|---|---|---|---|---|---|");
    let mut notes = Vec::new();
    // `BENCH_ONLY=redis` or `BENCH_ONLY=memory` runs one half, for quicker iterations.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    if only != "redis" {
        let memory_runs = bench_penkom("penkom, in-process store", &plan, None, TARGET_IN_PROCESS).await?;
        row("Penkom, in-process store, saturated", &memory_runs.saturated);
        row(&format!("Penkom, in-process store, {TARGET_IN_PROCESS}/s offered"), &memory_runs.at_target);
        let (memory, idle, loaded) = (&memory_runs.saturated, memory_runs.idle_mb, memory_runs.sessions_mb);
        let reference_noop = reference::bench("noop", None, &plan).await?;
        row("reference: axum, no work", &reference_noop);
        notes.push(format!(
            "Server memory (in-process store): {idle:.0} MB idle, {loaded:.0} MB with {} open sessions ({:.0} MB for the sessions).",
            plan.learners,
            loaded - idle
        ));
        notes.push(format!(
            "Ratio Penkom (in-process)/reference (no work): {:.2}.",
            memory.rps() / reference_noop.rps().max(1.0)
        ));
    }
    if only == "memory" {
        notes.push("Redis runs not asked for (BENCH_ONLY=memory).".into());
    } else if let Some(url) = &redis {
        let redis_runs = bench_penkom("penkom, redis", &plan, Some(url), TARGET_REDIS).await?;
        row("Penkom, Redis, saturated", &redis_runs.saturated);
        row(&format!("Penkom, Redis, {TARGET_REDIS}/s offered"), &redis_runs.at_target);
        let with_redis = &redis_runs.saturated;
        let reference_redis = reference::bench("redis", Some(url), &plan).await?;
        row("reference: axum + same Redis round trips", &reference_redis);
        notes.push(format!(
            "Server memory (Redis; each node remembers the streams it stored): {:.0} MB idle, {:.0} MB with {} open sessions.",
            redis_runs.idle_mb, redis_runs.sessions_mb, plan.learners
        ));
        notes.push(format!(
            "Ratio Penkom/reference with Redis: {:.2}.",
            with_redis.rps() / reference_redis.rps().max(1.0)
        ));
    } else {
        notes.push("Redis not reachable: Redis runs skipped.".into());
    }
    println!();
    for n in notes {
        println!("{n}");
    }
    Ok(())
}
