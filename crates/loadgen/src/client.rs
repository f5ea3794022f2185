//! A deliberately minimal HTTP/1.1 load client.
//!
//! The load generator shares two cores with the server it measures, so every cycle it spends is
//! a cycle the server does not get. A general client (reqwest, hyper) parses and allocates far
//! more than a benchmark needs and capped the measurable rate near 22,000 requests/s. This one
//! keeps one keep-alive connection per worker, writes requests built before the clock starts,
//! and reads only the status line and `Content-Length` of each answer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Outcome, percentile};

/// One request, ready to write.
pub fn post(path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {token}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads one response from `stream` into `buf` (which may already hold the start of it) and
/// returns its status; leaves in `buf` whatever followed it.
async fn read_response(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<u16> {
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = &buf[..end];
            let status = head
                .get(9..12)
                .and_then(|s| std::str::from_utf8(s).ok())
                .and_then(|s| s.parse::<u16>().ok())
                .ok_or_else(|| std::io::Error::other("bad status line"))?;
            let length = content_length(head).unwrap_or(0);
            let total = end + 4 + length;
            while buf.len() < total {
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            buf.drain(..total);
            return Ok(status);
        }
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> Option<usize> {
    let text = std::str::from_utf8(head).ok()?;
    text.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse().ok())?
    })
}

/// Sends `requests` to `addr` from `connections` workers for `seconds`, each worker cycling
/// through its share, one request in flight per connection. With a non-zero `min_gap`, each
/// worker follows a schedule: its `k`-th request is due `k × min_gap / share` after it starts
/// (sent at once when the worker is behind), so the same request never repeats within
/// `min_gap` and the offered rate is at most `requests / min_gap` per second. That keeps every
/// heartbeat one the server accepts, and lets a run offer a fixed rate rather than a burst.
pub async fn drive(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    connections: usize,
    seconds: u64,
    min_gap: Duration,
) -> Outcome {
    let (ok, refused, failed) =
        (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut workers = Vec::new();
    for w in 0..connections {
        let requests = requests.clone();
        let (ok, refused, failed) = (ok.clone(), refused.clone(), failed.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 16);
            let mine: Vec<usize> = (w..requests.len()).step_by(connections).collect();
            let mut i = 0usize;
            let mut conn: Option<TcpStream> = None;
            let mut buf = Vec::with_capacity(8192);
            let step = min_gap.checked_div(mine.len().max(1) as u32).unwrap_or_default();
            // Workers start staggered across one step, so their schedules do not beat in unison.
            let begin = Instant::now() + step.mul_f64(w as f64 / connections as f64);
            // A worker behind its schedule sends back to back; this keeps it from sending to one
            // learner twice within the gap while it catches up.
            let mut last_sent: Vec<Option<Instant>> = vec![None; mine.len()];
            while Instant::now() < deadline && !mine.is_empty() {
                let stream = match conn.as_mut() {
                    Some(s) => s,
                    None => match TcpStream::connect(addr).await {
                        Ok(s) => {
                            let _ = s.set_nodelay(true);
                            buf.clear();
                            conn.insert(s)
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                };
                if !step.is_zero() {
                    tokio::time::sleep_until((begin + step.mul_f64(i as f64)).into()).await;
                }
                let slot = i % mine.len();
                if let Some(wait) = last_sent[slot].map(|t| min_gap.saturating_sub(t.elapsed()))
                    && !wait.is_zero()
                {
                    tokio::time::sleep(wait).await;
                }
                let request = &requests[mine[slot]];
                i += 1;
                let started = Instant::now();
                last_sent[slot] = Some(started);
                let status = match stream.write_all(request).await {
                    Ok(()) => read_response(stream, &mut buf).await,
                    Err(e) => Err(e),
                };
                latencies.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
                match status {
                    Ok(200) => ok.fetch_add(1, Ordering::Relaxed),
                    Ok(429) => refused.fetch_add(1, Ordering::Relaxed),
                    Ok(_) => failed.fetch_add(1, Ordering::Relaxed),
                    Err(_) => {
                        conn = None;
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.unwrap_or_default());
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_unstable();
    Outcome {
        ok: ok.load(Ordering::Relaxed),
        refused: refused.load(Ordering::Relaxed),
        failed: failed.load(Ordering::Relaxed),
        seconds,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_content_length_case_insensitively() {
        assert_eq!(content_length(b"HTTP/1.1 200 OK\r\nContent-Length: 42\r\nx: y"), Some(42));
        assert_eq!(content_length(b"HTTP/1.1 204 No Content\r\nx: y"), None);
    }

    #[tokio::test]
    async fn reads_back_to_back_responses_on_one_connection() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 429 Too Many\r\ncontent-length: 0\r\n\r\n")
                .await
                .unwrap();
        });
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let mut buf = Vec::new();
        assert_eq!(read_response(&mut stream, &mut buf).await.unwrap(), 200);
        assert_eq!(read_response(&mut stream, &mut buf).await.unwrap(), 429);
        assert!(buf.is_empty());
    }
}
