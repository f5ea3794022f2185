//! Liveness and readiness.

use serde_json::Value;

use crate::support::{TestApp, TestEnv};

#[tokio::test]
async fn healthz_and_readyz_report_the_services() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz", None).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().contains_key("x-request-id"), "every answer carries a request id");

    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["database"], "ok");
    assert_eq!(body["startup_sweep"], "done");
    let expected_kind = if app.env.settings.redis_url.is_some() { "redis" } else { "memory" };
    assert_eq!(body["live_store_kind"], expected_kind);
    app.stop().await;
}

#[tokio::test]
async fn a_node_is_not_ready_until_its_start_up_sweep_has_run() {
    let app =
        TestApp::spawn_starting(TestEnv::new().await, 0, |s| s.failpoint = Some("slow_startup_sweep".into()))
            .await;
    let res = app.get("/readyz", None).await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["startup_sweep"].as_str()),
        (Some("not_ready"), Some("pending"))
    );
    assert_eq!(body["database"], "ok", "the dependencies answer; the sweep is what is missing");
    let mut ready = Value::Null;
    for _ in 0..60 {
        let res = app.get("/readyz", None).await;
        if res.status() == 200 {
            ready = res.json().await.unwrap();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ready["startup_sweep"], "done", "ready once the sweep ran: {ready}");
    app.stop().await;
}

#[tokio::test]
async fn a_client_supplied_request_id_is_echoed() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).header("x-request-id", "abc-123").send().await.unwrap();
    assert_eq!(res.headers()["x-request-id"], "abc-123");
    app.stop().await;
}

#[tokio::test]
async fn data_survives_a_restart() {
    let app = TestApp::spawn().await;
    let (nip, pw) = app.person("199103172019031005", "budi@test.go.id", "learner", "PNS", "DINKES").await;
    let env = app.stop().await;
    let app = TestApp::spawn_in(env).await;
    let token = app.token(&nip, &pw).await;
    let me: Value = app.get("/api/v1/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me["nip"], nip);
    app.stop().await;
}
