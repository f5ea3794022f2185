//! `make bench`, part two: the yearly compliance report on PostgreSQL for 100,000 people and
//! 1,000,000 ledger entries (all in one year, the worst case for one report).
//!
//! Seeds a fresh database with `generate_series` (seconds, not minutes), runs the report through
//! the same `Ledger::compliance` the API calls, serialises it as the API does, and prints the
//! time of each run. The database is dropped afterwards. Needs PostgreSQL
//! (`BENCH_DATABASE_URL`, default the local test server).

use std::time::Instant;

use anyhow::Context;
use migrations::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let admin_url = std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let people: i64 = std::env::var("BENCH_PEOPLE").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let entries: i64 = std::env::var("BENCH_ENTRIES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let name = format!("penkom_bench_{}", uuid::Uuid::new_v4().simple());
    let admin =
        penkom_storage::connect(&admin_url, 1).await.context("PostgreSQL for the report benchmark")?;
    admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await?;
    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let result = run(&url, people, entries).await;
    if std::env::var("BENCH_KEEP").is_ok() {
        println!("kept the database: {url}");
    } else {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await?;
    }
    result
}

async fn run(url: &str, people: i64, entries: i64) -> anyhow::Result<()> {
    let db = penkom_storage::connect(url, 4).await?;
    Migrator::up(&db, None).await?;
    let t = Instant::now();
    db.execute_unprepared(
        "INSERT INTO opd (id, code, name, created_at, updated_at)
         SELECT md5('opd' || g)::uuid, 'OPD' || lpad(g::text, 3, '0'), 'Unit Kerja ' || g, now(), now()
         FROM generate_series(0, 99) g",
    )
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO person (id, nip, email, name, employment_type, opd_id, must_change_password, active, created_at, updated_at)
         SELECT md5('p' || i)::uuid, lpad(i::text, 18, '0'), 'p' || i || '@bench.go.id', 'Pegawai ' || i,
                CASE WHEN i % 5 = 0 THEN 'PPPK' ELSE 'PNS' END, md5('opd' || (i % 100))::uuid, false, true, now(), now()
         FROM generate_series(1, {people}) i"
    ))
    .await?;
    db.execute_unprepared(&format!(
        "INSERT INTO jp_ledger_entry (id, person_id, year, kind, source_id, jp_hundredths, source_jp_hundredths, recorded_at)
         SELECT gen_random_uuid(), md5('p' || (1 + g % {people}))::uuid, 2026, 'external', gen_random_uuid(),
                100 + (g % 7) * 50, 100 + (g % 7) * 50, now()
         FROM generate_series(1, {entries}) g"
    ))
    .await?;
    // What autovacuum does after a bulk load: statistics, and the visibility map that lets the
    // yearly sum read only the index. Without it the first report after loading a million rows
    // fetches every heap row (measured: 1.9 s for the sum alone instead of 0.4 s).
    db.execute_unprepared("VACUUM ANALYZE").await?;
    println!("seeded {people} people and {entries} ledger entries in {:.1} s", t.elapsed().as_secs_f64());

    let ledger =
        jp_ledger::Ledger::new(db.clone(), std::sync::Arc::new(penkom_core::SystemClock), Default::default());
    let mut times = Vec::new();
    for round in 1..=5 {
        let t = Instant::now();
        let report = ledger.compliance(2026, None).await?;
        let json = serde_json::to_vec(&report)?;
        let elapsed = t.elapsed().as_secs_f64();
        let met = report.people.iter().filter(|p| p.status == "met").count();
        println!(
            "round {round}: {} people, {} met, {} OPDs, {:.1} MB JSON in {:.3} s",
            report.people.len(),
            met,
            report.opds.len(),
            json.len() as f64 / 1e6,
            elapsed
        );
        times.push(elapsed);
    }
    times.sort_by(f64::total_cmp);
    let verdict = if times[2] < 2.0 { "met" } else { "NOT MET" };
    println!(
        "compliance report: median {:.3} s, best {:.3} s; target under 2 s: {verdict}",
        times[2], times[0]
    );
    db.close().await.ok();
    if times[2] >= 2.0 {
        anyhow::bail!("the compliance report took {:.3} s (median), over the 2 s target", times[2]);
    }
    Ok(())
}
