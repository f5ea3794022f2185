//! One more try for a read that met a broken database connection.
//!
//! A PostgreSQL failover or restart (or `pg_terminate_backend`) ends the connections in use: a
//! statement on one of them fails although the request was fine, and the next connection the
//! pool opens works. A read (`GET`, `HEAD`, without a body) is therefore run once more when its
//! answer carries [`TransientFailure`], before the client sees the 503; only the second
//! failure reaches it, with `Retry-After`.
//!
//! Writes are never retried here. Each is one transaction, so a failed one left nothing behind
//! and the client may send it again; but whether it *did* fail before or after its commit is
//! something only the client's retry, answered by the operation's own idempotence (one
//! completion, one certificate, one credit), can settle safely. A read that records who looked
//! (an audited view) may record the look twice when its first run failed after that record
//! committed: the person did ask twice, in effect, and an audit trail may overstate a view but
//! must not miss one.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request;
use axum::http::Method;
use axum::response::Response;
use futures_util::future::Either;
use http_body::Body as _;
use tower::ServiceExt;

use crate::error::TransientFailure;

/// The layer: `routes::finish` puts it innermost, so a retry runs access checks again too.
#[derive(Debug, Clone, Copy, Default)]
pub struct RetryReads;

impl<S> tower::Layer<S> for RetryReads {
    type Service = RetryingReads<S>;
    fn layer(&self, inner: S) -> RetryingReads<S> {
        RetryingReads { inner }
    }
}

#[derive(Debug, Clone)]
pub struct RetryingReads<S> {
    inner: S,
}

impl<S> tower::Service<Request> for RetryingReads<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    /// Writes (the heartbeat among them) go straight through, without boxing.
    type Future = Either<S::Future, Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let read = matches!(*req.method(), Method::GET | Method::HEAD) && req.body().is_end_stream();
        if !read {
            return Either::Left(self.inner.call(req));
        }
        // The service that was polled ready serves the first run; a clone serves the retry.
        let again = self.inner.clone();
        let (parts, body) = req.into_parts();
        let copy = parts.clone();
        let first = self.inner.call(Request::from_parts(parts, body));
        Either::Right(Box::pin(async move {
            let res = first.await?;
            if res.extensions().get::<TransientFailure>().is_none() {
                return Ok(res);
            }
            tracing::warn!("a read met a transient database failure; running it once more");
            again.oneshot(Request::from_parts(copy, Body::empty())).await
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A router whose one handler fails transiently on its first `fails` runs.
    fn flaky(fails: usize) -> (axum::Router, Arc<AtomicUsize>) {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let handler = move || {
            let runs = counted.clone();
            async move {
                if runs.fetch_add(1, Ordering::SeqCst) < fails {
                    crate::error::ApiError::from(penkom_storage::DbErr::Conn(
                        penkom_storage::sea_orm::RuntimeErr::Internal("terminated".into()),
                    ))
                    .into_response()
                } else {
                    "ok".into_response()
                }
            }
        };
        let router = axum::Router::new()
            .route("/r", axum::routing::get(handler.clone()).post(handler))
            .layer(RetryReads);
        (router, runs)
    }

    async fn send(router: &axum::Router, method: Method) -> StatusCode {
        let req = Request::builder().method(method).uri("/r").body(Body::empty()).unwrap();
        router.clone().oneshot(req).await.unwrap().status()
    }

    #[tokio::test]
    async fn a_read_is_run_once_more_and_a_write_never() {
        let (router, runs) = flaky(1);
        assert_eq!(send(&router, Method::GET).await, StatusCode::OK, "the retry succeeded");
        assert_eq!(runs.load(Ordering::SeqCst), 2);

        let (router, runs) = flaky(2);
        assert_eq!(send(&router, Method::GET).await, StatusCode::SERVICE_UNAVAILABLE, "only once more");
        assert_eq!(runs.load(Ordering::SeqCst), 2);

        let (router, runs) = flaky(1);
        assert_eq!(send(&router, Method::POST).await, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "a write is not retried");
    }
}
