//! The reference server: a minimal axum endpoint doing nothing, or doing the same Redis work a
//! Penkom heartbeat does (read a versioned value, compare-and-set it), run as a child process
//! like Penkom so both are measured the same way.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;

use crate::{BEAT, Outcome, Plan, client, free_port, server, wait_ready};

const CAS: &str = r"
local cur = tonumber(redis.call('HGET', KEYS[1], 'v') or '0')
if cur ~= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'v', cur + 1, 'd', ARGV[2])
redis.call('PEXPIRE', KEYS[1], 600000)
return 1
";

/// `loadgen reference PORT [REDIS_URL]`: serves `/readyz` and `POST /beat/{n}`.
pub async fn serve(args: &[String]) -> anyhow::Result<()> {
    let port: u16 = args.first().and_then(|p| p.parse().ok()).unwrap_or(0);
    let redis = match args.get(1) {
        Some(url) => Some(redis::Client::open(url.as_str())?.get_connection_manager().await?),
        None => None,
    };
    let script = Arc::new(redis::Script::new(CAS));
    let app = Router::new().route("/readyz", axum::routing::get(|| async { "ok" })).route(
        "/beat/{n}",
        post(move |axum::extract::Path(n): axum::extract::Path<u64>| {
            let (redis, script) = (redis.clone(), script.clone());
            async move {
                if let Some(mut conn) = redis {
                    let key = format!("ref:{n}");
                    let (v, _d): (Option<u64>, Option<Vec<u8>>) = redis::cmd("HMGET")
                        .arg(&key)
                        .arg("v")
                        .arg("d")
                        .query_async(&mut conn)
                        .await
                        .unwrap_or((None, None));
                    let _: i64 = script
                        .key(&key)
                        .arg(v.unwrap_or(0))
                        .arg(r#"{"state":"x"}"#)
                        .invoke_async(&mut conn)
                        .await
                        .unwrap_or(0);
                }
                axum::Json(serde_json::json!({"session_credited_seconds": 0}))
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
