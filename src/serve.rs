//! The accept loop: how connections are taken, bounded and let go.
//!
//! `axum::serve` sets no timeouts, and every connection it accepts is a task and a file
//! descriptor for as long as the client cares to keep it. A client that sends half a request
//! line and waits (a "slowloris") held its connection for as long as it liked, and twenty
//! thousand of them made a node stop answering its health check. So this loop, which otherwise
//! does what `axum::serve` does:
//!
//! - gives every connection a **header read timeout**: the request head must arrive within it,
//!   or hyper closes the connection (an idle keep-alive connection waiting for its next request
//!   is closed after the same time);
//! - bounds the **connections open at once**. Past the bound, a new connection is answered at
//!   once with a 503 in the JSON error format and closed, without reading it: the node keeps
//!   answering the ones it has (and its health check tells the load balancer it is full)
//!   instead of queueing new ones it cannot serve;
//! - raises the process's open-file limit to what the system allows, so that the bound, not
//!   the operating system, decides;
//! - shuts down gracefully: no new connections, in-flight requests finish.
//!
//! Body read timeouts and the early 413 from `Content-Length` are request middleware
//! (`penkom_api::routes::finish`): they need to know the route.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tower::ServiceExt;

/// How the loop treats connections.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once on this node.
    pub max_connections: usize,
    /// Time a client has to send a request's head (also the idle time of a kept-alive
    /// connection before it is closed).
    pub header_timeout: Duration,
}

impl ConnectionLimits {
    /// The default bound: 10,000 connections, or what the open-file limit leaves room for
    /// after the database pool, Redis and the process's own files.
    pub fn default_max_connections() -> usize {
        let files = raise_open_file_limit();
        usize::try_from(files.saturating_sub(512)).unwrap_or(usize::MAX).clamp(64, 10_000)
    }
}

/// Raises the soft limit of open files to the hard limit, and answers it.
fn raise_open_file_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read or raise the open-file limit; assuming 1024");
            1024
        }
    }
}

/// The answer to a connection over the bound, written before reading anything.
static FULL: std::sync::LazyLock<Vec<u8>> = std::sync::LazyLock::new(|| {
    let body = r#"{"error":{"code":"service_unavailable","message":"server sedang penuh; silakan coba lagi sebentar lagi"}}"#;
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         cache-control: no-store\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
});

/// Serves `router` on `listener` until `shutdown` completes, then waits for in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(limits.header_timeout));
    let builder = Arc::new(builder);
    // Dropped when shutdown begins: every connection task watches it and finishes gracefully.
    let (stop_tx, stop_rx) = watch::channel(());
    let mut shutdown = pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was accepted:
                    // wait a moment rather than spin (as axum's own loop does).
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse(stream));
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service =
            TowerToHyperService::new(router.clone().map_request(move |req: hyper::Request<Incoming>| {
                let mut req = req.map(axum::body::Body::new);
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req
            }));
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = conn.as_mut() => {
                        if let Err(e) = result {
                            tracing::debug!(error = %e, %peer, "connection ended with an error");
                        }
                        break;
                    }
                    // Once: a closed channel answers at once every time it is asked again.
                    _ = stop.changed(), if !stopping => {
                        stopping = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
            drop(permit);
        });
    }
    drop(listener);
    drop(stop_tx);
    // Every permit back means every connection has finished.
    let _ = permits.acquire_many(u32::try_from(limits.max_connections).unwrap_or(u32::MAX)).await;
}

/// Tells a connection over the bound that the node is full, and closes it.
async fn refuse(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(&FULL)).await;
    let _ = stream.shutdown().await;
}
