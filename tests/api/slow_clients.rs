//! Clients that are slow on purpose (or on a very bad line): half a request head, a body that
//! is announced and never sent, more connections than a node should hold. None of them may
//! hold a connection for long, and none may stop the node answering everyone else.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{TestApp, TestEnv};

fn host(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Reads what the server sends until it closes the connection (or `within` passes).
async fn read_until_closed(s: &mut TcpStream, within: Duration) -> Option<String> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(String::from_utf8_lossy(&out).into_owned()),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Err(_) => return None,
        }
    }
}

#[tokio::test]
async fn half_sent_heads_are_cut_off_and_the_node_keeps_answering() {
    let app = TestApp::spawn_serving(TestEnv::new().await, 0, |s| s.header_timeout_s = 1).await;
    let mut slow = Vec::new();
    for _ in 0..5000 {
        let mut s = TcpStream::connect(host(&app)).await.expect("connect");
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
        slow.push(s);
    }
    // With all of them open, the node answers at once. (The 100 ms figure is measured by
    // `make bench`, in release; this bound only has to hold on a busy test machine.)
    let t = Instant::now();
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    assert!(t.elapsed() < Duration::from_secs(2), "healthz took {:?}", t.elapsed());
    // Past the header timeout the server has closed every one of them.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for s in slow.iter_mut().step_by(100) {
        assert!(
            read_until_closed(s, Duration::from_secs(5)).await.is_some(),
            "a slow connection stayed open"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn bodies_announced_too_large_or_never_sent_get_their_answer_quickly() {
    let app = TestApp::spawn_serving(TestEnv::new().await, 0, |s| s.body_timeout_s = 1).await;
    // 100 GB announced: 413 before a byte of it is read.
    let mut s = TcpStream::connect(host(&app)).await.unwrap();
    s.write_all(
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000000\r\n\r\n",
    )
    .await
    .unwrap();
    let t = Instant::now();
    let mut buf = vec![0u8; 2048];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .expect("an answer at once")
        .unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("body_too_large"), "in the JSON error format: {head}");
    assert!(t.elapsed() < Duration::from_secs(1));
    // The same for a page's form.
    let mut s = TcpStream::connect(host(&app)).await.unwrap();
    s.write_all(b"POST /masuk HTTP/1.1\r\nHost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: 10000000\r\n\r\n")
        .await
        .unwrap();
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .expect("an answer at once")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 413"));

    // 100 bytes announced, none sent: 408 once the body has paused for the idle timeout.
    let mut s = TcpStream::connect(host(&app)).await.unwrap();
    s.write_all(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"lo")
        .await
        .unwrap();
    let t = Instant::now();
    let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf)).await.expect("an answer").unwrap();
    let head = String::from_utf8_lossy(&buf[..n]);
    assert!(head.starts_with("HTTP/1.1 408") && head.contains("body_timeout"), "{head}");
    assert!(t.elapsed() >= Duration::from_millis(900), "not before the timeout: {:?}", t.elapsed());
    app.stop().await;
}

#[tokio::test]
async fn past_its_connection_bound_a_node_says_it_is_full_and_recovers() {
    let app = TestApp::spawn_serving(TestEnv::new().await, 0, |s| {
        s.max_connections = Some(20);
        s.header_timeout_s = 1;
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(host(&app)).await.unwrap();
        s.write_all(b"GET /healthz HTTP/1.1\r\n").await.unwrap();
        slow.push(s);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // One more: answered at once, 503 in the JSON format, not queued behind the slow ones.
    let mut extra = TcpStream::connect(host(&app)).await.unwrap();
    extra.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = read_until_closed(&mut extra, Duration::from_secs(2)).await.expect("closed at once");
    assert!(answer.starts_with("HTTP/1.1 503") && answer.contains("service_unavailable"), "{answer}");
    assert!(answer.contains("retry-after: 1"));
    // Once the slow ones are cut off, there is room again.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    assert_eq!(app.get("/healthz", None).await.status(), 200);
    drop(slow);
    app.stop().await;
}

#[tokio::test]
async fn every_route_that_takes_a_body_refuses_an_oversized_one_as_it_documents() {
    let app = TestApp::spawn().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json", None).await.json().await.unwrap();
    let mut with_body = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            assert!(responses.get("414").is_some(), "{method} {path} documents 414");
            if op.get("requestBody").is_none() {
                assert!(responses.get("413").is_none(), "{method} {path} takes no body");
                continue;
            }
            with_body += 1;
            for status in ["408", "413"] {
                assert!(responses.get(status).is_some(), "{method} {path} documents {status}");
            }
            // Announced and never sent: the answer comes without waiting for it, signed in or not.
            let mut s = TcpStream::connect(host(&app)).await.unwrap();
            let head = format!(
                "{} {} HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000000\r\n\r\n",
                method.to_uppercase(),
                crate::route_access::concrete(path)
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let mut buf = vec![0u8; 2048];
            let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
                .await
                .unwrap_or_else(|_| panic!("{method} {path} answers at once"))
                .unwrap();
            let answer = String::from_utf8_lossy(&buf[..n]);
            assert!(
                answer.starts_with("HTTP/1.1 413") && answer.contains("body_too_large"),
                "{method} {path}: {answer}"
            );
        }
    }
    assert!(with_body >= 20, "the walk saw the routes with bodies ({with_body})");
    app.stop().await;
}

#[tokio::test]
async fn a_head_sent_a_byte_at_a_time_or_an_idle_kept_alive_connection_is_closed() {
    let app = TestApp::spawn_serving(TestEnv::new().await, 0, |s| s.header_timeout_s = 1).await;
    // A byte every 200 ms keeps the line busy, but the head is not complete within a second.
    let mut trickle = TcpStream::connect(host(&app)).await.unwrap();
    let t = Instant::now();
    let mut closed = false;
    for b in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n" {
        if trickle.write_all(&[*b]).await.is_err() {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if t.elapsed() > Duration::from_secs(4) {
            break;
        }
    }
    let closed = closed || read_until_closed(&mut trickle, Duration::from_secs(2)).await.is_some();
    assert!(closed, "a trickled head is cut off");
    assert!(t.elapsed() < Duration::from_secs(4), "within about the timeout: {:?}", t.elapsed());

    // A kept-alive connection: answered, then closed after a second without a next request.
    let mut idle = TcpStream::connect(host(&app)).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let t = Instant::now();
    let answer = read_until_closed(&mut idle, Duration::from_secs(4)).await.expect("closed when idle");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(t.elapsed() >= Duration::from_millis(900), "not before the timeout: {:?}", t.elapsed());
    app.stop().await;
}
