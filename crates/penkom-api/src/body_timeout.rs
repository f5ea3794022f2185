//! Request bodies must keep coming: no pause longer than the idle timeout, and all of it within
//! the deadline.
//!
//! A client that declares a body and sends nothing, or a byte a minute, would otherwise hold
//! its request, its task and its buffer for as long as it liked. A handler reading such a body
//! gets [`BodyTimedOut`], which `extract::body_error` answers as 408 `body_timeout`.
//!
//! Why not tower-http's `RequestBodyTimeout` and `RequestBodyDeadline`: both arm a timer on
//! every request, before the body is even asked for, and a heartbeat server answers tens of
//! thousands of requests a second whose small bodies arrived with their heads. Here a timer is
//! armed only when the body is *not* ready (the client is actually making us wait), and one
//! timer serves both limits: it fires at whichever comes first, the end of the pause or the
//! deadline.

use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use http_body::{Body as HttpBody, Frame, SizeHint};
use tokio::time::{Instant, Sleep};

/// The body stalled for longer than the idle timeout, or was not complete by the deadline.
#[derive(Debug, thiserror::Error)]
#[error("the request body was not sent in time")]
pub struct BodyTimedOut;

/// The two limits, as [`crate::ApiConfig`] sets them.
#[derive(Debug, Clone, Copy)]
pub struct BodyTimeouts {
    pub idle: Duration,
    pub deadline: Duration,
}

impl<S> tower::Layer<S> for BodyTimeouts {
    type Service = TimedBodies<S>;
    fn layer(&self, inner: S) -> TimedBodies<S> {
        TimedBodies { inner, limits: *self }
    }
}

/// The service that gives every request's body its limits.
#[derive(Debug, Clone)]
pub struct TimedBodies<S> {
    inner: S,
    limits: BodyTimeouts,
}

impl<S> tower::Service<Request> for TimedBodies<S>
where
    S: tower::Service<Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let limits = self.limits;
        // The deadline counts from when the head was read: the body is what must come in time.
        let deadline = Instant::now() + limits.deadline;
        self.inner.call(req.map(|body| {
            if body.is_end_stream() {
                body
            } else {
                Body::new(TimedBody { inner: body, idle: limits.idle, deadline, sleep: None })
            }
        }))
    }
}

/// A body with a timer that exists only while the body keeps us waiting.
struct TimedBody {
    inner: Body,
    idle: Duration,
    deadline: Instant,
    /// Armed at the first `Pending` after a frame, dropped at the next frame: so it measures the
    /// current pause. Boxed so the body stays `Unpin`; the allocation happens only for bodies
    /// that make us wait.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl HttpBody for TimedBody {
    type Data = axum::body::Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.sleep = None;
            return Poll::Ready(frame.map(|f| f.map_err(axum::BoxError::from)));
        }
        let (idle, deadline) = (this.idle, this.deadline);
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until((Instant::now() + idle).min(deadline))));
        ready!(sleep.as_mut().poll(cx));
        Poll::Ready(Some(Err(Box::new(BodyTimedOut))))
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    fn timed(body: Body, idle_ms: u64, deadline_ms: u64) -> TimedBody {
        TimedBody {
            inner: body,
            idle: Duration::from_millis(idle_ms),
            deadline: Instant::now() + Duration::from_millis(deadline_ms),
            sleep: None,
        }
    }

    /// A body that sends one chunk every `gap`.
    fn trickle(chunks: usize, gap: Duration) -> Body {
        let stream = futures_util::stream::unfold(0, move |i| async move {
            if i == chunks {
                return None;
            }
            tokio::time::sleep(gap).await;
            Some((Ok::<_, std::io::Error>(axum::body::Bytes::from_static(b"x")), i + 1))
        });
        Body::from_stream(stream)
    }

    fn timed_out(e: &axum::BoxError) -> bool {
        e.is::<BodyTimedOut>()
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_keeps_coming_within_the_deadline_is_read_whole() {
        let body = timed(trickle(5, Duration::from_millis(90)), 100, 1_000);
        let bytes = body.collect().await.unwrap().to_bytes();
        assert_eq!(&bytes[..], b"xxxxx");
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_longer_than_the_idle_timeout_ends_the_body() {
        let body = timed(trickle(5, Duration::from_millis(150)), 100, 10_000);
        assert!(timed_out(&body.collect().await.err().unwrap()));
    }

    #[tokio::test(start_paused = true)]
    async fn short_pauses_that_add_up_past_the_deadline_end_the_body() {
        // Each pause (90 ms) is within the idle timeout, but ten of them are not within 500 ms.
        let started = Instant::now();
        let body = timed(trickle(10, Duration::from_millis(90)), 100, 500);
        assert!(timed_out(&body.collect().await.err().unwrap()));
        assert_eq!(started.elapsed(), Duration::from_millis(500), "at the deadline, not later");
    }
}
