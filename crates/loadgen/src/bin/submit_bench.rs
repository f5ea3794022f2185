//! `make bench`, part five: post-test submissions on PostgreSQL, each one graded, completing its
//! course, issuing a signed certificate, crediting the JP ledger and queueing the e-mail with
//! the PDF (`POST /api/v1/attempts/{id}/submit`), against the real server (built by the same
//! `Server::start_with` as `penkom serve`).
//!
//! Seeds `BENCH_LEARNERS` learners (default 500) who each study `BENCH_COURSES` tiny courses
//! (default 8) through the HTTP API and open each post-test with the right answer saved, then
//! submits every attempt from `BENCH_CLIENTS` concurrent clients (default 32) and reports
//! submissions per second. The target is at least 1,000 per second; the program exits non-zero
//! if it is missed. PostgreSQL at `BENCH_DATABASE_URL` (default the local test server).

use std::collections::HashSet;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use loadgen::seed;
use seed::{VERIFIER_NIP, env};

// The allocator `penkom serve` uses, so the server measured here is the one deployed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TARGET_PER_SECOND: f64 = 1000.0;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let learners = env("BENCH_LEARNERS", 500);
    let courses_each = env("BENCH_COURSES", 8);
    let clients = env("BENCH_CLIENTS", 32);
    let seed::Fresh { _dir, backend, admin, bench: b, accounts, stop, task } =
        seed::fresh_on(courses_each, Some("postgres://postgres@127.0.0.1:5432/test")).await?;

    let t = Instant::now();
    let nips = seed::people(&accounts, learners).await?;
    let verifier = b.token(VERIFIER_NIP).await?;
    let courses: Vec<Value> = serde_json::from_value(b.get("/api/v1/courses", &verifier).await?)?;
    ensure!(courses.len() == courses_each, "the bench courses are published");
    let tokens = b.tokens(&nips).await?;
    b.study_courses(&tokens, &courses).await?;
    // Attempts are opened only now, after the clock stopped moving, so none runs out of time.
    let mut attempts = Vec::new();
    for course in &courses {
        let opened: Vec<String> = futures::stream::iter(&tokens)
            .map(|t| b.answer_post_test(t, course))
            .buffered(16)
            .try_collect()
            .await?;
        attempts.extend(tokens.iter().cloned().zip(opened));
    }
    println!(
        "{backend}: {} attempts ready ({learners} learners × {courses_each} courses) in {:.1} s",
        attempts.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let results: Vec<(Duration, String)> = futures::stream::iter(&attempts)
        .map(|(token, attempt)| {
            let b = &b;
            async move {
                let started = Instant::now();
                let passed = b.submit(token, attempt).await?;
                let id = passed["certificate"]["id"].as_str().context("a certificate id")?.to_string();
                Ok::<_, anyhow::Error>((started.elapsed(), id))
            }
        })
        .buffer_unordered(clients)
        .try_collect()
        .await?;
    let elapsed = t.elapsed().as_secs_f64();
    let distinct: HashSet<&str> = results.iter().map(|(_, id)| id.as_str()).collect();
    ensure!(distinct.len() == attempts.len(), "one certificate per submission");
    let mut times: Vec<Duration> = results.iter().map(|(d, _)| *d).collect();
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    let rate = attempts.len() as f64 / elapsed;
    println!(
        "POST /api/v1/attempts/{{id}}/submit, {clients} clients: {} submissions in {elapsed:.2} s, {rate:.0}/s; \
         p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        attempts.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0)
    );

    let _ = stop.send(());
    task.await??;
    seed::drop_database(admin).await?;
    if rate < TARGET_PER_SECOND {
        bail!("post-test submissions: {rate:.0}/s misses the target of {TARGET_PER_SECOND}/s");
    }
    Ok(())
}
