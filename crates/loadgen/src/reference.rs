//! The reference server: a minimal axum endpoint doing nothing, or doing the same Redis work a
//! Penkom heartbeat does on a node that served the learner before (one compare-and-set of a
//! versioned value, with the version remembered in-process), run as a child process like Penkom
//! so both are measured the same way.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use live_store::{LiveStore, RedisStore, Swap};

use crate::{BEAT, Outcome, Plan, client, free_port, server, wait_ready};

/// A stand-in for a Penkom stream: the same size (about 390 bytes of JSON), so that Redis and the
/// network carry the same bytes for the reference as for Penkom.
const STREAM: &[u8] = br#"{"session_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","module_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","version_id":"0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b","min_engaged_ms":1800000,"last_ms":1764600000000,"day":"2026-12-01","day_base_ms":1200000,"module_base_ms":600000,"session_base_ms":300000,"pending":{"from_ms":1764600000000,"beats":3,"too_fast":0,"credited_ms":30000,"rejected_ms":{}}}"#;

/// Remembered versions, sharded like Penkom's stream cache.
struct Versions(Vec<Mutex<HashMap<u64, u64>>>);

impl Versions {
    fn shard(&self, n: u64) -> std::sync::MutexGuard<'_, HashMap<u64, u64>> {
        self.0[(n % 64) as usize].lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// One beat's Redis work: the compare-and-set from the remembered version, and once more from
/// the version a conflict answers (what Penkom does when another node served the learner last).
/// False when Redis failed, so that a failing Redis shows as failures, not as speed.
async fn compare_and_set(store: &RedisStore, versions: &Versions, n: u64) -> bool {
    let key = n.to_string();
    let mut expected = versions.shard(n).remove(&n).unwrap_or(0);
    for _ in 0..2 {
        match store.store_if(&key, expected, STREAM, Duration::from_secs(600)).await {
            Ok(Swap::Stored { version }) => {
                versions.shard(n).insert(n, version);
                return true;
            }
            Ok(Swap::Conflict { current }) => expected = current.map_or(0, |c| c.version),
            Err(_) => return false,
        }
    }
    false
}

/// `loadgen reference PORT [REDIS_URL]`: serves `/readyz` and `POST /beat/{n}`.
pub async fn serve(args: &[String]) -> anyhow::Result<()> {
    let port: u16 = args.first().and_then(|p| p.parse().ok()).unwrap_or(0);
    let redis = match args.get(1) {
        Some(url) => Some(Arc::new(RedisStore::connect(url, "ref:").await?)),
        None => None,
    };
    let versions = Arc::new(Versions((0..64).map(|_| Mutex::default()).collect()));
    let app = Router::new().route("/readyz", axum::routing::get(|| async { "ok" })).route(
        "/beat/{n}",
        post(move |axum::extract::Path(n): axum::extract::Path<u64>| {
            let (redis, versions) = (redis.clone(), versions.clone());
            async move {
                if let Some(store) = redis
                    && !compare_and_set(&store, &versions, n).await
                {
                    return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                }
                Ok(axum::Json(serde_json::json!({"session_credited_seconds": 0})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

pub async fn bench(label: &str, redis: Option<&str>, plan: &Plan) -> anyhow::Result<Outcome> {
    let port = free_port();
    let mut cmd = Command::new(std::env::current_exe()?);
    cmd.arg("reference").arg(port.to_string()).stdout(Stdio::null()).stderr(Stdio::inherit());
    if let Some(url) = redis {
        cmd.arg(url);
    }
    let server = server(cmd.spawn()?, port);
    wait_ready(&server.base).await?;
    eprintln!("[reference {label}] {} connections for {} s…", plan.connections, plan.seconds);
    let requests: Vec<Vec<u8>> =
        (0..plan.learners).map(|n| client::post(&format!("/beat/{n}"), "x", BEAT)).collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The reference has no minimum gap: it is measured at whatever rate it can take.
    Ok(client::drive(server.addr, Arc::new(requests), plan.connections, plan.seconds, Duration::ZERO).await)
}
