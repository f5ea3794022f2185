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
use serde_json::json;

use loadgen::seed;
use seed::{VERIFIER_NIP, env};

// The allocator `penkom serve` uses, so the server measured here is the one deployed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TARGET_P99_MS: f64 = 20.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let learners = env("BENCH_LEARNERS", 60);
    let certificates = env("BENCH_CERTIFICATES", 8);
    let external = env("BENCH_EXTERNAL", 16);
    let requests = env("BENCH_REQUESTS", 4000);
    // Four clients keep both cores of the reference machine busy (the server and this client
    // share them); more only queue.
    let clients = env("BENCH_CLIENTS", 4);
    let seed::Fresh { _dir, backend, admin, bench: b, accounts, stop, task } =
        seed::fresh(certificates + 2).await?;

    // People: the learners and one verifier.
    let t = Instant::now();
    let nips = seed::people(&accounts, learners).await?;
    let verifier = b.token(VERIFIER_NIP).await?;
    let courses: Vec<serde_json::Value> = serde_json::from_value(b.get("/api/v1/courses", &verifier).await?)?;
    ensure!(courses.len() == certificates + 2, "the bench courses are published");

    // A year of entries per learner.
    for nip in &nips {
        let token = b.token(nip).await?;
        for (n, course) in courses.iter().enumerate() {
            b.take_course(&token, course, n < certificates).await?;
        }
        // Seeding moves the simulated clock by hours: a fresh verifier session for each learner.
        let verifier = b.token(VERIFIER_NIP).await?;
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
        sessions.push(b.token(nip).await?);
    }
    let sample = b.get("/api/v1/me/jp", &sessions[0]).await?;
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
    seed::drop_database(admin).await?;
    if health_p99 >= 100.0 {
        bail!("healthz with slow clients open: p99 {health_p99:.1} ms misses the target of 100 ms");
    }
    if worst >= TARGET_P99_MS {
        bail!("the dashboard's p99 ({worst:.1} ms) misses the target of {TARGET_P99_MS} ms");
    }
    Ok(())
}
