//! The accept loop: how connections are taken, bounded and let go.
//!
//! `axum::serve` sets no timeouts, and every connection it accepts is a task and a file
//! descriptor for as long as the client cares to keep it. A client that sends half a request
//! line and waits (a "slowloris") held its connection for as long as it liked, and twenty
//! thousand of them made a node stop answering its health check. So this loop, which otherwise
//! does what `axum::serve` does:
//!
//! - gives every connection a **header read timeout**: while no request is in flight on it, the
//!   next request's head must arrive within the timeout of the last answer ending (or of the
//!   connection opening), or the connection is closed. That one rule closes a half-sent head, a
//!   head sent a byte at a time, and a kept-alive connection left idle;
//! - bounds the **connections open at once**. Past the bound, a new connection is answered at
//!   once with a 503 in the JSON error format and closed, without reading it: the node keeps
//!   answering the ones it has (and its health check tells the load balancer it is full)
//!   instead of queueing new ones it cannot serve;
//! - raises the process's open-file limit to what the system allows, so that the bound, not
//!   the operating system, decides;
//! - shuts down gracefully: no new connections, in-flight requests finish.
//!
//! Why a watchdog per connection and not hyper's own `header_read_timeout`: hyper arms a timer
//! for every request head it reads, and on a kept-alive connection that timer is registered and
//! cancelled once per request. At tens of thousands of heartbeats a second that cost 8 % of the
//! throughput (BENCHMARKS.md). The watchdog is one timer per connection that wakes once per
//! timeout period; a request costs two atomic operations and a clock read.
//!
//! Body read timeouts and the early 413 from `Content-Length` are request middleware
//! (`penkom_api::routes::finish`): they need to know the route.

use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;

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
    builder.http1().timer(TokioTimer::new());
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
        let activity = Arc::new(Activity::new());
        let service =
            TowerToHyperService::new(Tracked { inner: router.clone(), activity: activity.clone(), peer });
        let builder = builder.clone();
        let mut stop = stop_rx.clone();
        let timeout = limits.header_timeout;
        tokio::spawn(async move {
            let mut conn = pin!(builder.serve_connection_with_upgrades(TokioIo::new(stream), service));
            let watchdog = tokio::time::sleep(timeout);
            let mut watchdog = pin!(watchdog);
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
                    () = watchdog.as_mut() => match activity.idle_deadline(timeout) {
                        // Dropping the connection closes it. Nothing is lost: no request is
                        // in flight, and a head that has not fully arrived was never answered.
                        Some(deadline) if deadline <= Instant::now() => {
                            tracing::debug!(%peer, "closing a connection that sent no request in time");
                            break;
                        }
                        Some(deadline) => watchdog.as_mut().reset(deadline),
                        // A request is being answered (perhaps a long report download): its
                        // body has its own timeouts. Look again a period later.
                        None => watchdog.as_mut().reset(Instant::now() + timeout),
                    },
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

/// When the process started, as the origin of [`Activity::idle_since_ms`].
static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

fn millis_since_epoch() -> u64 {
    u64::try_from(EPOCH.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// What the watchdog needs to know of a connection: whether a request is in flight, and since
/// when it has been without one.
struct Activity {
    in_flight: AtomicUsize,
    idle_since_ms: AtomicU64,
}

impl Activity {
    fn new() -> Self {
        Self { in_flight: AtomicUsize::new(0), idle_since_ms: AtomicU64::new(millis_since_epoch()) }
    }

    /// When the connection must have sent its next request head, or `None` while a request is
    /// in flight.
    fn idle_deadline(&self, timeout: Duration) -> Option<Instant> {
        // Acquire pairs with the Release in `InFlight::drop`: seeing the count at zero means
        // seeing the time the last request ended.
        if self.in_flight.load(Ordering::Acquire) > 0 {
            return None;
        }
        let idle_since = Duration::from_millis(self.idle_since_ms.load(Ordering::Relaxed));
        Some(*EPOCH + idle_since + timeout)
    }
}

/// A request in flight on a connection: from its head being read until its answer's body is
/// sent or dropped (or the request is abandoned).
struct InFlight(Arc<Activity>);

impl InFlight {
    fn begin(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::Relaxed);
        Self(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        // The time first, then the count (Release): the watchdog never sees a zero count with
        // an old idle time, which would close a connection that has just been answered.
        self.0.idle_since_ms.store(millis_since_epoch(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Release);
    }
}

/// The router, as one connection's service: each request carries the peer's address (as
/// `axum::serve` gives it) and counts as in flight until its answer is done.
#[derive(Clone)]
struct Tracked {
    inner: axum::Router,
    activity: Arc<Activity>,
    peer: SocketAddr,
}

impl tower::Service<hyper::Request<Incoming>> for Tracked {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = TrackedFuture<<axum::Router as tower::Service<axum::extract::Request>>::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        tower::Service::<axum::extract::Request>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, req: hyper::Request<Incoming>) -> Self::Future {
        let guard = InFlight::begin(&self.activity);
        let mut req = req.map(axum::body::Body::new);
        req.extensions_mut().insert(ConnectInfo::<SocketAddr>(self.peer));
        TrackedFuture { inner: self.inner.call(req), guard: Some(guard) }
    }
}

pin_project_lite::pin_project! {
    /// The router's future, holding the request's [`InFlight`] until it hands it to the body.
    struct TrackedFuture<F> {
        #[pin]
        inner: F,
        guard: Option<InFlight>,
    }
}

impl<F> std::future::Future for TrackedFuture<F>
where
    F: std::future::Future<Output = Result<axum::response::Response, std::convert::Infallible>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.inner.poll(cx))?;
        let guard = this.guard.take();
        Poll::Ready(
            Ok(response.map(|body| axum::body::Body::new(GuardedBody { inner: body, _guard: guard }))),
        )
    }
}

/// An answer's body, with its request's [`InFlight`]: the request ends when the body does.
struct GuardedBody {
    inner: axum::body::Body,
    _guard: Option<InFlight>,
}

impl http_body::Body for GuardedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
