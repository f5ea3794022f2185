//! `make bench`, part four: the bulk verifier with 1,000 distinct credentials in one request
//! (`POST /api/v1/verify`), against the real server (built by the same `Server::start_with` as
//! `penkom serve`).
//!
//! Seeds `BENCH_LEARNERS` learners (default 125) who each earn `BENCH_CERTIFICATES` (default 8)
//! certificates through the HTTP API, downloads every credential, and then posts all of them in
//! one request, `BENCH_ROUNDS` times (default 30): every signature checked, every credential
//! compared with the register, the log consulted. The same with the 1,000 verification codes.
//! `make bench` runs it pinned to one core (`taskset -c 0`), where the target is a median of at
//! most 60 ms for the credentials. The program exits non-zero if the target is missed. SQLite by
//! default; PostgreSQL with `BENCH_DATABASE_URL`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use loadgen::seed;
use seed::{VERIFIER_NIP, env};

// The allocator `penkom serve` uses, so the server measured here is the one deployed.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const TARGET_MEDIAN_MS: f64 = 60.0;

/// Posts `items` to the bulk verifier `rounds` times; returns the sorted latencies.
async fn measure(
    b: &seed::Bench,
    token: &str,
    items: &[Value],
    rounds: usize,
) -> anyhow::Result<Vec<Duration>> {
    let body = serde_json::to_vec(&json!({ "items": items }))?;
    let mut times = Vec::new();
    for round in 0..rounds + 3 {
        let t = Instant::now();
        let res = b
            .http
            .post(format!("{}/api/v1/verify", b.base))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        let status = res.status();
        let answer: Value = res.json().await?;
        let took = t.elapsed();
        ensure!(status == 200, "POST /api/v1/verify: {status} {answer}");
        let results = answer["results"].as_array().context("results")?;
        let valid = results.iter().filter(|r| r["status"] == "valid").count();
        ensure!(valid == items.len(), "{valid} of {} valid", items.len());
        // The first rounds warm the caches (keys, prepared statements), as a running node has.
        if round >= 3 {
            times.push(took);
        }
    }
    times.sort();
    Ok(times)
}

fn report(what: &str, times: &[Duration]) -> f64 {
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    let median = pct(0.5);
    println!(
        "POST /api/v1/verify, {what}: median {median:.1} ms, p90 {:.1} ms, max {:.1} ms over {} requests",
        pct(0.9),
        pct(1.0),
        times.len()
    );
    median
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let learners = env("BENCH_LEARNERS", 125);
    let per_learner = env("BENCH_CERTIFICATES", 8);
    let rounds = env("BENCH_ROUNDS", 30);
    let seed::Fresh { _dir, backend, admin, bench: b, accounts, stop, task } =
        seed::fresh(per_learner).await?;

    let t = Instant::now();
    let nips = seed::people(&accounts, learners).await?;
    let verifier = b.token(VERIFIER_NIP).await?;
    let courses: Vec<Value> = serde_json::from_value(b.get("/api/v1/courses", &verifier).await?)?;
    ensure!(courses.len() == per_learner, "the bench courses are published");
    let tokens = b.tokens(&nips).await?;
    b.study_courses(&tokens, &courses).await?;
    let mut ids = Vec::new();
    let mut codes = Vec::new();
    for course in &courses {
        for token in &tokens {
            let attempt = b.answer_post_test(token, course).await?;
            let passed = b.submit(token, &attempt).await?;
            ids.push(passed["certificate"]["id"].as_str().context("a certificate id")?.to_string());
            codes.push(json!({ "code": passed["certificate"]["code"] }));
        }
    }
    // Seeding moved the simulated clock by hours: a fresh verifier session.
    let verifier = b.token(VERIFIER_NIP).await?;
    let mut credentials = Vec::new();
    for id in &ids {
        credentials
            .push(json!({ "credential": b.get(&format!("/api/v1/certificates/{id}"), &verifier).await? }));
    }
    let distinct: std::collections::HashSet<String> = credentials.iter().map(Value::to_string).collect();
    ensure!(distinct.len() == credentials.len(), "distinct credentials");
    println!(
        "{backend}: seeded {} certificates ({learners} learners × {per_learner} courses) in {:.1} s",
        ids.len(),
        t.elapsed().as_secs_f64()
    );

    let by_credential = report(
        &format!("{} distinct credentials", credentials.len()),
        &measure(&b, &verifier, &credentials, rounds).await?,
    );
    report(&format!("{} codes", codes.len()), &measure(&b, &verifier, &codes, rounds).await?);

    let _ = stop.send(());
    task.await??;
    seed::drop_database(admin).await?;
    if by_credential > TARGET_MEDIAN_MS {
        bail!(
            "bulk verification of credentials: median {by_credential:.1} ms misses the target of {TARGET_MEDIAN_MS} ms"
        );
    }
    Ok(())
}
